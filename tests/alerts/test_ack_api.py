"""Acknowledging by the signed link a message carries (confirm page, then POST; expired and
forged links refused with a clear page) and by the REST API (``alerts:ack`` scope); silences
and dead letters over the API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.links import ack_token
from dashboard.api import create_api
from store.models import AlertDelivery, AlertGroup, utcnow
from tests.alerts.fake_providers import Reply
from tests.alerts.pipeline import (
    PICK_DUE,
    SETTINGS,
    Consumer,
    Pipeline,
    awaiting_pick,
    configure,
    consumer,
    route,
    webhook,
)
from tests.api.floor import token
from tests.factories import T0, add_channel

M = timedelta(minutes=1)


@dataclass
class Setup:
    floor: Consumer
    boss: Consumer
    pipeline: Pipeline
    api: TestClient
    group_id: int

    def link_path(self) -> str:
        """The acknowledge link of the first message, as a path of the API app."""
        return urlsplit(self.floor.accepted[0]["url"]).path.removeprefix("/api")


@pytest.fixture
def setup(sessions: sessionmaker[Session]) -> Iterator[Setup]:
    """A group notified to level 0 at PICK_DUE (the links in it signed with the real
    clock's expiry, since the API checks them against the real clock)."""
    add_channel(sessions)
    with consumer() as (floor, a), consumer() as (boss, b):
        configure(
            sessions,
            [webhook("floor", a), webhook("boss", b)],
            [route(levels=(("floor",), ("boss",)), escalate_after=600)],
        )
        orders = awaiting_pick(sessions, 2)
        settings = replace(SETTINGS, ack_ttl=utcnow() - PICK_DUE + timedelta(days=1))
        pipeline = Pipeline(sessions, settings=settings)
        pipeline.tick(T0, changed=tuple(orders))
        pipeline.step(PICK_DUE)
        with sessions() as session:
            group_id = session.scalars(select(AlertGroup.id)).one()
        api = TestClient(
            create_api(sessions, zone=SETTINGS.zone, secret_key=SETTINGS.secret_key),
            raise_server_exceptions=False,
        )
        yield Setup(floor, boss, pipeline, api, group_id)


def test_the_link_shows_a_confirm_page_and_its_post_acknowledges(
    sessions: sessionmaker[Session], setup: Setup
) -> None:
    page = setup.api.get(setup.link_path())
    assert page.status_code == 200
    assert "确认 / Acknowledge" in page.text and '<form method="post"' in page.text
    assert "2 open alert(s)" in page.text
    with sessions() as session:
        assert session.get_one(AlertGroup, setup.group_id).acknowledged_at is None  # GET: nothing
    done = setup.api.post(setup.link_path(), data={"name": "ann"})
    assert done.status_code == 200
    assert f"alert group #{setup.group_id} acknowledged by link:ann" in done.text
    setup.pipeline.step(PICK_DUE + 10 * M)
    assert setup.boss.accepted == []  # acknowledged: no escalation
    again = setup.api.get(setup.link_path())
    assert "was acknowledged by link:ann" in again.text


def test_an_expired_link_is_refused_with_a_clear_page(
    sessions: sessionmaker[Session], setup: Setup
) -> None:
    expired = ack_token(setup.group_id, utcnow() - M, SETTINGS.secret_key)
    answer = setup.api.post(f"/v1/alerts/ack/{expired}", data={"name": "ann"})
    assert answer.status_code == 410
    assert "this acknowledge link expired at" in answer.text
    with sessions() as session:
        assert session.get_one(AlertGroup, setup.group_id).acknowledged_at is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: "9" + token,  # another group under the same signature
        lambda token: token[:-4] + "AAAA",
    ],
)
def test_a_forged_link_is_refused(setup: Setup, tamper: object) -> None:
    token_part = setup.link_path().rsplit("/", 1)[1]
    forged = tamper(token_part)  # type: ignore[operator]
    answer = setup.api.post(f"/v1/alerts/ack/{forged}")
    assert answer.status_code == 403
    assert "was not signed by orderwatch" in answer.text
    assert setup.api.get("/v1/alerts/ack/not-a-token").status_code == 403


def test_acknowledge_over_the_api_needs_its_scope(
    sessions: sessionmaker[Session], setup: Setup
) -> None:
    reader = token(sessions, "wall", "alerts:read")
    acker = token(sessions, "ops-bot", "alerts:ack")
    path = f"/v1/alerts/groups/{setup.group_id}/ack"
    assert setup.api.post(path, json={}, headers=reader).status_code == 403
    answer = setup.api.post(path, json={"note": "on it"}, headers=acker)
    assert answer.status_code == 200
    assert answer.json()["acknowledged_by"] == "ops-bot"
    groups = setup.api.get("/v1/alerts/groups", headers=reader).json()
    assert [(g["id"], g["open_alerts"], g["acknowledged_by"]) for g in groups] == [
        (setup.group_id, 2, "ops-bot")
    ]
    assert {a["status"] for a in groups[0]["alerts"]} == {"acknowledged"}
    detail = setup.api.get(f"/v1/alerts/groups/{setup.group_id}", headers=reader).json()
    assert [(d["receiver"], d["event"], d["status"]) for d in detail["deliveries"]] == [
        ("floor", "firing", "sent")
    ]
    assert setup.api.post("/v1/alerts/groups/999/ack", json={}, headers=acker).status_code == 404


def test_silences_and_dead_letters_over_the_api(
    sessions: sessionmaker[Session], setup: Setup
) -> None:
    acker = token(sessions, "ops-bot", "alerts:ack", "alerts:read")
    made = setup.api.post(
        "/v1/alerts/silences",
        json={"matchers": {"warehouse": "SH-01"}, "minutes": 30, "reason": "stocktake"},
        headers=acker,
    )
    assert made.status_code == 201
    assert made.json()["author"] == "ops-bot" and made.json()["active"] is True
    bad = setup.api.post(
        "/v1/alerts/silences",
        json={"matchers": {"colour": "red"}, "minutes": 30, "reason": "x"},
        headers=acker,
    )
    assert bad.status_code == 422 and "known labels" in bad.json()["detail"]
    listed = setup.api.get("/v1/alerts/silences", headers=acker).json()
    assert [s["id"] for s in listed] == [made.json()["id"]]
    ended = setup.api.delete(f"/v1/alerts/silences/{made.json()['id']}", headers=acker)
    assert ended.status_code == 200 and ended.json()["active"] is False
    # A refusal parks the escalation's delivery as dead; the API re-sends it.
    setup.boss.replies.append(Reply(400, {"error": "bad"}))
    setup.pipeline.step(PICK_DUE + 10 * M)
    dead = setup.api.get("/v1/alerts/deliveries?status=dead", headers=acker).json()
    assert [(d["receiver"], d["event"], d["provider_status"]) for d in dead] == [
        ("boss", "escalation", 400)
    ]
    again = setup.api.post(f"/v1/alerts/deliveries/{dead[0]['id']}/resend", headers=acker)
    assert again.status_code == 200 and again.json()["status"] == "pending"
    setup.pipeline.deliver(utcnow())  # re-sent at the real time the API ran
    with sessions() as session:
        assert session.get_one(AlertDelivery, dead[0]["id"]).status == "sent"
    assert (
        setup.api.post(f"/v1/alerts/deliveries/{dead[0]['id']}/resend", headers=acker).status_code
        == 409
    )

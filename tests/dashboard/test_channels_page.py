"""The channels pages' callbacks over HTTP: each role is drawn what it may do, a supervisor
pauses a channel and dismisses a quarantined order with a reason (audited, and refused
without one), an admin adds a channel whose secrets never come back, and forged calls from
roles that may not answer 403 with an audit entry."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from ingest.channels import config_of
from ingest.quarantine import quarantine
from store.channels import get_channel
from store.db import session_factory
from store.models import AuditEntry, QuarantinedOrder, utcnow
from tests.dashboard.console_client import callback_request, callback_spec, client_for, sign_in
from tests.dashboard.test_order_page import component_ids
from tests.factories import add_channel

PAYLOAD = {
    "tid": "P77",
    "payment": "1O0.00",
    "receiver_name": "张三丰",
    "receiver_mobile": "13812345678",
    "receiver_address": "上海市浦东新区世纪大道100号",
}


def quarantined(engine: Engine) -> int:
    """Channel ``tmall-main`` with one unreadable order in quarantine: its entry id."""
    sessions = session_factory(engine)
    add_channel(sessions)
    with sessions.begin() as session:
        channel_id = get_channel(session, "tmall-main").id
        quarantine(session, channel_id=channel_id, channel_order_id="P77", payload=PAYLOAD,
                   reason="payment: '1O0.00' is not an amount", at=utcnow())  # fmt: skip
    with sessions() as session:
        return int(session.scalars(select(QuarantinedOrder.id)).one())


def call(client: TestClient, output: str, values: dict[str, Any]) -> Any:
    spec = callback_spec(client, output)
    return client.post("/_dash-update-component", json=callback_request(spec, values))


def show(client: TestClient) -> dict[str, Any]:
    values = {"shell-lang.data": "en", "channel-refresh.data": 0, "channel-name.data": "tmall-main"}
    answer = call(client, "channel-view", values)
    assert answer.status_code == 200, answer.text
    drawn: dict[str, Any] = answer.json()["response"]
    return drawn


def confirm(client: TestClient, action: str, entry: int | None = None, note: str = "") -> Any:
    values = {
        "channel-dialog-confirm.n_clicks": 1,
        "channel-pending.data": {"action": action, "entry": entry},
        "channel-dialog-note.value": note,
        "channel-name.data": "tmall-main",
        "channel-refresh.data": 0,
        "shell-lang.data": "en",
    }
    return call(client, "channel-refresh", values)


def audit(engine: Engine) -> list[tuple[str, str, str, Any]]:
    """The audit log after the test user's creation."""
    with session_factory(engine)() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.action != "user.created").order_by(AuditEntry.id)
        )
        return [(e.actor, e.action, e.entity_id, e.after) for e in rows]


def buttons(drawn: dict[str, Any]) -> list[tuple[str, str]]:
    ids = component_ids(drawn["channel-view"]["children"])
    return [(i["role"], i["action"]) for i in ids if isinstance(i, dict) and "role" in i]


@pytest.mark.parametrize(
    ("role", "drawn"),
    [
        ("viewer", []),
        ("supervisor", [("channel-action", "sync"), ("channel-action", "pause"),
                        ("channel-q-action", "retry"), ("channel-q-action", "dismiss")]),
    ],
)  # fmt: skip
def test_each_role_is_drawn_its_actions_and_the_payload_masked(
    sqlite_engine: Engine, role: str, drawn: list[tuple[str, str]]
) -> None:
    quarantined(sqlite_engine)
    with client_for(sqlite_engine, role=role) as client:
        sign_in(client)
        page = show(client)
    assert buttons(page) == drawn
    text = str(page)
    assert "payment: '1O0.00' is not an amount" in text
    assert "138****5678" in text and "张**" in text
    assert "13812345678" not in text and "张三丰" not in text


def test_a_supervisor_pauses_and_dismisses_with_a_reason(sqlite_engine: Engine) -> None:
    entry = quarantined(sqlite_engine)
    with client_for(sqlite_engine, role="supervisor") as client:
        sign_in(client)
        assert confirm(client, "pause", note="shop audit").status_code == 200
        without = confirm(client, "dismiss", entry, note="  ")
        done = confirm(client, "dismiss", entry, note="a test order, never paid")
        page = show(client)

    assert "a reason is needed" in without.json()["response"]["channel-dialog-error"]["children"]
    assert "dismissed" in str(done.json()["response"]["shell-toasts"])
    assert [(a, b, c) for a, b, c, _ in audit(sqlite_engine)] == [
        ("lead", "channel.paused", "tmall-main"),
        ("lead", "quarantine.dismissed", str(entry)),
    ]
    assert audit(sqlite_engine)[1][3] == {"dismissed_because": "a test order, never paid"}
    assert buttons(page) == [("channel-action", "resume")]  # paused, nothing in quarantine
    assert "Pulls paused by lead" in str(page) and "shop audit" in str(page)


@pytest.mark.parametrize(("role", "action"), [("viewer", "dismiss"), ("cs_lead", "pause")])
def test_a_forged_channel_action_answers_403_and_is_audited(
    sqlite_engine: Engine, role: str, action: str
) -> None:
    entry = quarantined(sqlite_engine)
    with client_for(sqlite_engine, role=role) as client:
        sign_in(client)
        answer = confirm(client, action, entry, note="forged")
    assert answer.status_code == 403
    assert audit(sqlite_engine) == [
        ("lead", "console.refused", f"channels.{action}", {"role": role})
    ]
    with session_factory(sqlite_engine)() as session:
        assert session.get(QuarantinedOrder, entry).dismissed_at is None  # type: ignore[union-attr]
        assert get_channel(session, "tmall-main").paused_at is None


def add_form(client: TestClient, **fields: Any) -> Any:
    values = {
        "channel-add-submit.n_clicks": 1,
        "channel-add-name.value": "xhs-shop",
        "channel-add-platform.value": "xiaohongshu",
        "channel-add-shop_id.value": "S-9",
        "channel-add-base_url.value": "",
        "channel-add-default_warehouse.value": "SH-01",
        "channel-add-interval.value": 5,
        "channel-add-cred-app_key.value": "ark-app-1",
        "channel-add-cred-app_secret.value": "s3cret-value",
        "channel-add-cred-access_token.value": "",
        "channels-refresh.data": 0,
        "shell-lang.data": "en",
    }
    values.update({f"channel-add-{k}.value": v for k, v in fields.items()})
    return call(client, "channels-refresh", values)


def test_an_admin_adds_a_channel_and_its_secret_never_comes_back(sqlite_engine: Engine) -> None:
    with client_for(sqlite_engine, role="admin") as client:
        sign_in(client)
        missing = add_form(client, **{"cred-app_secret": ""})
        added = add_form(client)
        shown = {"shell-lang.data": "en", "channels-refresh.data": 1}
        listed = call(client, "channels-list", shown)

    assert "Enter: appSecret" in missing.json()["response"]["channel-add-error"]["children"]
    response = added.json()["response"]
    assert response["channel-add-cred-app_secret"]["value"] == ""
    assert "s3cret-value" not in added.text and "s3cret-value" not in listed.text
    assert "xhs-shop" in listed.text
    with session_factory(sqlite_engine)() as session:
        channel = get_channel(session, "xhs-shop")
        assert config_of(channel).app_secret == "s3cret-value"
        assert (channel.sync_interval_s, channel.default_warehouse) == (300, "SH-01")
    ((actor, action, name, after),) = audit(sqlite_engine)
    assert (actor, action, name) == ("lead", "channel.created", "xhs-shop")
    assert after["credentials_set"] == ["app_key", "app_secret"]


def test_a_supervisor_is_not_drawn_the_add_form_and_a_forged_add_is_refused(
    sqlite_engine: Engine,
) -> None:
    with client_for(sqlite_engine, role="supervisor") as client:
        sign_in(client)
        page = client.get("/channels")
        answer = add_form(client)
    assert page.status_code == 200
    assert answer.status_code == 403
    assert audit(sqlite_engine) == [
        ("lead", "console.refused", "channels.add", {"role": "supervisor"})
    ]

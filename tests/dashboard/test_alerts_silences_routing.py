"""The alerts page's silences and routing over HTTP: the silence form prefilled from a group
and previewing what it mutes, its precise refusals per field, a silence made as the signed-in
user and ended from the list; receivers shown without their secrets, a test send showing the
provider's answer; the routing editor's check, apply and refusal of a stale text, and the
editor refused to a role that does not configure alerts."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from store.db import session_factory
from store.models import AlertRoute, AuditEntry, Receiver, Silence, utcnow
from tests.alerts.fake_providers import Reply
from tests.alerts.pipeline import SECRET
from tests.dashboard.alerts_desk import (
    EDIT,
    Desk,
    answer,
    callback_for,
    confirm,
    desk_on,
    open_dialog,
    open_silence_form,
    preview,
    submit_silence,
    text_of,
    toast_of,
)
from tests.dashboard.console_client import (
    callback_spec_by_input,
    prop_id,
)


@pytest.fixture
def desk(request: pytest.FixtureRequest, sqlite_engine: Engine) -> Iterator[Desk]:
    """The alert floor and a client signed in with the role the test names."""
    with desk_on(sqlite_engine, request.param) as found:
        yield found


def silences(engine: Engine) -> list[Silence]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(Silence)))


def audited(engine: Engine, action: str) -> list[tuple[str, str]]:
    with session_factory(engine)() as session:
        query = select(AuditEntry).where(AuditEntry.action == action)
        return [(e.actor, e.entity_id) for e in session.scalars(query)]


def silence_list(client: TestClient, ended: bool = False) -> list[dict[str, Any]]:
    spec = callback_for(client, "alerts-silences-grid.rowData")
    values = {"shell-lang.data": "en", "alerts-silences-ended.checked": ended}
    found: list[dict[str, Any]] = answer(client, spec, values)["alerts-silences-grid"]["rowData"]
    return found


@pytest.mark.parametrize("desk", ["supervisor"], indirect=True)
def test_the_form_opened_from_a_group_is_prefilled_and_previews_what_it_mutes(
    desk: Desk,
) -> None:
    opened = open_silence_form(desk.client, "silence", group=desk.floor.group_id)
    empty = open_silence_form(desk.client, "new_silence")

    assert opened["alerts-silence-modal"]["opened"] is True
    prefilled = {k: v["value"] for k, v in opened.items() if k.startswith("alerts-silence-m-")}
    assert {k.removeprefix("alerts-silence-m-"): v for k, v in prefilled.items() if v} == {
        "kind": "sla_breach",
        "warehouse": "SH-01",
        "stage": "awaiting_pick",
    }
    assert not [
        v["value"] for k, v in empty.items() if k.startswith("alerts-silence-m-") and v["value"]
    ]
    some = preview(desk.client, kind="sla_breach", warehouse="SH-01", stage="awaiting_pick")
    assert some["alerts-silence-preview"]["children"] == (
        "Silences 3 open alerts: " + ", ".join(desk.floor.orders)
    )
    none = preview(desk.client, warehouse="BJ-02")
    assert none["alerts-silence-preview"]["children"].startswith("No open alert matches these now")
    assert preview(desk.client)["alerts-silence-preview"]["children"].startswith("Fill in at least")


@pytest.mark.parametrize("desk", ["supervisor"], indirect=True)
def test_the_form_refuses_bad_input_with_a_precise_message_per_field(desk: Desk) -> None:
    an_hour_ago = utcnow().astimezone(ZoneInfo("Asia/Shanghai")) - timedelta(hours=1)
    past = an_hour_ago.strftime("%Y-%m-%d %H:%M:%S")  # the form's wall clock: the business zone

    bad = submit_silence(desk.client, span="until", until=past, reason="  ")
    zh = submit_silence(desk.client, warehouse="SH-01", reason="", lang="zh")
    too_long = submit_silence(
        desk.client, warehouse="SH-01", span="until", until="2099-01-01 00:00:00", reason="x"
    )

    assert bad["alerts-silence-matchers-error"]["children"].startswith(
        "Fill in at least one matcher"
    )
    assert "has passed already: choose a time in the future" in bad["alerts-silence-until"]["error"]
    assert bad["alerts-silence-reason"]["error"].startswith("Give a reason")
    assert "alerts-silence-modal" not in bad  # the form stays open with what was typed
    assert zh["alerts-silence-reason"]["error"].startswith("请填写原因")
    assert zh["alerts-silence-until"]["error"] is None
    assert too_long["alerts-silence-until"]["error"] == (
        "A silence lasts at most 30 days; change the routing for longer."
    )
    assert silences(desk.engine) == []


@pytest.mark.parametrize("desk", ["supervisor"], indirect=True)
def test_a_silence_is_made_as_the_signed_in_user_and_ended_from_the_list(desk: Desk) -> None:
    made = submit_silence(
        desk.client, kind="sla_breach", warehouse="SH-01", stage="awaiting_pick",
        span="4h", reason="stocktake at SH-01",
    )  # fmt: skip

    (silence,) = silences(desk.engine)
    assert (silence.author, silence.reason, silence.matchers) == (
        "lead",
        "stocktake at SH-01",
        {"kind": "sla_breach", "warehouse": "SH-01", "stage": "awaiting_pick"},
    )
    assert (
        timedelta(hours=3, minutes=59) < silence.ends_at - silence.starts_at <= timedelta(hours=4)
    )
    assert toast_of(made)["message"].startswith(
        f"Silenced (#{silence.id}): Kind=SLA breach, Warehouse=SH-01, Stage=Awaiting pick, until"
    )
    assert made["alerts-silence-modal"]["opened"] is False
    assert audited(desk.engine, "alert_silence.created") == [("lead", str(silence.id))]
    (row,) = silence_list(desk.client)
    assert (row["state"], row["muting"], row["author"], row["reason"]) == (
        "Active", 3, "lead", "stocktake at SH-01",
    )  # fmt: skip

    asked = open_dialog(desk.client, "expire", silences=[row])
    assert asked["alerts-dialog-text"]["children"].startswith(f"End silence #{silence.id} (Kind=")
    ended = confirm(desk.client, "expire", [silence.id])

    assert toast_of(ended)["message"] == f"Silence #{silence.id} ended"
    assert silence_list(desk.client) == []
    assert [r["state"] for r in silence_list(desk.client, ended=True)] == ["Ended"]
    assert audited(desk.engine, "alert_silence.expired") == [("lead", str(silence.id))]


@pytest.mark.parametrize("desk", ["viewer"], indirect=True)
def test_a_forged_silence_is_refused_and_audited(desk: Desk) -> None:
    forged = submit_silence(desk.client, warehouse="SH-01", reason="nobody asked me")

    assert forged.status_code == 403
    assert silences(desk.engine) == []
    assert audited(desk.engine, "console.refused") == [("lead", "alerts.silence")]


def routing(client: TestClient) -> dict[str, Any]:
    spec = callback_for(client, "alerts-receivers-grid.rowData")
    found: dict[str, Any] = answer(client, spec, {"shell-lang.data": "en"})
    return found


@pytest.mark.parametrize("desk", ["supervisor"], indirect=True)
def test_receivers_show_no_secret_and_each_ones_last_delivery(desk: Desk) -> None:
    shown = routing(desk.client)

    receivers = {r["name"]: r for r in shown["alerts-receivers-grid"]["rowData"]}
    assert SECRET not in str(shown)
    assert "secret=(set, not shown)" in receivers["floor"]["settings"]
    assert receivers["floor"]["last"].startswith("Sent · ")
    assert receivers["boss"]["last"].startswith("Dead · ")
    assert "endpoint retired" in receivers["boss"]["last_answer"]
    (route,) = shown["alerts-routes-grid"]["rowData"]
    assert (route["name"], route["match"], route["levels"], route["escalate"]) == (
        "pick-sla", "Kind=SLA breach", "1. boss + floor → 2. floor", "15 min",
    )  # fmt: skip
    assert route["timing"] == "wait 0 s · interval 1 min · repeat 1 h"


@pytest.mark.parametrize("desk", ["supervisor"], indirect=True)
def test_a_test_send_goes_out_and_shows_the_providers_answer(desk: Desk) -> None:
    asked = open_dialog(desk.client, "test", receivers=[{"name": "floor"}])
    assert asked["alerts-dialog-text"]["children"].startswith("Send floor a test message now")
    delivered = confirm(desk.client, "test", ["floor"])
    desk.floor.boss.replies.append(Reply(401, {"error": "bad signature"}))
    refused = confirm(desk.client, "test", ["boss"])

    assert toast_of(delivered)["message"] == "Test message delivered to floor"
    panel = text_of(delivered["alerts-test-result"]["children"])
    assert "floor: delivered" in panel and "HTTP 204" in panel
    assert desk.floor.floor.accepted[-1]["title"] == "orderwatch 测试通知"
    assert toast_of(refused)["color"] == "orange"
    panel = text_of(refused["alerts-test-result"]["children"])
    assert "boss: refused" in panel and "HTTP 401" in panel and "bad signature" in panel
    assert audited(desk.engine, "alert_receiver.tested") == [("lead", "floor"), ("lead", "boss")]


def editor_text(client: TestClient) -> Any:
    spec = callback_for(client, "alerts-config-text.value")
    return answer(
        client,
        spec,
        {prop_id(EDIT, "n_clicks"): 1},
        changed=prop_id(EDIT, "n_clicks"),
        present=[EDIT],
    )


def editor(client: TestClient, button: str, text: str, made_from: str) -> Any:
    spec = callback_spec_by_input(client, "alerts-config-check")
    values = {
        f"alerts-config-{button}.n_clicks": 1,
        "alerts-config-text.value": text,
        "alerts-config-made-from.data": made_from,
        "alerts-refresh.data": 0,
        "shell-lang.data": "en",
    }
    return answer(client, spec, values, changed=f"alerts-config-{button}.n_clicks")


@pytest.mark.parametrize("desk", ["ops_supervisor"], indirect=True)
def test_the_routing_editor_checks_applies_and_refuses_a_stale_text(desk: Desk) -> None:
    opened = editor_text(desk.client)
    text, made_from = (
        opened["alerts-config-text"]["value"],
        opened["alerts-config-made-from"]["data"],
    )
    assert SECRET not in text and 'secret = "**********"' in text
    assert tomllib.loads(text)["alerts"]["routes"][0]["name"] == "pick-sla"
    slower = text.replace("group_wait = 0", "group_wait = 30")
    broken = text.replace(
        'levels = [\n    [\n        "boss",', 'levels = [\n    [\n        "nobody",'
    )
    assert broken != text

    checked = editor(desk.client, "check", slower, made_from)
    problems = editor(desk.client, "check", broken, made_from)
    applied = editor(desk.client, "apply", slower, made_from)
    stale = editor(desk.client, "apply", text, made_from)

    assert "Applying it makes 1 change: route pick-sla: changed group_wait_s" in text_of(
        checked["alerts-config-result"]
    )
    listed = text_of(problems["alerts-config-result"])
    assert "1 problem, nothing was changed:" in listed
    assert "console:" in listed and "alerts.routes[0].levels: unknown receiver nobody" in listed
    assert toast_of(applied)["message"] == "Routing applied: 1 change"
    assert applied["alerts-config-modal"]["opened"] is False
    assert "the alert routing changed since this text was loaded" in text_of(
        stale["alerts-config-result"]
    )
    with session_factory(desk.engine)() as session:
        assert session.scalars(select(AlertRoute.group_wait_s)).one() == 30
        settings = session.scalars(select(Receiver.settings).where(Receiver.name == "floor")).one()
        assert settings["secret"] == SECRET  # the masked secret kept its value
    assert audited(desk.engine, "alert_route.changed")[-1] == ("lead", "pick-sla")


@pytest.mark.parametrize("desk", ["supervisor"], indirect=True)
def test_a_role_that_does_not_configure_alerts_cannot_open_or_apply_the_editor(
    desk: Desk,
) -> None:
    opened = editor_text(desk.client)
    applied = editor(desk.client, "apply", "[alerts]\nroutes = []\n", "whatever")

    assert (opened.status_code, applied.status_code) == (403, 403)
    assert SECRET not in opened.text
    assert audited(desk.engine, "console.refused") == [
        ("lead", "alerts.configure"),
        ("lead", "alerts.configure"),
    ]

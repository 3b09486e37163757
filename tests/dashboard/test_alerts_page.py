"""The alerts page's callbacks over HTTP: a breached pick SLA's group listed with its headline
and figures and filtered, its detail with the orders and the delivery log; acknowledging
through the dialog (and again, told who did); a viewer drawn no action and every forged
action refused with 403 and audited; re-sending a dead letter once; the empty states."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from alerts.config import AlertsSection, RouteConfig, apply_alerts, stored_routes
from dashboard.alertdesk import reading
from store.alerts import raise_alert
from store.db import session_factory
from store.models import AlertDelivery, AlertGroup, AuditEntry, utcnow
from tests.alerts.pipeline import configure, route, webhook
from tests.dashboard.alerts_desk import (
    Desk,
    answer,
    confirm,
    desk_on,
    detail,
    disabled,
    drawn_actions,
    group_list,
    open_dialog,
    text_of,
    toast_of,
)
from tests.dashboard.console_client import (
    callback_spec_by_input,
    client_for,
    id_text,
    prop_id,
    sign_in,
)

EXPORT_GROUPS = {"role": "alerts-export", "grid": "alerts-groups-grid"}


@pytest.fixture
def desk(request: pytest.FixtureRequest, engine: Engine) -> Iterator[Desk]:
    """The alert floor and a client signed in with the role the test names."""
    with desk_on(engine, request.param) as found:
        yield found


def refusals(engine: Engine) -> list[tuple[str, str, dict[str, Any] | None]]:
    with session_factory(engine)() as session:
        query = select(AuditEntry).where(AuditEntry.action == "console.refused")
        return [(e.actor, e.entity_id, e.after) for e in session.scalars(query)]


def audit(engine: Engine, action: str) -> list[AuditEntry]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.mark.parametrize("desk", ["supervisor"], indirect=True)
def test_the_open_group_is_listed_with_its_headline_escalation_and_figures(desk: Desk) -> None:
    listed = group_list(desk.client)

    (row,) = listed["alerts-groups-grid"]["rowData"]
    assert (row["id"], row["summary"], row["state"], row["severity"]) == (
        desk.floor.group_id,
        "3 orders in Awaiting pick at SH-01 for over 2 h",
        "Triggered",
        "Warning",
    )
    assert (row["open"], row["level"], row["route"], row["scope"]) == (
        3,
        "level 1 of 2",
        "pick-sla",
        "SH-01 · Awaiting pick",
    )
    assert row["lasted"] == "1 h"  # since the first breach, at its deadline an hour ago
    assert row["escalates"] != "—"
    stats = text_of(listed["alerts-stats"]["children"])
    assert "Unacknowledged 1" in stats and "Dead letters 1" in stats
    zh = group_list(desk.client, lang="zh")["alerts-groups-grid"]["rowData"][0]
    assert (zh["summary"], zh["state"], zh["level"]) == (
        "3 单在 SH-01 待拣货 超过 2 小时",
        "未确认",
        "第 1 级 / 共 2 级",
    )


@pytest.mark.parametrize("desk", ["supervisor"], indirect=True)
def test_filters_find_a_group_by_any_of_its_alerts_and_say_when_nothing_matches(
    desk: Desk,
) -> None:
    # The group is keyed by kind, warehouse and stage; its alerts carry the channel.
    by_channel = group_list(desk.client, channel=["tmall-main"])
    assert [r["id"] for r in by_channel["alerts-groups-grid"]["rowData"]] == [desk.floor.group_id]
    other = group_list(desk.client, kind=["stock_low"])
    assert other["alerts-groups-grid"]["rowData"] == []
    assert other["alerts-groups-grid"]["style"] == {"display": "none"}
    assert "No alert group matches these filters" in text_of(other["alerts-groups-empty"])
    resolved = group_list(desk.client, state=["resolved"])
    assert resolved["alerts-groups-grid"]["rowData"] == []
    kinds = [o["value"] for o in by_channel["alerts-f-kind"]["data"]]
    assert kinds == ["sla_breach"]


@pytest.mark.parametrize("desk", ["supervisor"], indirect=True)
def test_the_detail_lists_the_groups_orders_and_its_delivery_log(desk: Desk) -> None:
    shown = detail(desk.client, desk.floor.group_id)

    items = shown["alerts-items-grid"]["rowData"]
    assert sorted(r["subject_link"] for r in items) == [
        f"[{n}](/orders/{n})" for n in desk.floor.orders
    ]
    assert {r["summary"] for r in items} == {"1 h over its Awaiting pick limit"}
    assert {r["rule"] for r in items} == {"awaiting-pick-2h v0"}
    log = {r["receiver"]: r for r in shown["alerts-log-grid"]["rowData"]}
    assert (log["floor"]["status"], log["floor"]["event"]) == ("Sent", "Firing")
    assert log["boss"]["status_code"] == "dead"
    assert (
        log["boss"]["answer"].startswith("HTTP 410") and "endpoint retired" in log["boss"]["answer"]
    )
    assert "3 orders in Awaiting pick at SH-01 for over 2 h" in text_of(shown["alerts-detail-head"])
    facts = text_of(shown["alerts-detail-facts"])
    assert "level 1 of 2" in facts and "nobody yet" in facts
    assert disabled(shown, "ack", "silence") == [False, False]  # both offered
    missing = detail(desk.client, 999)
    assert "There is no alert group #999." in text_of(missing["alerts-detail-head"])


@pytest.mark.parametrize("desk", ["supervisor"], indirect=True)
def test_a_supervisor_acknowledges_and_a_second_acknowledgement_says_who_did(
    desk: Desk,
) -> None:
    group_id = desk.floor.group_id
    asked = open_dialog(desk.client, "ack", group=group_id)
    assert asked["alerts-modal"]["opened"] is True
    assert asked["alerts-dialog-text"]["children"].startswith(
        f"Acknowledge alert group #{group_id}: escalation and reminders stop"
    )
    assert asked["alerts-pending"]["data"] == {"action": "ack", "ids": [group_id]}
    assert asked["alerts-dialog-note"]["style"] == {}  # the note is offered

    done = confirm(desk.client, "ack", [group_id], note="on my way")
    again = confirm(desk.client, "ack", [group_id])

    assert (toast_of(done)["message"], toast_of(done)["color"]) == (
        f"Alert group #{group_id} acknowledged by lead: escalation and reminders stopped",
        "green",
    )
    assert done["alerts-refresh"]["data"] == 1 and done["alerts-modal"]["opened"] is False
    assert toast_of(again)["message"] == f"Alert group #{group_id} was acknowledged by lead already"
    garbled = confirm(desk.client, "expire", ["not-a-silence"])
    assert garbled["alerts-dialog-error"]["children"] == (
        "Nothing was changed: not an id: not-a-silence. Correct it and try again."
    )
    (entry,) = audit(desk.engine, "alert_group.acknowledged")
    assert (entry.actor, (entry.after or {})["note"]) == ("lead", "on my way")
    (row,) = group_list(desk.client)["alerts-groups-grid"]["rowData"]
    assert row["state"] == "Acknowledged" and row["ack"].startswith("lead · ")
    # Acknowledged once for good; it can still be silenced while it is open.
    assert disabled(detail(desk.client, group_id), "ack", "silence") == [True, False]


@pytest.mark.parametrize("desk", ["viewer"], indirect=True)
def test_a_viewer_is_drawn_no_action_and_every_forged_action_is_refused_and_audited(
    desk: Desk,
) -> None:
    assert drawn_actions(desk.client) == []
    group_id, dead_id = desk.floor.group_id, desk.floor.dead_id

    forged = [
        confirm(desk.client, "ack", [group_id]),
        confirm(desk.client, "resend", [dead_id]),
        confirm(desk.client, "test", ["floor"]),
        confirm(desk.client, "expire", ["not-a-silence"]),  # refused before it is read
    ]

    assert [answer.status_code for answer in forged] == [403, 403, 403, 403]
    assert forged[0].json()["error"] == "forbidden"
    assert refusals(desk.engine) == [
        ("lead", "alerts.acknowledge", {"role": "viewer"}),
        ("lead", "alerts.resend", {"role": "viewer"}),
        ("lead", "alerts.test_receiver", {"role": "viewer"}),
        ("lead", "alerts.unsilence", {"role": "viewer"}),
    ]
    with session_factory(desk.engine)() as session:
        assert session.get_one(AlertGroup, group_id).acknowledged_at is None
        assert session.get_one(AlertDelivery, dead_id).status == "dead"
    assert len(desk.floor.floor.accepted) == 1  # no test message went out


@pytest.mark.parametrize("desk", ["supervisor"], indirect=True)
def test_a_supervisors_page_has_the_actions_but_not_the_routing_editor(desk: Desk) -> None:
    assert sorted(drawn_actions(desk.client)) == sorted(
        ["ack", "silence", "resend_group", "new_silence", "expire", "resend", "test"]
    )


@pytest.mark.parametrize("desk", ["supervisor"], indirect=True)
def test_a_dead_letter_is_resent_once_and_a_second_time_refused_with_the_reason(
    desk: Desk,
) -> None:
    dead = {"id": desk.floor.dead_id, "status_code": "dead"}
    asked = open_dialog(desk.client, "resend", letters=[dead, {"id": 1, "status_code": "sent"}])
    assert asked["alerts-pending"]["data"] == {"action": "resend", "ids": [desk.floor.dead_id]}
    assert asked["alerts-dialog-text"]["children"].startswith("Re-send 1 dead letters")

    done = confirm(desk.client, "resend", [desk.floor.dead_id])
    assert toast_of(done)["message"] == "Re-send: 1 queued, 0 refused"
    desk.floor.pipeline.deliver(utcnow() + timedelta(seconds=1))
    again = confirm(desk.client, "resend", [desk.floor.dead_id])

    assert (toast_of(again)["message"], toast_of(again)["color"]) == (
        f"Re-send: 0 queued, 1 refused: #{desk.floor.dead_id} delivery #{desk.floor.dead_id} is "
        "sent, not dead: nothing to re-send",
        "orange",
    )
    assert len(desk.floor.boss.accepted) == 1  # delivered once, after the re-send
    (entry,) = audit(desk.engine, "alert_delivery.resent")
    assert entry.actor == "lead"


@pytest.mark.parametrize("desk", ["supervisor"], indirect=True)
def test_the_list_puts_the_most_urgent_first(desk: Desk) -> None:
    """Nobody on it before acknowledged, critical before warning."""
    sessions = session_factory(desk.engine)
    confirm(desk.client, "ack", [desk.floor.group_id])
    with sessions.begin() as session:
        stock = RouteConfig(name="stock", match={"kind": ("stock_low",)}, levels=(("floor",),))
        apply_alerts(session, AlertsSection(routes=(*stored_routes(session), stock)), author="t")
        raise_alert(
            session, kind="stock_low", key="stock_low:SKU-9", severity="critical",
            title="SKU-9 below safety stock: 0 < 5", details={"sku": "SKU-9"}, now=utcnow(),
        )  # fmt: skip
    desk.floor.pipeline.tick(utcnow())

    listed = group_list(desk.client)["alerts-groups-grid"]["rowData"]

    assert [(r["severity"], r["state"]) for r in listed] == [
        ("Critical", "Triggered"),
        ("Warning", "Acknowledged"),
    ]


@pytest.mark.parametrize("desk", ["viewer"], indirect=True)
def test_a_grid_exports_the_rows_it_shows_to_csv_that_excel_reads(desk: Desk) -> None:
    rows = group_list(desk.client, lang="zh")["alerts-groups-grid"]["rowData"]
    spec = callback_spec_by_input(client=desk.client, input_id=id_text(EXPORT_GROUPS))
    values = {
        prop_id(EXPORT_GROUPS, "n_clicks"): 1,
        "alerts-groups-grid.virtualRowData": rows,
        "shell-lang.data": "zh",
    }

    sent = answer(desk.client, spec, values)

    data = sent["alerts-download"]["data"]
    assert data["filename"].startswith("orderwatch-alert-groups-") and data["base64"]
    text = base64.b64decode(data["content"]).decode("utf-8")
    assert text.startswith("\ufeff编号,级别,状态,内容,类型,范围,未恢复")
    assert "3 单在 SH-01 待拣货 超过 2 小时" in text


def test_the_empty_states_say_why_nothing_is_listed(sqlite_engine: Engine) -> None:
    sessions = session_factory(sqlite_engine)
    with client_for(sqlite_engine) as client:
        sign_in(client)
        no_routes = group_list(client)
        with sessions.begin() as session:
            raise_alert(
                session, kind="stock_low", key="stock_low:SKU-1", severity="warning",
                title="SKU-1 below safety stock: 2 < 10",
                details={"sku": "SKU-1", "available": 2, "threshold": 10}, now=utcnow(),
            )  # fmt: skip
        unrouted = group_list(client)
        configure(sessions, [webhook("hook", "http://127.0.0.1:9/hook")], [route()])
        quiet = group_list(client, lang="zh")

    assert "No alert routes yet" in text_of(no_routes["alerts-groups-empty"])
    banner = text_of(unrouted["alerts-unrouted"])
    assert "1 alert no route takes" in banner and "SKU-1 below safety stock" in banner
    assert "没有未处理的告警" in text_of(quiet["alerts-groups-empty"])


@pytest.mark.parametrize(
    ("query", "search"),
    [
        ({}, ""),
        (
            {"state": "firing", "kind": "sla_breach,stock_low"},
            "?state=firing&kind=sla_breach,stock_low",
        ),
        ({"group": "12", "tab": "deliveries"}, "?group=12&tab=deliveries"),
        ({"group": "x", "tab": "nowhere"}, ""),
    ],
)
def test_the_url_keeps_the_filters_the_open_group_and_the_tab(
    query: dict[str, str], search: str
) -> None:
    filters, group, tab = reading.from_query(query)
    assert reading.to_query(filters, group, tab) == search

"""The alerts page in headless Chromium (Playwright) on the real served console: a breached
pick SLA's group shows with its orders (one opens its order page), a supervisor acknowledges
it, silences it with a reason (refused first without one), re-sends the dead letter; a viewer
sees it all without a button and a forged acknowledgement is refused with 403 and audited;
the page in English."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.ack import acknowledge_group
from store.db import make_engine, session_factory
from store.models import AlertDelivery, AlertGroup, AuditEntry, Silence, utcnow
from tests.dashboard.alert_floor import AlertFloor, alert_floor
from tests.dashboard.console_client import callback_request
from tests.dashboard.live_console import LOGINS, choose_language, live_console, sign_in

pytestmark = pytest.mark.browser
HEADLINE = "3 单在 SH-01 待拣货 超过 2 小时"


@dataclass
class Console:
    base_url: str
    sessions: sessionmaker[Session]
    floor: AlertFloor

    def open(self, page: Page, path: str = "", role: str = "supervisor") -> None:
        sign_in(page, self.base_url, role)
        page.goto(f"{self.base_url}/alerts{path}")


@pytest.fixture
def console(console_store: Path) -> Iterator[Console]:
    with live_console(console_store, []) as base_url:
        engine = make_engine(f"sqlite:///{console_store}")
        sessions = session_factory(engine)
        with alert_floor(sessions) as floor:
            yield Console(base_url, sessions, floor)
        engine.dispose()


def rows_of(page: Page, grid: str) -> Locator:
    return page.locator(f"#{grid} .ag-center-cols-container .ag-row")


def toast_saying(page: Page, message: str) -> Locator:
    messages = page.locator(".mantine-Notification-root .mantine-Notification-description")
    return messages.get_by_text(message, exact=True)


def test_a_group_shows_with_its_orders_and_one_opens_its_order_page(
    page: Page, console: Console
) -> None:
    console.open(page)
    expect(page.locator("#alerts-stat-firing")).to_have_text("1")
    group = rows_of(page, "alerts-groups-grid")
    expect(group).to_have_count(1)
    expect(group.first).to_contain_text(HEADLINE)
    expect(page.locator("#alerts-detail-hint")).to_contain_text("点击一个告警组")
    group.first.locator("[col-id='summary']").click()
    expect(page.locator("#alerts-detail-title")).to_have_text(HEADLINE)
    expect(page).to_have_url(f"{console.base_url}/alerts?group={console.floor.group_id}")
    items = rows_of(page, "alerts-items-grid")
    expect(items).to_have_count(3)
    expect(rows_of(page, "alerts-log-grid")).to_have_count(2)
    expect(page.locator("#alerts-log-grid")).to_contain_text("死信")
    order_no = console.floor.orders[0]
    page.get_by_role("link", name=order_no).click()
    expect(page).to_have_url(f"{console.base_url}/orders/{order_no}")
    expect(page.locator("#order-stage")).to_have_text("待拣货")


def test_a_supervisor_acknowledges_the_group(page: Page, console: Console) -> None:
    console.open(page, f"?group={console.floor.group_id}")
    expect(page.locator("#alerts-detail-state")).to_have_text("未确认")
    page.get_by_role("button", name="确认（我来处理）").click()
    expect(page.locator("#alerts-dialog-text")).to_contain_text(
        f"确认告警组 #{console.floor.group_id}：升级和提醒会停止"
    )
    page.locator("#alerts-dialog-note").fill("在路上")
    page.locator("#alerts-dialog-confirm").click()
    who = LOGINS["supervisor"].username
    expect(
        toast_saying(page, f"告警组 #{console.floor.group_id} 已确认（{who}）：升级和提醒已停止")
    ).to_be_visible()
    expect(page.locator("#alerts-detail-state")).to_have_text("已确认")
    expect(page.get_by_role("button", name="确认（我来处理）")).to_be_disabled()
    expect(page.locator("#alerts-stat-acknowledged")).to_have_text("1")
    with console.sessions() as session:
        assert session.get_one(AlertGroup, console.floor.group_id).acknowledged_by == who


def test_a_supervisor_silences_the_group_with_a_reason(page: Page, console: Console) -> None:
    console.open(page, f"?group={console.floor.group_id}")
    page.get_by_role("button", name="静默…").click()
    expect(page.locator("#alerts-silence-m-warehouse")).to_have_value("SH-01")
    expect(page.locator("#alerts-silence-preview")).to_contain_text("将静默 3 条未恢复的告警")
    page.locator("#alerts-silence-submit").click()
    expect(page.get_by_text("请填写原因：它和静默一起保存")).to_be_visible()
    page.locator("#alerts-silence-reason").fill("SH-01 盘点，拣货暂停")
    page.locator("#alerts-silence-submit").click()
    expect(page.locator(".mantine-Notification-root")).to_contain_text("已静默（#1）")
    page.locator("#alerts-tab-silences").click()
    silences = rows_of(page, "alerts-silences-grid")
    expect(silences).to_have_count(1)
    expect(silences.first).to_contain_text("SH-01 盘点，拣货暂停")
    expect(page.locator("#alerts-stat-silences")).to_have_text("1")
    with console.sessions() as session:
        silence = session.scalars(select(Silence)).one()
        assert (silence.author, silence.reason) == ("supervisor", "SH-01 盘点，拣货暂停")


def test_a_supervisor_resends_the_dead_letter(page: Page, console: Console) -> None:
    console.open(page, "?tab=deliveries")
    letters = rows_of(page, "alerts-deliveries-grid")
    expect(letters).to_have_count(2)
    dead = page.locator(f"#alerts-deliveries-grid .ag-row[row-id='{console.floor.dead_id}']")
    expect(dead.first).to_contain_text("死信")
    dead.locator(".ag-selection-checkbox input").first.check()
    page.get_by_role("button", name="重新投递所选死信").first.click()
    expect(page.locator("#alerts-dialog-text")).to_contain_text("重新投递 1 条死信")
    page.locator("#alerts-dialog-confirm").click()
    expect(toast_saying(page, "重新投递：1 条已排队，0 条被拒绝")).to_be_visible()
    expect(dead.first).to_contain_text("待投递")
    with console.sessions() as session:
        assert session.get_one(AlertDelivery, console.floor.dead_id).status == "pending"


def test_a_viewer_sees_the_alerts_but_cannot_act_and_a_forged_call_is_refused(
    page: Page, console: Console
) -> None:
    console.open(page, f"?group={console.floor.group_id}", role="viewer")
    expect(page.locator("#alerts-detail-title")).to_have_text(HEADLINE)
    expect(page.get_by_text("你的角色只能查看告警").first).to_be_visible()
    expect(page.get_by_role("button", name="确认（我来处理）")).to_have_count(0)
    expect(page.get_by_role("button", name="静默…")).to_have_count(0)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    answer = _forge_ack(console.base_url, cookies, console.floor.group_id)
    assert answer.status_code == 403, answer.text
    with console.sessions() as session:
        assert session.get_one(AlertGroup, console.floor.group_id).acknowledged_at is None
        refused = session.scalars(select(AuditEntry).where(AuditEntry.action == "console.refused"))
        assert [(e.actor, e.entity_id) for e in refused] == [("viewer", "alerts.acknowledge")]
    # Someone allowed acknowledges elsewhere (the link in the message): the open page shows
    # it at its next look at the store, without a reload.
    with console.sessions.begin() as session:
        acknowledge_group(session, console.floor.group_id, actor="link:王芳", now=utcnow())
    expect(page.locator("#alerts-detail-state")).to_have_text("已确认")
    expect(page.locator("#alerts-detail-facts")).to_contain_text("link:王芳")


def _forge_ack(base_url: str, cookies: dict[str, str], group_id: int) -> httpx.Response:
    """The confirm callback posted by hand, as a supervisor's dialog would send it."""
    with httpx.Client(base_url=base_url, cookies=cookies, headers={"origin": base_url}) as client:
        spec = next(
            d
            for d in client.get("/_dash-dependencies").json()
            if d["inputs"][0]["id"] == "alerts-dialog-confirm"
        )
        values: dict[str, Any] = {
            "alerts-dialog-confirm.n_clicks": 1,
            "alerts-pending.data": {"action": "ack", "ids": [group_id]},
        }
        return client.post("/_dash-update-component", json=callback_request(spec, values))


def test_the_page_in_english(page: Page, console: Console) -> None:
    console.open(page, f"?group={console.floor.group_id}")
    expect(page.locator("#alerts-title")).to_have_text("告警")
    choose_language(page, "English")
    expect(page.locator("#alerts-title")).to_have_text("Alerts")
    expect(page.locator("#alerts-detail-title")).to_have_text(
        "3 orders in Awaiting pick at SH-01 for over 2 h"
    )
    expect(page.locator("#alerts-tab-groups")).to_contain_text("Alert groups")
    expect(page.get_by_role("button", name="Acknowledge")).to_be_visible()
    expect(rows_of(page, "alerts-groups-grid").first).to_contain_text("Triggered")
    expect(page.locator("#alerts-log-grid")).to_contain_text("Dead")
    page.locator("#alerts-tab-routing").click()
    expect(page.locator("#alerts-receivers-grid")).to_contain_text("Signed webhook")
    expect(page.locator("#alerts-routing-readonly")).to_contain_text("Read-only here")

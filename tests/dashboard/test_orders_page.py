"""The stuck-order workbench and the order page in headless Chromium (Playwright): a board
link's filters, a bulk release with one order refused because it changed meanwhile, a bulk
release and a reassignment showing on the order pages, actions and a buyer reveal taken on an
order's own page, the Excel export, a viewer who sees but cannot act and whose forged action
callback is refused with 403 and audited."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rules.review import current_rules
from rules.sla import refresh_deadlines
from store.audit import audit_trail
from store.db import make_engine, session_factory
from store.floor import release_hold
from store.models import AuditEntry, utcnow
from store.orders import find_order, get_order
from store.picking import assign_picker
from store.stages import Source
from store.transitions import move_order
from store.upsert import upsert_orders
from tests.dashboard.live_console import CHANNEL, LOGINS, forge_callback, live_console, sign_in
from tests.factories import canonical

pytestmark = pytest.mark.browser
MASKED = "张** · 138****5678 · 上海市浦东新****"
"""The factory's buyer as every page shows it until someone allowed reveals it."""


@pytest.fixture
def console(console_store: Path) -> Iterator[tuple[str, sessionmaker[Session], list[str]]]:
    """The live console on a floor of ten orders: four awaiting pick for over two hours (two
    of them 张三's), three on hold as out of stock, three in 待审核."""
    with live_console(console_store, []) as base_url:
        engine = make_engine(f"sqlite:///{console_store}")
        sessions = session_factory(engine)
        numbers = _seed(sessions)
        yield base_url, sessions, numbers
        engine.dispose()


def _seed(sessions: sessionmaker[Session]) -> list[str]:
    now = utcnow()
    paid = {"paid_at": now - timedelta(hours=5), "modified_at": now - timedelta(hours=5)}
    with sessions.begin() as session:
        orders = [
            canonical(f"W{n}", created_at=now - timedelta(hours=6), **paid) for n in range(10)
        ]
        upsert_orders(session, CHANNEL, orders)
        numbers = [find_order(session, CHANNEL, f"W{n}").order_no for n in range(10)]
        for n, order_no in enumerate(numbers):
            stage, since, category = _plan(n)
            move_order(
                session,
                order_no=order_no,
                to=stage,
                source=Source.RULE,
                actor="seed",
                at=now - since,
                hold_category=category,
            )
            if stage == "awaiting_pick" and n % 2:
                assign_picker(session, order_no=order_no, picker="张三", actor="seed")
        refresh_deadlines(session, current_rules(session), zone=ZoneInfo("Asia/Shanghai"))
    return numbers


def _plan(n: int) -> tuple[str, timedelta, str | None]:
    if n < 4:
        return "awaiting_pick", timedelta(hours=3, minutes=n * 10), None
    if n < 7:
        return "on_hold", timedelta(hours=1), "out_of_stock"
    return "pending_review", timedelta(hours=1), None


def open_signed_in(page: Page, base_url: str, path: str, role: str = "supervisor") -> None:
    sign_in(page, base_url, role)
    page.goto(f"{base_url}{path}")


def test_a_board_link_opens_the_filtered_workbench(
    page: Page, console: tuple[str, sessionmaker[Session], list[str]]
) -> None:
    base_url, _sessions, numbers = console
    open_signed_in(page, base_url, "/orders?stage=awaiting_pick&sla=breached")
    expect(page.locator("#orders-count")).to_have_text("共 4 单")
    summary = page.locator(".ag-row[row-index='0'] [col-id='summary']")
    expect(summary).to_contain_text("待拣货 3 小时 30 分，超出 SLA 1 小时 30 分")
    expect(summary).to_contain_text("等待拣货员 张三")
    page.fill("#orders-f-order_no", numbers[2])
    expect(page.locator("#orders-count")).to_have_text("共 1 单")
    expect(page).to_have_url(
        f"{base_url}/orders?stage=awaiting_pick&sla=breached&order_no={numbers[2]}"
    )


def test_supervisor_bulk_releases_and_sees_the_refused_order(
    page: Page, console: tuple[str, sessionmaker[Session], list[str]]
) -> None:
    base_url, sessions, numbers = console
    open_signed_in(page, base_url, "/orders?stage=on_hold")
    expect(page.locator("#orders-count")).to_have_text("共 3 单")
    checkboxes = page.locator(".ag-selection-checkbox input")
    expect(checkboxes).to_have_count(3)
    for n in range(3):
        checkboxes.nth(n).check()
    expect(page.locator("#orders-selected")).to_have_text("已选 3 单")
    with sessions.begin() as session:  # someone else releases one meanwhile
        release_hold(session, order_no=numbers[5], actor="li.si", source=Source.API)
    page.get_by_role("button", name="解除拦截").click()
    expect(page.locator("#orders-dialog-text")).to_contain_text("将对 3 个订单执行「解除拦截」")
    page.locator("#orders-dialog-confirm").click()
    toast = page.locator(".mantine-Notification-root")
    expect(toast).to_contain_text("解除拦截：成功 2 单，拒绝 1 单")
    expect(toast).to_contain_text(f"{numbers[5]} 已变为「已支付」")
    expect(page.locator("#orders-count")).to_have_text("共 0 单")
    expect(page.locator("#orders-empty")).to_contain_text("没有符合这些筛选条件的订单")
    with sessions() as session:
        entry = audit_trail(session, entity_type="order", entity_id=numbers[4])[-1]
        assert (entry.actor, entry.action) == (LOGINS["supervisor"].username, "order.released")
        assert get_order(session, numbers[6]).stage == "paid"


def test_a_session_ended_mid_action_applies_nothing_and_signs_in_back_to_the_page(
    page: Page, console: tuple[str, sessionmaker[Session], list[str]]
) -> None:
    base_url, sessions, numbers = console
    open_signed_in(page, base_url, "/orders?stage=on_hold")
    page.locator(".ag-selection-checkbox input").first.check()
    expect(page.locator("#orders-selected")).to_have_text("已选 1 单")
    page.get_by_role("button", name="解除拦截").click()
    # Opened by a callback: its answer must be in before the session ends, or that callback
    # is the one refused (and the page signs in again before there is a dialog to confirm).
    expect(page.locator("#orders-dialog-text")).to_contain_text("将对 1 个订单执行「解除拦截」")
    page.context.clear_cookies()  # the session ends while the dialog is open
    page.locator("#orders-dialog-confirm").click()
    expect(page).to_have_url(re.compile(r"/login\?next="))
    login = LOGINS["supervisor"]
    page.locator("#username").fill(login.username)
    page.locator("#password").fill(login.password)
    page.locator("#login-submit").click()
    expect(page).to_have_url(f"{base_url}/orders?stage=on_hold")
    expect(page.locator("#orders-count")).to_have_text("共 3 单")
    with sessions() as session:
        assert [get_order(session, n).stage for n in numbers[4:7]] == ["on_hold"] * 3


def test_export_to_excel_holds_the_filtered_rows(
    page: Page, console: tuple[str, sessionmaker[Session], list[str]]
) -> None:
    base_url, _sessions, numbers = console
    open_signed_in(page, base_url, "/orders?stage=pending_review")
    expect(page.locator("#orders-count")).to_have_text("共 3 单")
    with page.expect_download() as download:
        page.locator("#orders-export-xlsx").click()
    path = download.value.path()
    sheet = load_workbook(io.BytesIO(Path(path).read_bytes())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("订单号", "环节", "渠道")
    assert sorted(row[0] for row in rows[1:]) == numbers[7:]
    assert {row[1] for row in rows[1:]} == {"待审核"}


def test_a_viewer_sees_no_action_and_a_forged_action_is_refused(
    page: Page, console: tuple[str, sessionmaker[Session], list[str]]
) -> None:
    base_url, sessions, numbers = console
    open_signed_in(page, base_url, "/orders?stage=on_hold", role="viewer")
    expect(page.locator("#orders-count")).to_have_text("共 3 单")
    expect(page.locator("#orders-viewer-hint")).to_contain_text("你的角色只能查看订单")
    expect(page.get_by_role("button", name="解除拦截")).to_have_count(0)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    answer = _forge_release(base_url, cookies, numbers[4])
    assert answer.status_code == 403, answer.text
    with sessions() as session:
        assert get_order(session, numbers[4]).stage == "on_hold"
        refused = session.scalars(select(AuditEntry).where(AuditEntry.action == "console.refused"))
        assert [(e.actor, e.entity_id) for e in refused] == [("viewer", "orders.release")]


def _forge_release(base_url: str, cookies: dict[str, str], order_no: str) -> httpx.Response:
    """Post the confirm callback by hand, as a page drawn for a supervisor would."""
    values: dict[str, Any] = {
        "orders-pending.data": "release",
        "orders-grid.selectedRows": [{"order_no": order_no, "stage_code": "on_hold"}],
    }
    trigger = {"id": "orders-dialog-confirm", "property": "n_clicks"}
    return forge_callback(base_url, cookies, trigger, values)


def test_the_order_page_shows_the_explanation_timeline_and_audit(
    page: Page, console: tuple[str, sessionmaker[Session], list[str]]
) -> None:
    base_url, sessions, numbers = console
    with sessions.begin() as session:
        release_hold(session, order_no=numbers[4], actor="wang.fang", source=Source.CONSOLE)
    open_signed_in(page, base_url, "/orders?stage=awaiting_pick")
    page.get_by_role("link", name=numbers[1]).click()
    expect(page).to_have_url(f"{base_url}/orders/{numbers[1]}")
    expect(page.locator("#order-explain")).to_contain_text(f"{numbers[1]} 在「待拣货」已停留")
    expect(page.locator("#order-stage")).to_have_text("待拣货")
    page.goto(f"{base_url}/orders/{numbers[4]}")
    expect(page.locator("#order-timeline")).to_contain_text("异常拦截 → 已支付")
    expect(page.locator("#order-timeline")).to_contain_text("控制台")
    expect(page.locator("#order-audit")).to_contain_text("解除拦截")
    page.goto(f"{base_url}/orders/OW9999999999")
    expect(page.locator("#order-unknown")).to_contain_text("没有订单 OW9999999999")


def toast_saying(page: Page, message: str) -> Locator:
    """The result notification whose message is ``message`` exactly (earlier ones may still
    be on screen, and "拦截" is part of "解除拦截")."""
    messages = page.locator(".mantine-Notification-root .mantine-Notification-description")
    return messages.get_by_text(message, exact=True)


def test_bulk_release_and_reassignment_show_on_the_order_pages_and_in_the_audit(
    page: Page, console: tuple[str, sessionmaker[Session], list[str]]
) -> None:
    base_url, sessions, numbers = console
    open_signed_in(page, base_url, "/orders?stage=on_hold")
    checkboxes = page.locator(".ag-selection-checkbox input")
    expect(checkboxes).to_have_count(3)
    for n in range(3):
        checkboxes.nth(n).check()
    expect(page.locator("#orders-selected")).to_have_text("已选 3 单")
    page.get_by_role("button", name="解除拦截").click()
    page.locator("#orders-dialog-confirm").click()
    expect(toast_saying(page, "解除拦截：成功 3 单，拒绝 0 单")).to_be_visible()
    expect(page.locator("#orders-count")).to_have_text("共 0 单")

    page.goto(f"{base_url}/orders?order_no={numbers[1]}")
    expect(page.locator("#orders-count")).to_have_text("共 1 单")
    page.locator(".ag-selection-checkbox input").check()
    page.get_by_role("button", name="分配拣货员").click()
    page.locator("#orders-dialog-picker").fill("李四")
    page.locator("#orders-dialog-confirm").click()
    expect(toast_saying(page, "分配拣货员：成功 1 单，拒绝 0 单")).to_be_visible()

    for order_no in numbers[4:7]:
        page.goto(f"{base_url}/orders/{order_no}")
        expect(page.locator("#order-timeline")).to_contain_text("异常拦截 → 已支付")
        expect(page.locator("#order-audit")).to_contain_text("解除拦截")
    page.goto(f"{base_url}/orders/{numbers[1]}")
    expect(page.locator("#order-timeline")).to_contain_text("拣货员：张三 → 李四")
    expect(page.locator("#order-audit")).to_contain_text("改派拣货员")
    supervisor = LOGINS["supervisor"].username
    with sessions() as session:
        for order_no, action in [*((n, "order.released") for n in numbers[4:7]),
                                 (numbers[1], "order.reassigned")]:  # fmt: skip
            entry = audit_trail(session, entity_type="order", entity_id=order_no)[-1]
            assert (entry.actor, entry.action) == (supervisor, action)


def test_a_supervisor_acts_from_the_order_page(
    page: Page, console: tuple[str, sessionmaker[Session], list[str]]
) -> None:
    base_url, sessions, numbers = console
    open_signed_in(page, base_url, f"/orders/{numbers[4]}")
    expect(page.locator("#order-stage")).to_have_text("异常拦截")
    page.locator("#order-actions").get_by_role("button", name="解除拦截").click()
    expect(page.locator("#order-dialog-text")).to_contain_text(
        f"将对订单 {numbers[4]} 执行「解除拦截」"
    )
    page.locator("#order-dialog-confirm").click()
    expect(toast_saying(page, f"解除拦截：订单 {numbers[4]} 已完成")).to_be_visible()
    expect(page.locator("#order-stage")).to_have_text("已支付")
    expect(page.locator("#order-timeline")).to_contain_text("异常拦截 → 已支付")
    expect(page.locator("#order-audit")).to_contain_text("解除拦截")

    # Now paid, it may be held again, with a category.
    page.locator("#order-actions").get_by_role("button", name="拦截", exact=True).click()
    page.locator("#order-dialog-category").click()
    page.get_by_role("option", name="地址不清").click()
    page.locator("#order-dialog-note").fill("缺门牌号")
    page.locator("#order-dialog-confirm").click()
    expect(toast_saying(page, f"拦截：订单 {numbers[4]} 已完成")).to_be_visible()
    expect(page.locator("#order-stage")).to_have_text("异常拦截")
    expect(page.locator("#order-timeline")).to_contain_text("已支付 → 异常拦截")
    expect(page.locator("#order-timeline")).to_contain_text("缺门牌号")

    # Someone else releases the next one while its page is open: refused, with the reason.
    page.goto(f"{base_url}/orders/{numbers[5]}")
    expect(page.locator("#order-stage")).to_have_text("异常拦截")
    with sessions.begin() as session:
        release_hold(session, order_no=numbers[5], actor="li.si", source=Source.API)
    page.locator("#order-actions").get_by_role("button", name="解除拦截").click()
    page.locator("#order-dialog-confirm").click()
    refused = toast_saying(
        page,
        f"解除拦截未执行：{numbers[5]} 已变为「已支付」（已被处理）。页面已显示订单的最新状态。",
    )
    expect(refused).to_be_visible()
    expect(page.locator("#order-stage")).to_have_text("已支付")
    with sessions() as session:
        (entry,) = audit_trail(session, entity_type="order", entity_id=numbers[5])
        assert (entry.actor, entry.action) == ("li.si", "order.released")
        held = get_order(session, numbers[4])
        assert (held.stage, held.hold_category) == ("on_hold", "unclear_address")


def test_a_viewer_sees_no_action_and_no_reveal_on_the_order_page(
    page: Page, console: tuple[str, sessionmaker[Session], list[str]]
) -> None:
    base_url, _sessions, numbers = console
    open_signed_in(page, base_url, f"/orders/{numbers[4]}", role="viewer")
    expect(page.locator("#order-explain")).to_be_visible()
    expect(page.locator("#order-view-only")).to_contain_text("你的角色只能查看订单")
    expect(page.locator("#order-buyer-value")).to_have_text(MASKED)
    expect(page.locator("#order-actions")).to_have_count(0)
    expect(page.locator("#order-reveal")).to_have_count(0)
    expect(page.get_by_role("button", name="解除拦截")).to_have_count(0)


def test_a_reveal_shows_the_buyer_and_lands_in_the_orders_audit(
    page: Page, console: tuple[str, sessionmaker[Session], list[str]]
) -> None:
    base_url, sessions, numbers = console
    open_signed_in(page, base_url, f"/orders/{numbers[4]}", role="ops_supervisor")
    expect(page.locator("#order-buyer-value")).to_have_text(MASKED)
    expect(page.locator("#order-audit")).not_to_contain_text("查看买家信息")
    page.locator("#order-reveal").click()
    expect(page.locator("#order-buyer-value")).to_have_text(
        "张三丰 · 13812345678 · 上海市浦东新区世纪大道100号"
    )
    expect(page.locator("#order-buyer")).to_contain_text("本次查看已记入审计")
    audit = page.locator("#order-audit")
    expect(audit).to_contain_text("查看买家信息")
    expect(audit).to_contain_text(LOGINS["ops_supervisor"].username)
    with sessions() as session:
        entry = audit_trail(session, entity_type="order", entity_id=numbers[4])[-1]
    assert (entry.actor, entry.action) == ("ops_supervisor", "order.buyer_revealed")

"""The channels, comparison and audit pages in a real browser: a supervisor dismisses a
quarantined order with a reason and finds it in the audit log with what it changed; the
comparison page shows the numbers of ``metrics compare`` for the same periods; a viewer is
drawn no action, and a call forged from the viewer's session answers 403 and is audited."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from dashboard.trends import figure
from ingest.quarantine import quarantine
from metrics.compare import compare_periods
from metrics.window import Scope, parse_range
from store.channels import get_channel
from store.db import make_engine, session_factory
from store.models import AuditEntry, QuarantinedOrder, utcnow
from tests.dashboard.console_client import callback_request
from tests.dashboard.live_console import CHANNEL, live_console, now_utc, open_nav, sign_in
from tests.factories import canonical

pytestmark = pytest.mark.browser

ZONE_DAYS = 60
"""Shipped orders, one every 12 hours over this many days before now."""
REASON = "测试订单，买家从未付款"


def shipped_orders() -> list[Any]:
    now = now_utc()
    return [
        canonical(f"S{n}", stage="shipped", created_at=now - timedelta(hours=12 * n + 6),
                  paid_at=now - timedelta(hours=12 * n + 5),
                  modified_at=now - timedelta(hours=12 * n + 5 - (n % 7)))
        for n in range(1, 2 * ZONE_DAYS)
    ]  # fmt: skip


def quarantine_one(database: Path) -> None:
    engine = make_engine(f"sqlite:///{database}")
    with session_factory(engine).begin() as session:
        channel_id = get_channel(session, CHANNEL).id
        quarantine(session, channel_id=channel_id, channel_order_id="P77",
                   payload={"tid": "P77", "payment": "1O0.00", "receiver_mobile": "13812345678"},
                   reason="payment: '1O0.00' is not an amount", at=utcnow())  # fmt: skip
    engine.dispose()


@pytest.fixture
def console(console_store: Path) -> Iterator[str]:
    quarantine_one(console_store)
    with live_console(console_store, shipped_orders()) as base_url:
        yield base_url


def audited(database: Path, action: str) -> list[tuple[str, str, Any]]:
    engine = make_engine(f"sqlite:///{database}")
    with session_factory(engine)() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == action))
        found = [(e.actor, e.entity_id, e.after) for e in rows]
    engine.dispose()
    return found


def test_a_dismissed_quarantined_order_shows_in_the_audit_log(
    console: str, console_store: Path, page: Page
) -> None:
    sign_in(page, console, "supervisor")
    open_nav(page, "channels")
    expect(page.locator("#channels-table")).to_contain_text("1 个订单无法解析")
    page.locator("#channels-table").get_by_text(CHANNEL, exact=True).click()
    expect(page).to_have_url(f"{console}/channels/{CHANNEL}")
    page.locator("#channel-quarantine-list").get_by_text("#1 · P77").click()
    expect(page.locator("#channel-payload-1")).to_contain_text("138****5678")
    page.get_by_role("button", name="忽略", exact=True).click()
    expect(page.locator("#channel-dialog-text")).to_contain_text("永远不会被读取")
    page.locator("#channel-dialog-note").fill(REASON)
    page.locator("#channel-dialog-confirm").click()

    expect(page.locator(".mantine-Notification-root")).to_contain_text("隔离订单 #1 已忽略")
    expect(page.locator("#channel-quarantine-empty")).to_be_visible()

    open_nav(page, "audit")
    row = page.locator("#audit-grid .ag-row", has_text="忽略隔离订单")
    expect(row).to_contain_text("supervisor")
    expect(row).to_contain_text(REASON)
    row.locator('[col-id="at"]').click()  # not the entity cell: it is a link
    expect(page.locator("#audit-diff")).to_contain_text("dismissed_because")
    expect(page.locator("#audit-diff")).to_contain_text(REASON)
    expect(page.locator("#audit-detail-link")).to_have_attribute("href", f"/channels/{CHANNEL}")
    (entry,) = audited(console_store, "quarantine.dismissed")
    assert entry[0] == "supervisor" and entry[2] == {"dismissed_because": REASON}

    page.locator("#audit-f-actors").fill("nobody")
    page.locator("#audit-f-actors").press("Enter")
    expect(page.locator("#audit-empty")).to_contain_text("没有符合这些筛选条件的记录")


def test_the_comparison_page_shows_the_numbers_of_metrics_compare(
    console: str, console_store: Path, page: Page
) -> None:
    today = now_utc().date()
    before = f"{today - timedelta(days=55)}..{today - timedelta(days=28)}"
    after = f"{today - timedelta(days=27)}..{today}"
    engine = make_engine(f"sqlite:///{console_store}")
    zone = ZoneInfo("Asia/Shanghai")
    with session_factory(engine)() as session:
        periods = {"before": parse_range(before, zone), "after": parse_range(after, zone)}
        table = compare_periods(session, **periods, scope=Scope(), now=utcnow())
    engine.dispose()
    assert table.rows[0].after  # the periods hold orders

    sign_in(page, console, "viewer")
    page.goto(f"{console}/trends?before={before}&after={after}")
    for row in table.rows:
        cells = page.locator(f"#trends-row-{row.metric}")
        expect(cells.locator(".trends-before")).to_have_text(figure(row.metric, row.before, "zh"))
        expect(cells.locator(".trends-after")).to_have_text(figure(row.metric, row.after, "zh"))
        marked = str(row.improved).lower()
        expect(cells.locator("[data-improved]")).to_have_attribute("data-improved", marked)
    expect(page.locator("#trends-row-shipped_per_day")).to_contain_text("日均出库")


def test_a_viewer_cannot_act_and_a_forged_call_answers_403(
    console: str, console_store: Path, page: Page
) -> None:
    sign_in(page, console, "viewer")
    page.goto(f"{console}/channels/{CHANNEL}")
    expect(page.locator("#channel-view-only")).to_contain_text("你的角色只能查看")
    expect(page.locator("#channel-actions button")).to_have_count(0)
    expect(page.locator("#channel-quarantine-list")).to_contain_text("is not an amount")

    specs = page.request.get(f"{console}/_dash-dependencies").json()
    (spec,) = [s for s in specs if "channel-refresh.data" in s["output"]]
    forged = callback_request(spec, {
        "channel-dialog-confirm.n_clicks": 1,
        "channel-pending.data": {"action": "dismiss", "entry": 1},
        "channel-dialog-note.value": "forged",
        "channel-name.data": CHANNEL,
        "shell-lang.data": "zh",
    })  # fmt: skip
    answer = page.request.post(
        f"{console}/_dash-update-component", data=forged, headers={"origin": console}
    )

    assert answer.status == 403
    assert re.search("may not channels.dismiss", answer.text())
    assert audited(console_store, "console.refused") == [
        ("viewer", "channels.dismiss", {"role": "viewer"})
    ]
    engine = make_engine(f"sqlite:///{console_store}")
    with session_factory(engine)() as session:
        assert session.scalars(select(QuarantinedOrder.dismissed_at)).one() is None
    engine.dispose()

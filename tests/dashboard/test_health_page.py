"""The flow health page in a real browser: a supervisor runs the audit and reads the finding
that names the rule holding the article's 先用后付 orders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from rules.review import review_paid_orders
from store.channels import create_channel
from store.db import make_engine, session_factory
from store.upsert import upsert_orders
from tests.dashboard.live_console import (
    choose_language,
    live_console,
    now_utc,
    open_nav,
    sign_in,
)
from tests.factories import canonical

pytestmark = pytest.mark.browser


def hold_bnpl_orders(database: Path, count: int) -> None:
    """``count`` paid Xiaohongshu 先用后付 orders of the last hour, held by the default rules."""
    now = now_utc()
    engine = make_engine(f"sqlite:///{database}")
    with session_factory(engine).begin() as session:
        create_channel(session, name="xhs-main", platform="xiaohongshu")
        orders = [
            canonical(
                f"X{n}",
                payment_method="先用后付",
                paid_at=now - timedelta(minutes=60 - n),
                modified_at=now - timedelta(minutes=60 - n),
                created_at=now - timedelta(minutes=61 - n),
                buyer_phone=f"1390000{n:04d}",
            )
            for n in range(count)
        ]
        upsert_orders(session, "xhs-main", orders)
        review_paid_orders(session, now=now)
    engine.dispose()


@pytest.fixture
def console(console_store: Path) -> Iterator[str]:
    with live_console(console_store, []) as base_url:
        hold_bnpl_orders(console_store, 6)
        yield base_url


def run_audit(page: Page) -> None:
    page.locator("#health-run").click()


def last_run(page: Page) -> Locator:
    return page.locator("#health-last-run")


def findings(page: Page) -> Locator:
    return page.locator("#health-grid")


def test_supervisor_runs_the_audit_and_sees_the_rule(console: str, page: Page) -> None:
    sign_in(page, console, "supervisor")
    open_nav(page, "health")
    expect(page.locator("#health-title")).to_have_text("流程健康度审计")
    expect(last_run(page)).to_contain_text("还没有审计记录")

    run_audit(page)

    expect(last_run(page)).to_contain_text("最近一次审计")
    expect(findings(page)).to_contain_text("bnpl-high-risk v1")
    expect(findings(page)).to_contain_text("xhs-main")
    expect(findings(page)).to_contain_text("严重")
    causes = page.locator('#health-grid .ag-cell[col-id="cause"]')
    expect(causes).to_have_text(["风控规则 bnpl-high-risk v1"] * 2)

    choose_language(page, "English")
    expect(causes).to_have_text(["risk rule bnpl-high-risk v1"] * 2)


def _brightness(colour: str) -> float:
    red, green, blue = (float(part) for part in colour[colour.index("(") + 1 : -1].split(",")[:3])
    return (red + green + blue) / 3


def test_the_grid_follows_the_dark_scheme(console: str, page: Page) -> None:
    sign_in(page, console, "viewer")
    open_nav(page, "health")
    grid = page.locator("#health-grid .ag-root-wrapper")
    expect(grid).to_be_visible()
    light = str(grid.evaluate("e => getComputedStyle(e).backgroundColor"))

    page.locator("#shell-scheme-toggle").click()

    expect(page.locator("html")).to_have_attribute("data-ag-theme-mode", "dark")
    expect(grid).not_to_have_css("background-color", light)
    dark = str(grid.evaluate("e => getComputedStyle(e).backgroundColor"))
    assert _brightness(dark) < 80 < _brightness(light)

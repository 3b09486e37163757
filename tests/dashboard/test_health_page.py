"""The flow health page in a real browser: a supervisor runs the audit and reads the finding
that names the rule holding the article's 先用后付 orders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from rules.review import review_paid_orders
from store.channels import create_channel
from store.db import make_engine, session_factory
from store.upsert import upsert_orders
from tests.dashboard.live_console import (
    chromium,
    live_console,
    now_utc,
    require_browser,
    sign_in,
    wait_for_text,
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
def console(tmp_path: Path) -> Iterator[str]:
    database = tmp_path / "orderwatch.db"
    with live_console(database, []) as base_url:
        hold_bnpl_orders(database, 6)
        yield base_url


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[WebDriver]:
    require_browser()
    with chromium(tmp_path / "profile") as made:
        yield made


def test_supervisor_runs_the_audit_and_sees_the_rule(console: str, driver: WebDriver) -> None:
    sign_in(driver, console)
    driver.find_element(By.ID, "shell-nav-health").click()
    wait_for_text(driver, "#health-title", "流程健康度审计")
    wait_for_text(driver, "#health-last-run", "还没有审计记录")

    driver.find_element(By.ID, "health-run").click()

    wait_for_text(driver, "#health-last-run", "最近一次审计")
    wait_for_text(driver, "#health-grid", "bnpl-high-risk v1")
    wait_for_text(driver, "#health-grid", "xhs-main")
    wait_for_text(driver, "#health-grid", "严重")

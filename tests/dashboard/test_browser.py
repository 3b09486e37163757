"""The console in a real browser: sign in, read the board, switch the language."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from tests.dashboard.live_console import (
    choose_language,
    chromium,
    live_console,
    now_utc,
    orders_in,
    require_browser,
    sign_in,
    wait_for_text,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def console(tmp_path: Path) -> Iterator[str]:
    now = now_utc()
    orders = [
        *orders_in("awaiting_pick", 3, now, oldest=timedelta(hours=5)),
        *orders_in("packed", 2, now, oldest=timedelta(hours=1)),
        *orders_in("paid", 1, now, oldest=timedelta(minutes=20)),
        *orders_in("shipped", 1, now, oldest=timedelta(days=1)),
    ]
    with live_console(tmp_path / "orderwatch.db", orders) as base_url:
        yield base_url


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[WebDriver]:
    require_browser()
    with chromium(tmp_path / "profile") as made:
        yield made


def test_sign_in_read_the_board_and_switch_to_english(console: str, driver: WebDriver) -> None:
    sign_in(driver, console)

    # Chinese first: the user's locale, as nothing is stored in this fresh profile yet.
    wait_for_text(driver, "#overview-row-awaiting_pick .count", "3")
    wait_for_text(driver, "#overview-row-awaiting_pick .stage", "待拣货")
    wait_for_text(driver, "#overview-row-packed .count", "2")
    wait_for_text(driver, "#overview-title", "各环节在制订单")
    wait_for_text(driver, "#shell-user", "王芳")

    choose_language(driver, "English")

    wait_for_text(driver, "#overview-row-awaiting_pick .stage", "Awaiting pick")
    wait_for_text(driver, "#overview-title", "Work in progress by stage")
    wait_for_text(driver, "#shell-logout", "Sign out")

    # The choice is kept in the browser and survives a reload.
    driver.refresh()
    wait_for_text(driver, "#overview-row-paid .stage", "Paid")
    wait_for_text(driver, "#overview-row-paid .count", "1")

"""The console in a real browser: sign in, read the board, switch the language."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.dashboard.live_console import (
    LOGINS,
    choose_language,
    live_console,
    now_utc,
    orders_in,
    sign_in,
    sign_out_link,
    signed_in_user,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def console(console_store: Path) -> Iterator[str]:
    now = now_utc()
    orders = [
        *orders_in("awaiting_pick", 3, now, oldest=timedelta(hours=5)),
        *orders_in("packed", 2, now, oldest=timedelta(hours=1)),
        *orders_in("paid", 1, now, oldest=timedelta(minutes=20)),
        *orders_in("shipped", 1, now, oldest=timedelta(days=1)),
    ]
    with live_console(console_store, orders) as base_url:
        yield base_url


def board_title(page: Page) -> Locator:
    return page.locator("#overview-title")


def stage_name(page: Page, stage: str) -> Locator:
    return page.locator(f"#overview-row-{stage} .stage")


def stage_count(page: Page, stage: str) -> Locator:
    return page.locator(f"#overview-row-{stage} .count")


def test_sign_in_read_the_board_and_switch_to_english(console: str, page: Page) -> None:
    sign_in(page, console, "supervisor")

    # Chinese first: the user's locale, as nothing is stored in this fresh context yet.
    expect(stage_count(page, "awaiting_pick")).to_have_text("3")
    expect(stage_name(page, "awaiting_pick")).to_have_text("待拣货")
    expect(stage_count(page, "packed")).to_have_text("2")
    expect(board_title(page)).to_have_text("各环节在制订单")
    expect(signed_in_user(page)).to_have_text("王芳")

    choose_language(page, "English")

    expect(stage_name(page, "awaiting_pick")).to_have_text("Awaiting pick")
    expect(board_title(page)).to_have_text("Work in progress by stage")
    expect(sign_out_link(page)).to_have_text("Sign out")

    # The choice is kept in the browser and survives a reload.
    page.reload()
    expect(stage_name(page, "paid")).to_have_text("Paid")
    expect(stage_count(page, "paid")).to_have_text("1")


@pytest.mark.parametrize("role", LOGINS)
def test_every_role_signs_in_to_the_board(console: str, page: Page, role: str) -> None:
    sign_in(page, console, role)

    expect(stage_count(page, "awaiting_pick")).to_have_text("3")

"""The board in a real browser: its figures are the metrics layer's, filters narrow them and
travel in the URL, a stage opens its orders, the language switch reaches every label, and the
board follows the store live (and says so when it cannot reach the server)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator, Page, expect

from dashboard.formatting import number
from metrics.board import board
from metrics.board_document import Board
from metrics.window import preset_window, resolve_scope
from store.channels import create_channel
from store.db import make_engine, session_factory
from store.upsert import upsert_orders
from tests.dashboard.live_console import (
    LOGINS,
    choose_language,
    live_console,
    now_utc,
    orders_in,
    sign_in,
    sign_out_link,
    signed_in_user,
    within_today,
)
from tests.factories import canonical

pytestmark = pytest.mark.browser

SHANGHAI = ZoneInfo("Asia/Shanghai")
OTHER = "jd-main"
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def console(console_store: Path) -> Iterator[str]:
    now = now_utc()
    orders = [
        *orders_in("awaiting_pick", 3, now, oldest=timedelta(hours=5)),
        *orders_in("packed", 2, now, oldest=timedelta(hours=1)),
        *orders_in("paid", 2, now, oldest=within_today(now, timedelta(minutes=20))),
        *orders_in("shipped", 1, now, oldest=timedelta(days=1)),
    ]
    with live_console(console_store, orders) as base_url:
        add_orders(console_store, OTHER, [f"J{n}" for n in range(4)], stage="paid")
        yield base_url


def add_orders(database: Path, channel: str, ids: list[str], *, stage: str) -> None:
    """Orders of ``channel`` (created if new) paid a few minutes ago, in ``stage``."""
    now = now_utc()
    paid = now - within_today(now, timedelta(minutes=5))
    engine = make_engine(f"sqlite:///{database}")
    with session_factory(engine).begin() as session:
        if channel == OTHER and ids[0] == "J0":
            create_channel(session, name=channel, platform="jd")
        orders = [
            canonical(n, stage=stage, paid_at=paid, modified_at=paid,
                      created_at=paid - timedelta(minutes=1))
            for n in ids
        ]  # fmt: skip
        upsert_orders(session, channel, orders)
    engine.dispose()


def expected_board(database: Path, channels: tuple[str, ...] = ()) -> Board:
    """What the metrics layer says the board is, right now."""
    engine = make_engine(f"sqlite:///{database}")
    now = now_utc()
    with session_factory(engine)() as session:
        scope = resolve_scope(session, channels=channels)
        found = board(session, now=now, window=preset_window("today", now, SHANGHAI), scope=scope)
    engine.dispose()
    return found


def kpi(page: Page, key: str) -> Locator:
    return page.locator(f"#board-kpi-{key}-value")


def expect_counts(page: Page, expected: Board) -> None:
    for key in ("paid", "shipped", "sla_breaches", "holds", "missed_orders"):
        expect(kpi(page, key)).to_have_text(number(expected.kpi(key).value, "zh"))


def choose_channel(page: Page, name: str) -> None:
    page.locator("#board-channels").click()
    page.get_by_role("option", name=name).click()


def test_board_shows_the_metrics_layers_figures_and_a_filter_narrows_them(
    console: str, console_store: Path, page: Page
) -> None:
    sign_in(page, console, "supervisor")
    everything = expected_board(console_store)
    assert everything.kpi("paid").value == 6  # the fixture's two paid orders and jd's four

    expect_counts(page, everything)

    choose_channel(page, OTHER)

    expect(page).to_have_url(re.compile(r"channel=jd-main"))
    only_jd = expected_board(console_store, (OTHER,))
    assert only_jd.kpi("paid").value == 4
    expect_counts(page, only_jd)
    # The URL carries the view: opened afresh, the link shows the same figures.
    page.reload()
    expect_counts(page, only_jd)


def bar_of(page: Page, stage_name: str) -> Locator:
    """A drawn (non-empty) bar segment above the stage's name on the work-in-progress chart."""
    expect(page.locator("#board-wip .xtick text", has_text=stage_name)).to_be_visible()
    index = page.evaluate(
        """(name) => {
            const chart = document.querySelector('#board-wip');
            const ticks = [...chart.querySelectorAll('.xtick text')];
            const tick = ticks.find(t => t.textContent === name);
            const x = tick.getBoundingClientRect().x + tick.getBoundingClientRect().width / 2;
            const bars = [...chart.querySelectorAll('.trace.bars .point path')];
            return bars.findIndex(bar => {
                const box = bar.getBoundingClientRect();
                return box.height > 2 && box.left <= x && x <= box.right;
            });
        }""",
        stage_name,
    )
    assert index >= 0, f"no bar drawn for {stage_name}"
    return page.locator("#board-wip .trace.bars .point path").nth(index)


def test_a_stage_opens_the_workbench_on_it(console: str, page: Page) -> None:
    sign_in(page, console, "supervisor")

    # At the bar's place, as a person clicks: Plotly's drag layer takes the click and finds
    # the bar under it.
    bar_of(page, "待拣货").click(force=True)

    expect(page).to_have_url(re.compile(r"/orders\?stage=awaiting_pick"))


def test_the_language_switch_reaches_every_label_and_is_kept(console: str, page: Page) -> None:
    sign_in(page, console, "supervisor")
    # Chinese first: the user's locale, as nothing is stored in this fresh context yet.
    expect(page.locator("#board-title")).to_have_text("实时看板")
    expect(signed_in_user(page)).to_have_text("王芳")

    choose_language(page, "English")

    expect(page.locator("#board-title")).to_have_text("Live board")
    expect(page.locator("#board-kpi-paid")).to_contain_text("Orders paid")
    expect(page.locator("#board-wip")).to_contain_text("Awaiting pick")
    expect(sign_out_link(page)).to_have_text("Sign out")
    main = page.locator("main")
    expect(main).not_to_have_text(HAN)
    # The choice is kept in the browser and survives a reload.
    page.reload()
    expect(page.locator("#board-kpi-shipped")).to_contain_text("Shipped")
    expect(main).not_to_have_text(HAN)


def test_the_board_follows_the_store_and_says_when_it_cannot(
    console: str, console_store: Path, page: Page
) -> None:
    sign_in(page, console, "supervisor")
    expect(kpi(page, "paid")).to_have_text("6")

    add_orders(console_store, OTHER, ["J10", "J11"], stage="paid")

    expect(kpi(page, "paid")).to_have_text("8")  # no reload: the page noticed the change
    expect(page.locator("#board-updated")).to_contain_text("更新于")
    stale = page.locator("#board-stale")
    expect(stale).to_be_hidden()

    page.route("**/_dash-update-component*", lambda route: route.abort())

    expect(stale).to_be_visible()
    expect(stale).to_have_text("与服务器的连接中断，数据可能已过期")


@pytest.mark.parametrize("role", LOGINS)
def test_every_role_signs_in_to_the_board(console: str, page: Page, role: str) -> None:
    sign_in(page, console, role)

    expect(kpi(page, "paid")).to_have_text("6")


def test_signing_out_from_the_user_menu_ends_the_session(console: str, page: Page) -> None:
    sign_in(page, console, "supervisor")

    sign_out_link(page).click()

    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto(f"{console}/")
    expect(page).to_have_url(re.compile(r"/login\?next="))

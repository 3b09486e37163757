"""Screenshot of the overview board for the docs.

    .venv/bin/python docs/screenshot.py [--lang zh|en] [--out docs/board.png]

Serves the real console on a throwaway SQLite store filled with a morning's orders and photographs
it in headless Chromium, with the same helpers the browser tests use.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the helpers live with the tests, which are not installed

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402

from store.canonical import CanonicalOrder  # noqa: E402
from tests.dashboard.live_console import (  # noqa: E402
    choose_language,
    chromium,
    live_console,
    now_utc,
    orders_in,
    sign_in,
    wait,
    wait_for_text,
)

# stage: (orders, how long the oldest has waited) — a plausible weekday morning
MORNING: dict[str, tuple[int, timedelta]] = {
    "pending_review": (4, timedelta(hours=3, minutes=10)),
    "paid": (12, timedelta(minutes=40)),
    "awaiting_pick": (27, timedelta(hours=2, minutes=35)),
    "picked": (9, timedelta(minutes=55)),
    "packed": (14, timedelta(hours=1, minutes=20)),
    "on_hold": (3, timedelta(hours=26)),
    "shipped": (58, timedelta(hours=20)),
    "cancelled": (2, timedelta(hours=6)),
}


def morning_orders() -> list[CanonicalOrder]:
    now = now_utc()
    return [
        order
        for stage, (count, oldest) in MORNING.items()
        for order in orders_in(stage, count, now, oldest)
    ]


def take(out: Path, lang: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        with (
            live_console(work / "orderwatch.db", morning_orders()) as base_url,
            chromium(work / "profile", width=1280, height=1000) as driver,
        ):
            photograph(driver, base_url, out, lang)


def photograph(driver: WebDriver, base_url: str, out: Path, lang: str) -> None:
    sign_in(driver, base_url)
    if lang == "en":
        choose_language(driver, "English")
        wait_for_text(driver, "#overview-title", "Work in progress")
    wait_for_text(driver, "#overview-row-awaiting_pick .count", "27")
    chart = (By.CSS_SELECTOR, "#overview-chart .main-svg")
    wait(driver).until(expected_conditions.presence_of_element_located(chart))
    out.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=["zh", "en"], default="zh")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "board.png")
    arguments = parser.parse_args()
    take(arguments.out, arguments.lang)
    print(f"wrote {arguments.out}")


if __name__ == "__main__":
    main()

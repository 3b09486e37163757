"""Screenshot of the overview board for the docs.

    .venv/bin/python docs/screenshot.py [--lang zh|en] [--out docs/board.png]

Runs the real demo (platform simulator, sync, worker and floor, as ``orderwatch demo`` does) on a
throwaway SQLite store, serves the console and photographs the board in headless Chromium, with
the same helpers the browser tests use.
"""

from __future__ import annotations

import argparse
import secrets
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the helpers live with the tests, which are not installed

import uvicorn  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402

from dashboard.app import create_app  # noqa: E402
from dashboard.config import WebConfig  # noqa: E402
from orderwatch.processes import start_demo  # noqa: E402
from store.db import make_engine, session_factory  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from tests.dashboard.live_console import (  # noqa: E402
    choose_language,
    chromium,
    wait,
    wait_for_text,
)

ZONE = ZoneInfo("Asia/Shanghai")
BACKLOG_ORDERS = 1200
"""Two days of a mid-sized shop's orders, so the board has work in every stage."""
SETTLE_S = 20
"""Let the worker run its routines (deadlines, rollups) once before the photograph."""


@contextmanager
def demo_console(work: Path) -> Iterator[tuple[str, str]]:
    """The running demo (simulator, worker, floor) and its console: (base URL, admin password)."""
    engine = make_engine(f"sqlite:///{work / 'orderwatch.db'}")
    upgrade(engine)
    sessions = session_factory(engine)
    demo = start_demo(
        sessions, zone=ZONE, backlog_orders=BACKLOG_ORDERS, logins=work / "logins.json"
    )
    config = WebConfig(secret_key=secrets.token_urlsafe(32), zone=ZONE)
    app = create_app(config, sessions=sessions)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the console did not start")
            time.sleep(0.05)
        time.sleep(SETTLE_S)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", demo.passwords["supervisor"]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
        demo.stop()
        engine.dispose()


def take(out: Path, lang: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        with (
            demo_console(work) as (base_url, password),
            chromium(work / "profile", width=1280, height=1000) as driver,
        ):
            photograph(driver, base_url, password, out, lang)


def photograph(driver: WebDriver, base_url: str, password: str, out: Path, lang: str) -> None:
    driver.get(f"{base_url}/")
    wait(driver).until(expected_conditions.url_contains("/login"))
    driver.find_element(By.ID, "username").send_keys("supervisor")
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    wait(driver).until(expected_conditions.url_to_be(f"{base_url}/"))
    if lang == "en":
        choose_language(driver, "English")
        wait_for_text(driver, "#overview-title", "Work in progress")
    chart = (By.CSS_SELECTOR, "#overview-chart .main-svg")
    wait(driver).until(expected_conditions.presence_of_element_located(chart))
    time.sleep(2)  # the board's first refresh
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

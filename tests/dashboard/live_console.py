"""A live console for browser tests and screenshots: the real app served by uvicorn in a
background thread on a migrated SQLite file, and Debian's Chromium driven by selenium."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from dashboard.app import create_app
from dashboard.config import WebConfig
from store.canonical import CanonicalOrder
from store.channels import create_channel
from store.db import make_engine, session_factory
from store.migrate import upgrade
from store.people import create_user
from store.upsert import upsert_orders

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
)
USERNAME = "lead"
PASSWORD = "correct-horse-9"
CHANNEL = "tmall-main"
WAIT_S = 20


def require_browser() -> None:
    """Skip when Chromium or chromedriver is missing; fail instead when CI demands them."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if not missing:
        return
    message = f"browser test needs {' and '.join(missing)}"
    if os.environ.get("ORDERWATCH_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message} but ORDERWATCH_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(message)


def orders_in(stage: str, count: int, now: datetime, oldest: timedelta) -> list[CanonicalOrder]:
    """``count`` orders in ``stage``, the first entered ``oldest`` ago, the rest spread after."""
    step = oldest / count
    return [
        CanonicalOrder(
            channel_order_id=f"{stage}-{n}",
            stage=stage,
            amount=Decimal("88.00"),
            created_at=now - oldest - timedelta(hours=1),
            modified_at=now - oldest + step * n,
            paid_at=now - oldest + step * n if stage == "paid" else None,
        )
        for n in range(count)
    ]


def seed_store(url: str, orders: Sequence[CanonicalOrder]) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with session_factory(engine).begin() as session:
        create_user(
            session, username=USERNAME, role="supervisor", password=PASSWORD, display_name="王芳"
        )
        create_channel(session, name=CHANNEL, platform="tmall")
        upsert_orders(session, CHANNEL, orders)
    engine.dispose()


@contextmanager
def live_console(database: Path, orders: Sequence[CanonicalOrder]) -> Iterator[str]:
    """The console's base URL, served on a free loopback port until the block ends."""
    url = f"sqlite:///{database}"
    seed_store(url, orders)
    engine = make_engine(url)
    config = WebConfig(secret_key="browser-test-secret", zone=ZoneInfo("Asia/Shanghai"))
    app = create_app(config, sessions=session_factory(engine))
    # Bound here and handed to uvicorn, so no other process can take the port in between.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        _wait_for_start(server, thread)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
        engine.dispose()


def _wait_for_start(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + WAIT_S
    while not server.started:
        # A thread that ended has failed to start (its error is printed by uvicorn).
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the console did not start")
        time.sleep(0.05)


@contextmanager
def chromium(profile: Path, width: int = 1280, height: int = 900) -> Iterator[WebDriver]:
    """Headless Debian Chromium with a fresh profile (so no stored language carries over)."""
    options = Options()
    options.binary_location = str(CHROMIUM)
    arguments = (*CHROMIUM_ARGS, f"--user-data-dir={profile}", f"--window-size={width},{height}")
    for argument in arguments:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def sign_in(driver: WebDriver, base_url: str) -> None:
    """Open the console, get sent to the sign-in form, and come back signed in."""
    driver.get(f"{base_url}/")
    wait(driver).until(expected_conditions.url_contains("/login"))
    driver.find_element(By.ID, "username").send_keys(USERNAME)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-submit").click()
    wait(driver).until(expected_conditions.url_to_be(f"{base_url}/"))


def wait(driver: WebDriver) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, WAIT_S)


def wait_for_text(driver: WebDriver, css: str, text: str) -> None:
    located = (By.CSS_SELECTOR, css)
    wait(driver).until(expected_conditions.text_to_be_present_in_element(located, text))


def choose_language(driver: WebDriver, name: str) -> None:
    """Click a language in the header switch, by the name it shows (中文, English)."""
    xpath = f"//*[@id='shell-lang-switch']//label[contains(., '{name}')]"
    driver.find_element(By.XPATH, xpath).click()


def now_utc() -> datetime:
    return datetime.now(UTC)

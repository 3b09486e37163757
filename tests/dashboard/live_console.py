"""A live console for browser tests: the real app served by uvicorn in a background thread on a
migrated SQLite file with one user per role, and Debian's Chromium driven by Playwright.

Every wait goes through Playwright's auto-waiting locators and ``expect``: a test never looks
an element up once, so it does not matter how long the page takes to render after a navigation.
The selectors of the console's shell live in the small functions below (``choose_language``,
``open_nav``), so a change of the shell's markup is one edit here.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect, sync_playwright

from dashboard.app import create_app
from dashboard.config import DEFAULT_LIMITS, WebConfig
from rules.dry_run_bounds import DryRunLimits
from store.canonical import CanonicalOrder
from store.channels import create_channel
from store.db import make_engine, session_factory
from store.migrate import upgrade
from store.people import create_user
from store.upsert import upsert_orders

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's Chromium: Playwright's own browser download is not used (nor reachable here)."""
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
)
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
CHANNEL = "tmall-main"
WAIT_S = 20
"""How long any wait may take: generous, as the tests share two cores with the rest of the suite."""


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    display_name: str


LOGINS = {
    "viewer": Login("viewer", "viewer-pass-9", "李娜"),
    "supervisor": Login("supervisor", "supervisor-pass-9", "王芳"),
    "cs_lead": Login("cs_lead", "cs-lead-pass-9", "张伟"),
    "ops_supervisor": Login("ops_supervisor", "ops-supervisor-pass-9", "刘洋"),
    "admin": Login("admin", "admin-pass-9", "陈静"),
}
"""One console user per role (store.models.ROLES), keyed by the role."""


def require_browser() -> None:
    """Skip when Chromium is missing; fail instead when CI demands it."""
    if CHROMIUM.exists():
        return
    message = f"browser test needs {CHROMIUM}"
    if os.environ.get("ORDERWATCH_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message} but ORDERWATCH_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(message)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Debian Chromium under Playwright until the block ends."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


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


def seed_store(database: Path) -> None:
    """Migrate a new SQLite store and add the users of ``LOGINS`` and the channel ``CHANNEL``."""
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    with session_factory(engine).begin() as session:
        for role, login in LOGINS.items():
            create_user(
                session,
                username=login.username,
                role=role,
                password=login.password,
                display_name=login.display_name,
            )
        create_channel(session, name=CHANNEL, platform="tmall")
    engine.dispose()


@contextmanager
def live_console(
    database: Path,
    orders: Sequence[CanonicalOrder],
    *,
    dry_run_limits: DryRunLimits = DEFAULT_LIMITS,
) -> Iterator[str]:
    """The console on a store made by ``seed_store``, with ``orders`` added to ``CHANNEL``: its
    base URL, served on a free loopback port until the block ends."""
    engine = make_engine(f"sqlite:///{database}")
    with session_factory(engine).begin() as session:
        upsert_orders(session, CHANNEL, orders)
    config = WebConfig(
        secret_key="browser-test-secret",
        zone=ZoneInfo("Asia/Shanghai"),
        dry_run_limits=dry_run_limits,
    )
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


def sign_in(page: Page, base_url: str, role: str) -> None:
    """Open the console, get sent to the sign-in form, and come back signed in as ``role``'s
    user: done once the shell shows that user's name."""
    login = LOGINS[role]
    page.goto(f"{base_url}/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.locator("#username").fill(login.username)
    page.locator("#password").fill(login.password)
    page.locator("#login-submit").click()
    expect(page).to_have_url(f"{base_url}/")
    expect(signed_in_user(page)).to_have_text(login.display_name)


def signed_in_user(page: Page) -> Locator:
    return page.locator("#shell-user")


def sign_out_link(page: Page) -> Locator:
    """The user menu's sign-out item (the menu is opened first: it renders when open)."""
    page.locator("#shell-user-button").click()
    return page.locator("#shell-logout")


def choose_language(page: Page, name: str) -> None:
    """Click a language in the header switch, by the name it shows (中文, English)."""
    page.locator("#shell-lang-switch").get_by_text(name, exact=True).click()


def open_nav(page: Page, name: str) -> None:
    """Follow the header's link to a page, by its name in ``dashboard.shell.NAV``."""
    page.locator(f"#shell-nav-{name}").click()


def screenshot(page: Page, path: Path) -> Path:
    """The whole page as a PNG at ``path`` (its folder made if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=path, full_page=True)
    return path


def forge_callback(
    base_url: str, cookies: dict[str, str], trigger: dict[str, str], values: dict[str, Any]
) -> httpx.Response:
    """Post the callback that ``trigger`` (``{"id": …, "property": …}``) fires by hand, as a
    page drawn for another role would: its states take ``values`` by ``"id.property"`` (None
    otherwise; an empty match for pattern-matching ones)."""
    with httpx.Client(base_url=base_url, cookies=cookies, headers={"origin": base_url}) as client:
        dependencies = client.get("/_dash-dependencies").json()
        callback = next(d for d in dependencies if trigger in d["inputs"])
        state = [
            [] if _wildcard(s["id"]) else {**s, "value": values.get(f"{s['id']}.{s['property']}")}
            for s in callback["state"]
        ]
        body = {
            "output": callback["output"],
            "outputs": _outputs(callback["output"]),
            "inputs": [{**trigger, "value": 1}],
            "state": state,
            "changedPropIds": [f"{trigger['id']}.{trigger['property']}"],
        }
        return client.post("/_dash-update-component", json=body)


def _wildcard(component_id: str) -> bool:
    return component_id.startswith("{")


def _outputs(output: str) -> list[Any]:
    parts = output.strip(".").split("...")
    found: list[Any] = []
    for part in parts:
        component_id, prop = part.rsplit(".", 1)
        prop = prop.split("@")[0]
        found.append([] if _wildcard(component_id) else {"id": component_id, "property": prop})
    return found


def now_utc() -> datetime:
    return datetime.now(UTC)


def within_today(now: datetime, wanted: timedelta) -> timedelta:
    """``wanted``, or less just after midnight in Shanghai: an order paid that long before
    ``now`` still counts on the board's default range, today."""
    local = now.astimezone(ZoneInfo("Asia/Shanghai"))
    since_midnight = local - local.replace(hour=0, minute=0, second=0, microsecond=0)
    return min(wanted, since_midnight * 0.8)

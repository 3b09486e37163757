"""Screenshots of the console for the README: the board, the stuck-order workbench, the alerts
page, the rules editor with its dry run, the channels, one channel, the comparison and trends,
the audit log, one order, and the users and tokens.

    .venv/bin/python docs/screenshot.py [--lang zh|en] [--out docs] [--pages board,orders,rules]
                                        [--as viewer]

Runs the real demo (platform simulator, sync, worker and floor, as ``orderwatch demo`` does) on a
throwaway SQLite store, serves the console and photographs each page in headless Debian
Chromium through Playwright (``docs/board.png``, ``docs/orders.png``, ``docs/alerts.png``,
``docs/rules.png``, ``docs/channels.png``, ``docs/channel.png``, ``docs/trends.png``,
``docs/audit.png``, ``docs/order.png``, ``docs/admin.png``). The demo routes no alerts by
itself; here its alerts go to two loopback webhooks, a floor robot that takes them and a
manager's endpoint that refuses them (a dead letter to show).
"""

from __future__ import annotations

import argparse
import base64
import secrets
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import uvicorn
from playwright.sync_api import Page, sync_playwright
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts import views
from alerts.config import AlertsSection, ReceiverConfig, RouteConfig, apply_alerts
from alerts.engine import TimerState, wake_up
from alerts.notify import NotifySettings
from dashboard.app import create_app
from dashboard.config import WebConfig
from orderwatch.demo_data import DEMO_USERS
from orderwatch.processes import start_demo
from store.db import make_engine, session_factory
from store.migrate import upgrade
from store.models import ChannelWriteback, Order

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking"]  # fmt: skip
BOARD_DRAWN = ("#board-rendered-now:not(:empty)", "#board-rendered-window:not(:empty)")
RULE_FIX = "/rules?kind=risk&name=bnpl-high-risk&suggest_channel=xhs-shop"
PAGES = (("board", "/?range=7d", BOARD_DRAWN, "supervisor"),
         ("orders", "/orders", ("#orders-grid .ag-row",), "supervisor"),
         ("alerts", "/alerts?group={group}", ("#alerts-groups-grid .ag-row",
                                              "#alerts-items-grid .ag-row"), "supervisor"),
         ("rules", RULE_FIX, ("#rules-dry-report",), "admin"),
         ("channels", "/channels", ("#channels-table",), "supervisor"),
         ("channel", "/channels/xhs-shop", ("#channel-health-words",), "supervisor"),
         ("trends", "/trends", ("#trends-table",), "supervisor"),
         ("audit", "/audit", ("#audit-grid .ag-row",), "supervisor"),
         ("order", "/orders/{order}", ("#order-timeline",), "supervisor"),
         ("admin", "/admin", ("#admin-users-grid .ag-row",), "admin"))  # fmt: skip
"""(file name, path, the elements whose presence shows the page is drawn (the board's markers
are hidden), who looks: the rules editor as the flow health page's link opens it for an admin,
with the suggested whitelist for the demo's 先用后付 orders dry-run; the alerts page on its
largest group; one order the floor has shipped, with its confirmation to the platform)."""
WHOLE_PAGE = ("board", "alerts", "rules", "channel", "trends", "order")
"""Pictures of the whole page rather than the first screen."""
ZONE = ZoneInfo("Asia/Shanghai")
BACKLOG_ORDERS = 1200
"""Two days of a mid-sized shop's orders, so the board has work in every stage."""
SETTLE_S = 20
"""Let the worker run its routines (deadlines, rollups) once before the photograph."""
DELIVER_S = 3
"""Let the deliverers send what the alerts catch-up decided (they look every second)."""


class _Receivers(BaseHTTPRequestHandler):
    """``/robot`` takes every message, ``/manager`` refuses every one (410 Gone)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        refused = self.path.startswith("/manager")
        self.send_response(410 if refused else 204)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@contextmanager
def loopback_receivers() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receivers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def route_alerts(sessions: sessionmaker[Session], base_url: str) -> None:
    """Pick SLA breaches to the floor robot and the manager (who refuses), escalating after
    15 minutes; everything else to the robot."""
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()

    def hook(name: str, path: str) -> ReceiverConfig:
        return ReceiverConfig(
            name=name, kind="webhook", settings={"base_url": base_url + path, "secret": secret}
        )

    section = AlertsSection(
        receivers=(hook("floor-robot", "/robot"), hook("manager-hook", "/manager")),
        routes=(
            RouteConfig(
                name="pick-sla", match={"kind": ("sla_breach",), "stage": ("awaiting_pick",)},
                group_wait=0, levels=(("floor-robot", "manager-hook"), ("floor-robot",)),
                escalate_after=900,
            ),
            RouteConfig(name="everything-else", group_wait=0, levels=(("floor-robot",),)),
        ),
    )  # fmt: skip
    with sessions.begin() as session:
        apply_alerts(session, section, author="screenshot")


def confirmed_order(sessions: sessionmaker[Session]) -> str:
    """The latest order whose shipment the platform was asked to confirm (any, before)."""
    with sessions() as session:
        latest = select(Order.order_no).order_by(Order.id.desc()).limit(1)
        owed = (
            select(Order.order_no)
            .join(ChannelWriteback, ChannelWriteback.order_id == Order.id)
            .order_by(ChannelWriteback.id.desc())
            .limit(1)
        )
        return str(session.scalar(owed) or session.scalar(latest) or "")


def catch_up(sessions: sessionmaker[Session], settings: NotifySettings) -> int:
    """One engine wake-up that looks at every due order, and the largest open group's id.

    The demo's engine first looks before the deadline routine has computed the backlog's
    deadlines (all past); the routine announces them when it runs (once a minute), and the
    screenshot does not wait for that.
    """
    wake_up(sessions, settings, TimerState(), datetime.now(UTC))
    with sessions() as session:
        largest = max(views.groups(session), key=lambda g: g.open_alerts, default=None)
    return largest.id if largest else 0


@contextmanager
def demo_console(work: Path) -> Iterator[tuple[str, dict[str, str], dict[str, object]]]:
    """The running demo (simulator, worker, floor) and its console: (base URL, the demo
    logins' passwords by user name, the alert group and the order to show)."""
    engine = make_engine(f"sqlite:///{work / 'orderwatch.db'}")
    upgrade(engine)
    sessions = session_factory(engine)
    key = secrets.token_urlsafe(32)
    receivers = ExitStack()
    route_alerts(sessions, receivers.enter_context(loopback_receivers()))
    notify = NotifySettings(zone=ZONE, secret_key=key, public_url="http://127.0.0.1")
    demo = start_demo(
        sessions,
        zone=ZONE,
        backlog_orders=BACKLOG_ORDERS,
        logins=work / "logins.json",
        alerts=(notify, None),
    )
    config = WebConfig(secret_key=key, zone=ZONE)
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
        group = catch_up(sessions, notify)
        time.sleep(DELIVER_S)
        base_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        yield base_url, demo.passwords, {"group": group, "order": confirmed_order(sessions)}
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
        demo.stop()
        receivers.close()
        engine.dispose()


def take(out: Path, lang: str, names: set[str], viewer: str | None = None) -> None:
    """The pages ``names`` in ``lang``, each as the user ``PAGES`` names, or all as ``viewer``
    (one of the demo's users: what a viewer is shown, without the actions)."""
    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as playwright:
        work = Path(scratch)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        with demo_console(work) as (base_url, passwords, shown):
            for name, path, drawn, user in (p for p in PAGES if p[0] in names):
                page = browser.new_page(viewport={"width": 1440, "height": 1000})
                user = viewer or user
                sign_in(page, base_url, user, passwords[user], lang)
                page.goto(f"{base_url}{path.format(**shown)}")
                for marker in drawn:
                    page.locator(marker).first.wait_for(state="attached", timeout=60_000)
                # The board polls every 2 s, so the network is never idle: wait until no
                # callback is in flight instead.
                page.wait_for_function("() => !document.querySelector('[data-dash-is-loading]')")
                out.mkdir(parents=True, exist_ok=True)
                if name in WHOLE_PAGE:  # with the app shell's frame as tall as the page
                    height = page.evaluate("document.documentElement.scrollHeight")
                    page.set_viewport_size({"width": 1440, "height": int(height)})
                page.screenshot(path=str(out / f"{name}.png"))
                print(f"wrote {out / f'{name}.png'}")
                page.close()
        browser.close()


def sign_in(page: Page, base_url: str, user: str, password: str, lang: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_url(f"{base_url}/")
    if lang == "en":
        page.locator("#shell-lang-switch").get_by_text("English", exact=True).click()
        page.get_by_text("Live board").wait_for()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=["zh", "en"], default="zh")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--pages", default=",".join(p[0] for p in PAGES),
                        help="which pictures to take (comma-separated)")  # fmt: skip
    users = [name for name, _role in DEMO_USERS]
    parser.add_argument("--as", dest="viewer", choices=users,
                        help="photograph the pages as this demo user (leave out with --pages "
                             "those it may not open: they draw no marker to wait for)")  # fmt: skip
    arguments = parser.parse_args()
    take(arguments.out, arguments.lang, set(arguments.pages.split(",")), arguments.viewer)


if __name__ == "__main__":
    main()

"""What runs in each process kind: ``serve`` (console + API) and ``demo`` (all in one)."""

from __future__ import annotations

import gc
import itertools
import logging
import os
import secrets
import statistics
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog
import uvicorn
from apscheduler.schedulers.background import BackgroundScheduler
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from alerts.notify import NotifySettings
from ingest.simulator.app import Simulator, SimulatorServer
from ingest.simulator.world import HOURLY, WEEKDAY, StreamSettings, World, listing_id_for
from ingest.sync import sync_channel
from orderwatch.context import open_store
from orderwatch.demo_data import (
    ARTICLE_BNPL_ORDERS,
    CHANNELS,
    DEMO_USERS,
    add_listings,
    connect_channels,
    ensure_users,
    last_order_at,
    next_order_serial,
    stock_warehouses,
)
from orderwatch.demo_floor import Floor, release_backlog
from orderwatch.logs import configure_logging
from orderwatch.routines import long_running_jobs, periodic_jobs
from orderwatch.settings import Settings, get_settings
from orderwatch.worker import Worker, notify_settings
from rules.defaults import BNPL_CODE
from store.db import make_engine
from store.events import ChangeFeed
from store.migrate import upgrade

log = structlog.get_logger(__name__)

BACKLOG = timedelta(days=2)
"""The demo starts with this much order history, so the board is full at once."""
LIVE_ORDERS_PER_MINUTE = 12.0
"""After the backlog: an order every five seconds on average (fewer at night, Shanghai time)."""
FLOOR_EVERY_S = 3.0


def run_serve(settings: Settings) -> None:
    secret = settings.require_secret()
    configure_logging(settings, secrets=[secret])
    if settings.web_workers == 1:
        _serve(settings, open_store(settings, feed=ChangeFeed(settings.redis_url)), secret)
        return
    # Each worker process builds its app from the environment; they must share one secret,
    # or a console session signed by one worker would be refused by the next.
    os.environ["ORDERWATCH_SECRET_KEY"] = secret
    log.info("serve.start", host=settings.host, port=settings.port, workers=settings.web_workers)
    uvicorn.run(
        "orderwatch.processes:web_app",
        factory=True,
        workers=settings.web_workers,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
    )


def web_app() -> FastAPI:
    """The application of one ``serve`` worker process (uvicorn calls this in each)."""
    settings = get_settings()
    configure_logging(settings)
    sessions = open_store(settings, feed=ChangeFeed(settings.redis_url))
    return _web_app(settings, sessions, settings.require_secret())


def run_demo(settings: Settings, *, orders_count: int) -> None:
    """The simulator, the worker, the demo floor and the console in one process; Ctrl-C
    stops them all."""
    # In any mode: the demo's store and logins are throwaway too.
    key = settings.secret_key
    secret = key.get_secret_value() if key is not None else secrets.token_urlsafe(32)
    configure_logging(settings, secrets=[secret])
    for noisy in ("httpx", "apscheduler"):  # a line per platform call and per job run
        logging.getLogger(noisy).setLevel(logging.WARNING)
    upgrade(make_engine(settings.database_url, keyring=settings.keyring()))
    feed = ChangeFeed(settings.redis_url)
    sessions = open_store(settings, feed=feed)
    demo = start_demo(
        sessions,
        zone=settings.zone,
        backlog_orders=orders_count,
        logins=_logins_file(settings),
        alerts=(notify_settings(settings, secret), feed),
    )
    try:
        print(f"\norderwatch demo on http://{settings.host}:{settings.port}")
        print(f"store: {settings.database_url}")
        print(f"platform simulator: {demo.server.base_url('<platform>')}")
        for username, role in DEMO_USERS:
            print(f"  login {username:<12} password {demo.passwords[username]:<16} role {role}")
        _serve(settings, sessions, secret)
    finally:
        demo.stop()


@dataclass(slots=True)
class DemoRun:
    """The parts of a running demo besides the console, and how to stop them."""

    passwords: dict[str, str]
    world: World
    server: SimulatorServer
    scheduler: BackgroundScheduler
    floor: Floor
    worker: Worker

    def stop(self) -> None:
        self.floor.stop()
        self.worker.stop_services()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.server.stop()


def start_demo(
    sessions: sessionmaker[Session],
    *,
    zone: ZoneInfo,
    backlog_orders: int,
    logins: Path,
    live_orders_per_minute: float = LIVE_ORDERS_PER_MINUTE,
    floor_every_s: float = FLOOR_EVERY_S,
    alerts: tuple[NotifySettings, ChangeFeed | None] | None = None,
) -> DemoRun:
    """Everything of the demo but the console, on a migrated store: users, the simulator with
    ``backlog_orders`` orders of the last two days and a live stream, channels pointing at it,
    stock, a first sync, the backlog released at its own times, the worker (with the alerts
    engine and a deliverer when ``alerts`` says how to sign links) and the floor."""
    passwords = ensure_users(sessions, logins)
    now = datetime.now(UTC)
    # A second start on the same store fills only the time the demo was off.
    earlier = last_order_at(sessions)
    start = max(now - BACKLOG, earlier or now - BACKLOG)
    rate = backlog_orders / (BACKLOG.total_seconds() / 60)
    world = _demo_world(sessions, rate, start=start, now=now)
    if earlier is None:
        _article_incident(world, now)
    world.settings = replace(world.settings, orders_per_minute=live_orders_per_minute)
    server = SimulatorServer(Simulator(world)).start()
    try:
        connect_channels(sessions, server.base_url)
        skus = [f"SKU-{n:04d}" for n in range(1, world.settings.skus + 1)]
        stock_warehouses(sessions, skus)
        add_listings(sessions, [(sku, listing_id_for(sku)) for sku in skus])
        _first_sync(sessions, since=start - timedelta(minutes=5))
        release_backlog(sessions, start=start, end=now)
        scheduler, worker = _start_worker(sessions, zone, alerts)
    except BaseException:
        server.stop()
        raise
    floor = Floor(sessions, every_s=floor_every_s).start()
    return DemoRun(passwords, world, server, scheduler, floor, worker)


def _demo_world(
    sessions: sessionmaker[Session], per_minute: float, *, start: datetime, now: datetime
) -> World:
    """A world holding the orders of ``per_minute`` (on average, over the daily and weekly
    rhythm) created between ``start`` and ``now``."""
    rhythm = statistics.fmean(HOURLY) * statistics.fmean(WEEKDAY)
    serial = next_order_serial(sessions)
    world = World(
        platforms=tuple(platform for _name, platform in CHANNELS),
        settings=StreamSettings(orders_per_minute=per_minute / rhythm),
        seed=serial,
        start=start,
    )
    # Order ids continue after the ones an earlier demo left in this store (World has no
    # parameter for its first order number yet).
    world._ids = itertools.count(serial)
    world.advance(now)
    return world


def _article_incident(world: World, now: datetime) -> None:
    """The article's 17 先用后付 orders on Xiaohongshu, over the last hour."""
    for n in range(ARTICLE_BNPL_ORDERS):
        at = now - timedelta(minutes=60 - 3 * n)
        world.place("xiaohongshu", at, payment_method=BNPL_CODE)
    world.advance(now)  # their payments


def _first_sync(sessions: sessionmaker[Session], *, since: datetime) -> None:
    """Pull the backlog of every demo channel now, in parallel, so the board starts full."""
    with ThreadPoolExecutor(max_workers=len(CHANNELS)) as pool:
        reports = pool.map(
            lambda name: sync_channel(sessions, name, since=since),
            [name for name, _platform in CHANNELS],
        )
        for report in reports:
            if not report.ok:
                log.warning("demo.first_sync_failed", channel=report.channel, error=report.error)


def _start_worker(
    sessions: sessionmaker[Session],
    zone: ZoneInfo,
    alerts: tuple[NotifySettings, ChangeFeed | None] | None,
) -> tuple[BackgroundScheduler, Worker]:
    """The worker's scheduler in a background thread; every routine runs within seconds
    instead of after its first full interval (reconciliation is hourly)."""
    scheduler = BackgroundScheduler(timezone=UTC)
    services = long_running_jobs(sessions, *alerts) if alerts is not None else []
    worker = Worker(sessions, scheduler, periodic_jobs(zone), services)
    worker.install()
    worker.start_services()
    scheduler.start()
    soon = datetime.now(UTC)
    for n, job in enumerate(j for j in scheduler.get_jobs() if j.id.startswith("job:")):
        job.modify(next_run_time=soon + timedelta(seconds=1 + 2 * n))
    return scheduler, worker


def _serve(settings: Settings, sessions: sessionmaker[Session], secret: str) -> None:
    app = _web_app(settings, sessions, secret)
    log.info("serve.start", host=settings.host, port=settings.port, workers=1)
    # No access log: a line per handheld scan costs a good part of the request and says what
    # the reverse proxy's log and /metrics already say. (uvicorn[standard] brings uvloop and
    # httptools, which uvicorn picks by itself.)
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False)


def _web_app(settings: Settings, sessions: sessionmaker[Session], secret: str) -> FastAPI:
    # Imported here so that CLI commands which never serve start without the web stack.
    from dashboard.app import create_app
    from dashboard.config import WebConfig

    config = WebConfig(
        secret_key=secret,
        zone=settings.zone,
        production=settings.mode == "production",
        public_url=settings.public_url,
    )
    app = create_app(config, sessions=sessions)
    # The web stack leaves a few hundred thousand long-lived objects behind; frozen, the
    # collector stops walking them on every full collection (measured: 80-110 ms pauses
    # under handheld load before, under 16 ms after).
    gc.collect()
    gc.freeze()
    return app


def _logins_file(settings: Settings) -> Path:
    """Demo passwords are made once and kept beside the demo database."""
    name = settings.database_url.rsplit("/", 1)[-1] or "orderwatch"
    return Path.cwd() / f".{name}.demo-logins.json"

"""The periodic work of every area: the one list the worker (and the demo) schedule.

Each area exposes plain functions; this module decides how often they run and with which
settings, because only ``orderwatch`` may import all areas and read the settings. A new area
adds a function returning its jobs below and one line to ``periodic_jobs``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from alerts.after_sales import check_after_sales
from alerts.backlog import check_backlog
from alerts.engine import AlertEngine
from alerts.notify import NotifySettings
from alerts.outbox import Deliverer
from alerts.sources import check_quarantine, check_stock
from ingest import reconcile, stock_sync, writeback
from ingest.health import check_channel_failures, check_channel_staleness
from ingest.release import ReleaseReport, release_paid_orders
from metrics.rollups import refresh_rollups
from rules.audit import run_flow_health_audit
from rules.review import Reviewer, current_rules
from rules.sla import refresh_changed_deadlines
from store.events import ChangeFeed
from store.models import utcnow

RELEASE_EVERY_S = 10
"""Paid orders reach the handhelds within seconds (the article's 自动推送至仓库PDA)."""
ROLLUP_EVERY_S = 10
DEADLINES_EVERY_S = 60
AUDIT_EVERY_S = 15 * 60
STALENESS_EVERY_S = 60
FAILING_EVERY_S = 60
STOCK_ALERTS_EVERY_S = 60
QUARANTINE_ALERTS_EVERY_S = 60
AFTER_SALES_ALERTS_EVERY_S = 60
BACKLOG_ALERTS_EVERY_S = 300
"""A backlog is judged against hourly figures and grows over many minutes."""
DELIVERY_THREADS = 4
"""Sends in flight per deliverer: one slow receiver does not hold up the others."""


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    """Work run every ``every_s`` seconds with the store's sessions."""

    id: str
    run: Callable[[sessionmaker[Session]], object]
    every_s: float
    cluster_once: bool = True
    """Take a cluster-wide lock so only one worker runs it at a time."""


@dataclass(frozen=True, slots=True)
class LongRunningJob:
    """Work that runs in a thread of its own until ``stop`` is set (and ``wake`` called)."""

    id: str
    run: Callable[[threading.Event], None]
    wake: Callable[[], None]
    cluster_once: bool = True
    """Only one worker of the cluster runs it (the others wait to take over)."""


def periodic_jobs(zone: ZoneInfo) -> list[PeriodicJob]:
    """Every area's periodic work, with business days and hours in ``zone``."""
    return [
        *_warehouse_jobs(),
        *_metrics_jobs(),
        *_rules_jobs(zone),
        *_ingest_jobs(),
        *_alert_jobs(zone),
    ]


def long_running_jobs(
    sessions: sessionmaker[Session], settings: NotifySettings, feed: ChangeFeed | None
) -> list[LongRunningJob]:
    """The alerts engine (deadline timer, grouping, notification decisions: once per
    cluster) and a deliverer of the outbox (in every worker), which the engine wakes when it
    wrote rows."""
    deliverer = Deliverer(sessions, pool=lambda: ThreadPoolExecutor(DELIVERY_THREADS))
    engine = AlertEngine(sessions, settings, feed=feed, on_outbox=deliverer.wake)
    return [
        LongRunningJob("alerts.engine", engine.run, engine.wake),
        LongRunningJob("alerts.deliver", deliverer.run, deliverer.wake, cluster_once=False),
    ]


def release_with_review(
    session: Session, *, warehouse: str | None = None, limit: int = 500
) -> ReleaseReport:
    """Risk review first (a held order goes to 待审核), then stock reservation and release."""
    return release_paid_orders(session, review=Reviewer(), warehouse=warehouse, limit=limit)


def _warehouse_jobs() -> list[PeriodicJob]:
    def release(sessions: sessionmaker[Session]) -> None:
        with sessions.begin() as session:
            release_with_review(session)

    return [PeriodicJob("warehouse.release", release, every_s=RELEASE_EVERY_S)]


def _metrics_jobs() -> list[PeriodicJob]:
    return [PeriodicJob("metrics.rollups", refresh_rollups, every_s=ROLLUP_EVERY_S)]


def _rules_jobs(zone: ZoneInfo) -> list[PeriodicJob]:
    def deadlines(sessions: sessionmaker[Session]) -> None:
        with sessions.begin() as session:
            refresh_changed_deadlines(session, current_rules(session), zone=zone, now=utcnow())

    def audit(sessions: sessionmaker[Session]) -> None:
        with sessions.begin() as session:
            run_flow_health_audit(session)

    return [
        PeriodicJob("rules.deadlines", deadlines, every_s=DEADLINES_EVERY_S),
        PeriodicJob("rules.audit", audit, every_s=AUDIT_EVERY_S),
    ]


def _ingest_jobs() -> list[PeriodicJob]:
    def staleness(sessions: sessionmaker[Session]) -> None:
        with sessions.begin() as session:
            check_channel_staleness(session, now=utcnow())

    def failing(sessions: sessionmaker[Session]) -> None:
        with sessions.begin() as session:
            check_channel_failures(session, now=utcnow())

    return [
        PeriodicJob("ingest.staleness", staleness, every_s=STALENESS_EVERY_S),
        PeriodicJob("ingest.failing", failing, every_s=FAILING_EVERY_S),
        PeriodicJob("ingest.reconcile", reconcile.reconcile_all, every_s=reconcile.EVERY_S),
        PeriodicJob("ingest.writeback", writeback.drain_writebacks, every_s=writeback.EVERY_S),
        PeriodicJob("ingest.stock", stock_sync.sync_stock, every_s=stock_sync.EVERY_S),
    ]


def _alert_jobs(zone: ZoneInfo) -> list[PeriodicJob]:
    def stock(sessions: sessionmaker[Session]) -> None:
        with sessions.begin() as session:
            check_stock(session, current_rules(session), utcnow())

    def quarantine(sessions: sessionmaker[Session]) -> None:
        with sessions.begin() as session:
            check_quarantine(session, utcnow())

    def after_sales(sessions: sessionmaker[Session]) -> None:
        with sessions.begin() as session:
            check_after_sales(session, current_rules(session), utcnow())

    def backlog(sessions: sessionmaker[Session]) -> None:
        with sessions.begin() as session:
            check_backlog(session, utcnow(), zone)

    return [
        PeriodicJob("alerts.stock", stock, every_s=STOCK_ALERTS_EVERY_S),
        PeriodicJob("alerts.quarantine", quarantine, every_s=QUARANTINE_ALERTS_EVERY_S),
        PeriodicJob("alerts.after_sales", after_sales, every_s=AFTER_SALES_ALERTS_EVERY_S),
        PeriodicJob("alerts.backlog", backlog, every_s=BACKLOG_ALERTS_EVERY_S),
    ]

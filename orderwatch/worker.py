"""``orderwatch worker``: APScheduler in its own process, never inside the web workers.

It pulls every channel on the channel's own schedule (``channels.sync_interval_s``, five
minutes by default) and runs the periodic jobs other areas register with ``add_periodic_job``.
Any number of workers can run against one database: a channel's sync and every job marked
``cluster_once`` take a lock first (PostgreSQL advisory lock; in-process on SQLite), so each runs
in one place at a time.

Other areas add their work like this, at import time of a module the worker imports::

    from orderwatch.worker import PeriodicJob, add_periodic_job
    add_periodic_job(PeriodicJob("alerts.deliver", deliver_due, every_s=15))
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session, sessionmaker

from ingest import reconcile, stock_sync, writeback
from ingest.jobs import run_channel_sync, syncable_channels
from ingest.locks import try_lock
from orderwatch.context import open_store
from orderwatch.logs import configure_logging
from orderwatch.settings import Settings
from store.events import ChangeFeed

log = structlog.get_logger(__name__)

JOB_LOCK_SPACE = 0x0077_6A62  # first key of the advisory locks of periodic jobs
CHANNEL_REFRESH_S = 60
"""How often the worker looks for new channels and changed schedules."""


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    """Work run every ``every_s`` seconds with the store's sessions."""

    id: str
    run: Callable[[sessionmaker[Session]], object]
    every_s: float
    cluster_once: bool = True
    """Take a cluster-wide lock so only one worker runs it at a time."""


PERIODIC_JOBS: dict[str, PeriodicJob] = {}


def add_periodic_job(job: PeriodicJob) -> None:
    """Register ``job`` for every worker started afterwards (ids are unique)."""
    if job.id in PERIODIC_JOBS and PERIODIC_JOBS[job.id] != job:
        raise ValueError(f"a different periodic job {job.id!r} is registered already")
    PERIODIC_JOBS[job.id] = job


class Worker:
    """Schedules the channel syncs and the periodic jobs on one APScheduler scheduler."""

    def __init__(self, sessions: sessionmaker[Session], scheduler: BaseScheduler) -> None:
        self.sessions = sessions
        self.scheduler = scheduler

    def install(self) -> None:
        self.scheduler.add_job(
            self.refresh_channels,
            IntervalTrigger(seconds=CHANNEL_REFRESH_S),
            id="channels.refresh",
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
        )
        for job in PERIODIC_JOBS.values():
            self.scheduler.add_job(
                self.run_periodic,
                IntervalTrigger(seconds=job.every_s),
                args=[job],
                id=f"job:{job.id}",
                max_instances=1,
                coalesce=True,
            )

    def refresh_channels(self) -> None:
        """One sync job per channel at its interval; new channels join, changed ones move."""
        wanted = {f"sync:{name}": (cid, name, every) for cid, name, every in
                  syncable_channels(self.sessions)}  # fmt: skip
        for job in self.scheduler.get_jobs():
            if job.id.startswith("sync:") and job.id not in wanted:
                job.remove()
        for job_id, (channel_id, name, every) in wanted.items():
            existing = self.scheduler.get_job(job_id)
            if existing is not None:
                if existing.trigger.interval.total_seconds() != every:
                    existing.reschedule(IntervalTrigger(seconds=every))
                continue
            self.scheduler.add_job(
                self.sync,
                IntervalTrigger(seconds=every),
                args=[channel_id, name],
                id=job_id,
                next_run_time=datetime.now(UTC),
                max_instances=1,
                coalesce=True,
            )

    def sync(self, channel_id: int, channel: str) -> None:
        try:
            run_channel_sync(self.sessions, channel_id, channel)
        except Exception:  # one channel's failure never stops the worker or the others
            log.exception("sync.crashed", channel=channel)

    def run_periodic(self, job: PeriodicJob) -> bool:
        """Run ``job`` (under its cluster lock when it asks); whether it ran here."""
        if not job.cluster_once:
            self._run(job)
            return True
        engine = self.sessions.kw["bind"]
        with try_lock(engine, zlib.crc32(job.id.encode()) & 0x7FFF_FFFF, JOB_LOCK_SPACE) as taken:
            if taken:
                self._run(job)
            return taken

    def _run(self, job: PeriodicJob) -> None:
        try:
            job.run(self.sessions)
        except Exception:
            log.exception("job.crashed", job=job.id)


def run_worker(settings: Settings) -> None:
    """The ``orderwatch worker`` process: runs until interrupted."""
    configure_logging(settings)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per platform call is noise
    # Imported here: the routines module registers its jobs through this one.
    from orderwatch.routines import register_routines

    register_routines(settings.zone)
    sessions = open_store(settings, feed=ChangeFeed(settings.redis_url))
    scheduler = BlockingScheduler(timezone=UTC)
    Worker(sessions, scheduler).install()
    log.info("worker.start", jobs=sorted(PERIODIC_JOBS))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("worker.stop")


# --- the ingest area's own periodic jobs ----------------------------------------------------


def _reconcile(sessions: sessionmaker[Session]) -> None:
    reconcile.reconcile_all(sessions)


def _confirm_shipments(sessions: sessionmaker[Session]) -> None:
    writeback.drain_writebacks(sessions)


def _sync_stock(sessions: sessionmaker[Session]) -> None:
    stock_sync.sync_stock(sessions)


add_periodic_job(PeriodicJob("ingest.reconcile", _reconcile, every_s=reconcile.EVERY_S))
add_periodic_job(PeriodicJob("ingest.writeback", _confirm_shipments, every_s=writeback.EVERY_S))
add_periodic_job(PeriodicJob("ingest.stock", _sync_stock, every_s=stock_sync.EVERY_S))

"""``orderwatch worker``: APScheduler in its own process, never inside the web workers.

It pulls every channel on the channel's own schedule (``channels.sync_interval_s``, five
minutes by default) and the periodic jobs it is given: every area's, listed in
``orderwatch.routines.periodic_jobs`` (where a new area adds its own). Any number of workers can
run against one database: a channel's sync and every job marked ``cluster_once`` take a lock
first (PostgreSQL advisory lock; in-process on SQLite), so each runs in one place at a time.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime

import structlog
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session, sessionmaker

from ingest.jobs import run_channel_sync, syncable_channels
from ingest.locks import try_lock
from orderwatch.context import open_store
from orderwatch.logs import configure_logging
from orderwatch.routines import PeriodicJob, periodic_jobs
from orderwatch.settings import Settings
from store.events import ChangeFeed

log = structlog.get_logger(__name__)

JOB_LOCK_SPACE = 0x0077_6A62  # first key of the advisory locks of periodic jobs
CHANNEL_REFRESH_S = 60
"""How often the worker looks for new channels and changed schedules."""


class Worker:
    """Schedules the channel syncs and the periodic jobs on one APScheduler scheduler."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        scheduler: BaseScheduler,
        jobs: Sequence[PeriodicJob],
    ) -> None:
        ids = [job.id for job in jobs]
        if len(set(ids)) != len(ids):
            raise ValueError(f"periodic job ids must be unique: {sorted(ids)}")
        self.sessions = sessions
        self.scheduler = scheduler
        self.jobs = tuple(jobs)

    def install(self) -> None:
        self.scheduler.add_job(
            self.refresh_channels,
            IntervalTrigger(seconds=CHANNEL_REFRESH_S),
            id="channels.refresh",
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
        )
        for job in self.jobs:
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
    jobs = periodic_jobs(settings.zone)
    sessions = open_store(settings, feed=ChangeFeed(settings.redis_url))
    scheduler = BlockingScheduler(timezone=UTC)
    Worker(sessions, scheduler, jobs).install()
    log.info("worker.start", jobs=sorted(job.id for job in jobs))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("worker.stop")

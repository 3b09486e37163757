"""``orderwatch worker``: APScheduler in its own process, never inside the web workers.

It pulls every channel on the channel's own schedule (``channels.sync_interval_s``, five
minutes by default) and the periodic jobs it is given: every area's, listed in
``orderwatch.routines.periodic_jobs`` (where a new area adds its own). Any number of workers can
run against one database: a channel's sync and every job marked ``cluster_once`` take a lock
first (PostgreSQL advisory lock; in-process on SQLite), so each runs in one place at a time.

Beside the scheduler, long-running jobs (``orderwatch.routines.long_running_jobs``: the alerts
engine, whose deadline timer must not wait for a tick, and the outbox deliverer) each get a
thread. A ``cluster_once`` one runs while its worker holds the job's lock; the other workers
try again every few seconds, so one takes over when the holder stops.
"""

from __future__ import annotations

import logging
import sys
import threading
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import structlog
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session, sessionmaker

from alerts.notify import NotifySettings
from ingest.jobs import run_channel_sync, syncable_channels
from ingest.locks import try_lock
from orderwatch.context import open_store
from orderwatch.logs import configure_logging
from orderwatch.routines import LongRunningJob, PeriodicJob, long_running_jobs, periodic_jobs
from orderwatch.settings import Settings
from store.events import ChangeFeed

log = structlog.get_logger(__name__)

JOB_LOCK_SPACE = 0x0077_6A62  # first key of the advisory locks of periodic jobs
SERVICE_LOCK_SPACE = 0x0077_6C72  # ... and of long-running jobs
LOCK_RETRY_S = 5.0
"""How often a worker without a long-running job's lock tries to take it."""
SWITCH_INTERVAL_S = 0.001
CHANNEL_REFRESH_S = 60
"""How often the worker looks for new channels and changed schedules."""


class Worker:
    """Schedules the channel syncs and the periodic jobs on one APScheduler scheduler."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        scheduler: BaseScheduler,
        jobs: Sequence[PeriodicJob],
        services: Sequence[LongRunningJob] = (),
    ) -> None:
        ids = [job.id for job in jobs] + [service.id for service in services]
        if len(set(ids)) != len(ids):
            raise ValueError(f"job ids must be unique: {sorted(ids)}")
        self.sessions = sessions
        self.scheduler = scheduler
        self.jobs = tuple(jobs)
        self.services = tuple(services)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def install(self) -> None:
        self.scheduler.add_job(
            self.refresh_channels,
            IntervalTrigger(seconds=CHANNEL_REFRESH_S),
            id="channels.refresh",
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
        )
        now = datetime.now(UTC)
        for job in self.jobs:
            # Each job at its own phase of its interval: all started at once, the jobs of a
            # minute ran together and held the alerts engine's thread back for seconds.
            phase = (zlib.crc32(job.id.encode()) % 1000) / 1000 * job.every_s
            self.scheduler.add_job(
                self.run_periodic,
                IntervalTrigger(seconds=job.every_s, start_date=now + timedelta(seconds=phase)),
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

    def start_services(self) -> None:
        """A thread per long-running job."""
        for service in self.services:
            thread = threading.Thread(
                target=self._serve, args=(service,), name=service.id, daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop_services(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        for service in self.services:
            service.wake()
        for thread in self._threads:
            thread.join(timeout_s)

    def _serve(self, service: LongRunningJob) -> None:
        engine = self.sessions.kw["bind"]
        key = zlib.crc32(service.id.encode()) & 0x7FFF_FFFF
        while not self._stop.is_set():
            if not service.cluster_once:
                self._keep_running(service)
                continue
            with try_lock(engine, key, SERVICE_LOCK_SPACE) as taken:
                if taken:
                    self._keep_running(service)
            if not taken:
                self._stop.wait(LOCK_RETRY_S)

    def _keep_running(self, service: LongRunningJob) -> None:
        try:
            service.run(self._stop)
        except Exception:  # restarted after a pause; the others keep going
            log.exception("service.crashed", service=service.id)
            self._stop.wait(1.0)


def run_worker(settings: Settings) -> None:
    """The ``orderwatch worker`` process: runs until interrupted."""
    notify = notify_settings(settings)
    configure_logging(settings, secrets=[notify.secret_key])
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per platform call is noise
    # The alerts engine's thread takes the GIL back after each database round trip; behind
    # CPU-bound jobs it waits a switch interval each time (5 ms by default, tens of round
    # trips a wake-up). 1 ms keeps a breach's notification within its second.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    jobs = periodic_jobs(settings.zone)
    feed = ChangeFeed(settings.redis_url)
    sessions = open_store(settings, feed=feed)
    services = long_running_jobs(sessions, notify, feed)
    scheduler = BlockingScheduler(timezone=UTC)
    worker = Worker(sessions, scheduler, jobs, services)
    worker.install()
    worker.start_services()
    log.info("worker.start", jobs=sorted([j.id for j in jobs] + [s.id for s in services]))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("worker.stop")
    finally:
        worker.stop_services()


def notify_settings(settings: Settings, secret: str | None = None) -> NotifySettings:
    """What the alerts engine needs from the settings (the secret signs acknowledge links:
    set ORDERWATCH_SECRET_KEY so that the console accepts the links a worker signed)."""
    return NotifySettings(
        zone=settings.zone,
        secret_key=secret or settings.require_secret(),
        public_url=settings.public_base_url,
    )

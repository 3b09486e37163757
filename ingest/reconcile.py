"""Reconciliation (对账补单): the safety net under the incremental sync.

Platforms' incremental lists occasionally leave an order out (a late index, a paging race on
their side). Every hour the worker re-lists each channel's orders *created* in the last 24 hours
and compares them with the store. An order the incremental sync should already have read — the
platform last modified it at or before the channel's watermark — but which the store does not
hold is a missed order (漏单): it is ingested through ``store.upsert.upsert_orders`` and
recorded in ``missed_orders`` (one row per order; the KPI "missed orders per day"). Orders
modified after the watermark are the next sync's work and are left alone; a stored order older
than the platform's version is brought up to date without counting as missed.

A channel is reconciled under the same per-channel lock as its sync, so the two never race to
insert one order (which would make a found order look missed).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
import structlog
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session, sessionmaker

from ingest.channels import CONNECTORS, config_of
from ingest.channels.base import Clock, Connector, MalformedPayload, RawOrder, utcnow
from ingest.jobs import syncable_channels
from ingest.locks import try_lock
from ingest.quarantine import quarantine
from ingest.retry import RetryPolicy, Sleep
from ingest.sync import guarded_connector
from store.canonical import CanonicalOrder
from store.channels import get_channel
from store.errors import DomainError
from store.models import Channel, MissedOrder, Order
from store.upsert import stored_versions, upsert_orders

log = structlog.get_logger(__name__)

LOOKBACK = timedelta(hours=24)
EVERY_S = 3600
"""How often the worker reconciles every channel."""

Progress = Callable[[int, int, int], None]
"""``progress(windows_done, windows_total, orders_listed)``."""


@dataclass
class ReconcileReport:
    channel: str
    start: datetime | None = None
    end: datetime | None = None
    listed: int = 0
    """Orders the creation-time list returned."""
    missed: list[str] = field(default_factory=list)
    """Channel order ids found missing from the store and ingested now."""
    refreshed: int = 0
    """Stored orders that were older than the platform's version (updated, not missed)."""
    quarantined: int = 0
    skipped: bool = False
    """Not reconciled: the channel is being synced elsewhere or has never been synced."""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def reconcile_channel(
    sessions: sessionmaker[Session],
    channel: str,
    *,
    client: httpx.Client | None = None,
    clock: Clock = utcnow,
    lookback: timedelta = LOOKBACK,
    policy: RetryPolicy | None = None,
    sleep: Sleep = time.sleep,
    progress: Progress | None = None,
) -> ReconcileReport:
    """Reconcile ``channel`` now (taking its lock); platform failures land in ``error``."""
    report = ReconcileReport(channel)
    with sessions.begin() as session:
        row = get_channel(session, channel)
        channel_id, watermark = row.id, row.sync_watermark
        try:
            config = config_of(row)
        except DomainError as exc:
            report.error = exc.message
            return report
    if watermark is None:
        report.skipped = True  # nothing was ever read, so nothing can have been missed
        return report
    engine = sessions.kw["bind"]
    assert isinstance(engine, Engine)
    own_client = client is None
    http = client or httpx.Client(timeout=15.0)
    try:
        with try_lock(engine, channel_id) as taken:
            if not taken:
                report.skipped = True
                return report
            connector = guarded_connector(
                config, http, clock=clock, policy=policy or RetryPolicy(), sleep=sleep
            )
            run = _Run(sessions, report, channel_id, watermark, clock)
            run.read(connector, lookback, progress)
    except DomainError as exc:
        report.error = exc.message
        log.warning("reconcile.failed", channel=channel, error_code=exc.code)
    finally:
        if own_client:
            http.close()
    if report.missed:
        log.warning("reconcile.missed", channel=channel, missed=len(report.missed))
    return report


def reconcile_all(sessions: sessionmaker[Session]) -> list[ReconcileReport]:
    """The worker's job: every pulled channel that has a connector, one after the other."""
    reports = []
    for _id, name, _every in syncable_channels(sessions):
        with sessions.begin() as session:
            platform = session.scalar(select(Channel.platform).where(Channel.name == name))
        if platform in CONNECTORS:
            reports.append(reconcile_channel(sessions, name))
    return reports


class _Run:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        report: ReconcileReport,
        channel_id: int,
        watermark: datetime,
        clock: Clock,
    ) -> None:
        self.sessions = sessions
        self.report = report
        self.channel_id = channel_id
        self.watermark = watermark
        self.clock = clock

    def read(self, connector: Connector, lookback: timedelta, progress: Progress | None) -> None:
        # Orders created after the watermark cannot have been missed yet.
        end = min(connector.latest_complete(), self.watermark)
        start = end - lookback
        self.report.start, self.report.end = start, end
        windows = list(connector.windows(start, end))
        for done, (window_start, window_end) in enumerate(windows, start=1):
            for page in connector.list_created(window_start, window_end):
                self._compare(connector, page)
            if progress is not None:
                progress(done, len(windows), self.report.listed)

    def _compare(self, connector: Connector, page: list[RawOrder]) -> None:
        self.report.listed += len(page)
        due: dict[str, CanonicalOrder] = {}
        bad: list[tuple[RawOrder, str | None, str]] = []
        for raw in page:
            try:
                mapped = connector.to_channel_order(raw)
            except MalformedPayload as exc:
                bad.append((raw, connector.order_id(raw), exc.message))
                continue
            # Unpaid orders are not ours; newer changes are the incremental sync's to read.
            if mapped is not None and mapped.order.modified_at <= self.watermark:
                due[mapped.order.channel_order_id] = mapped.order
        now = self.clock()
        with self.sessions.begin() as session:
            stored = stored_versions(session, self.channel_id, list(due))
            missing = [oid for oid in due if oid not in stored]
            behind = [o for o in due if o in stored and due[o].modified_at > stored[o]]
            if missing or behind:
                upsert_orders(session, self.report.channel, [due[o] for o in missing + behind])
            self._record_missed(session, missing, now)
            for raw, order_id, reason in bad:
                quarantine(session, channel_id=self.channel_id, channel_order_id=order_id,
                           payload=raw, reason=reason, at=now)  # fmt: skip
        self.report.missed += missing
        self.report.refreshed += len(behind)
        self.report.quarantined += len(bad)

    def _record_missed(self, session: Session, ids: list[str], at: datetime) -> None:
        if not ids:
            return
        order_ids = dict(
            session.execute(
                select(Order.channel_order_id, Order.id).where(
                    Order.channel_id == self.channel_id, Order.channel_order_id.in_(ids)
                )
            ).all()
        )
        rows = [
            {"channel_id": self.channel_id, "channel_order_id": oid,
             "order_id": order_ids.get(oid), "found_at": at}
            for oid in ids
        ]  # fmt: skip
        session.execute(insert(MissedOrder), rows)

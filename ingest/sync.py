"""Loss-free incremental sync of one channel into the store.

The channel's watermark is the platform-modified time up to which every order has been read.
A sync reads from the watermark minus an overlap up to the platform clock minus its lag, in
windows the platform accepts, each page by page (the connectors page backwards so orders that
change meanwhile are never skipped). Pages are written in batches of about
``SyncOptions.write_batch`` orders, each batch in one transaction (one commit per page made the
WAL flush and the per-statement round trips cost more than the rows); the batch holding the last
page of a window is written in the same transaction as the watermark moving to the window's end,
so the watermark never passes a window that was not fully read, and a crash costs a re-read.

Orders that cannot be read go to quarantine with the raw payload and the reason; the rest of
the page proceeds and the watermark moves on, and every later sync fetches the quarantined
orders again until they parse or a person dismisses them. Every platform call goes through the
channel's rate limiter and is retried with backoff (``ingest.retry``); a sync that still fails
records the error on the channel (``last_error``, ``consecutive_failures``) and leaves the
watermark where the last complete window put it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
import structlog
from sqlalchemy.orm import Session, sessionmaker

from ingest.channels import config_of, connect
from ingest.channels.base import (
    ChannelConfig,
    ChannelError,
    Clock,
    Connector,
    MalformedPayload,
    RawOrder,
    RetryableChannelError,
    utcnow,
)
from ingest.channels.limits import default_rate
from ingest.quarantine import count_open, open_quarantine, quarantine, resolve
from ingest.retry import RateLimiter, RetryPolicy, Sleep, make_guard
from store.canonical import CanonicalOrder
from store.channels import get_channel
from store.errors import DomainError, NotFound
from store.upsert import PlannerStatistics, upsert_orders
from store.wording import say

log = structlog.get_logger(__name__)

Progress = Callable[[int, int, int], None]
"""``progress(windows_done, windows_total, orders_read)``."""


@dataclass(frozen=True, slots=True)
class SyncOptions:
    overlap: timedelta = timedelta(minutes=5)
    """Each sync re-reads this much before the watermark (clock skew, late index updates)."""
    first_lookback: timedelta = timedelta(days=1)
    """How far back the first sync of a channel reaches when no ``since`` is given."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout_s: float = 15.0
    quarantine_batch: int = 200
    """Quarantined orders fetched again per sync."""
    write_batch: int = 2000
    """Orders (from whole pages of one window) written per transaction."""


@dataclass
class SyncReport:
    channel: str
    start: datetime | None = None
    end: datetime | None = None
    windows: int = 0
    pages: int = 0
    received: int = 0
    inserted: int = 0
    updated: int = 0
    stale: int = 0
    skipped: int = 0
    """Orders not for the warehouse yet (unpaid)."""
    quarantined: int = 0
    recovered: int = 0
    """Quarantined orders read successfully this time."""
    unexpected_ciphertext: int = 0
    """Orders whose buyer fields came encrypted where the platform documents plain text (kept
    apart as ciphertext; the channel's health says so)."""
    watermark: datetime | None = None
    error: str | None = None
    error_code: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class _Batch:
    """Mapped pages waiting to be written together."""

    orders: list[CanonicalOrder] = field(default_factory=list)
    readable: list[str] = field(default_factory=list)
    bad: list[tuple[RawOrder, str | None, str]] = field(default_factory=list)
    pages: int = 0
    received: int = 0


@dataclass
class MappedOrders:
    """Raw platform orders turned canonical: what could be read, and what could not, with why."""

    orders: list[CanonicalOrder] = field(default_factory=list)
    readable: list[str] = field(default_factory=list)
    """Ids read without error (stored, or skipped as not ours yet)."""
    bad: list[tuple[RawOrder, str | None, str]] = field(default_factory=list)
    skipped: int = 0
    """Orders that are not ours yet (unpaid)."""
    unexpected_ciphertext: int = 0
    """Orders with ciphertext in a field documented as plain text."""


def map_orders(connector: Connector, raws: list[RawOrder]) -> MappedOrders:
    """Map a page (or a push's fetched orders). An order repeated with other content at the
    same modified time cannot be trusted and is quarantined; otherwise its newest wins."""
    latest: dict[str, CanonicalOrder] = {}
    result = MappedOrders()
    for raw in raws:
        order_id = connector.order_id(raw)
        try:
            mapped = connector.to_channel_order(raw)
        except MalformedPayload as exc:
            result.bad.append((raw, order_id, exc.message))
            continue
        if order_id is not None:
            result.readable.append(order_id)
        if mapped is None:
            result.skipped += 1
            continue
        result.unexpected_ciphertext += bool(mapped.unexpected_ciphertext)
        order = mapped.order
        seen = latest.get(order.channel_order_id)
        if seen is not None and seen.modified_at == order.modified_at and seen != order:
            reason = "the page repeats this order with other content at the same time"
            result.bad.append((raw, order_id, reason))
            continue
        if seen is None or order.modified_at > seen.modified_at:
            latest[order.channel_order_id] = order
    result.orders = list(latest.values())
    return result


def health_note(quarantined: int, ciphertext: int) -> str | None:
    """What a successful sync leaves on the channel's health for a person to look at."""
    notes = []
    if quarantined:
        notes.append(
            say("{n:order|orders} in quarantine (待处理异常订单 {n} 个)", {"n": quarantined})
        )
    if ciphertext:
        notes.append(
            say(
                "{n:order|orders} had encrypted buyer fields where the platform documents plain "
                "text (买家明文字段收到密文的订单 {n} 个)",
                {"n": ciphertext},
            )
        )
    return "; ".join(notes) or None


class SyncFailed(DomainError):
    """The sync stopped; the channel's health says why."""

    code = "sync_failed"


_LIMITERS: dict[str, RateLimiter] = {}


def channel_rate(config: ChannelConfig, policy: RetryPolicy) -> float:
    """Calls per second for ``config``: the policy's when it sets one (tests, benchmarks),
    else the channel's setting, else its platform's documented default."""
    if policy.requests_per_second is not None:
        return policy.requests_per_second
    return config.settings.rate_limit_per_s or default_rate(config.platform)


def limiter_for(channel: str, rate: float, sleep: Sleep) -> RateLimiter:
    """One rate limiter per channel and process, shared by every sync, write-back and stock
    call of it; a changed rate applies from the next call."""
    limiter = _LIMITERS.get(channel)
    if limiter is None:
        limiter = _LIMITERS[channel] = RateLimiter(rate, sleep=sleep)
    elif limiter.rate != rate:
        limiter.rate, limiter.capacity = rate, max(1.0, rate)
    return limiter


def guarded_connector(
    config: ChannelConfig,
    client: httpx.Client,
    *,
    clock: Clock,
    policy: RetryPolicy,
    sleep: Sleep = time.sleep,
) -> Connector:
    """The channel's connector with every call rate-limited (per channel) and retried."""
    limiter = limiter_for(config.name, channel_rate(config, policy), sleep)
    guard = make_guard(policy, limiter, sleep=sleep)
    return connect(config, client, clock=clock, guard=guard)


def sync_channel(
    sessions: sessionmaker[Session],
    channel: str,
    *,
    since: datetime | None = None,
    client: httpx.Client | None = None,
    clock: Clock = utcnow,
    options: SyncOptions | None = None,
    sleep: Sleep = time.sleep,
    progress: Progress | None = None,
) -> SyncReport:
    """Sync ``channel`` now; never raises for a platform failure (see ``SyncReport.error``)."""
    run = ChannelSync(
        sessions, channel, client=client, clock=clock, options=options or SyncOptions(),
        sleep=sleep, progress=progress,
    )  # fmt: skip
    return run.run(since)


class ChannelSync:
    """One sync run of one channel."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        channel: str,
        *,
        client: httpx.Client | None,
        clock: Clock,
        options: SyncOptions,
        sleep: Sleep,
        progress: Progress | None,
    ) -> None:
        self.sessions = sessions
        self.report = SyncReport(channel)
        self.client = client
        self.clock = clock
        self.options = options
        self.sleep = sleep
        self.progress = progress
        self.channel_id = 0
        self.in_quarantine: set[str] = set()
        self.statistics = PlannerStatistics()

    def run(self, since: datetime | None) -> SyncReport:
        started = self.clock()
        client = self.client or httpx.Client(timeout=self.options.timeout_s)
        try:
            config, watermark = self._begin(started)
            connector = self._connector(config, client)
            self._read(connector, since, watermark)
            self._retry_quarantine(connector)
        except NotFound:
            raise  # no such channel: nothing to record it on
        except DomainError as exc:  # channel errors and misconfiguration
            self._failed(exc)
        else:
            self._succeeded(started)
        finally:
            if self.client is None:
                client.close()
        return self.report

    # --- steps

    def _begin(self, now: datetime) -> tuple[ChannelConfig, datetime | None]:
        with self.sessions.begin() as session:
            row = get_channel(session, self.report.channel)
            self.channel_id = row.id
            row.last_attempt_at = now
            watermark = row.sync_watermark
            self.in_quarantine = {
                entry.channel_order_id
                for entry in open_quarantine(session, row.id, limit=100_000)
                if entry.channel_order_id
            }
            self.statistics.start(session, row.id)
            try:
                return config_of(row), watermark
            except DomainError:
                session.commit()  # keep last_attempt_at; the failure is recorded next
                raise

    def _connector(self, config: ChannelConfig, client: httpx.Client) -> Connector:
        return guarded_connector(
            config, client, clock=self.clock, policy=self.options.retry, sleep=self.sleep
        )

    def _read(
        self, connector: Connector, since: datetime | None, watermark: datetime | None
    ) -> None:
        end = connector.latest_complete()
        if since is not None:
            start = since
        elif watermark is not None:
            start = watermark - self.options.overlap
        else:
            start = end - self.options.first_lookback
        self.report.start, self.report.end = start, end
        windows = list(connector.windows(start, end))
        for done, (window_start, window_end) in enumerate(windows, start=1):
            self._read_window(connector, window_start, window_end)
            self.report.windows = done
            if self.progress is not None:
                self.progress(done, len(windows), self.report.received)

    def _read_window(self, connector: Connector, start: datetime, end: datetime) -> None:
        """Write the pages in batches as they come; the batch with the last page together with
        the watermark (a batch is written only once the page after it has arrived)."""
        batch = _Batch()
        for page in connector.list_changed(start, end):
            if batch.received >= self.options.write_batch:
                self._store(batch, watermark=None)
                batch = _Batch()
            self._add(connector, batch, page)
        self._store(batch, watermark=end)

    def _add(self, connector: Connector, batch: _Batch, page: list[RawOrder]) -> None:
        mapped = map_orders(connector, page)
        self.report.skipped += mapped.skipped
        self.report.unexpected_ciphertext += mapped.unexpected_ciphertext
        batch.orders += mapped.orders
        batch.readable += mapped.readable
        batch.bad += mapped.bad
        batch.pages += 1
        batch.received += len(page)

    def _store(self, batch: _Batch, *, watermark: datetime | None) -> None:
        now = self.clock()
        with self.sessions.begin() as session:
            if batch.orders:
                # Pages are mapped one by one; an order on two pages keeps its newest version
                # (``upsert_orders`` does that), as when the pages were written one by one.
                result = upsert_orders(session, self.report.channel, batch.orders)
                self.report.inserted += result.inserted
                self.report.updated += result.updated
                self.report.stale += result.stale
            self._resolve(session, batch.readable, now)
            for raw, order_id, reason in batch.bad:
                quarantine(session, channel_id=self.channel_id, channel_order_id=order_id,
                           payload=raw, reason=reason, at=now)  # fmt: skip
                if order_id:
                    self.in_quarantine.add(order_id)
            if watermark is not None:
                self._advance(session, watermark)
        self.report.pages += batch.pages
        self.report.received += batch.received
        self.report.quarantined += len(batch.bad)
        if batch.orders:
            self.statistics.grown(self.sessions, result.inserted)

    def _resolve(self, session: Session, order_ids: list[str], now: datetime) -> None:
        """Close the quarantine entries of orders read successfully now."""
        recovered = [oid for oid in order_ids if oid in self.in_quarantine]
        if recovered:
            self.report.recovered += resolve(session, self.channel_id, recovered, now)
            self.in_quarantine.difference_update(recovered)

    def _advance(self, session: Session, watermark: datetime) -> None:
        row = get_channel(session, self.report.channel)
        if row.sync_watermark is None or watermark > row.sync_watermark:
            row.sync_watermark = watermark
        self.report.watermark = row.sync_watermark

    def _retry_quarantine(self, connector: Connector) -> None:
        """Fetch each quarantined order again; keep those that still cannot be read."""
        batch = self.options.quarantine_batch
        with self.sessions.begin() as session:
            held = open_quarantine(session, self.channel_id, limit=batch)
            entries = [(entry.channel_order_id, entry.payload) for entry in held]
        for order_id, payload in entries:
            try:
                raw = connector.fetch_order(order_id) if order_id else payload
            except RetryableChannelError:
                return  # the platform is struggling: try them all again next sync
            except ChannelError as exc:
                self._requarantine(order_id, payload, f"fetching it again failed: {exc.message}")
                continue
            single = _Batch()
            self._add(connector, single, [raw])
            self._store(single, watermark=None)
            self.report.received -= 1  # a retry, not a newly read order

    def _requarantine(self, order_id: str | None, payload: RawOrder, reason: str) -> None:
        with self.sessions.begin() as session:
            quarantine(session, channel_id=self.channel_id, channel_order_id=order_id,
                       payload=payload, reason=reason, at=self.clock())  # fmt: skip

    # --- health

    def _succeeded(self, started: datetime) -> None:
        with self.sessions.begin() as session:
            row = get_channel(session, self.report.channel)
            waiting = count_open(session, row.id)
            row.last_success_at = started
            row.consecutive_failures = 0
            row.last_error = health_note(waiting, self.report.unexpected_ciphertext)
            self.report.watermark = row.sync_watermark
        log.info("sync.done", **self._summary())

    def _failed(self, exc: DomainError) -> None:
        self.report.error, self.report.error_code = exc.message, exc.code
        with self.sessions.begin() as session:
            row = get_channel(session, self.report.channel)
            row.last_error = exc.message[:2000]
            row.consecutive_failures += 1
            self.report.watermark = row.sync_watermark
        log.warning("sync.failed", error_code=exc.code, **self._summary())

    def _summary(self) -> dict[str, object]:
        r = self.report
        return {
            "channel": r.channel, "windows": r.windows, "received": r.received,
            "inserted": r.inserted, "updated": r.updated, "quarantined": r.quarantined,
            "recovered": r.recovered,
        }  # fmt: skip

"""Write-back (回传发货): confirm each shipment to its channel so the platform does not count the
order late.

The pickup scan names the carrier in orderwatch's terms (``SF``); each platform wants its own code
for it, read from the platform's carrier list once a day per channel (``ingest.carriers``). A
carrier the channel's platform does not know is refused before anything is sent: the row fails
with ``unknown_carrier`` on the order, and ``alerts.sources.check_writebacks`` raises an alert.

When the warehouse records carrier pickup (an accepted ``pickup`` scan with carrier and waybill,
``store.scans``), ``enqueue_pickups`` puts one ``channel_writebacks`` row per order into the
outbox; ``drain_writebacks`` calls the connector's ``confirm_shipment`` for every due row. A
failed call is tried again later with exponential backoff (``next_attempt_at``); a refusal that
retrying cannot fix (the platform says the order cannot ship) or too many failures mark the row
``failed``, and every attempt's error stays on the row, which the order document shows
(``channel_writebacks``). Platforms answer a repeated confirmation of the same waybill as done,
so a crash between the call and the commit costs nothing.

The worker runs both every 30 seconds (``orderwatch.worker``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
import structlog
from sqlalchemy import and_, exists, func, insert, literal, select
from sqlalchemy.orm import Session, sessionmaker

from ingest.carriers import REFRESH_EVERY, listed_codes, platform_code, store_list
from ingest.channels import CONNECTORS, config_of
from ingest.channels.base import (
    ChannelConfig,
    ChannelError,
    ChannelRefused,
    Clock,
    Connector,
    utcnow,
)
from ingest.retry import RetryPolicy, Sleep
from ingest.sync import guarded_connector
from store.errors import DomainError
from store.models import Channel, ChannelWriteback, Order, Scan

log = structlog.get_logger(__name__)

EVERY_S = 30
MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
BATCH = 200
CALL_POLICY = RetryPolicy(attempts=2)
"""Within one drain a call is retried once; the outbox's backoff does the rest."""


def retry_delay(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failure: 30 s doubling, at most an hour."""
    return min(FIRST_RETRY * (1 << min(max(attempts - 1, 0), 16)), MAX_RETRY)


def enqueue_pickups(session: Session, *, at: datetime | None = None) -> int:
    """One pending shipment write-back for every order with an accepted pickup scan that has
    none yet, on channels orderwatch can call; returns how many were added."""
    scans, orders = Scan.__table__.c, Order.__table__.c
    first_pickup = (
        select(scans.order_id, func.min(scans.id).label("scan_row"))
        .where(scans.kind == "pickup", scans.refused_code.is_(None), scans.order_id.is_not(None))
        .group_by(scans.order_id)
        .subquery()
    )
    owed = (
        select(
            orders.channel_id,
            orders.id,
            orders.channel_order_id,
            literal("shipment"),
            func.coalesce(scans.waybill, ""),
            func.coalesce(scans.carrier, ""),
            literal("pending"),
            literal(0),
            literal(at or utcnow(), ChannelWriteback.__table__.c.next_attempt_at.type),
            literal(at or utcnow(), ChannelWriteback.__table__.c.created_at.type),
        )
        .select_from(first_pickup)
        .join(Scan, Scan.id == first_pickup.c.scan_row)
        .join(Order, Order.id == first_pickup.c.order_id)
        .join(Channel, Channel.id == Order.channel_id)
        .where(
            Channel.platform.in_(sorted(CONNECTORS)),
            ~exists().where(
                and_(ChannelWriteback.order_id == Order.id, ChannelWriteback.kind == "shipment")
            ),
        )
    )
    columns = ("channel_id", "order_id", "channel_order_id", "kind", "waybill", "carrier",
               "status", "attempts", "next_attempt_at", "created_at")  # fmt: skip
    added = session.scalars(
        insert(ChannelWriteback).from_select(columns, owed).returning(ChannelWriteback.id)
    )
    return len(added.all())


@dataclass
class DrainReport:
    done: list[str] = field(default_factory=list)
    """Channel order ids confirmed."""
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def drain_writebacks(
    sessions: sessionmaker[Session],
    *,
    client: httpx.Client | None = None,
    clock: Clock = utcnow,
    policy: RetryPolicy = CALL_POLICY,
    sleep: Sleep = time.sleep,
) -> DrainReport:
    """Enqueue new pickups, then make every due write-back call once."""
    now = clock()
    report = DrainReport()
    with sessions.begin() as session:
        enqueue_pickups(session, at=now)
        due = session.execute(
            select(ChannelWriteback.id, Channel)
            .join(Channel, Channel.id == ChannelWriteback.channel_id)
            .where(ChannelWriteback.status == "pending", ChannelWriteback.next_attempt_at <= now)
            .order_by(ChannelWriteback.next_attempt_at, ChannelWriteback.id)
            .limit(BATCH)
        ).all()
        configs: dict[int, ChannelConfig | DomainError] = {}
        for _row_id, channel in due:
            if channel.id not in configs:
                try:
                    configs[channel.id] = config_of(channel)
                except DomainError as exc:  # misconfigured: its rows wait and say why
                    configs[channel.id] = exc
        work = [(row_id, channel.id) for row_id, channel in due]
    http = client or httpx.Client(timeout=15.0)
    try:
        connectors: dict[int, Carriers | DomainError] = {}
        for row_id, channel_id in work:
            if channel_id not in connectors:
                config = configs[channel_id]
                connectors[channel_id] = (
                    config
                    if isinstance(config, DomainError)
                    else Carriers(
                        guarded_connector(config, http, clock=clock, policy=policy, sleep=sleep),
                        channel_id,
                    )
                )
            _attempt(sessions, connectors[channel_id], row_id, clock, report)
    finally:
        if client is None:
            http.close()
    return report


class Carriers:
    """A channel's connector with the platform's carrier codes, read once per drain from the
    store and refreshed from the platform's carrier list when a day old (or never read)."""

    def __init__(self, connector: Connector, channel_id: int) -> None:
        self.connector = connector
        self.channel_id = channel_id
        self.loaded = False
        self.listed: dict[str, str] | None = None

    def code(self, sessions: sessionmaker[Session], carrier: str, now: datetime) -> str:
        """The platform's code for ``carrier``; ``UnknownCarrier`` when it has none."""
        if not self.loaded:
            self.listed = self._load(sessions, now)
            self.loaded = True
        config = self.connector.config
        return platform_code(config.platform, carrier, self.listed, channel=config.name)

    def _load(self, sessions: sessionmaker[Session], now: datetime) -> dict[str, str] | None:
        with sessions.begin() as session:
            listed, read_at = listed_codes(session, self.channel_id)
        if read_at is not None and now - read_at < REFRESH_EVERY:
            return listed
        try:
            entries = self.connector.list_carriers()
        except ChannelError as exc:  # the last list (or the table) stands in meanwhile
            log.warning("writeback.carrier_list_failed", channel=self.connector.config.name,
                        error_code=exc.code)  # fmt: skip
            return listed
        if entries is None:
            return None  # the platform has no carrier list: the table's codes
        with sessions.begin() as session:
            return store_list(session, self.channel_id, entries, now)


def _attempt(
    sessions: sessionmaker[Session],
    connector: Carriers | DomainError,
    row_id: int,
    clock: Clock,
    report: DrainReport,
) -> None:
    with sessions.begin() as session:
        row = session.get(ChannelWriteback, row_id)
        assert row is not None
        order_id, waybill, carrier = row.channel_order_id, row.waybill, row.carrier
    error: DomainError | None = None
    sent: str | None = None
    if not waybill or not carrier:
        error = ChannelRefused(
            "the pickup scan has no carrier or waybill (揽收扫描缺少快递公司或运单号)"
        )
    elif isinstance(connector, DomainError):
        error = connector
    else:
        try:
            sent = connector.code(sessions, carrier, clock())
            connector.connector.confirm_shipment(order_id, waybill=waybill, carrier=sent)
        except ChannelError as exc:
            error = exc
    now = clock()
    with sessions.begin() as session:
        row = session.get(ChannelWriteback, row_id)
        assert row is not None
        row.attempts += 1
        row.sent_carrier = sent
        if error is None:
            row.status, row.done_at, row.last_error = "done", now, None
            row.error_code = row.platform_code = None
            report.done.append(order_id)
            return
        row.last_error = f"attempt {row.attempts}: {error.message}"[:2000]
        row.error_code = error.code[:32]
        refused_code = error.platform_code if isinstance(error, ChannelError) else None
        row.platform_code = refused_code[:64] if refused_code else None
        if isinstance(error, ChannelRefused) or row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"  # retrying will not help: a person must look
            report.failed.append(order_id)
            log.warning("writeback.failed", channel_order_id=order_id, error_code=error.code)
        else:
            row.next_attempt_at = now + retry_delay(row.attempts)
            report.retrying.append(order_id)

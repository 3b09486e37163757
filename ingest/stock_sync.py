"""Inventory sync and oversell prevention (库存同步与防超卖).

Every channel listing of a SKU sells from the same shelf. The worker computes each SKU's
available stock (on hand − reserved, over every warehouse) and pushes it to every active listing
whose last accepted quantity differs: however many times the stock changed since the last run,
one call per listing carries the latest figure (coalesced), through the channel's rate limiter
(``ingest.sync.limiter_for``) and with at most ``max_calls_per_channel`` calls per channel and
run; what is left is the next run's.

When a SKU's available stock falls below its safety threshold (``inventory.safety_threshold``
overrides ``skus.safety_threshold``; with several warehouses the largest override counts), the
listings on the other channels are paused (下架) automatically and the SKU keeps selling on one
channel only — the one that sold most of it in the last 7 days — so the last units cannot be sold
twice (the article's 自动暂停其他平台销售链接). When the stock is back at or above the threshold,
the listings this module paused are put back on sale with the available quantity. Each pause and
resume is recorded on the listing (``status``, ``pause_reason``, ``paused_at``) and audited; a
listing a person paused (any other reason) is never resumed here.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ingest.channels import CONNECTORS, config_of
from ingest.channels.base import ChannelConfig, Clock, Connector, utcnow
from ingest.retry import RetryPolicy, Sleep
from ingest.sync import guarded_connector
from store.audit import write_audit
from store.errors import DomainError
from store.models import Channel, ChannelListing, Inventory, Order, OrderItem, Sku

log = structlog.get_logger(__name__)

ACTOR = "stock-sync"
EVERY_S = 15
AUTO_PAUSE = "库存低于安全线 / stock below safety threshold"
"""Start of every pause reason this module writes (and the only pauses it lifts)."""
SALES_WINDOW = timedelta(days=7)
CALL_POLICY = RetryPolicy(attempts=2)


@dataclass(frozen=True, slots=True)
class SkuStock:
    sku: str
    available: int
    threshold: int

    @property
    def low(self) -> bool:
        return self.available < self.threshold


@dataclass
class StockReport:
    pushed: list[tuple[str, str, int]] = field(default_factory=list)
    """``(channel, listing_id, quantity)`` accepted."""
    paused: list[tuple[str, str]] = field(default_factory=list)
    resumed: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    deferred: int = 0
    """Calls left for the next run by the per-channel cap."""


@dataclass(frozen=True, slots=True)
class _Listing:
    id: int
    channel_id: int
    channel: str
    listing_id: str
    status: str
    pause_reason: str | None
    pushed_stock: int | None


def stock_of(session: Session, skus: list[str]) -> dict[str, SkuStock]:
    """Available stock and effective safety threshold of each of ``skus``."""
    rows = session.execute(
        select(
            Sku.code,
            func.coalesce(func.sum(Inventory.on_hand - Inventory.reserved), 0),
            func.coalesce(func.max(Inventory.safety_threshold), Sku.safety_threshold),
        )
        .outerjoin(Inventory, Inventory.sku == Sku.code)
        .where(Sku.code.in_(skus))
        .group_by(Sku.code, Sku.safety_threshold)
    ).all()
    return {code: SkuStock(code, int(available), int(threshold or 0))
            for code, available, threshold in rows}  # fmt: skip


def sync_stock(
    sessions: sessionmaker[Session],
    *,
    client: httpx.Client | None = None,
    clock: Clock = utcnow,
    policy: RetryPolicy = CALL_POLICY,
    sleep: Sleep = time.sleep,
    max_calls_per_channel: int = 200,
) -> StockReport:
    """Bring every listing in line with its SKU's stock (see the module docstring)."""
    report = StockReport()
    with sessions.begin() as session:
        listings = _listings(session)
        stock = stock_of(session, sorted(listings))
        keepers = _keepers(session, listings, clock())
        configs = _configs(session, {x.channel_id for group in listings.values() for x in group})
    http = client or httpx.Client(timeout=15.0)
    budget: dict[int, int] = defaultdict(lambda: max_calls_per_channel)
    connectors: dict[int, Connector] = {}
    try:
        for sku, group in listings.items():
            level = stock[sku]
            for listing in group:
                config = configs[listing.channel_id]
                if isinstance(config, DomainError):
                    report.errors.append(f"{listing.channel}: {config.message}")
                    continue
                action = _action(listing, level, keepers.get(sku))
                if action is None:
                    continue
                if budget[listing.channel_id] <= 0:
                    report.deferred += 1
                    continue
                budget[listing.channel_id] -= 1
                if listing.channel_id not in connectors:
                    connectors[listing.channel_id] = guarded_connector(
                        config, http, clock=clock, policy=policy, sleep=sleep
                    )
                _apply(sessions, connectors[listing.channel_id], listing, level, action,
                       clock, report)  # fmt: skip
    finally:
        if client is None:
            http.close()
    return report


def _listings(session: Session) -> dict[str, list[_Listing]]:
    """Listings on channels orderwatch can call, by SKU."""
    rows = session.execute(
        select(ChannelListing, Channel.name)
        .join(Channel, Channel.id == ChannelListing.channel_id)
        .where(Channel.platform.in_(sorted(CONNECTORS)))
        .order_by(ChannelListing.sku, ChannelListing.id)
    ).all()
    grouped: dict[str, list[_Listing]] = defaultdict(list)
    for row, channel in rows:
        grouped[row.sku].append(
            _Listing(
                row.id,
                row.channel_id,
                channel,
                row.listing_id,
                row.status,
                row.pause_reason,
                row.pushed_stock,
            )
        )
    return dict(grouped)


def _keepers(
    session: Session, listings: dict[str, list[_Listing]], now: datetime
) -> dict[str, int]:
    """Per SKU, the listing that stays on sale when stock is low: the channel that sold most
    units of it in the last 7 days (ties and no sales: the oldest listing)."""
    sold = session.execute(
        select(OrderItem.sku, Order.channel_id, func.sum(OrderItem.quantity))
        .join(Order, Order.id == OrderItem.order_id)
        .where(OrderItem.sku.in_(sorted(listings)), Order.created_at >= now - SALES_WINDOW)
        .group_by(OrderItem.sku, Order.channel_id)
    ).all()
    units = {(sku, channel_id): int(total) for sku, channel_id, total in sold}
    return {
        sku: max(group, key=lambda x: (units.get((sku, x.channel_id), 0), -x.id)).id
        for sku, group in listings.items()
    }


def _configs(session: Session, channel_ids: set[int]) -> dict[int, ChannelConfig | DomainError]:
    configs: dict[int, ChannelConfig | DomainError] = {}
    for channel in session.scalars(select(Channel).where(Channel.id.in_(channel_ids))):
        try:
            configs[channel.id] = config_of(channel)
        except DomainError as exc:
            configs[channel.id] = exc
    return configs


def _action(listing: _Listing, level: SkuStock, keeper: int | None) -> str | None:
    """``push``, ``pause``, ``resume`` or nothing for one listing."""
    available = max(level.available, 0)
    if listing.status == "paused":
        auto = (listing.pause_reason or "").startswith(AUTO_PAUSE)
        return "resume" if auto and not level.low else None
    if level.low and listing.id != keeper:
        return "pause"
    return "push" if listing.pushed_stock != available else None


def _apply(
    sessions: sessionmaker[Session],
    connector: Connector,
    listing: _Listing,
    level: SkuStock,
    action: str,
    clock: Clock,
    report: StockReport,
) -> None:
    available = max(level.available, 0)
    try:
        if action == "pause":
            connector.pause_listing(listing.listing_id)
        elif action == "resume":
            connector.resume_listing(listing.listing_id, available)
        else:
            connector.update_stock(listing.listing_id, available)
    except DomainError as exc:
        report.errors.append(f"{listing.channel}/{listing.listing_id}: {exc.message}")
        log.warning("stock.call_failed", channel=listing.channel, action=action,
                    error_code=exc.code)  # fmt: skip
        return
    now = clock()
    with sessions.begin() as session:
        row = session.get(ChannelListing, listing.id)
        if row is None:
            return
        before = {"status": row.status, "pushed_stock": row.pushed_stock}
        row.updated_at = now
        if action == "pause":
            row.status, row.paused_at = "paused", now
            row.pause_reason = (
                f"{AUTO_PAUSE}: {level.sku} available {level.available} < {level.threshold}"
            )
            report.paused.append((listing.channel, listing.listing_id))
        else:
            row.pushed_stock = available
            report.pushed.append((listing.channel, listing.listing_id, available))
        if action == "resume":
            row.status, row.pause_reason, row.paused_at = "active", None, None
            report.resumed.append((listing.channel, listing.listing_id))
        if action != "push":
            write_audit(
                session,
                actor=ACTOR,
                action=f"listing.{'paused' if action == 'pause' else 'resumed'}",
                entity_type="channel_listing",
                entity_id=str(listing.id),
                before=before | {"pause_reason": listing.pause_reason},
                after={"status": row.status, "pause_reason": row.pause_reason,
                       "available": level.available, "threshold": level.threshold},
            )  # fmt: skip

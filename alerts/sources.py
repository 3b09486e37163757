"""Sources the alerts engine checks itself: SLA breaches per order, stock below its safety
threshold, orders in quarantine; after-sales tickets past their tier's SLA
(``alerts.after_sales``) and a stage's backlog beyond its usual range (``alerts.backlog``).
(Channel staleness and failing pulls are raised by ``ingest.health`` and flow health findings
by ``rules.audit``; the engine routes them like these.)

Each check raises the alerts that hold now and resolves the ones of its kind that no longer do,
so a source never leaves an alert open for a problem that is gone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rules.catalog import LoadedRules
from rules.sla import ClockRow, Deadline, deadlines, order_clocks
from rules.stock import stock_breaches
from store.alerts import AlertSpec, raise_alerts, resolve_alerts
from store.models import Alert, Channel, ChannelWriteback, Order, QuarantinedOrder
from store.wording import say

SLA_BREACH = "sla_breach"
_CHUNK = 1000


@dataclass
class SourceReport:
    raised: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)

    def add(self, other: SourceReport) -> None:
        self.raised += other.raised
        self.resolved += other.resolved


def _chunks(ids: Collection[int]) -> Iterator[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


def check_sla(
    session: Session, loaded: LoadedRules, zone: ZoneInfo, order_ids: Collection[int], now: datetime
) -> SourceReport:
    """For these orders: an ``sla_breach`` alert per deadline that has passed (raised once;
    one already open is left as it is) and their breach alerts resolved where the deadline no
    longer stands (the order moved on, or the rules changed)."""
    report = SourceReport()
    for chunk in _chunks(order_ids):
        wanted = {
            spec.key: spec
            for row in order_clocks(session, chunk)
            for spec in _breaches(row, deadlines(row.clock, loaded, zone), now)
        }
        query = select(Alert.dedupe_key).where(
            Alert.kind == SLA_BREACH, Alert.order_id.in_(chunk), Alert.status != "resolved"
        )
        standing = set(session.scalars(query))
        new = [spec for key, spec in wanted.items() if key not in standing]
        raise_alerts(session, new, now)
        gone = resolve_alerts(session, standing - set(wanted), now)
        report.raised += [spec.key for spec in new]
        report.resolved += [alert.dedupe_key for alert in gone]
    return report


def _breaches(row: ClockRow, found: Sequence[Deadline], now: datetime) -> Iterator[AlertSpec]:
    clock = row.clock
    for deadline in found:
        if deadline.due_at > now:
            continue
        limit_s = None
        if deadline.kind == "sla":
            limit_s = int((deadline.due_at - clock.stage_entered_at).total_seconds())
        since = clock.stage_entered_at if deadline.kind == "sla" else deadline.due_at
        labels = {
            "channel": clock.channel,
            "stage": clock.stage,
            "order_no": row.order_no,
            "deadline": f"{deadline.kind}:{deadline.name}",
        }
        if clock.warehouse:
            labels["warehouse"] = clock.warehouse
        yield AlertSpec(
            kind=SLA_BREACH,
            key=f"{SLA_BREACH}:{row.order_no}:{deadline.kind}:{deadline.name}",
            severity="critical" if deadline.kind == "ship_by" else "warning",
            title=f"{row.order_no} in {clock.stage} past its {deadline.name} deadline",
            details={
                "order_no": row.order_no,
                "channel": clock.channel,
                "warehouse": clock.warehouse,
                "stage": clock.stage,
                "deadline": deadline.kind,
                "rule": deadline.name,
                "rule_version": deadline.version,
                "due_at": deadline.due_at.isoformat(),
                "since": since.isoformat(),
                "limit_s": limit_s,
                "overrun_s": int(deadline.overrun(now).total_seconds()),
            },
            labels=labels,
            order_id=row.id,
            opened_at=deadline.due_at,
        )


def open_breach_orders(session: Session) -> set[int]:
    """Orders with an open breach alert (checked again to resolve what no longer holds)."""
    query = select(Alert.order_id).where(Alert.kind == SLA_BREACH, Alert.status != "resolved")
    return {order_id for order_id in session.scalars(query) if order_id is not None}


def settle(session: Session, kind: str, specs: Sequence[AlertSpec], now: datetime) -> SourceReport:
    """Raise (or refresh) ``specs`` and resolve every other open alert of ``kind``."""
    raise_alerts(session, specs, now)
    keys = {spec.key for spec in specs}
    query = select(Alert.dedupe_key).where(Alert.kind == kind, Alert.status != "resolved")
    stale = set(session.scalars(query)) - keys
    gone = resolve_alerts(session, stale, now)
    return SourceReport([spec.key for spec in specs], [a.dedupe_key for a in gone])


def check_stock(session: Session, loaded: LoadedRules, now: datetime) -> SourceReport:
    """A ``stock_low`` alert per SKU below its safety threshold (critical when none is left)."""
    specs = [
        AlertSpec(
            kind="stock_low",
            key=f"stock_low:{breach.sku}",
            severity="critical" if breach.available <= 0 else "warning",
            title=f"{breach.sku} below safety stock: {breach.available} < {breach.threshold}",
            details={
                "sku": breach.sku,
                "available": breach.available,
                "threshold": breach.threshold,
                "rule": breach.rule,
                "paused_listings": len(breach.pause),
            },
            labels={"sku": breach.sku},
        )
        for breach in stock_breaches(session, loaded)
        if breach.alert
    ]
    return settle(session, "stock_low", specs, now)


def check_quarantine(session: Session, now: datetime) -> SourceReport:
    """An ``orders_quarantined`` alert per channel with orders in quarantine."""
    query = (
        select(Channel.name, QuarantinedOrder.reason, func.count())
        .join(Channel, Channel.id == QuarantinedOrder.channel_id)
        .where(QuarantinedOrder.resolved_at.is_(None), QuarantinedOrder.dismissed_at.is_(None))
        .group_by(Channel.name, QuarantinedOrder.reason)
    )
    rows = [(channel, int(count), str(reason)) for channel, reason, count in session.execute(query)]
    specs = _per_channel("orders_quarantined", rows, "{total:order|orders} from {channel} in "
                         "quarantine: {reason}")  # fmt: skip
    return settle(session, "orders_quarantined", specs, now)


CLOSED_STAGES = ("delivered", "cancelled")


def check_writebacks(session: Session, now: datetime) -> SourceReport:
    """A ``writeback_failed`` alert per channel with shipment confirmations that gave up (a
    carrier the platform does not know, a refusal, too many failures) on orders still open;
    it resolves itself once those orders are delivered or cancelled."""
    query = (
        select(Channel.name, ChannelWriteback.last_error, func.count())
        .join(Channel, Channel.id == ChannelWriteback.channel_id)
        .join(Order, Order.id == ChannelWriteback.order_id)
        .where(ChannelWriteback.status == "failed", Order.stage.not_in(CLOSED_STAGES))
        .group_by(Channel.name, ChannelWriteback.last_error)
    )
    rows = [(channel, int(count), str(error or "")) for channel, error, count in
            session.execute(query)]  # fmt: skip
    specs = _per_channel("writeback_failed", rows, "{total} shipment confirmations to "
                         "{channel} failed: {reason}")  # fmt: skip
    return settle(session, "writeback_failed", specs, now)


def _per_channel(kind: str, rows: list[tuple[str, int, str]], title: str) -> list[AlertSpec]:
    """One warning per channel from ``(channel, count, reason)`` rows: the total and the
    commonest reason."""
    by_channel: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for channel, count, reason in rows:
        by_channel[channel].append((count, reason))
    specs = []
    for channel, reasons in sorted(by_channel.items()):
        total = sum(count for count, _reason in reasons)
        commonest = max(reasons)[1]
        specs.append(
            AlertSpec(
                kind=kind,
                key=f"{kind}:{channel}",
                severity="warning",
                title=say(title, {"total": total, "channel": channel, "reason": commonest}),
                details={"channel": channel, "count": total, "reason": commonest},
                labels={"channel": channel},
            )
        )
    return specs

"""The article's KPIs: exception interceptions, missed orders, inventory accuracy, manual
intervention, refund cycle time, and their weekly trends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from metrics.documents import (
    DayCount,
    DayExceptions,
    Distribution,
    WeekLateShipments,
    WeekProcessing,
    WeekTrend,
)
from metrics.flow import local_days
from metrics.sla import share
from metrics.spans import PROCESSING
from metrics.sql import EMPTY, Sql
from metrics.window import Scope, Window
from store.models import (
    AuditEntry,
    InventoryCount,
    MissedOrder,
    Order,
    StageEvent,
    Ticket,
    WarehouseException,
)
from store.stages import PEOPLE, Stage

REFUND_KINDS = ("refund", "return")
"""After-sales tickets whose cycle time is the article's refund cycle (退款周期)."""


@dataclass(frozen=True, slots=True)
class Interceptions:
    by_category: dict[str, int]
    """Holds in the window by category, most first."""
    per_day: list[DayExceptions]


@dataclass(frozen=True, slots=True)
class Missed:
    per_day: list[DayCount]
    total: int
    mean_per_day: float


@dataclass(frozen=True, slots=True)
class StockAccuracy:
    counted: int
    matched: int
    share: float | None


@dataclass(frozen=True, slots=True)
class Intervention:
    orders: int
    touched: int
    share: float | None


def interceptions(sql: Sql, window: Window, scope: Scope) -> Interceptions:
    """Holds (异常拦截) by category in the window: in total and per business day."""
    local = sql.local(StageEvent.at, window.start, window.end)
    day = sql.day(local)
    category = func.coalesce(StageEvent.hold_category, "uncategorised")
    query = (
        select(day, category, func.count())
        .where(
            StageEvent.to_stage == Stage.ON_HOLD.value,
            window.contains(StageEvent.at),
            *scope.of_order(StageEvent.order_id),
        )
        .group_by(day, category)
    )
    per_day: dict[str, dict[str, int]] = {d: {} for d in local_days(window)}
    totals: dict[str, int] = {}
    for when, code, n in sql.session.execute(query):
        per_day.setdefault(str(when), {})[str(code)] = int(n)
        totals[str(code)] = totals.get(str(code), 0) + int(n)
    return Interceptions(
        by_category=dict(sorted(totals.items(), key=lambda item: (-item[1], item[0]))),
        per_day=[DayExceptions(day=d, by_category=per_day[d]) for d in sorted(per_day)],
    )


def floor_exceptions(sql: Sql, window: Window, scope: Scope) -> dict[str, int]:
    """Refused scans and floor problems by code in the window."""
    where = [
        window.contains(WarehouseException.at),
        *scope.rows(warehouse=WarehouseException.warehouse),
        *Scope(channel_ids=scope.channel_ids).of_order(WarehouseException.order_id),
    ]
    query = (
        select(WarehouseException.code, func.count())
        .where(*where)
        .group_by(WarehouseException.code)
        .order_by(func.count().desc(), WarehouseException.code)
    )
    return {str(code): int(n) for code, n in sql.session.execute(query)}


def missed_orders(sql: Sql, window: Window, scope: Scope) -> Missed:
    """Orders reconciliation found that the incremental sync had missed (漏单), per day."""
    local = sql.local(MissedOrder.found_at, window.start, window.end)
    day = sql.day(local)
    where = [
        window.contains(MissedOrder.found_at),
        *scope.rows(channel_id=MissedOrder.channel_id),
        *Scope(warehouses=scope.warehouses).of_order(MissedOrder.order_id),
    ]
    query = select(day, func.count()).where(*where).group_by(day)
    counts = {str(d): int(n) for d, n in sql.session.execute(query)}
    days = local_days(window)
    total = sum(counts.values())
    return Missed(
        per_day=[DayCount(day=d, count=counts.get(d, 0)) for d in days],
        total=total,
        mean_per_day=round(total / len(days), 6),
    )


def inventory_accuracy(sql: Sql, window: Window, scope: Scope) -> StockAccuracy:
    """Share of SKUs counted in the window whose system stock matched the count; a SKU
    counted more than once counts by its latest count."""
    where = [
        window.contains(InventoryCount.counted_at),
        *scope.rows(warehouse=InventoryCount.warehouse),
    ]
    ranked = (
        select(
            InventoryCount.counted,
            InventoryCount.expected,
            func.row_number()
            .over(
                partition_by=(InventoryCount.sku, InventoryCount.warehouse),
                order_by=(InventoryCount.counted_at.desc(), InventoryCount.id.desc()),
            )
            .label("latest"),
        )
        .where(*where)
        .subquery()
    )
    matched = func.sum(case((ranked.c.counted == ranked.c.expected, 1), else_=0))
    query = select(func.count(), func.coalesce(matched, 0)).where(ranked.c.latest == 1)
    counted, hits = sql.session.execute(query).one()
    return StockAccuracy(int(counted), int(hits), share(int(hits), int(counted)))


def touched_by_person(since: datetime, order: type[Order] = Order) -> ColumnElement[bool]:
    """The order was moved from the console or the API, or a person's action is on record,
    at or after ``since`` (for orders paid since then: a person acts on a paid order, so the
    lookups read only the people's events of the window's time, not the store's history)."""
    moved = exists().where(
        StageEvent.order_id == order.id,
        StageEvent.source.in_(sorted(source.value for source in PEOPLE)),
        StageEvent.at >= since,
    )
    audited = exists().where(
        AuditEntry.entity_type == "order",
        AuditEntry.entity_id == order.order_no,
        AuditEntry.at >= since,
    )
    return or_(moved, audited)


def manual_intervention(sql: Sql, window: Window, scope: Scope) -> Intervention:
    """Orders paid in the window that a person had to touch / all orders paid in it."""
    where = [window.contains(Order.paid_at), *scope.orders()]
    total = int(sql.session.scalar(select(func.count()).where(*where)) or 0)
    touched_query = select(func.count()).where(*where, touched_by_person(window.start))
    touched = int(sql.session.scalar(touched_query) or 0)
    return Intervention(total, touched, share(touched, total))


def refund_cycle(sql: Sql, window: Window, scope: Scope) -> Distribution:
    """Days from opening to closing of refund and return tickets closed in the window."""
    value = sql.hours(Ticket.created_at, Ticket.closed_at) / 24.0
    where = [
        Ticket.kind.in_(REFUND_KINDS),
        window.contains(Ticket.closed_at),
        *scope.of_order(Ticket.order_id),
    ]
    return Distribution.of(*sql.spread(value, where))


def weekly_trends(sql: Sql, window: Window, scope: Scope) -> list[WeekTrend]:
    """Per business week (Monday start): processing time, manual intervention share and late
    shipments."""
    shipped_week = sql.week(sql.local(Order.shipped_at, window.start, window.end))
    paid_week = sql.week(sql.local(Order.paid_at, window.start, window.end))
    processing = sql.stats(
        sql.hours(PROCESSING.start_at(), PROCESSING.end_at()),
        [window.contains(Order.shipped_at), Order.paid_at.isnot(None), *scope.orders()],
        groups=(shipped_week,),
    )
    late = _by_week(
        sql,
        shipped_week,
        [window.contains(Order.shipped_at), Order.ship_by.isnot(None), *scope.orders()],
        Order.shipped_at > Order.ship_by,
    )
    manual = _by_week(
        sql,
        paid_week,
        [window.contains(Order.paid_at), *scope.orders()],
        touched_by_person(window.start),
    )
    weeks = sorted({str(k[0]) for k in processing} | set(late) | set(manual))
    return [_week_row(week, processing, late, manual) for week in weeks]


def _week_row(
    week: str,
    processing: dict[tuple[Any, ...], Any],
    late: dict[str, tuple[int, int]],
    manual: dict[str, tuple[int, int]],
) -> WeekTrend:
    stats = processing.get((week,), EMPTY)
    late_n, promised = late.get(week, (0, 0))
    touched, paid = manual.get(week, (0, 0))
    return WeekTrend(
        week=week,
        processing_time_hours=WeekProcessing(p50=_r(stats.p50), mean=_r(stats.mean)),
        shipped=stats.count,
        late_shipments=WeekLateShipments(count=late_n, share=share(late_n, promised)),
        manual_intervention_share=share(touched, paid),
    )


def _by_week(
    sql: Sql, week: Any, where: list[ColumnElement[bool]], hit: ColumnElement[bool]
) -> dict[str, tuple[int, int]]:
    """Per week: (rows matching ``hit``, all rows)."""
    query = (
        select(week, func.sum(case((hit, 1), else_=0)), func.count())
        .where(and_(*where))
        .group_by(week)
    )
    return {str(w): (int(h or 0), int(n)) for w, h, n in sql.session.execute(query)}


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)

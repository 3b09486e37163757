"""Hourly rollups per channel, warehouse and stage, kept current incrementally.

A rollup hour holds what *happened* in it (see ``MetricHourly``), so a stage move changes only
the hour it is made in. ``roll_up`` recomputes the hours since its last run, plus any older hour
that a newly arrived order or a back-dated stage event has a time in; it is cheap and safe to
call every few seconds from any number of workers (the run takes the state row's lock).
``rebuild`` recomputes a whole window, for corrections that rewrite old times without a move.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Float,
    Integer,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import Select, Subquery
from sqlalchemy.sql.elements import ColumnElement

from metrics.spans import PROCESSING, STAGE_SPANS
from metrics.sql import Sql
from store.models import MetricHourly, MetricRollupState, Order, StageEvent, utcnow
from store.models.metrics import ROLLUP_TIME_COLUMNS
from store.stages import STAGE_COLUMNS, Stage

UTC_ZONE = ZoneInfo("UTC")
ROLLUP = "hourly"
HOUR = timedelta(hours=1)
OVERLAP = timedelta(minutes=10)
"""Each run starts again this long before the previous one, for transactions that committed
late (their times fall before the run that should have seen them)."""
ID_OVERLAP = 20_000
"""New orders and events are looked for this many ids below the highest seen: ids come from
sequences and a batch that commits late has lower ids than one committed before it."""
MEASURES = (
    "entered",
    "exited",
    "dwell_hours_sum",
    "negative",
    "late",
    "promised",
    "processing_hours_sum",
    "processed",
)
ENTRY_ONLY = (Stage.DELIVERED, Stage.CANCELLED)
ADVISORY_KEY = 0x6F770006  # "ow" + issue 6: one rollup run at a time, cluster-wide


@dataclass(frozen=True, slots=True)
class RollupRun:
    """What one incremental run did."""

    hours: int
    rows: int
    first_run: bool


def floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def recompute(session: Session, start: datetime, end: datetime) -> int:
    """Replace the rollup rows of the UTC hours from ``start``'s to ``end``'s (exclusive,
    rounded up) with what the orders say now; returns the rows written."""
    first, last = floor_hour(start), floor_hour(end - timedelta(microseconds=1)) + HOUR
    session.execute(
        delete(MetricHourly).where(MetricHourly.hour >= first, MetricHourly.hour < last)
    )
    found = facts(session, first, last)
    keys = ("hour", "channel_id", "warehouse", "stage")
    totals = select(
        *(found.c[k] for k in keys), *(func.sum(found.c[m]).label(m) for m in MEASURES)
    ).group_by(*(found.c[k] for k in keys))
    written = session.execute(insert(MetricHourly).from_select([*keys, *MEASURES], totals))
    return int(written.rowcount)  # type: ignore[attr-defined]


def facts(session: Session, start: datetime, end: datetime) -> Subquery:
    """One row per order and measure with a time in ``[start, end)``: what a rollup hour is
    summed from (columns ``hour``, ``channel_id``, ``warehouse``, ``stage`` and the measures).
    The board sums it for the current hour, whose rollup is not final yet."""
    return union_all(*_fact_queries(Sql(session, UTC_ZONE), start, end)).subquery()


def _within(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return (column >= start) & (column < end)  # type: ignore[no-any-return]


def _fact_queries(sql: Sql, start: datetime, end: datetime) -> list[Select[Any]]:
    queries = []
    for stage, span in STAGE_SPANS.items():
        queries.append(_entries(sql, stage, span.start_at(), start, end))
        queries.append(_exits(sql, stage, start, end))
    for stage in ENTRY_ONLY:
        queries.append(_entries(sql, stage, getattr(Order, STAGE_COLUMNS[stage]), start, end))
    return queries


def _row(sql: Sql, moment: Any, stage: Stage, **measures: Any) -> Select[Any]:
    zero_int, zero_float = literal(0, Integer), literal(0.0, Float)
    values = [
        measures.get(m, zero_float if m.endswith("_sum") else zero_int).label(m) for m in MEASURES
    ]
    return select(
        sql.utc_hour(moment).label("hour"),
        Order.channel_id.label("channel_id"),
        func.coalesce(Order.warehouse, "").label("warehouse"),
        literal(stage.value).label("stage"),
        *values,
    )


def _flag(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return case((condition, 1), else_=0)


def _entries(sql: Sql, stage: Stage, at: Any, start: datetime, end: datetime) -> Select[Any]:
    measures: dict[str, Any] = {"entered": literal(1, Integer)}
    if stage is Stage.SHIPPED:
        processing = sql.hours(PROCESSING.start_at(), PROCESSING.end_at())
        counted = Order.paid_at.isnot(None) & (processing >= 0)
        measures |= {
            "late": _flag(Order.ship_by.isnot(None) & (Order.shipped_at > Order.ship_by)),
            "promised": _flag(Order.ship_by.isnot(None)),
            "processing_hours_sum": case((counted, processing), else_=0.0),
            "processed": _flag(counted),
        }
    return _row(sql, at, stage, **measures).where(_within(at, start, end))


def _exits(sql: Sql, stage: Stage, start: datetime, end: datetime) -> Select[Any]:
    span = STAGE_SPANS[stage]
    entered, left = span.start_at(), span.end_at()
    dwell = sql.hours(entered, left)
    # Any exit column in the range finds the candidates through its index; the coalesced
    # exit time then says exactly which of them left the stage in the range.
    candidates = or_(*(_within(getattr(Order, c), start, end) for c in span.ends))
    return _row(
        sql,
        left,
        stage,
        exited=_flag(dwell >= 0),
        dwell_hours_sum=case((dwell >= 0, dwell), else_=0.0),
        negative=_flag(dwell < 0),
    ).where(candidates, _within(left, start, end), entered.isnot(None))


def rebuild(session: Session, start: datetime, end: datetime) -> int:
    """Recompute every rollup hour of ``[start, end)``, a week at a time."""
    written = 0
    cursor = floor_hour(start)
    while cursor < end:
        step = min(cursor + timedelta(days=7), end)
        written += recompute(session, cursor, step)
        cursor = step
    return written


def roll_up(session: Session, *, now: datetime) -> RollupRun:
    """Bring the rollups up to ``now`` in the caller's transaction. Concurrent runs queue up
    (a transaction-scoped advisory lock on PostgreSQL; SQLite has one writer anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_KEY})
    state = session.get(MetricRollupState, ROLLUP)
    top_order = int(session.scalar(select(func.max(Order.id))) or 0)
    top_event = int(session.scalar(select(func.max(StageEvent.id))) or 0)
    if state is None:
        first = _earliest(session)
        rows = 0 if first is None else rebuild(session, first, floor_hour(now) + HOUR)
        session.add(MetricRollupState(name=ROLLUP, last_run_at=now, order_id_seen=top_order,
                                      event_id_seen=top_event))  # fmt: skip
        span = 0 if first is None else int((floor_hour(now) + HOUR - floor_hour(first)) / HOUR)
        return RollupRun(hours=span, rows=rows, first_run=True)
    recent = floor_hour(min(state.last_run_at, now) - OVERLAP)
    hours = _touched_hours(session, recent, state) | _hour_range(recent, floor_hour(now) + HOUR)
    rows = sum(recompute(session, a, b) for a, b in _ranges(hours))
    state.last_run_at = now
    state.order_id_seen = max(state.order_id_seen, top_order)
    state.event_id_seen = max(state.event_id_seen, top_event)
    return RollupRun(hours=len(hours), rows=rows, first_run=False)


def _earliest(session: Session) -> datetime | None:
    firsts = [session.scalar(select(func.min(getattr(Order, c)))) for c in ROLLUP_TIME_COLUMNS]
    found = [moment for moment in firsts if moment is not None]
    return min(found) if found else None


def _touched_hours(session: Session, before: datetime, state: MetricRollupState) -> set[datetime]:
    """Hours before ``before`` that new orders or new stage events have a time in."""
    sql = Sql(session, UTC_ZONE)
    queries: list[Select[Any]] = [
        select(sql.utc_hour(getattr(Order, c)).label("hour")).where(
            Order.id > state.order_id_seen - ID_OVERLAP, getattr(Order, c) < before
        )
        for c in ROLLUP_TIME_COLUMNS
    ]
    queries.append(
        select(sql.utc_hour(StageEvent.at).label("hour")).where(
            StageEvent.id > state.event_id_seen - ID_OVERLAP, StageEvent.at < before
        )
    )
    found = session.scalars(select(union_all(*queries).subquery().c.hour).distinct())
    return {floor_hour(moment) for moment in found}


def _hour_range(start: datetime, end: datetime) -> set[datetime]:
    return {start + n * HOUR for n in range(int((end - start) / HOUR))}


def _ranges(hours: Iterable[datetime]) -> list[tuple[datetime, datetime]]:
    """Contiguous runs of hours as ``[start, end)`` ranges."""
    ranges: list[tuple[datetime, datetime]] = []
    for hour in sorted(hours):
        if ranges and ranges[-1][1] == hour:
            ranges[-1] = (ranges[-1][0], hour + HOUR)
        else:
            ranges.append((hour, hour + HOUR))
    return ranges


def refresh_rollups(sessions: sessionmaker[Session]) -> RollupRun:
    """One incremental run in its own transaction, as of now: the worker's job."""
    with sessions.begin() as session:
        return roll_up(session, now=utcnow())

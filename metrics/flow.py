"""Throughput, durations and bottleneck hours over a window."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.sql.elements import ColumnElement

from metrics.documents import DayThroughput, DelayCell, Distribution, HourThroughput
from metrics.spans import DELAY_STAGES, PROCESSING, STAGE_SPANS, WAREHOUSE_NODES, Span
from metrics.sql import Key, Sql, Stats
from metrics.window import Scope, Window
from store.models import Order
from store.stages import Stage

WEEKDAYS = (
    ("周一", "Monday"),
    ("周二", "Tuesday"),
    ("周三", "Wednesday"),
    ("周四", "Thursday"),
    ("周五", "Friday"),
    ("周六", "Saturday"),
    ("周日", "Sunday"),
)
MIN_CELL_ORDERS = 3
"""A delay cell with fewer orders than this is shown but never named the worst: one slow
order is an anecdote, not a staffing problem."""


def local_hours(window: Window) -> list[str]:
    """Every business-zone hour the window touches, as ``YYYY-MM-DDTHH:00``."""
    labels: dict[str, None] = {}
    moment = window.start
    while moment < window.end:
        labels[moment.astimezone(window.zone).strftime("%Y-%m-%dT%H:00")] = None
        moment = moment.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return list(labels)


def local_days(window: Window) -> list[str]:
    """Every business-zone day the window touches, as ``YYYY-MM-DD``."""
    first = window.start.astimezone(window.zone).date()
    last = (window.end - timedelta(microseconds=1)).astimezone(window.zone).date()
    return [str(first + timedelta(days=n)) for n in range((last - first).days + 1)]


def count_by(sql: Sql, moment: Any, bucket: Any, window: Window, scope: Scope) -> dict[str, int]:
    query = (
        select(bucket, func.count())
        .where(window.contains(moment), *scope.orders())
        .group_by(bucket)
    )
    return {str(key): int(n) for key, n in sql.session.execute(query)}


@dataclass(frozen=True, slots=True)
class Throughput:
    per_hour: list[HourThroughput]
    per_day: list[DayThroughput]


def throughput(sql: Sql, window: Window, scope: Scope) -> Throughput:
    """Orders paid and orders shipped per business hour and per business day (dense)."""
    found: dict[str, dict[str, dict[str, int]]] = {"hour": {}, "day": {}}
    for name, column in (("paid", Order.paid_at), ("shipped", Order.shipped_at)):
        local = sql.local(column, window.start, window.end)
        found["hour"][name] = count_by(sql, column, sql.hour_label(local), window, scope)
        found["day"][name] = count_by(sql, column, sql.day(local), window, scope)
    hourly, daily = found["hour"], found["day"]
    return Throughput(
        per_hour=[
            HourThroughput(
                hour=h, paid=hourly["paid"].get(h, 0), shipped=hourly["shipped"].get(h, 0)
            )
            for h in local_hours(window)
        ],
        per_day=[
            DayThroughput(day=d, paid=daily["paid"].get(d, 0), shipped=daily["shipped"].get(d, 0))
            for d in local_days(window)
        ],
    )


@dataclass(frozen=True, slots=True)
class Durations:
    """A span's distribution in hours, and how many backwards durations were left out."""

    stats: Stats
    negative: int

    def distribution(self) -> Distribution:
        return Distribution.of(self.stats, self.negative)


def span_hours(sql: Sql, span: Span, window: Window, scope: Scope) -> Durations:
    """Hours spent in ``span`` by the orders whose span ended in the window."""
    return spans_hours(sql, {span.name: span}, window, scope)[span.name]


def spans_hours(
    sql: Sql, spans: Mapping[Key, Span], window: Window, scope: Scope
) -> dict[Key, Durations]:
    """``span_hours`` of each of ``spans``, in one statement."""
    series = {key: _ended_in(sql, span, window) for key, span in spans.items()}
    found = sql.spreads(series, scope.orders())
    return {key: Durations(*spread) for key, spread in found.items()}


def _ended_in(sql: Sql, span: Span, window: Window) -> tuple[Any, ColumnElement[bool]]:
    """The span's hours, and which orders ended it in the window."""
    start, end = span.start_at(), span.end_at()
    return sql.hours(start, end), and_(window.contains(end), start.isnot(None))


def processing_hours(sql: Sql, window: Window, scope: Scope) -> Durations:
    return span_hours(sql, PROCESSING, window, scope)


def stage_dwell(sql: Sql, window: Window, scope: Scope) -> dict[Stage, Durations]:
    return spans_hours(sql, STAGE_SPANS, window, scope)


def warehouse_nodes(sql: Sql, window: Window, scope: Scope) -> dict[str, Durations]:
    return spans_hours(sql, {span.name: span for span in WAREHOUSE_NODES}, window, scope)


def grid() -> list[list[Any]]:
    return [[None] * 24 for _ in range(7)]


def intake_heatmap(sql: Sql, window: Window, scope: Scope) -> list[list[int]]:
    """Orders paid per business weekday (Monday = 0) × hour of day."""
    local = sql.local(Order.paid_at, window.start, window.end)
    weekday, hour = sql.weekday(local), sql.hour_of_day(local)
    query = (
        select(weekday, hour, func.count())
        .where(window.contains(Order.paid_at), *scope.orders())
        .group_by(weekday, hour)
    )
    cells = [[0] * 24 for _ in range(7)]
    for day, hour_of_day, n in sql.session.execute(query):
        cells[int(day)][int(hour_of_day)] = int(n)
    return cells


def slowest_stage(dwell: dict[Stage, Durations]) -> Stage | None:
    """The seller's stage with the highest mean dwell in the window."""
    timed = [(d.stats.mean, stage) for stage, d in dwell.items() if stage in DELAY_STAGES]
    ranked = [(mean, stage) for mean, stage in timed if mean is not None]
    return max(ranked, key=lambda pair: pair[0])[1] if ranked else None


def delay_cells(
    sql: Sql, stage: Stage, window: Window, scope: Scope
) -> dict[tuple[int, int], Stats]:
    """Dwell in ``stage`` by the business weekday × hour the orders *entered* it, for the
    orders that left it in the window."""
    span = STAGE_SPANS[stage]
    local = sql.local(span.start_at(), window.start - timedelta(days=60), window.end)
    weekday, hour = sql.weekday(local), sql.hour_of_day(local)
    value = sql.hours(span.start_at(), span.end_at())
    where = [window.contains(span.end_at()), span.start_at().isnot(None), *scope.orders()]
    found = sql.stats(value, where, groups=(weekday, hour))
    return {(int(day), int(h)): stats for (day, h), stats in found.items()}


def cell_name(weekday: int, hour: int) -> dict[str, Any]:
    zh, en = WEEKDAYS[weekday]
    hours = f"{hour:02d}:00–{(hour + 1) % 24:02d}:00"
    return {
        "weekday": weekday,
        "hour": hour,
        "label_zh": f"{zh} {hours}",
        "label_en": f"{en} {hours}",
    }


def busiest(cells: list[list[int]]) -> dict[str, Any] | None:
    best = max(((n, d, h) for d, row in enumerate(cells) for h, n in enumerate(row)), default=None)
    if best is None or best[0] == 0:
        return None
    # max() prefers the latest cell on ties; the earliest one reads better
    top = min((d, h) for d, row in enumerate(cells) for h, n in enumerate(row) if n == best[0])
    return {**cell_name(*top), "orders": best[0]}


def worst_cells(cells: dict[tuple[int, int], Stats], *, top: int = 3) -> list[DelayCell]:
    """The cells with the highest mean dwell, worst first (cells with too few orders only
    when no cell has enough)."""
    eligible = {k: s for k, s in cells.items() if s.count >= MIN_CELL_ORDERS} or cells
    ranked = sorted(eligible.items(), key=lambda item: (-(item[1].mean or 0.0), item[0]))
    return [
        DelayCell(
            **cell_name(*key),
            orders=stats.count,
            mean_hours=round(stats.mean or 0.0, 4),
            p90_hours=None if stats.p90 is None else round(stats.p90, 4),
        )
        for key, stats in ranked[:top]
    ]

"""SQL building blocks that mean the same on PostgreSQL and SQLite: durations, hour
truncation, business-time-zone buckets and ``percentile_cont`` percentiles."""

from __future__ import annotations

import itertools
import math
from bisect import bisect_left
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    Float,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from store.models.base import UtcDateTime

Column = ColumnElement[Any] | QueryableAttribute[Any]
"""A column or any SQL expression built on columns."""
QUANTILES = (0.5, 0.9, 0.99)
Key = TypeVar("Key", bound=Hashable)


def percentile_cont(ordered: Sequence[float], fraction: float) -> float | None:
    """PostgreSQL's ``percentile_cont``: linear interpolation between the two nearest ranks
    of the sorted values; ``None`` for no values."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True, slots=True)
class Stats:
    """A distribution of durations (hours or days)."""

    count: int
    mean: float | None
    p50: float | None
    p90: float | None
    p99: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Stats:
        """Plain-Python stats of already sorted values."""
        mean = sum(values) / len(values) if values else None
        return cls(len(values), mean, *(percentile_cont(values, q) for q in QUANTILES))


EMPTY = Stats(0, None, None, None, None)


class Sql:
    """Expressions for the session's database, with the business time zone's buckets."""

    def __init__(self, session: Session, zone: ZoneInfo) -> None:
        self.session = session
        self.zone = zone
        self.postgres = session.get_bind().dialect.name == "postgresql"

    def hours(self, start: Column, end: Column) -> Column:
        """Hours from ``start`` to ``end`` as a float (negative when they go backwards)."""
        if self.postgres:
            return cast(func.extract("epoch", end - start), Float) / 3600.0
        return (func.julianday(end) - func.julianday(start)) * 24.0

    def utc_hour(self, moment: Column) -> Column:
        """Start of the UTC hour of ``moment``, typed so that it reads back as a datetime."""
        if self.postgres:
            return func.date_trunc("hour", moment, "UTC")
        return type_coerce(func.strftime("%Y-%m-%d %H:00:00.000000", moment), UtcDateTime())

    def local(self, moment: Column, start: datetime, end: datetime) -> Column:
        """``moment`` as naive business-zone time; on SQLite (which knows no zones) through the
        zone's UTC offsets between ``start`` and ``end``, daylight-saving changes included."""
        if self.postgres:
            return func.timezone(self.zone.key, moment)
        spans = utc_offsets(self.zone, start - timedelta(days=2), end + timedelta(days=2))
        if len(spans) == 1:
            return func.datetime(moment, _modifier(spans[0][1]))
        shift = case(
            *(
                (moment < literal(until, UtcDateTime()), _modifier(offset))
                for until, offset in spans[:-1]
            ),
            else_=_modifier(spans[-1][1]),
        )
        return func.datetime(moment, shift)

    def weekday(self, local: Column) -> Column:
        """Monday = 0 … Sunday = 6."""
        if self.postgres:
            return cast(func.extract("isodow", local), Integer) - 1
        return (cast(func.strftime("%w", local), Integer) + 6) % 7

    def hour_of_day(self, local: Column) -> Column:
        if self.postgres:
            return cast(func.extract("hour", local), Integer)
        return cast(func.strftime("%H", local), Integer)

    def day(self, local: Column) -> Column:
        """The local date as ``YYYY-MM-DD``."""
        if self.postgres:
            return func.to_char(local, "YYYY-MM-DD")
        return func.date(local)

    def hour_label(self, local: Column) -> Column:
        """The local hour as ``YYYY-MM-DDTHH:00``."""
        if self.postgres:
            return func.to_char(local, 'YYYY-MM-DD"T"HH24:00')
        return func.strftime("%Y-%m-%dT%H:00", local)

    def week(self, local: Column) -> Column:
        """The local Monday that starts the week, as ``YYYY-MM-DD``."""
        if self.postgres:
            return func.to_char(cast(func.date_trunc("week", local), Date), "YYYY-MM-DD")
        back = (cast(func.strftime("%w", local), Integer) + 6) % 7
        return func.date(local, func.printf("-%d days", back))

    def stats(
        self,
        value: Column,
        where: Iterable[ColumnElement[bool]],
        groups: Sequence[Column] = (),
    ) -> dict[tuple[Any, ...], Stats]:
        """Count, mean and p50/p90/p99 of ``value`` per group, leaving out negative values.

        PostgreSQL computes ``percentile_cont`` itself; SQLite has none, so its sorted values
        are fetched and interpolated the same way (the embedded store is small)."""
        conditions = [value.isnot(None), value >= 0, *where]
        if self.postgres:
            pcs = [func.percentile_cont(q).within_group(value) for q in QUANTILES]
            query = select(*groups, func.count(), func.avg(value), *pcs).where(*conditions)
            rows = self.session.execute(query.group_by(*groups)).all()
            width = len(groups)
            return {
                tuple(row[:width]): Stats(
                    int(row[width]), *(_float(v) for v in row[width + 1 : width + 5])
                )
                for row in rows
            }
        query = select(*groups, value).where(*conditions).order_by(*groups, value)
        found: dict[tuple[Any, ...], Stats] = {}
        width = len(groups)
        rows = self.session.execute(query).all()
        for key, members in itertools.groupby(rows, key=lambda row: tuple(row[:width])):
            found[key] = Stats.of([float(row[width]) for row in members])
        return found

    def spread(self, value: Column, where: Iterable[ColumnElement[bool]]) -> tuple[Stats, int]:
        """``stats`` of ``value`` over the rows of ``where``, and how many durations go
        backwards (left out of the stats), in one statement."""
        return self.spreads({0: (value, and_(*where))})[0]

    def spreads(
        self,
        series: Mapping[Key, tuple[Column, ColumnElement[bool]]],
        where: Iterable[ColumnElement[bool]] = (),
    ) -> dict[Key, tuple[Stats, int]]:
        """``spread`` of several durations, each over the rows of its own condition: one
        statement on PostgreSQL, one per duration on the embedded store."""
        if not self.postgres:
            return {name: self._sorted_spread(value, [condition, *where])
                    for name, (value, condition) in series.items()}  # fmt: skip
        aggregates: list[ColumnElement[Any]] = []
        for value, condition in series.values():
            kept = and_(condition, value >= 0)
            aggregates += [
                func.count().filter(kept), func.avg(value).filter(kept),
                *(func.percentile_cont(q).within_group(value).filter(kept) for q in QUANTILES),
                func.count().filter(and_(condition, value < 0)),
            ]  # fmt: skip
        rows = or_(*(condition for _value, condition in series.values()))
        found = self.session.execute(select(*aggregates).where(rows, *where)).one()
        width = len(aggregates) // len(series)
        spreads = {}
        for n, name in enumerate(series):
            count, mean, *quantiles, backwards = found[n * width : (n + 1) * width]
            stats = Stats(int(count), *(_float(v) for v in (mean, *quantiles)))
            spreads[name] = stats, int(backwards)
        return spreads

    def _sorted_spread(self, value: Column, where: list[ColumnElement[bool]]) -> tuple[Stats, int]:
        query = select(value).where(value.isnot(None), *where)
        values = sorted(float(v) for v in self.session.scalars(query))
        backwards = bisect_left(values, 0.0)
        return Stats.of(values[backwards:]), backwards


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _modifier(offset: timedelta) -> str:
    return f"{int(offset.total_seconds()):+d} seconds"


def utc_offsets(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, timedelta]]:
    """The zone's UTC offsets between ``start`` and ``end``: ``(until, offset)`` spans, the
    last one open-ended. Offsets change on whole hours in every zone we bucket by."""
    moment = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    current = _offset(zone, moment)
    spans: list[tuple[datetime, timedelta]] = []
    while moment < end:
        moment += timedelta(hours=1)
        offset = _offset(zone, moment)
        if offset != current:
            spans.append((moment, current))
            current = offset
    spans.append((end, current))
    return spans


def _offset(zone: ZoneInfo, moment: datetime) -> timedelta:
    return moment.astimezone(zone).utcoffset() or timedelta(0)

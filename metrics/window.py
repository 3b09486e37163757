"""The time window and the slice (channel, warehouse) a metric is computed for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from store.channels import list_channels
from store.errors import InvalidInput
from store.models import Channel, Inventory, Order
from store.timebounds import check_day, check_moment


@dataclass(frozen=True, slots=True)
class Window:
    """``[start, end)`` in UTC, reported in the business time zone ``zone``."""

    start: datetime
    end: datetime
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise InvalidInput("a metrics window needs time-zone-aware bounds")
        if self.end <= self.start:
            end, start = (_show(m, self.zone) for m in (self.end, self.start))
            raise InvalidInput(
                f"empty or inverted window: it ends ({end}) before or when it starts ({start})"
            )

    def contains(self, column: Any) -> ColumnElement[bool]:
        """``column`` falls in the window (an index range on the column)."""
        return and_(column >= self.start, column < self.end)

    def shifted(self, by: timedelta) -> Window:
        return Window(self.start + by, self.end + by, self.zone)

    def label(self) -> str:
        first = self.start.astimezone(self.zone)
        last = self.end.astimezone(self.zone)
        if first.time() == time(0) and last.time() == time(0):
            return f"{first:%Y-%m-%d}..{(last - timedelta(days=1)):%Y-%m-%d}"
        return f"{first:%Y-%m-%d %H:%M}..{last:%Y-%m-%d %H:%M}"


def _show(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def parse_moment(value: str, zone: ZoneInfo, *, end: bool) -> datetime:
    """A date (``2025-03-01``, a whole business day: an end date includes its day) or a
    date and time (naive ones are business-zone times; an end time is exclusive)."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = check_day(date.fromisoformat(text), "date")
            moment = datetime.combine(day + timedelta(days=1 if end else 0), time(0), zone)
            return moment
        parsed = check_moment(datetime.fromisoformat(text), "time")
    except ValueError:
        raise InvalidInput(
            f"cannot read {value[:40]!r} as a date (YYYY-MM-DD) or date and time (YYYY-MM-DD HH:MM)"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


def parse_window(start: str, end: str, zone: ZoneInfo) -> Window:
    """``--from START --to END`` as a window; ``END`` as a date includes that day."""
    return Window(parse_moment(start, zone, end=False), parse_moment(end, zone, end=True), zone)


PRESETS = ("today", "yesterday", "7d")
"""The board's named time ranges: the business day so far, the day before, the last 7 days."""


def preset_window(name: str, now: datetime, zone: ZoneInfo) -> Window:
    """The business-day range ``name`` (one of ``PRESETS``) as of ``now``."""
    midnight = datetime.combine(now.astimezone(zone).date(), time(0), zone)
    days = {"today": (0, 1), "yesterday": (-1, 0), "7d": (-6, 1)}.get(name)
    if days is None:
        raise InvalidInput(f"unknown range {name!r}; known: {', '.join(PRESETS)}")
    first, last = days
    return Window(midnight + timedelta(days=first), midnight + timedelta(days=last), zone)


def board_window(
    preset: str | None, start: str | None, end: str | None, *, now: datetime, zone: ZoneInfo
) -> Window:
    """The board's range: ``start``..``end`` (business days, both or neither), else a preset
    (today when none is named)."""
    if (start is None) != (end is None):
        raise InvalidInput("give both from and to (YYYY-MM-DD), or neither")
    if start is not None and end is not None:
        return parse_window(start, end, zone)
    return preset_window(preset or "today", now, zone)


def parse_range(value: str, zone: ZoneInfo) -> Window:
    """``A..B`` (as in ``--before 2025-01-01..2025-01-31``) as a window."""
    first, dots, last = value.partition("..")
    if not dots or not first.strip() or not last.strip():
        raise InvalidInput(f"cannot read {value!r} as a period: write START..END")
    return parse_window(first, last, zone)


@dataclass(frozen=True, slots=True)
class Scope:
    """Which orders count: all, or those of some channels, some warehouses, or both.

    The one place a slice becomes SQL: every metric asks the scope for its conditions, on the
    orders table or on any table with a channel and a warehouse column (rollups, floor facts)."""

    channel_ids: tuple[int, ...] = ()
    warehouses: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    """The channels' names, in the order of ``channel_ids`` (for describing the scope)."""

    @property
    def everything(self) -> bool:
        return not self.channel_ids and not self.warehouses

    def orders(self, order: Any = Order) -> list[ColumnElement[bool]]:
        """Conditions on ``orders`` (or an alias of it) for this scope."""
        return self.rows(channel_id=order.channel_id, warehouse=order.warehouse)

    def rows(self, *, channel_id: Any = None, warehouse: Any = None) -> list[ColumnElement[bool]]:
        """Conditions on a table's channel and warehouse columns; ``None`` for a column the
        table lacks (the caller then ties its rows to orders with ``of_order``)."""
        found: list[ColumnElement[bool]] = []
        if self.channel_ids and channel_id is not None:
            found.append(_one_of(channel_id, self.channel_ids))
        if self.warehouses and warehouse is not None:
            found.append(_one_of(warehouse, self.warehouses))
        return found

    def of_order(self, order_id: Any) -> list[ColumnElement[bool]]:
        """Conditions tying a row with ``order_id`` to an order in the scope."""
        if self.everything:
            return []
        return [exists().where(Order.id == order_id, *self.orders())]

    def describe(self) -> dict[str, str | None]:
        """The metrics document's ``scope``: each part's names joined by commas, or null."""
        return {
            "channel": ",".join(self.channels) or None,
            "warehouse": ",".join(self.warehouses) or None,
        }


def _one_of(column: Any, values: tuple[Any, ...]) -> ColumnElement[bool]:
    return column == values[0] if len(values) == 1 else column.in_(values)  # type: ignore[no-any-return]


def resolve_scope(
    session: Session, *, channels: Sequence[str] = (), warehouses: Sequence[str] = ()
) -> Scope:
    """The scope of channel names and warehouse codes, which must all be known."""
    known = {c.name: c.id for c in list_channels(session)}
    unknown = [name for name in channels if name not in known]
    if unknown:
        names = ", ".join(known) or "none"
        raise InvalidInput(f"unknown channel {unknown[0]!r}; known channels: {names}")
    for warehouse in warehouses:
        if not _warehouse_known(session, warehouse):
            raise InvalidInput(f"unknown warehouse {warehouse!r}: no order or stock is kept there")
    chosen = tuple(dict.fromkeys(channels))
    return Scope(
        channel_ids=tuple(known[name] for name in chosen),
        warehouses=tuple(dict.fromkeys(warehouses)),
        channels=chosen,
    )


def known_warehouses(session: Session) -> list[str]:
    """Warehouse codes that hold stock or receive a channel's orders (small tables only)."""
    stocked = select(Inventory.warehouse).distinct()
    routed = select(Channel.default_warehouse).where(Channel.default_warehouse.isnot(None))
    return sorted({str(code) for code in session.scalars(stocked.union(routed))})


def _warehouse_known(session: Session, warehouse: str) -> bool:
    in_orders = exists().where(Order.warehouse == warehouse)
    in_stock = exists().where(Inventory.warehouse == warehouse)
    return bool(session.scalar(select(in_orders | in_stock)))

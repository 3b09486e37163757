"""The time window and the slice (channel, warehouse) a metric is computed for."""

from __future__ import annotations

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
            day = date.fromisoformat(text)
            moment = datetime.combine(day + timedelta(days=1 if end else 0), time(0), zone)
            return moment
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"cannot read {value!r} as a date (YYYY-MM-DD) or date and time (YYYY-MM-DD HH:MM)"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


def parse_window(start: str, end: str, zone: ZoneInfo) -> Window:
    """``--from START --to END`` as a window; ``END`` as a date includes that day."""
    return Window(parse_moment(start, zone, end=False), parse_moment(end, zone, end=True), zone)


def parse_range(value: str, zone: ZoneInfo) -> Window:
    """``A..B`` (as in ``--before 2025-01-01..2025-01-31``) as a window."""
    first, dots, last = value.partition("..")
    if not dots or not first.strip() or not last.strip():
        raise InvalidInput(f"cannot read {value!r} as a period: write START..END")
    return parse_window(first, last, zone)


@dataclass(frozen=True, slots=True)
class Scope:
    """Which orders count: all, or one channel's, or one warehouse's, or both."""

    channel_id: int | None = None
    warehouse: str | None = None
    channel: str | None = None

    def orders(self) -> list[ColumnElement[bool]]:
        """Conditions on ``orders`` for this scope."""
        found: list[ColumnElement[bool]] = []
        if self.channel_id is not None:
            found.append(Order.channel_id == self.channel_id)
        if self.warehouse is not None:
            found.append(Order.warehouse == self.warehouse)
        return found

    def describe(self) -> dict[str, str | None]:
        return {"channel": self.channel, "warehouse": self.warehouse}


def resolve_scope(session: Session, *, channel: str | None, warehouse: str | None) -> Scope:
    """The scope for a channel name and a warehouse code, which must both be known."""
    channel_id = None
    if channel is not None:
        channel_id = session.scalar(select(Channel.id).where(Channel.name == channel))
        if channel_id is None:
            names = ", ".join(c.name for c in list_channels(session)) or "none"
            raise InvalidInput(f"unknown channel {channel!r}; known channels: {names}")
    if warehouse is not None and not _warehouse_known(session, warehouse):
        raise InvalidInput(f"unknown warehouse {warehouse!r}: no order or stock is kept there")
    return Scope(channel_id=channel_id, warehouse=warehouse, channel=channel)


def _warehouse_known(session: Session, warehouse: str) -> bool:
    in_orders = exists().where(Order.warehouse == warehouse)
    in_stock = exists().where(Inventory.warehouse == warehouse)
    return bool(session.scalar(select(in_orders | in_stock)))

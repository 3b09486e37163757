"""The stuck-order worklist (异常/超时订单): open orders filtered, sorted and paged.

Every filter narrows an indexed column of ``orders``: the stage list (``ix_orders_stage_entered``,
whose second column also serves the age filter), the SLA state (``ix_orders_next_deadline_at``)
and the order number prefix (its unique index, as a range). Channel names become ids first
from the small ``channels`` table, so the query never joins to filter. A page is one query and
its row count another, whatever the size of the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from store.errors import InvalidInput
from store.models import Channel, HoldCategory, Order
from store.stages import OPEN_STAGES

DUE_SOON = timedelta(minutes=30)
"""An order whose next deadline is this close is "due soon" rather than on time."""
MAX_PAGE = 1000


class SlaState(StrEnum):
    BREACHED = "breached"
    """Its earliest deadline has passed."""
    DUE_SOON = "due_soon"
    """Due within ``DUE_SOON``."""
    ON_TIME = "on_time"
    """Due later, or no deadline applies."""


SORTABLE: dict[str, Any] = {
    "order_no": Order.order_no,
    "stage": Order.stage,
    "channel": Order.channel_id,
    "warehouse": Order.warehouse,
    "stage_entered_at": Order.stage_entered_at,
    "next_deadline_at": Order.next_deadline_at,
    "hold_category": Order.hold_category,
    "assignee": Order.assignee,
    "amount": Order.amount,
    "ship_by": Order.ship_by,
}
"""Columns the worklist sorts on, by the names its rows use."""


@dataclass(frozen=True, slots=True)
class WorkFilter:
    """What a supervisor narrows the worklist to; an empty tuple means "any"."""

    stages: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    """Channel names."""
    warehouses: tuple[str, ...] = ()
    sla: tuple[str, ...] = ()
    """``SlaState`` values."""
    hold_categories: tuple[str, ...] = ()
    pickers: tuple[str, ...] = ()
    min_age_h: float | None = None
    """At least this long in its current stage."""
    max_age_h: float | None = None
    order_no: str | None = None
    """An order number or its beginning (``OW00001``)."""


@dataclass(frozen=True, slots=True)
class SortKey:
    column: str
    descending: bool = False


@dataclass(frozen=True, slots=True)
class WorkRow:
    """One open order as the worklist shows it."""

    order_no: str
    channel: str
    stage: str
    stage_entered_at: datetime
    hold_category: str | None
    held_from_stage: str | None
    warehouse: str | None
    assignee: str | None
    amount: Decimal
    payment_method: str | None
    ship_by: datetime | None
    next_deadline_at: datetime | None
    version: int

    def sla_state(self, now: datetime) -> SlaState:
        return sla_state(self.next_deadline_at, now)


@dataclass(frozen=True, slots=True)
class WorkPage:
    rows: list[WorkRow] = field(default_factory=list)
    total: int = 0
    """Rows matching the filter, over all pages."""


def sla_state(deadline: datetime | None, now: datetime) -> SlaState:
    if deadline is None or deadline > now + DUE_SOON:
        return SlaState.ON_TIME
    return SlaState.BREACHED if deadline <= now else SlaState.DUE_SOON


def worklist(
    session: Session,
    filters: WorkFilter,
    *,
    now: datetime,
    sort: Sequence[SortKey] = (),
    offset: int = 0,
    limit: int = 100,
) -> WorkPage:
    """One page of the open orders matching ``filters`` and how many match in all.

    Default order: most urgent first (earliest deadline, orders without one last), then the
    longest in their stage. Raises ``InvalidInput`` for a filter that can match nothing by
    construction (an unknown channel, a closed stage, a minimum age above the maximum).
    """
    if offset < 0 or not 0 < limit <= MAX_PAGE:
        raise InvalidInput(f"page must start at 0 or later and hold 1–{MAX_PAGE} rows")
    where = _conditions(session, filters, now)
    names = _channel_names(session)
    total = session.scalar(select(func.count()).select_from(Order).where(*where)) or 0
    query = _rows_query(where, sort).offset(offset).limit(limit)
    rows = [_row(row, names) for row in session.execute(query)]
    return WorkPage(rows=rows, total=int(total))


def _rows_query(
    where: list[ColumnElement[bool]], sort: Sequence[SortKey]
) -> Select[*tuple[Any, ...]]:
    order_by: list[Any] = []
    for key in sort:
        column = SORTABLE.get(key.column)
        if column is None:
            known = ", ".join(SORTABLE)
            raise InvalidInput(f"cannot sort on {key.column!r}; sortable columns: {known}")
        # Empty values last either way (PostgreSQL would put them first when descending).
        order_by.append((column.desc() if key.descending else column.asc()).nulls_last())
    if not sort:
        order_by = [Order.next_deadline_at.asc().nulls_last()]
    order_by += [Order.stage_entered_at, Order.id]  # a stable order across pages
    return select(*_COLUMNS).where(*where).order_by(*order_by)


_COLUMNS = (
    Order.order_no,
    Order.channel_id,
    Order.stage,
    Order.stage_entered_at,
    Order.hold_category,
    Order.held_from_stage,
    Order.warehouse,
    Order.assignee,
    Order.amount,
    Order.payment_method,
    Order.ship_by,
    Order.next_deadline_at,
    Order.version,
)


def _row(row: Any, channel_names: dict[int, str]) -> WorkRow:
    values = row._mapping
    return WorkRow(
        order_no=values["order_no"],
        channel=channel_names.get(values["channel_id"], str(values["channel_id"])),
        **{name: values[name] for name in _ROW_FIELDS},
    )


_ROW_FIELDS = tuple(c.key for c in _COLUMNS if c.key not in {"order_no", "channel_id"})


def _conditions(session: Session, filters: WorkFilter, now: datetime) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Order.stage.in_(_stages(filters.stages))]
    if filters.channels:
        where.append(Order.channel_id.in_(_channel_ids(session, filters.channels)))
    if filters.warehouses:
        where.append(Order.warehouse.in_(filters.warehouses))
    if filters.hold_categories:
        _check_categories(session, filters.hold_categories)
        where.append(Order.hold_category.in_(filters.hold_categories))
    if filters.pickers:
        where.append(Order.assignee.in_(filters.pickers))
    if filters.sla:
        where.append(or_(*(_sla_condition(state, now) for state in _sla_states(filters.sla))))
    where += _age_conditions(filters.min_age_h, filters.max_age_h, now)
    if filters.order_no:
        where += _prefix(filters.order_no)
    return where


def _stages(codes: tuple[str, ...]) -> list[str]:
    if not codes:
        return [s.value for s in OPEN_STAGES]
    known = {s.value for s in OPEN_STAGES}
    for code in codes:
        if code not in known:
            raise InvalidInput(
                f"stage {code!r} is not an open stage; open stages: {', '.join(sorted(known))}"
            )
    return list(codes)


def _channel_names(session: Session) -> dict[int, str]:
    return {row.id: row.name for row in session.execute(select(Channel.id, Channel.name))}


def _channel_ids(session: Session, names: tuple[str, ...]) -> list[int]:
    ids = {row.name: row.id for row in session.execute(select(Channel.id, Channel.name))}
    unknown = [name for name in names if name not in ids]
    if unknown:
        raise InvalidInput(f"unknown channel {unknown[0]!r}; channels: {', '.join(sorted(ids))}")
    return [ids[name] for name in names]


def _check_categories(session: Session, codes: tuple[str, ...]) -> None:
    known = set(session.scalars(select(HoldCategory.code)))
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise InvalidInput(
            f"unknown hold category {unknown[0]!r}; categories: {', '.join(sorted(known))}"
        )


def _sla_states(values: tuple[str, ...]) -> list[SlaState]:
    try:
        return [SlaState(value) for value in values]
    except ValueError:
        known = ", ".join(s.value for s in SlaState)
        raise InvalidInput(f"unknown SLA state in {list(values)}; known: {known}") from None


def _sla_condition(state: SlaState, now: datetime) -> ColumnElement[bool]:
    deadline = Order.next_deadline_at
    if state is SlaState.BREACHED:
        return deadline <= now
    if state is SlaState.DUE_SOON:
        return and_(deadline > now, deadline <= now + DUE_SOON)
    return or_(deadline.is_(None), deadline > now + DUE_SOON)


def _age_conditions(
    min_h: float | None, max_h: float | None, now: datetime
) -> list[ColumnElement[bool]]:
    for value in (min_h, max_h):
        if value is not None and not 0 <= value <= 24 * 365:
            raise InvalidInput(f"age {value} h must be between 0 and one year")
    if min_h is not None and max_h is not None and min_h > max_h:
        raise InvalidInput(f"minimum age {min_h} h is above the maximum age {max_h} h")
    where = []
    if min_h is not None:
        where.append(Order.stage_entered_at <= now - timedelta(hours=min_h))
    if max_h is not None:
        where.append(Order.stage_entered_at >= now - timedelta(hours=max_h))
    return where


def _prefix(text: str) -> list[ColumnElement[bool]]:
    """A range on the unique index: ``LIKE 'OW1%'`` uses no index outside the C collation."""
    prefix = text.strip().upper()
    if not prefix.isascii() or not prefix.isprintable() or len(prefix) > 16:
        raise InvalidInput(f"order number {text!r} must be up to 16 letters and digits")
    return [Order.order_no >= prefix, Order.order_no < prefix + "\x7f"]

"""Stock per warehouse: reserving it for orders, receiving it, counting it.

Available stock is ``on_hand - reserved``. Every change of an inventory row is one conditional
``UPDATE``, so two transactions can never both take the last unit: on PostgreSQL the second
waits for the first's row lock and then re-checks its ``WHERE`` against the committed row.
Rows are always touched in (warehouse, sku) order, so two writers never wait on each other in
a circle (deadlock).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from store.errors import InvalidInput
from store.idempotency import check_repeat
from store.models import (
    Base,
    Inventory,
    InventoryCount,
    Order,
    OrderItem,
    Reservation,
    Sku,
    StockReceipt,
    utcnow,
)
from store.stages import Stage


@dataclass(frozen=True, slots=True)
class Shortage:
    """A SKU an order needs more of than its warehouse has available."""

    sku: str
    needed: int
    available: int

    def describe(self) -> str:
        return f"{self.sku} needs {self.needed}, {self.available} available"


@dataclass(frozen=True, slots=True)
class StockLevel:
    sku: str
    warehouse: str
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def reserve_order(session: Session, order: Order) -> list[Shortage]:
    """Reserve every line of ``order`` in its warehouse, all or nothing.

    Returns the shortages (and reserves nothing) when any SKU lacks stock.
    """
    if order.warehouse is None:
        raise InvalidInput(f"order {order.order_no} names no warehouse to reserve stock in")
    needs = _needs(order.items)
    with session.begin_nested() as savepoint:
        warehouse = order.warehouse
        missing = [sku for sku, qty in needs.items() if not _take(session, warehouse, sku, qty)]
        if missing:
            savepoint.rollback()
    if missing:
        levels = stock_levels(session, order.warehouse, missing)
        return [Shortage(sku, needs[sku], _available(levels, sku)) for sku in missing]
    session.execute(
        insert(Reservation),
        [
            {
                "order_id": order.id,
                "line_no": item.line_no,
                "sku": item.sku,
                "warehouse": order.warehouse,
                "quantity": item.quantity,
            }
            for item in order.items
        ],
    )
    return []


def _needs(items: Iterable[OrderItem]) -> dict[str, int]:
    """Units per SKU, in SKU order (the lock order)."""
    needs: dict[str, int] = defaultdict(int)
    for item in items:
        needs[item.sku] += item.quantity
    return dict(sorted(needs.items()))


def _take(session: Session, warehouse: str, sku: str, quantity: int) -> bool:
    taken = session.execute(
        update(Inventory)
        .where(
            Inventory.sku == sku,
            Inventory.warehouse == warehouse,
            Inventory.on_hand - Inventory.reserved >= quantity,
        )
        .values(reserved=Inventory.reserved + quantity, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(taken.rowcount)  # type: ignore[attr-defined]


def _available(levels: Sequence[StockLevel], sku: str) -> int:
    return next((level.available for level in levels if level.sku == sku), 0)


def stock_levels(
    session: Session, warehouse: str | None = None, skus: Sequence[str] | None = None
) -> list[StockLevel]:
    query = select(Inventory).order_by(Inventory.warehouse, Inventory.sku)
    if warehouse is not None:
        query = query.where(Inventory.warehouse == warehouse)
    if skus is not None:
        query = query.where(Inventory.sku.in_(skus))
    return [
        StockLevel(row.sku, row.warehouse, row.on_hand, row.reserved)
        for row in session.scalars(query)
    ]


def free_reservations(session: Session, order_ids: Sequence[int], *, consume: bool) -> int:
    """Give back (cancelled order) or use up (shipped order) the stock held for orders.

    ``consume`` takes the units off the shelf as well: on hand and reserved both drop.
    Returns the number of order lines settled.
    """
    if not order_ids:
        return 0
    held = session.execute(
        select(Reservation.warehouse, Reservation.sku, func.sum(Reservation.quantity))
        .where(Reservation.order_id.in_(order_ids))
        .group_by(Reservation.warehouse, Reservation.sku)
        .order_by(Reservation.warehouse, Reservation.sku)
    ).all()
    if not held:
        return 0
    # One executemany in (warehouse, sku) order: the lock order every stock writer keeps.
    stock = _INVENTORY.c
    on_hand = stock.on_hand - bindparam("p_qty") if consume else stock.on_hand
    session.execute(
        update(_INVENTORY)
        .where(stock.warehouse == bindparam("p_wh"), stock.sku == bindparam("p_sku"))
        .values(reserved=stock.reserved - bindparam("p_qty"), on_hand=on_hand, updated_at=utcnow()),
        [{"p_wh": wh, "p_sku": sku, "p_qty": int(qty)} for wh, sku, qty in held],
    )
    deleted = session.execute(delete(_RESERVATIONS).where(_RESERVATIONS.c.order_id.in_(order_ids)))
    return int(deleted.rowcount)  # type: ignore[attr-defined]


_INVENTORY: Table = Inventory.__table__  # type: ignore[assignment]
_RESERVATIONS: Table = Reservation.__table__  # type: ignore[assignment]


def settle_reservations(session: Session) -> int:
    """Settle the stock of orders that left the warehouse flow without a handheld scan: a
    channel cancelled them (stock back to available) or reports them shipped (stock gone).

    Channel updates arrive through the set-based upsert, which does not touch stock, so the
    release job calls this before it reserves anything.
    """
    settled = 0
    for stages, consume in (
        ((Stage.CANCELLED,), False),
        ((Stage.SHIPPED, Stage.DELIVERED), True),
    ):
        order_ids = list(
            session.scalars(
                select(Reservation.order_id)
                .join(Order, Order.id == Reservation.order_id)
                .where(Order.stage.in_([s.value for s in stages]))
                .distinct()
            )
        )
        settled += free_reservations(session, order_ids, consume=consume)
    return settled


@dataclass(frozen=True, slots=True)
class Receipt:
    """The outcome of a stock receipt; ``duplicate`` when its id had been received before."""

    receipt_id: str
    warehouse: str
    levels: list[StockLevel]
    duplicate: bool


def receive_stock(
    session: Session,
    *,
    receipt_id: str,
    warehouse: str,
    lines: Mapping[str, int],
    received_by: str,
    at: datetime | None = None,
) -> Receipt:
    """Add received units to on-hand stock, once per ``receipt_id``.

    A SKU the store has not seen yet is created: goods that physically arrived exist.
    """
    if any(quantity <= 0 for quantity in lines.values()):
        raise InvalidInput("received quantities must be positive")
    skus = sorted(lines)
    seen = session.scalar(select(StockReceipt).where(StockReceipt.receipt_id == receipt_id))
    if seen is not None:
        check_repeat(
            "receipt_id",
            receipt_id,
            {"warehouse": seen.warehouse, "lines": dict(sorted(seen.lines.items()))},
            {"warehouse": warehouse, "lines": {sku: lines[sku] for sku in skus}},
        )
        levels = stock_levels(session, seen.warehouse, skus)
        return Receipt(receipt_id, seen.warehouse, levels, duplicate=True)
    _ensure_stock_rows(session, warehouse, skus)
    for sku in skus:
        session.execute(
            update(Inventory)
            .where(Inventory.warehouse == warehouse, Inventory.sku == sku)
            .values(on_hand=Inventory.on_hand + lines[sku], updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    session.add(
        StockReceipt(
            receipt_id=receipt_id,
            warehouse=warehouse,
            lines={sku: lines[sku] for sku in skus},
            received_by=received_by,
            received_at=at or utcnow(),
        )
    )
    session.flush()
    return Receipt(receipt_id, warehouse, stock_levels(session, warehouse, skus), duplicate=False)


def _ensure_stock_rows(session: Session, warehouse: str, skus: Sequence[str]) -> None:
    # INSERT … ON CONFLICT DO NOTHING: a concurrent receipt of the same new SKU is no error.
    insert_ignore(session, Sku, [{"code": code} for code in skus], ["code"])
    insert_ignore(
        session,
        Inventory,
        [{"sku": code, "warehouse": warehouse, "on_hand": 0, "reserved": 0} for code in skus],
        ["sku", "warehouse"],
    )


def insert_ignore(
    session: Session, model: type[Base], rows: list[dict[str, Any]], keys: list[str]
) -> None:
    """Insert ``rows``, skipping those whose ``keys`` exist already (PostgreSQL and SQLite)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    builder = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = builder(model).on_conflict_do_nothing(index_elements=keys)
    session.execute(statement, rows)


@dataclass(frozen=True, slots=True)
class CountInput:
    sku: str
    counted: int
    location: str | None = None


def record_counts(
    session: Session,
    *,
    warehouse: str,
    counts: Sequence[CountInput],
    counted_by: str,
    at: datetime | None = None,
) -> list[InventoryCount]:
    """Keep physical counts beside the on-hand stock the system held at that moment.

    The stock itself is left as it is: a count that disagrees is a finding for the
    inventory-accuracy KPI and for a person to resolve, not an automatic correction.
    """
    if any(count.counted < 0 for count in counts):
        raise InvalidInput("a counted quantity cannot be negative")
    skus = sorted({count.sku for count in counts})
    _ensure_stock_rows(session, warehouse, skus)
    on_hand = {level.sku: level.on_hand for level in stock_levels(session, warehouse, skus)}
    when = at or utcnow()
    rows = [
        InventoryCount(
            sku=count.sku,
            warehouse=warehouse,
            location=count.location,
            counted=count.counted,
            expected=on_hand[count.sku],
            counted_at=when,
            counted_by=counted_by,
        )
        for count in counts
    ]
    session.add_all(rows)
    session.flush()
    return rows

"""Pick tasks: who picks which released order, and in which order they should be picked.

A console button and the REST API both assign through ``assign_picker``; a handheld claims
unassigned work with ``claim_order``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from store.audit import write_audit
from store.errors import Conflict, InvalidInput
from store.events import record_change
from store.models import Order, utcnow
from store.orders import get_order
from store.stages import Stage

ASSIGNABLE = frozenset({Stage.AWAITING_PICK, Stage.PICKED, Stage.PACKED, Stage.ON_HOLD})
"""Orders still on the warehouse floor, which a supervisor may give to a picker."""


@dataclass(frozen=True, slots=True)
class TaskLine:
    line_no: int
    sku: str
    name: str | None
    quantity: int
    picked_quantity: int


@dataclass(frozen=True, slots=True)
class PickTask:
    order_no: str
    warehouse: str | None
    assignee: str | None
    ship_by: datetime | None
    awaiting_pick_at: datetime | None
    lines: list[TaskLine]


def pick_tasks(
    session: Session, *, picker: str | None, warehouse: str | None = None, limit: int = 50
) -> list[PickTask]:
    """Orders awaiting pick, oldest promise first (``ship_by``, then release time).

    ``picker`` selects that picker's orders; ``None`` selects unassigned ones.
    """
    query = (
        select(Order)
        .options(selectinload(Order.items))
        .where(Order.stage == Stage.AWAITING_PICK.value)
        .order_by(
            Order.ship_by.is_(None), Order.ship_by, Order.awaiting_pick_at, Order.id
        )  # no promise sorts last
        .limit(limit)
    )
    query = query.where(Order.assignee == picker if picker else Order.assignee.is_(None))
    if warehouse is not None:
        query = query.where(Order.warehouse == warehouse)
    return [_task(order) for order in session.scalars(query)]


def _task(order: Order) -> PickTask:
    return PickTask(
        order_no=order.order_no,
        warehouse=order.warehouse,
        assignee=order.assignee,
        ship_by=order.ship_by,
        awaiting_pick_at=order.awaiting_pick_at,
        lines=[
            TaskLine(i.line_no, i.sku, i.name, i.quantity, i.picked_quantity) for i in order.items
        ],
    )


def claim_order(session: Session, *, order_no: str, picker: str) -> PickTask:
    """Give an unassigned order awaiting pick to ``picker``; claiming one's own is a no-op.

    One conditional UPDATE, so two pickers claiming at once cannot both get it.
    """
    _check_picker(picker)
    claimed = session.execute(
        update(Order)
        .where(
            Order.order_no == order_no,
            Order.stage == Stage.AWAITING_PICK.value,
            Order.assignee.is_(None),
        )
        .values(assignee=picker, version=Order.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    order = get_order(session, order_no)
    if not claimed.rowcount and order.assignee != picker:  # type: ignore[attr-defined]
        if order.stage != Stage.AWAITING_PICK.value:
            raise Conflict(f"order {order_no} is {order.stage}, not awaiting pick", code="not_open")
        raise Conflict(f"order {order_no} is assigned to {order.assignee}", code="already_assigned")
    return _task(order)


def assign_picker(session: Session, *, order_no: str, picker: str | None, actor: str) -> PickTask:
    """A supervisor gives an order to ``picker`` (``None``: back to the unassigned pool);
    audited."""
    if picker is not None:
        _check_picker(picker)
    order = get_order(session, order_no, for_update=True)
    if Stage(order.stage) not in ASSIGNABLE:
        raise Conflict(
            f"order {order_no} is {order.stage}; only orders on the warehouse floor "
            "(awaiting pick, picked, packed, on hold) can be assigned",
            code="not_assignable",
        )
    before = order.assignee
    if before != picker:
        order.assignee = picker
        order.version += 1
        write_audit(
            session,
            actor=actor,
            action="order.assigned" if before is None else "order.reassigned",
            entity_type="order",
            entity_id=order_no,
            before={"assignee": before},
            after={"assignee": picker},
        )
        session.flush()
        record_change(session, order.order_no, order.stage, utcnow())
    return _task(order)


def _check_picker(picker: str) -> None:
    if not picker.strip() or len(picker) > 64:
        raise InvalidInput(f"picker name {picker!r} must be 1–64 characters")

"""Reading orders: by internal number or channel id, with items and their stage timeline."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction, selectinload

from store.channels import get_channel
from store.errors import NotFound
from store.models import Channel, ChannelWriteback, Order, StageEvent
from store.privacy import buyer_of
from store.stages import STAGE_COLUMNS, Stage

_LOCKED = "orderwatch.locked_orders"
"""``session.info`` key: the orders the session's transaction holds ``FOR UPDATE``. Asking
for one again needs no query: a row lock lasts until the transaction ends, and a select
would hand back the same object from the identity map anyway."""


def get_order(session: Session, order_no: str, *, for_update: bool = False) -> Order:
    locked: dict[str, Order] = session.info.get(_LOCKED, {})
    if order_no in locked:
        return locked[order_no]
    query = select(Order).where(Order.order_no == order_no)
    if for_update:
        query = query.with_for_update()
    order = session.scalar(query)
    if order is None:
        raise NotFound("order", f"unknown order {order_no!r}")
    if for_update:
        session.info.setdefault(_LOCKED, {})[order_no] = order
    return order


def lock_orders(session: Session, order_nos: Collection[str]) -> None:
    """Lock a batch's orders in one statement, in id order so that two batches over the
    same orders wait for each other instead of deadlocking; unknown numbers are skipped."""
    query = select(Order).where(Order.order_no.in_(order_nos)).order_by(Order.id)
    found = session.scalars(query.with_for_update())
    session.info.setdefault(_LOCKED, {}).update({order.order_no: order for order in found})


@event.listens_for(Session, "after_soft_rollback")
def _forget_locks_after_rollback(session: Session, _previous: SessionTransaction) -> None:
    # also a savepoint's rollback: the locks taken inside it are released with it
    session.info.pop(_LOCKED, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_locks_at_the_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_LOCKED, None)


def find_order(session: Session, channel: str, channel_order_id: str) -> Order:
    """The order a channel knows as ``channel_order_id``."""
    channel_row = get_channel(session, channel)
    order = session.scalar(
        select(Order)
        .options(selectinload(Order.items))
        .where(Order.channel_id == channel_row.id, Order.channel_order_id == channel_order_id)
    )
    if order is None:
        raise NotFound("order", f"channel {channel!r} has no order {channel_order_id!r}")
    return order


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One step of an order's life: its arrival from the channel, then each stage move."""

    from_stage: str | None
    to_stage: str
    at: datetime
    source: str
    actor: str | None
    hold_category: str | None = None
    note: str | None = None


def timeline(session: Session, order: Order) -> list[TimelineEntry]:
    """The order's arrival followed by every stage event, in the order they happened."""
    query = (
        select(StageEvent)
        .where(StageEvent.order_id == order.id)
        .order_by(StageEvent.at, StageEvent.id)
    )
    moves = [
        TimelineEntry(e.from_stage, e.to_stage, e.at, e.source, e.actor, e.hold_category, e.note)
        for e in session.scalars(query)
    ]
    first = moves[0].from_stage if moves else order.stage
    arrived = getattr(order, STAGE_COLUMNS[Stage(first)]) if first else None
    arrival = TimelineEntry(
        from_stage=None,
        to_stage=str(first),
        at=arrived or order.created_at,
        source="channel",
        actor=get_channel_name(session, order.channel_id),
    )
    return [arrival, *moves]


def order_document(
    session: Session, order: Order, *, reveal_personal_data: bool = False
) -> dict[str, object]:
    """The order, its lines and its timeline as plain JSON-ready data.

    Buyer name, phone and address are masked unless the caller's role needs them.
    """
    return {
        "order_no": order.order_no,
        "channel": get_channel_name(session, order.channel_id),
        "channel_order_id": order.channel_order_id,
        "stage": order.stage,
        "stage_entered_at": _iso(order.stage_entered_at),
        "hold_category": order.hold_category,
        "held_from_stage": order.held_from_stage,
        "amount": str(order.amount),
        "payment_method": order.payment_method,
        "warehouse": order.warehouse,
        "assignee": order.assignee,
        "ship_by": _iso(order.ship_by),
        "created_at": _iso(order.created_at),
        "paid_at": _iso(order.paid_at),
        "stage_times": {stage.value: _iso(getattr(order, STAGE_COLUMNS[stage])) for stage in Stage}
        | {"first_picked": _iso(order.first_picked_at)},
        "version": order.version,
        "buyer": buyer_of(order, reveal=reveal_personal_data),
        "items": [
            {
                "line_no": item.line_no,
                "sku": item.sku,
                "name": item.name,
                "quantity": item.quantity,
                "picked_quantity": item.picked_quantity,
                "unit_price": str(item.unit_price),
            }
            for item in order.items
        ],
        "timeline": [
            {
                "from": event.from_stage,
                "to": event.to_stage,
                "at": _iso(event.at),
                "source": event.source,
                "actor": event.actor,
                "hold_category": event.hold_category,
                "note": event.note,
            }
            for event in timeline(session, order)
        ],
        "channel_writebacks": _writebacks(session, order.id),
    }


def _writebacks(session: Session, order_id: int) -> list[dict[str, object]]:
    """The calls owed to the channel for this order (shipment confirmation) and how they went:
    a failed confirmation must be visible on the order."""
    rows = session.scalars(
        select(ChannelWriteback)
        .where(ChannelWriteback.order_id == order_id)
        .order_by(ChannelWriteback.id)
    )
    return [
        {
            "kind": row.kind,
            "status": row.status,
            "carrier": row.carrier,
            "sent_carrier": row.sent_carrier,
            "waybill": row.waybill,
            "attempts": row.attempts,
            "last_error": row.last_error,
            "error_code": row.error_code,
            "platform_code": row.platform_code,
            "next_attempt_at": _iso(row.next_attempt_at) if row.status == "pending" else None,
            "done_at": _iso(row.done_at),
        }
        for row in rows
    ]


def get_channel_name(session: Session, channel_id: int) -> str:
    return str(session.scalar(select(Channel.name).where(Channel.id == channel_id)))


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()

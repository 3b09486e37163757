"""Single-order stage moves: checked against the table, evented, audited, in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.audit import write_audit
from store.errors import InvalidInput
from store.events import record_change
from store.models import HoldCategory, Order, StageEvent, utcnow
from store.moves import Write, move_writes, stage_event
from store.orders import get_order
from store.stages import PEOPLE, Move, Source, Stage, check_move, parse_source, parse_stage


def move_order(
    session: Session,
    *,
    order_no: str,
    to: Stage | str,
    source: Source | str,
    actor: str | None = None,
    at: datetime | None = None,
    hold_category: str | None = None,
    note: str | None = None,
    idempotency_key: str | None = None,
) -> Order:
    """Move one order to stage ``to``, or raise a ``DomainError`` and change nothing.

    A repeated ``idempotency_key`` returns the order as it is. Holds need a category; a
    release (leaving ``on_hold``) must return the order to the stage it left.
    """
    target, origin = parse_stage(str(to)), parse_source(str(source))
    if idempotency_key is not None and _seen(session, idempotency_key):
        return get_order(session, order_no)
    if origin in PEOPLE and not actor:
        raise InvalidInput(f"a {origin} move needs the acting person's name")
    order = get_order(session, order_no, for_update=True)
    current = Stage(order.stage)
    held_from = Stage(order.held_from_stage) if order.held_from_stage else None
    check_move(Move(order.order_no, current, target, origin, held_from))
    if target is Stage.ON_HOLD:
        _require_category(session, hold_category)
    before = _snapshot(order)
    when = at or utcnow()
    _apply(order, move_writes(current, target, when, hold_category=hold_category, note=note))
    event = stage_event(order.id, current.value, target.value, when, origin.value, actor)
    session.add(
        StageEvent(**event, idempotency_key=idempotency_key, hold_category=hold_category, note=note)
    )
    if origin in PEOPLE:
        write_audit(
            session,
            actor=str(actor),
            action=f"order.{_verb(current, target)}",
            entity_type="order",
            entity_id=order.order_no,
            before=before,
            after=_snapshot(order),
        )
    session.flush()
    record_change(session, order.order_no, order.stage, when)
    return order


def _seen(session: Session, key: str) -> bool:
    return (
        session.scalar(select(StageEvent.id).where(StageEvent.idempotency_key == key)) is not None
    )


def _require_category(session: Session, code: str | None) -> None:
    known = list(session.scalars(select(HoldCategory.code).order_by(HoldCategory.code)))
    if code is None:
        raise InvalidInput(f"a hold needs a category; known categories: {', '.join(known)}")
    if code not in known:
        raise InvalidInput(f"unknown hold category {code!r}; known categories: {', '.join(known)}")


def _apply(order: Order, writes: dict[str, Write]) -> None:
    for column, write in writes.items():
        setattr(order, column, write.over(getattr(order, column)))
    order.version += 1


def _verb(current: Stage, target: Stage) -> str:
    if target is Stage.ON_HOLD:
        return "held"
    if current is Stage.ON_HOLD:
        return "cancelled" if target is Stage.CANCELLED else "released"
    return {
        Stage.CANCELLED: "cancelled",
        Stage.PAID: "review_passed",
        Stage.PENDING_REVIEW: "sent_to_review",
        Stage.AWAITING_PICK: "released_to_warehouse",
    }.get(target, f"moved_to_{target.value}")


def _snapshot(order: Order) -> dict[str, Any]:
    return {
        "stage": order.stage,
        "hold_category": order.hold_category,
        "held_from_stage": order.held_from_stage,
        "version": order.version,
    }

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
from store.orders import get_order
from store.stages import PEOPLE, Move, Source, Stage, check_move, parse_source, parse_stage

# Stages whose ``<stage>_at`` column keeps the latest entry rather than the first.
_LATEST = frozenset({Stage.ON_HOLD})


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
    _apply(order, current, target, when, hold_category, note)
    session.add(
        StageEvent(
            order_id=order.id,
            from_stage=current.value,
            to_stage=target.value,
            at=when,
            source=origin.value,
            actor=actor,
            idempotency_key=idempotency_key,
            hold_category=hold_category,
            note=note,
        )
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


def _apply(
    order: Order,
    current: Stage,
    target: Stage,
    when: datetime,
    hold_category: str | None,
    note: str | None,
) -> None:
    order.stage = target.value
    order.stage_entered_at = when
    column = f"{target.value}_at"
    if target in _LATEST or getattr(order, column) is None:
        setattr(order, column, when)
    if target is Stage.ON_HOLD:
        order.held_from_stage = current.value
        order.hold_category = hold_category
        order.hold_note = note
    elif current is Stage.ON_HOLD:
        order.held_from_stage = None
        order.hold_category = None
        order.hold_note = None
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

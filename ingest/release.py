"""Automatic release to the warehouse (自动下发): "paid + stock sufficient" pushes the order to
the handhelds at once.

An order still ``paid`` has passed risk review (the rules engine moves risky ones to
``pending_review`` first; ``review`` lets it veto here too). If every line can be reserved in
its warehouse the order moves to ``awaiting_pick``; otherwise it goes ``on_hold`` as out of
stock and is released again when stock arrives (``release_restocked``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from store.inventory import reserve_order, settle_reservations
from store.models import Channel, Order, OrderItem, utcnow
from store.stages import Source, Stage
from store.transitions import move_order

log = structlog.get_logger(__name__)

ACTOR = "auto-release"
OUT_OF_STOCK = "out_of_stock"

Review = Callable[[Session, Order], bool]
"""Returns True when the order may go to the warehouse now."""


@dataclass(slots=True)
class ReleaseReport:
    released: list[str] = field(default_factory=list)
    """Order numbers moved to ``awaiting_pick`` with their stock reserved."""
    held: list[str] = field(default_factory=list)
    """Order numbers put on hold as out of stock."""
    kept: list[str] = field(default_factory=list)
    """Order numbers left as they were (review said not yet)."""


def release_paid_orders(
    session: Session,
    *,
    review: Review | None = None,
    warehouse: str | None = None,
    limit: int = 500,
    at: datetime | None = None,
) -> ReleaseReport:
    """Release up to ``limit`` paid orders, oldest promise first, in the caller's transaction.

    Orders another release run has locked are skipped (``SKIP LOCKED``), so any number of
    workers can run this at once. An order that names no warehouse ships from its channel's
    default warehouse; without either it stays ``paid``.
    """
    settle_reservations(session)
    route_to_default_warehouse(session)
    query = (
        select(Order)
        .options(selectinload(Order.items))
        .where(Order.stage == Stage.PAID.value, Order.warehouse.is_not(None))
        .order_by(Order.ship_by.is_(None), Order.ship_by, Order.paid_at, Order.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Order)
    )
    if warehouse is not None:
        query = query.where(Order.warehouse == warehouse)
    report = ReleaseReport()
    for order in session.scalars(query).all():
        if review is not None and not review(session, order):
            report.kept.append(order.order_no)
            continue
        _release_one(session, order, report, at or utcnow())
    if report.released or report.held:
        log.info("release.done", released=len(report.released), held=len(report.held))
    return report


def route_to_default_warehouse(session: Session) -> int:
    """Give paid orders that name no warehouse their channel's default one; returns how many."""
    default = (
        select(Channel.default_warehouse).where(Channel.id == Order.channel_id).scalar_subquery()
    )
    routed = session.execute(
        update(Order)
        .where(Order.stage == Stage.PAID.value, Order.warehouse.is_(None), default.is_not(None))
        .values(warehouse=default)
        .execution_options(synchronize_session=False)
    )
    return int(routed.rowcount)  # type: ignore[attr-defined]


def _release_one(session: Session, order: Order, report: ReleaseReport, at: datetime) -> None:
    shortages = reserve_order(session, order)
    if not shortages:
        _to_warehouse(session, order, at)
        report.released.append(order.order_no)
        return
    move_order(
        session,
        order_no=order.order_no,
        to=Stage.ON_HOLD,
        source=Source.RULE,
        actor=ACTOR,
        at=at,
        hold_category=OUT_OF_STOCK,
        note="short: " + "; ".join(s.describe() for s in shortages),
    )
    report.held.append(order.order_no)


def _to_warehouse(session: Session, order: Order, at: datetime) -> None:
    move_order(
        session,
        order_no=order.order_no,
        to=Stage.AWAITING_PICK,
        source=Source.RULE,
        actor=ACTOR,
        at=at,
    )


def release_restocked(
    session: Session,
    *,
    warehouse: str,
    skus: Sequence[str] | None = None,
    limit: int = 500,
    at: datetime | None = None,
) -> ReleaseReport:
    """Release orders held as out of stock by ``release_paid_orders`` in ``warehouse`` (those
    needing one of ``skus``, when given) whose stock can now be reserved, oldest promise first.

    Holds a person or a handheld reported stay for a supervisor to release.
    """
    query = (
        select(Order)
        .options(selectinload(Order.items))
        .where(
            Order.stage == Stage.ON_HOLD.value,
            Order.hold_category == OUT_OF_STOCK,
            Order.held_from_stage == Stage.PAID.value,
            Order.warehouse == warehouse,
        )
        .order_by(Order.ship_by.is_(None), Order.ship_by, Order.on_hold_at, Order.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Order)
    )
    if skus is not None:
        needing = select(OrderItem.order_id).where(OrderItem.sku.in_(skus))
        query = query.where(Order.id.in_(needing))
    report = ReleaseReport()
    when = at or utcnow()
    for order in session.scalars(query).all():
        if reserve_order(session, order):
            report.kept.append(order.order_no)
            continue
        move_order(
            session,
            order_no=order.order_no,
            to=Stage.PAID,
            source=Source.RULE,
            actor=ACTOR,
            at=when,
            note="stock arrived",
        )
        _to_warehouse(session, order, when)
        report.released.append(order.order_no)
    return report

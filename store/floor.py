"""Problems reported from the warehouse floor, their release, and an order's floor times."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import ConfigDict
from pydantic.dataclasses import dataclass as pydantic_dataclass
from sqlalchemy import select
from sqlalchemy.orm import Session

from store.errors import InvalidInput, TransitionRefused
from store.models import HoldCategory, Order, Scan, StageEvent, WarehouseException, utcnow
from store.orders import get_order
from store.stages import Source, Stage
from store.transitions import move_order

FLOOR_CATEGORIES = ("out_of_stock", "unclear_address", "customer_refused", "damaged", "other")
"""Hold categories a handheld may report; the others (risk review, payment) are decided
elsewhere."""


def report_exception(
    session: Session,
    *,
    order_no: str,
    category: str,
    note: str | None,
    device: str,
    report_id: str | None = None,
    at: datetime | None = None,
) -> Order:
    """Put an order on hold for a problem found on the floor, and count it as a warehouse
    exception. A repeated ``report_id`` changes nothing."""
    if category not in FLOOR_CATEGORIES:
        known = ", ".join(FLOOR_CATEGORIES)
        raise InvalidInput(f"unknown floor exception category {category!r}; known: {known}")
    if category == "other" and not (note and note.strip()):
        raise InvalidInput("category 'other' needs a note saying what is wrong")
    key = None if report_id is None else f"floor-exception:{report_id}"
    if key is not None and _seen(session, key):
        return get_order(session, order_no)
    when = at or utcnow()
    order = move_order(
        session,
        order_no=order_no,
        to=Stage.ON_HOLD,
        source=Source.HANDHELD,
        actor=device,
        at=when,
        hold_category=category,
        note=note,
        idempotency_key=key,
    )
    session.add(
        WarehouseException(
            order_id=order.id,
            order_no=order.order_no,
            code=category,
            message=note or category,
            scan_id=report_id,
            device=device,
            warehouse=order.warehouse,
            at=when,
        )
    )
    session.flush()
    return order


def _seen(session: Session, key: str) -> bool:
    found = session.scalar(select(StageEvent.id).where(StageEvent.idempotency_key == key))
    return found is not None


def release_hold(session: Session, *, order_no: str, actor: str, source: Source) -> Order:
    """A supervisor returns a held order to the stage it left (audited by ``move_order``)."""
    order = get_order(session, order_no)
    if order.stage != Stage.ON_HOLD.value or order.held_from_stage is None:
        raise TransitionRefused(f"cannot release {order_no}: it is {order.stage}, not on hold")
    return move_order(
        session, order_no=order_no, to=order.held_from_stage, source=source, actor=actor
    )


@pydantic_dataclass(frozen=True, slots=True, config=ConfigDict(use_attribute_docstrings=True))
class FloorTimes:
    """The times the board follows for one order, with what the scans recorded (also the
    REST API's answer, field descriptions included)."""

    order_no: str
    stage: str
    warehouse: str | None
    assignee: str | None
    awaiting_pick_at: datetime | None
    """Entered 待拣货 (released to the warehouse)."""
    first_picked_at: datetime | None
    """First item pick scan."""
    picked_at: datetime | None
    """Last line picked."""
    packed_at: datetime | None
    """Last item packed (pack complete)."""
    shipped_at: datetime | None
    """Carrier pickup."""
    weight_kg: Decimal | None
    carrier: str | None
    waybill: str | None


def floor_times(session: Session, order_no: str) -> FloorTimes:
    order = get_order(session, order_no)
    accepted = (Scan.order_id == order.id, Scan.refused_code.is_(None))
    weight = session.scalar(
        select(Scan.weight_kg).where(*accepted, Scan.kind == "pack").order_by(Scan.id.desc())
    )
    pickup = session.execute(
        select(Scan.carrier, Scan.waybill)
        .where(*accepted, Scan.kind == "pickup")
        .order_by(Scan.id.desc())
        .limit(1)
    ).first()
    return FloorTimes(
        order_no=order.order_no,
        stage=order.stage,
        warehouse=order.warehouse,
        assignee=order.assignee,
        awaiting_pick_at=order.awaiting_pick_at,
        first_picked_at=order.first_picked_at,
        picked_at=order.picked_at,
        packed_at=order.packed_at,
        shipped_at=order.shipped_at,
        weight_kg=weight,
        carrier=pickup.carrier if pickup else None,
        waybill=pickup.waybill if pickup else None,
    )


def hold_category_labels(session: Session) -> dict[str, tuple[str, str]]:
    """Every exception interception cause (异常拦截原因): code → (Chinese, English) label."""
    rows = session.execute(select(HoldCategory.code, HoldCategory.label_zh, HoldCategory.label_en))
    return {str(code): (str(zh), str(en)) for code, zh, en in rows}

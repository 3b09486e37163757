"""Orders on the warehouse floor: exceptions reported by handhelds, a supervisor's release of
a held order, and the stage times the board follows."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from dashboard.api.deps import Caller, Store, require_scope
from dashboard.api.problems import documented
from dashboard.api.warehouse_models import Note, OrderNoPath, ScanId, ScanTime
from store.floor import FloorTimes, floor_times, release_hold, report_exception
from store.models import Order
from store.stages import Source

router = APIRouter(prefix="/v1/orders/{order_no}", tags=["warehouse"])


class ExceptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Literal["out_of_stock", "unclear_address", "customer_refused", "damaged", "other"]
    """缺货 / 地址不清 / 客户拒收 / 货品破损 / 其他 (needs a note)."""
    note: Note | None = None
    report_id: ScanId | None = None
    """Client-generated id; the same id again changes nothing."""
    at: ScanTime | None = None


class OrderStageOut(BaseModel):
    order_no: str
    stage: str
    hold_category: str | None
    held_from_stage: str | None
    stage_entered_at: datetime
    version: int

    @classmethod
    def of(cls, order: Order) -> OrderStageOut:
        return cls(
            order_no=order.order_no,
            stage=order.stage,
            hold_category=order.hold_category,
            held_from_stage=order.held_from_stage,
            stage_entered_at=order.stage_entered_at,
            version=order.version,
        )


@router.post(
    "/exceptions",
    summary="Report a problem found on the floor; the order goes on hold",
    responses=documented(400, 404, 409),
)
def post_exception(
    order_no: OrderNoPath,
    body: ExceptionIn,
    caller: Annotated[Caller, Depends(require_scope("scans"))],
    session: Store,
) -> OrderStageOut:
    order = report_exception(
        session,
        order_no=order_no,
        category=body.category,
        note=body.note,
        device=caller.name,
        report_id=body.report_id,
        at=body.at,
    )
    return OrderStageOut.of(order)


@router.post(
    "/release",
    summary="Release a held order to the stage it left (supervisor; audited)",
    responses=documented(404, 409),
)
def post_release(
    order_no: OrderNoPath,
    caller: Annotated[Caller, Depends(require_scope("orders:act"))],
    session: Store,
) -> OrderStageOut:
    order = release_hold(session, order_no=order_no, actor=caller.name, source=Source.API)
    return OrderStageOut.of(order)


@router.get(
    "/timestamps",
    summary="The floor times of one order: awaiting pick, first pick, packed, carrier pickup",
    responses=documented(404),
)
def get_timestamps(
    order_no: OrderNoPath,
    _caller: Annotated[Caller, Depends(require_scope("orders:read"))],
    session: Store,
) -> FloorTimes:
    return floor_times(session, order_no)

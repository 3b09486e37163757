"""What a supervisor does to stuck orders over the REST API: approve or reject a review, put
on hold, add a note (one order each), and any action on many orders at once with a result per
order. The console's buttons call the same ``rules.order_actions`` functions."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from dashboard import limits
from dashboard.api.deps import Caller, Store, business_zone, require_scope
from dashboard.api.floor_orders import OrderStageOut
from dashboard.api.problems import documented
from dashboard.api.warehouse_models import Code, Note, OrderNo, OrderNoPath, Picker
from rules.order_actions import (
    MAX_BATCH,
    ActionKind,
    OrderAction,
    Outcome,
    Seen,
    act_on_order,
    act_on_orders,
)
from store.stages import Source, Stage

router = APIRouter(prefix="/v1/orders", tags=["orders"])

Actor = Annotated[Caller, Depends(require_scope("orders:act"))]
Zone = Annotated[ZoneInfo, Depends(business_zone)]
HoldCategory = Annotated[str, Code(32, "Hold category, e.g. out_of_stock, unclear_address")]


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Note | None = None
    """Why it passes; shown on the order's timeline."""


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Note
    """Why the order is cancelled; required, shown on the order's timeline."""


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: HoldCategory
    note: Note | None = None
    """What is wrong; required for the category ``other``."""


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Note


def _one(
    session: Store, caller: Caller, zone: ZoneInfo, order_no: str, action: OrderAction
) -> OrderStageOut:
    order = act_on_order(session, action, order_no, actor=caller.name, source=Source.API, zone=zone)
    return OrderStageOut.of(order)


@router.post(
    "/{order_no}/review/approve",
    summary="Pass an order held in 待审核 (it returns to paid; audited)",
    responses=documented(404, 409),
)
def post_approve(
    order_no: OrderNoPath, body: ApproveIn, caller: Actor, zone: Zone, session: Store
) -> OrderStageOut:
    return _one(session, caller, zone, order_no, OrderAction(ActionKind.APPROVE, note=body.note))


@router.post(
    "/{order_no}/review/reject",
    summary="Refuse an order held in 待审核: it is cancelled with the reason (audited)",
    responses=documented(404, 409),
)
def post_reject(
    order_no: OrderNoPath, body: RejectIn, caller: Actor, zone: Zone, session: Store
) -> OrderStageOut:
    return _one(session, caller, zone, order_no, OrderAction(ActionKind.REJECT, note=body.reason))


@router.post(
    "/{order_no}/hold",
    summary="Put an open order on hold with a category and a note (audited)",
    responses=documented(404, 409),
)
def post_hold(
    order_no: OrderNoPath, body: HoldIn, caller: Actor, zone: Zone, session: Store
) -> OrderStageOut:
    action = OrderAction(ActionKind.HOLD, category=body.category, note=body.note)
    return _one(session, caller, zone, order_no, action)


@router.post(
    "/{order_no}/notes",
    summary="Add a note to the order's audit trail; the order is unchanged",
    responses=documented(404),
)
def post_note(
    order_no: OrderNoPath, body: NoteIn, caller: Actor, zone: Zone, session: Store
) -> OrderStageOut:
    return _one(session, caller, zone, order_no, OrderAction(ActionKind.NOTE, note=body.note))


class SeenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_no: OrderNo
    stage: Stage
    """The stage the caller saw; an order in another stage now is refused, not acted on."""
    assignee: Picker | None = None
    """The picker the caller saw (``null``: nobody); a reassigned order is refused."""


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["assign", "release", "approve", "reject", "hold", "note"]
    orders: Annotated[list[SeenIn], Field(min_length=1, max_length=MAX_BATCH)]
    picker: Picker | None = None
    """For ``assign``: the new picker; ``null`` returns the orders to the unassigned pool."""
    category: HoldCategory | None = None
    """For ``hold``."""
    note: Note | None = None
    """The reason: required for ``reject``, ``note`` and a hold of category ``other``."""


class OutcomeOut(BaseModel):
    order_no: str
    applied: bool
    code: str
    """``applied``; else why not: ``stage_changed``, ``reassigned``, ``unknown_order``,
    ``transition_refused``, ``not_assignable`` …"""
    message: str
    stage: str | None
    """The order's stage after the action, or as it is now when refused."""
    assignee: str | None

    @classmethod
    def of(cls, outcome: Outcome) -> OutcomeOut:
        return cls.model_validate(outcome, from_attributes=True)


class BatchOut(BaseModel):
    applied: int
    refused: int
    results: list[OutcomeOut]
    """One per order, in the order given."""


@router.post(
    "/actions",
    max_body_size=limits.BATCH,
    summary="Act on many orders at once; each is applied or refused on its own (audited)",
    responses=documented(),
)
def post_actions(body: BatchIn, caller: Actor, zone: Zone, session: Store) -> BatchOut:
    action = OrderAction(
        ActionKind(body.action), picker=body.picker, category=body.category, note=body.note
    )
    seen = [Seen(row.order_no, row.stage.value, row.assignee) for row in body.orders]
    result = act_on_orders(session, action, seen, actor=caller.name, source=Source.API, zone=zone)
    return BatchOut(
        applied=len(result.applied),
        refused=len(result.refused),
        results=[OutcomeOut.of(outcome) for outcome in result.outcomes],
    )

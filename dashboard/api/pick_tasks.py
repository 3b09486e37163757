"""Pick tasks for handhelds, claiming unassigned work, and supervisors assigning pickers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict

from dashboard.api.deps import Caller, Store, require_scope
from dashboard.api.problems import documented
from dashboard.api.warehouse_models import OrderNoPath, Picker, PickerQuery, WarehouseQuery
from store.picking import PickTask, assign_picker, claim_order, pick_tasks

router = APIRouter(tags=["warehouse"])


class TaskLineOut(BaseModel):
    line_no: int
    sku: str
    name: str | None
    quantity: int
    picked_quantity: int


class PickTaskOut(BaseModel):
    order_no: str
    warehouse: str | None
    assignee: str | None
    ship_by: datetime | None
    """The promise to the buyer; tasks come oldest promise first."""
    awaiting_pick_at: datetime | None
    lines: list[TaskLineOut]

    @classmethod
    def of(cls, task: PickTask) -> PickTaskOut:
        return cls(
            order_no=task.order_no,
            warehouse=task.warehouse,
            assignee=task.assignee,
            ship_by=task.ship_by,
            awaiting_pick_at=task.awaiting_pick_at,
            lines=[TaskLineOut.model_validate(line, from_attributes=True) for line in task.lines],
        )


class PickTasksOut(BaseModel):
    picker: str | None
    assigned: list[PickTaskOut]
    """The picker's own orders awaiting pick, in pick order."""
    unassigned: list[PickTaskOut]
    """Work nobody has yet (in ``warehouse``, when given), which the picker may claim."""


class PickerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    picker: Picker


class AssigneeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    picker: Picker | None
    """``null`` returns the order to the unassigned pool."""


@router.get(
    "/v1/pick-tasks",
    summary="A picker's orders awaiting pick, and unassigned work to claim",
    responses=documented(),
)
def get_pick_tasks(
    _caller: Annotated[Caller, Depends(require_scope("scans"))],
    session: Store,
    picker: PickerQuery = None,
    warehouse: WarehouseQuery = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PickTasksOut:
    assigned = (
        pick_tasks(session, picker=picker, warehouse=warehouse, limit=limit) if picker else []
    )
    unassigned = pick_tasks(session, picker=None, warehouse=warehouse, limit=limit)
    return PickTasksOut(
        picker=picker,
        assigned=[PickTaskOut.of(task) for task in assigned],
        unassigned=[PickTaskOut.of(task) for task in unassigned],
    )


@router.post(
    "/v1/pick-tasks/{order_no}/claim",
    summary="Claim an unassigned order awaiting pick",
    responses=documented(400, 404, 409),
)
def post_claim(
    order_no: OrderNoPath,
    body: PickerIn,
    _caller: Annotated[Caller, Depends(require_scope("scans"))],
    session: Store,
) -> PickTaskOut:
    return PickTaskOut.of(claim_order(session, order_no=order_no, picker=body.picker))


@router.put(
    "/v1/orders/{order_no}/assignee",
    summary="Assign or reassign the order's picker (supervisor; audited)",
    responses=documented(400, 404, 409),
)
def put_assignee(
    order_no: OrderNoPath,
    body: AssigneeIn,
    caller: Annotated[Caller, Depends(require_scope("orders:act"))],
    session: Store,
) -> PickTaskOut:
    task = assign_picker(session, order_no=order_no, picker=body.picker, actor=caller.name)
    return PickTaskOut.of(task)

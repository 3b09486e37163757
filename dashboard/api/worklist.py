"""``GET /v1/worklist``: the stuck-order worklist (异常/超时订单) the console's workbench shows,
one page at a time, each row with its one-line "why"."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, StringConstraints

from dashboard.api.deps import Caller, Store, require_scope
from dashboard.api.problems import documented
from dashboard.formatting import duration
from rules.stuck import summarize
from store.models import utcnow
from store.worklist import MAX_PAGE, SortKey, WorkFilter, WorkRow, worklist

router = APIRouter(prefix="/v1/worklist", tags=["orders"])

Text = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")
]
Values = Annotated[list[Text] | None, Query(max_length=50)]
Hours = Annotated[float | None, Query(ge=0, le=8760)]


class WorkRowOut(BaseModel):
    order_no: str
    channel: str
    stage: str
    stage_entered_at: datetime
    hold_category: str | None
    warehouse: str | None
    assignee: str | None
    amount: Decimal
    ship_by: datetime | None
    next_deadline_at: datetime | None
    sla_state: Literal["breached", "due_soon", "on_time"]
    summary: str
    """Why it is stuck, in the language asked for."""
    version: int

    @classmethod
    def of(cls, row: WorkRow, now: datetime, lang: str) -> WorkRowOut:
        shared = {f.name for f in fields(row)} & set(cls.model_fields)
        copied = {name: getattr(row, name) for name in shared}
        return cls(
            **copied,
            sla_state=row.sla_state(now).value,
            summary=summarize(row, now).text(lang, duration),
        )


class WorklistOut(BaseModel):
    total: int
    """Orders matching the filters, over all pages."""
    rows: list[WorkRowOut]


@router.get(
    "", summary="Open orders, most urgent first, filtered and paged", responses=documented()
)
def get_worklist(
    _caller: Annotated[Caller, Depends(require_scope("orders:read"))],
    session: Store,
    stage: Values = None,
    channel: Values = None,
    warehouse: Values = None,
    sla: Values = None,
    hold_category: Values = None,
    picker: Values = None,
    min_age_h: Hours = None,
    max_age_h: Hours = None,
    order_no: Annotated[Text | None, Query(description="An order number or its start")] = None,
    sort: Annotated[
        Text | None, Query(description="Columns, `-` for descending: `-stage_entered_at,order_no`")
    ] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    lang: Literal["zh", "en"] = "zh",
) -> WorklistOut:
    filters = WorkFilter(
        stages=tuple(stage or ()),
        channels=tuple(channel or ()),
        warehouses=tuple(warehouse or ()),
        sla=tuple(sla or ()),
        hold_categories=tuple(hold_category or ()),
        pickers=tuple(picker or ()),
        min_age_h=min_age_h,
        max_age_h=max_age_h,
        order_no=order_no,
    )
    now = utcnow()
    page = worklist(session, filters, now=now, sort=parse_sort(sort), offset=offset, limit=limit)
    return WorklistOut(total=page.total, rows=[WorkRowOut.of(row, now, lang) for row in page.rows])


def parse_sort(text: str | None) -> list[SortKey]:
    """``-stage_entered_at,order_no`` → descending age column, then order number."""
    keys = [part.strip() for part in (text or "").split(",") if part.strip()]
    return [SortKey(key.removeprefix("-"), descending=key.startswith("-")) for key in keys]

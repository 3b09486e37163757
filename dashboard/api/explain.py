"""``GET /v1/orders/{order_no}/explain``: why an order is where it is and why it is late."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends

from dashboard.api.deps import Caller, Store, business_zone, require_scope
from dashboard.api.problems import documented
from dashboard.api.warehouse_models import OrderNoPath
from rules.explain import Explanation, explain_order

router = APIRouter(prefix="/v1/orders", tags=["orders"], responses=documented(404))


@router.get("/{order_no}/explain")
def get_explanation(
    order_no: OrderNoPath,
    zone: Annotated[ZoneInfo, Depends(business_zone)],
    session: Store,
    _caller: Annotated[Caller, Depends(require_scope("orders:read"))],
) -> Explanation:
    """The order's timeline, the rule version that held or released it (with the matching
    conditions), its SLA deadlines and overrun, what it waits for and who can unblock it."""
    return explain_order(session, order_no, zone=zone)

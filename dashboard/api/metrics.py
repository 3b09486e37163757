"""``/v1/metrics``: the metrics document, the period comparison and the live board."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request

from dashboard.api.deps import Caller, Store, business_zone, require_scope
from dashboard.api.problems import documented
from metrics.board import board
from metrics.board_document import Board
from metrics.compare import Comparison, compare_periods
from metrics.documents import MetricsDocument
from metrics.report import metrics_document
from metrics.window import board_window, parse_range, parse_window, resolve_scope
from store.models import utcnow

router = APIRouter(prefix="/v1/metrics", tags=["metrics"], responses=documented(404))

Reader = Annotated[Caller, Depends(require_scope("metrics:read"))]
Zone = Annotated[ZoneInfo, Depends(business_zone)]
Channel = Annotated[
    list[str] | None, Query(description="Only these channels' orders (repeat for several)")
]
Warehouse = Annotated[
    list[str] | None, Query(description="Only these warehouses' orders (repeat for several)")
]


@router.get("")
def get_metrics(
    _caller: Reader,
    session: Store,
    zone: Zone,
    start: Annotated[str, Query(alias="from", description="First business day, YYYY-MM-DD")],
    end: Annotated[str, Query(alias="to", description="Last business day (included)")],
    channel: Channel = None,
    warehouse: Warehouse = None,
) -> MetricsDocument:
    """Every KPI of the window: the same document as ``orderwatch metrics --json``."""
    window = parse_window(start, end, zone)
    scope = resolve_scope(session, channels=channel or (), warehouses=warehouse or ())
    return metrics_document(session, window=window, scope=scope, now=utcnow())


@router.get("/compare")
def get_comparison(
    _caller: Reader,
    session: Store,
    zone: Zone,
    before: Annotated[str, Query(description="Earlier period, START..END")],
    after: Annotated[str, Query(description="Later period, START..END")],
    channel: Channel = None,
    warehouse: Warehouse = None,
) -> Comparison:
    """Before/after table: metric, before, after, change %, which way is better."""
    old, new = parse_range(before, zone), parse_range(after, zone)
    scope = resolve_scope(session, channels=channel or (), warehouses=warehouse or ())
    return compare_periods(session, before=old, after=new, scope=scope, now=utcnow())


@router.get("/board", response_model=Board)
def get_board(
    request: Request,
    _caller: Reader,
    session: Store,
    zone: Zone,
    preset: Annotated[
        str | None, Query(alias="range", description="today (default), yesterday or 7d")
    ] = None,
    start: Annotated[str | None, Query(alias="from", description="First business day")] = None,
    end: Annotated[
        str | None, Query(alias="to", description="Last business day (included)")
    ] = None,
    channel: Channel = None,
    warehouse: Warehouse = None,
) -> Board:
    """The live board: KPI cards against the same window last week, work in progress, hourly
    throughput, warehouse nodes, heatmaps, exceptions and channel health."""
    now = utcnow()
    window = board_window(preset, start, end, now=now, zone=zone)
    scope = resolve_scope(session, channels=channel or (), warehouses=warehouse or ())
    cache = request.app.state.heatmaps
    return board(session, now=now, window=window, scope=scope, heatmaps=cache)

"""Stock: receipts (which release orders waiting for it), cycle counts, and stock levels."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from dashboard import limits
from dashboard.api.deps import Caller, Store, require_scope
from dashboard.api.problems import documented
from dashboard.api.warehouse_models import (
    Code,
    Count,
    ScanId,
    ScanTime,
    SkuCode,
    Warehouse,
    WarehouseQuery,
)
from ingest.release import release_restocked
from store.errors import InvalidInput
from store.inventory import CountInput, StockLevel, receive_stock, record_counts, stock_levels

router = APIRouter(prefix="/v1/inventory", tags=["inventory"])
MAX_LINES = 500


class ReceiptLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: SkuCode
    quantity: Annotated[Count, Field(gt=0, le=1_000_000)]


class ReceiptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    receipt_id: ScanId
    """Client-generated id; the same receipt again adds nothing."""
    warehouse: Warehouse
    lines: Annotated[list[ReceiptLineIn], Field(min_length=1, max_length=MAX_LINES)]
    at: ScanTime | None = None


class StockOut(BaseModel):
    sku: str
    warehouse: str
    on_hand: int
    reserved: int
    available: int

    @classmethod
    def of(cls, level: StockLevel) -> StockOut:
        return cls(
            sku=level.sku,
            warehouse=level.warehouse,
            on_hand=level.on_hand,
            reserved=level.reserved,
            available=level.available,
        )


class ReceiptOut(BaseModel):
    receipt_id: str
    duplicate: bool
    """True when this receipt id was received before; nothing was added now."""
    stock: list[StockOut]
    released: list[str]
    """Orders held as out of stock that this receipt released to the warehouse."""


class CountLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: SkuCode
    location: Annotated[str, Code(32, "Shelf location, e.g. A-03-2")] | None = None
    counted: Annotated[Count, Field(ge=0, le=1_000_000)]


class CountsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    warehouse: Warehouse
    counts: Annotated[list[CountLineIn], Field(min_length=1, max_length=MAX_LINES)]
    at: ScanTime | None = None


class CountOut(BaseModel):
    sku: str
    location: str | None
    counted: int
    expected: int
    """On-hand stock the system held when the count was recorded."""
    difference: int
    """counted − expected."""
    counted_at: datetime


@router.post(
    "/receipts",
    max_body_size=limits.BATCH,
    summary="Receive stock; orders waiting for it are released at once",
    description="The same `receipt_id` again with the same lines changes nothing "
    "(`duplicate`); with other lines or another warehouse it is refused (409, "
    "`idempotency_key_reused`).",
    responses=documented(400, 409),
)
def post_receipt(
    body: ReceiptIn,
    caller: Annotated[Caller, Depends(require_scope("scans"))],
    session: Store,
) -> ReceiptOut:
    lines: dict[str, int] = {}
    for line in body.lines:
        lines[line.sku] = lines.get(line.sku, 0) + line.quantity
    receipt = receive_stock(
        session,
        receipt_id=body.receipt_id,
        warehouse=body.warehouse,
        lines=lines,
        received_by=caller.name,
        at=body.at,
    )
    levels, released = receipt.levels, []
    if not receipt.duplicate:
        released = release_restocked(session, warehouse=body.warehouse, skus=sorted(lines)).released
        levels = stock_levels(session, body.warehouse, sorted(lines))
    return ReceiptOut(
        receipt_id=receipt.receipt_id,
        duplicate=receipt.duplicate,
        stock=[StockOut.of(level) for level in levels],
        released=released,
    )


@router.post(
    "/counts",
    max_body_size=limits.BATCH,
    summary="Record cycle counts per SKU and location beside the system's stock",
    responses=documented(400),
)
def post_counts(
    body: CountsIn,
    caller: Annotated[Caller, Depends(require_scope("scans"))],
    session: Store,
) -> list[CountOut]:
    places = [(c.sku, c.location) for c in body.counts]
    if len(set(places)) != len(places):
        raise InvalidInput("each SKU and location may be counted once per request")
    rows = record_counts(
        session,
        warehouse=body.warehouse,
        counts=[CountInput(c.sku, c.counted, c.location) for c in body.counts],
        counted_by=caller.name,
        at=body.at,
    )
    return [
        CountOut(
            sku=row.sku,
            location=row.location,
            counted=row.counted,
            expected=row.expected,
            difference=row.counted - row.expected,
            counted_at=row.counted_at,
        )
        for row in rows
    ]


@router.get("", summary="Stock per SKU and warehouse", responses=documented())
def get_stock(
    _caller: Annotated[Caller, Depends(require_scope("orders:read"))],
    session: Store,
    warehouse: WarehouseQuery = None,
) -> list[StockOut]:
    return [StockOut.of(level) for level in stock_levels(session, warehouse)]

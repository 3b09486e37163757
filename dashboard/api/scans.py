"""``POST /api/v1/scans``: handheld pick, pack and carrier-pickup scans, one or a batch."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from dashboard import limits
from dashboard.api.deps import DeferredScope
from dashboard.api.problems import documented, problem_response
from dashboard.api.scan_desk import ScanDesk
from dashboard.api.warehouse_models import Code, OrderNo, Quantity, ScanId, ScanTime, SkuCode
from store.models import utcnow
from store.scans import MAX_BATCH, REFUSALS, ScanInput, ScanKind, ScanResult

router = APIRouter(prefix="/v1/scans", tags=["warehouse"])


class _Scan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scan_id: ScanId
    order_no: OrderNo
    at: ScanTime | None = None


class PickScan(_Scan):
    """Item pick: ``quantity`` units of ``sku`` taken for the order."""

    kind: Literal["pick"]
    sku: SkuCode
    quantity: Quantity = 1


class PackScan(_Scan):
    """Pack complete, with the parcel's weight."""

    kind: Literal["pack"]
    weight_kg: Annotated[Decimal, Field(gt=0, lt=10_000, max_digits=7, decimal_places=3)]


class PickupScan(_Scan):
    """The carrier took the parcel."""

    kind: Literal["pickup"]
    carrier: Annotated[str, Code(32, "Carrier, e.g. SF, ZTO")]
    waybill: Annotated[str, Code(64, "Waybill number")]


AnyScan = Annotated[PickScan | PackScan | PickupScan, Field(discriminator="kind")]


class ScanBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scans: Annotated[list[AnyScan], Field(min_length=1, max_length=MAX_BATCH)]


def _shape(value: Any) -> str:
    is_batch = isinstance(value, ScanBatch) or (isinstance(value, dict) and "scans" in value)
    return "batch" if is_batch else "scan"


ScanBody = Annotated[
    Annotated[ScanBatch, Tag("batch")] | Annotated[AnyScan, Tag("scan")],
    Discriminator(_shape),
    Body(description=f'One scan, or `{{"scans": [...]}}` with up to {MAX_BATCH} scans'),
]


class ScanOutcome(BaseModel):
    scan_id: str
    status: Literal["accepted", "duplicate", "refused"]
    """``duplicate``: this scan id was applied before and nothing changed now (the same id
    sent for another scan is ``refused`` with ``idempotency_key_reused``). A repeated
    refused scan is answered ``refused`` again (and recorded once)."""
    order_no: str
    stage: str | None
    """The order's stage after the request."""
    code: str | None = None
    message: str | None = None
    message_zh: str | None = None


class BatchOutcome(BaseModel):
    accepted: int
    duplicates: int
    refused: int
    results: list[ScanOutcome]
    """One per scan sent, in the order sent."""


# A single refused scan is answered with a problem; these say which HTTP status (else 409).
_STATUS = {"unknown_order": 404, "sku_not_on_order": 422, "quantity_over_ordered": 422}


@router.post(
    "",
    max_body_size=limits.BATCH,
    summary="Record one scan or a batch of scans",
    description=(
        "A single scan answers 200 with its outcome, or a problem (404/409/422) naming the "
        "refusal `code`. A batch always answers 200 with one outcome per scan: refused scans "
        "change nothing, the rest of the batch is applied. Every refusal is kept as a "
        "warehouse exception. Needs the `scans` scope: a missing, unknown or under-scoped "
        "token is refused before the body is read."
    ),
    response_model=ScanOutcome | BatchOutcome,
    responses=documented(400, 404, 409),
)
async def post_scans(
    body: ScanBody,
    secret: Annotated[str, Depends(DeferredScope("scans"))],
    request: Request,
) -> Response:
    scans = body.scans if isinstance(body, ScanBatch) else [body]
    now = utcnow()
    desk: ScanDesk = request.app.state.scan_desk
    applied = await desk.submit(secret, [_input(s, now) for s in scans])
    results = [_outcome(result) for result in applied]
    if isinstance(body, ScanBatch):
        return _json(_batch(results))
    result = results[0]
    if result.status == "refused":
        code = str(result.code)
        return problem_response(_STATUS.get(code, 409), code, str(result.message))
    return _json(result)


def _json(outcome: ScanOutcome | BatchOutcome) -> Response:
    """The outcome serialized as it is: returned as a model, FastAPI would validate it once
    more against the ``ScanOutcome | BatchOutcome`` union first, on every handheld scan."""
    return Response(outcome.model_dump_json(), media_type="application/json")


def _input(scan: PickScan | PackScan | PickupScan, now: datetime) -> ScanInput:
    at = scan.at or now
    if isinstance(scan, PickScan):
        return ScanInput(
            scan.scan_id, ScanKind.PICK, scan.order_no, at, sku=scan.sku, quantity=scan.quantity
        )
    if isinstance(scan, PackScan):
        return ScanInput(scan.scan_id, ScanKind.PACK, scan.order_no, at, weight_kg=scan.weight_kg)
    return ScanInput(
        scan.scan_id, ScanKind.PICKUP, scan.order_no, at, carrier=scan.carrier, waybill=scan.waybill
    )


def _outcome(result: ScanResult) -> ScanOutcome:
    label = REFUSALS.get(result.code or "")
    return ScanOutcome(
        scan_id=result.scan_id,
        status=result.status,
        order_no=result.order_no,
        stage=result.stage,
        code=result.code,
        message=result.message,
        message_zh=label[0] if label else None,
    )


def _batch(results: list[ScanOutcome]) -> BatchOutcome:
    counts = {status: 0 for status in ("accepted", "duplicate", "refused")}
    for result in results:
        counts[result.status] += 1
    return BatchOutcome(
        accepted=counts["accepted"],
        duplicates=counts["duplicate"],
        refused=counts["refused"],
        results=results,
    )

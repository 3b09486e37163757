"""Field types and documented error responses shared by the warehouse routers (scans, pick
tasks, floor orders, inventory)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, AwareDatetime, Field

# No control characters (PostgreSQL refuses NUL in text; none belongs in a code or a name).
_PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def Code(max_length: int, description: str) -> Any:  # noqa: N802 - reads like a type
    return Field(min_length=1, max_length=max_length, pattern=_PRINTABLE, description=description)


ScanId = Annotated[str, Code(64, "Client-generated id; the same id again changes nothing")]
OrderNo = Annotated[str, Code(16, "Internal order number, e.g. OW0000000042")]
SkuCode = Annotated[str, Code(64, "SKU code")]
Warehouse = Annotated[str, Code(32, "Warehouse code, e.g. SH-01")]
Picker = Annotated[str, Code(64, "The picker's name")]
Quantity = Annotated[int, Field(gt=0, le=100_000)]
Note = Annotated[str, Field(min_length=1, max_length=500, pattern=r"^[^\x00]+$")]


def _plausible(value: datetime) -> datetime:
    if not _EARLIEST <= value < _LATEST:
        raise ValueError("must be between 2000-01-01 and 2100-01-01")
    return value.astimezone(UTC)


ScanTime = Annotated[
    AwareDatetime,
    AfterValidator(_plausible),
    Field(description="When it happened, with a UTC offset; default: when the server got it"),
]

OrderNoPath = Annotated[str, Path(min_length=1, max_length=16, pattern=_PRINTABLE)]
PickerQuery = Annotated[str | None, Query(min_length=1, max_length=64, pattern=_PRINTABLE)]
WarehouseQuery = Annotated[str | None, Query(min_length=1, max_length=32, pattern=_PRINTABLE)]

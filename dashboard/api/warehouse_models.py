"""Field types and documented error responses shared by the warehouse routers (scans, pick
tasks, floor orders, inventory)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, AwareDatetime, Field, Strict

from store.identifiers import IDENTIFIER_PATTERN
from store.timebounds import EARLIEST, LATEST, SPAN

# No control or bidirectional formatting characters (``store.identifiers`` says why).
_PRINTABLE = IDENTIFIER_PATTERN


def Code(max_length: int, description: str) -> Any:  # noqa: N802 - reads like a type
    return Field(min_length=1, max_length=max_length, pattern=_PRINTABLE, description=description)


ScanId = Annotated[str, Code(64, "Client-generated id; the same id again changes nothing")]
OrderNo = Annotated[str, Code(16, "Internal order number, e.g. OW0000000042")]
SkuCode = Annotated[str, Code(64, "SKU code")]
Warehouse = Annotated[str, Code(32, "Warehouse code, e.g. SH-01")]
Picker = Annotated[str, Code(64, "The picker's name")]
Count = Annotated[int, Strict()]
"""An integer in a request body: JSON ``true`` or ``"3"`` is refused, not read as 1 or 3."""
Quantity = Annotated[Count, Field(gt=0, le=100_000)]
Note = Annotated[str, Field(min_length=1, max_length=500, pattern=r"^[^\x00]+$")]


def _plausible(value: datetime) -> datetime:
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"must be {SPAN}")
    return value.astimezone(UTC)


ScanTime = Annotated[
    AwareDatetime,
    AfterValidator(_plausible),
    Field(description="When it happened, with a UTC offset; default: when the server got it"),
]

OrderNoPath = Annotated[str, Path(min_length=1, max_length=16, pattern=_PRINTABLE)]
NamePath = Annotated[str, Path(min_length=1, max_length=64, pattern=_PRINTABLE)]
"""A channel's (or other named thing's) name in a path."""
PickerQuery = Annotated[str | None, Query(min_length=1, max_length=64, pattern=_PRINTABLE)]
WarehouseQuery = Annotated[str | None, Query(min_length=1, max_length=32, pattern=_PRINTABLE)]

"""Canonical orders: what every connector and importer hands to the store.

Validation happens here, once, at the boundary; the batch upsert trusts these objects.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from store.errors import InvalidInput
from store.stages import Stage, parse_stage
from store.timebounds import EARLIEST, LATEST, SPAN

Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
Text64 = Annotated[str, Field(min_length=1, max_length=64)]


class CanonicalItem(BaseModel):
    """One order line as the channel sold it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: Text64
    quantity: Annotated[int, Field(gt=0)]
    unit_price: Money
    name: Annotated[str, Field(max_length=255)] | None = None


class CanonicalOrder(BaseModel):
    """A channel's view of one order at one moment (its ``modified_at``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel_order_id: Text64
    stage: Stage
    amount: Money
    created_at: AwareDatetime
    modified_at: AwareDatetime
    """The channel's modified time; the store applies only newer versions."""
    paid_at: AwareDatetime | None = None
    payment_method: Annotated[str, Field(max_length=32)] | None = None
    warehouse: Annotated[str, Field(max_length=32)] | None = None
    ship_by: AwareDatetime | None = None
    buyer_name: Annotated[str, Field(max_length=128)] | None = None
    buyer_phone: Annotated[str, Field(max_length=32)] | None = None
    buyer_address: str | None = None
    """Plain text only (see ``Order.buyer_address``)."""
    buyer_ciphertext: str | None = None
    """The buyer fields the platform sent encrypted, as JSON text (``Order.buyer_ciphertext``)."""
    items: tuple[CanonicalItem, ...] = ()

    @field_validator("created_at", "modified_at", "paid_at", "ship_by")
    @classmethod
    def _in_span(cls, value: datetime | None) -> datetime | None:
        if value is not None and not EARLIEST <= value < LATEST:
            raise ValueError(f"{value.isoformat()} is not {SPAN}")
        return value

    @field_validator("stage", mode="before")
    @classmethod
    def _stage(cls, value: Any) -> Stage:
        if isinstance(value, Stage):
            return value
        try:
            return parse_stage(str(value))
        except InvalidInput as exc:
            raise ValueError(exc.message) from None

    @classmethod
    def parse(cls, data: dict[str, Any]) -> CanonicalOrder:
        """Build from plain data; any problem becomes one ``InvalidInput`` naming the field."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise InvalidInput(_describe(data.get("channel_order_id"), exc)) from None


def _describe(order_id: object, exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "order"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            message = "is required"
        problems.append(f"{where}: {message}")
    label = f"order {order_id}" if order_id else "order"
    return f"{label}: " + "; ".join(problems)


def stage_time(order: CanonicalOrder) -> datetime:
    """When the order entered the stage the channel reports."""
    if order.stage is Stage.PAID and order.paid_at is not None:
        return order.paid_at
    return order.modified_at

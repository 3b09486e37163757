"""How long an order spends in each stage, read from its stage timestamps.

One table says where each stage's time starts and ends. A stage ends at the first of its exit
times that is set, in flow order: an order awaiting pick leaves when it is picked, or when the
channel reports it shipped without a pick scan, or when it is cancelled. Time spent on hold
counts in the stage the hold interrupted. A duration is counted in the window it *ends* in, so
a window's figures are final once the window is over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement

from store.models import Order
from store.stages import Stage


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of an order's life between two of its timestamps."""

    name: str
    start: str
    ends: tuple[str, ...]

    def start_at(self) -> ColumnElement[Any]:
        return getattr(Order, self.start)  # type: ignore[no-any-return]

    def end_at(self) -> ColumnElement[Any]:
        columns = [getattr(Order, name) for name in self.ends]
        return columns[0] if len(columns) == 1 else func.coalesce(*columns)


STAGE_SPANS: dict[Stage, Span] = {
    Stage.PENDING_REVIEW: Span(
        "pending_review", "pending_review_at", ("awaiting_pick_at", "shipped_at", "cancelled_at")
    ),
    Stage.PAID: Span(
        "paid",
        "paid_at",
        ("pending_review_at", "awaiting_pick_at", "shipped_at", "cancelled_at"),
    ),
    Stage.AWAITING_PICK: Span(
        "awaiting_pick", "awaiting_pick_at", ("picked_at", "shipped_at", "cancelled_at")
    ),
    Stage.PICKED: Span("picked", "picked_at", ("packed_at", "shipped_at", "cancelled_at")),
    Stage.PACKED: Span("packed", "packed_at", ("shipped_at", "cancelled_at")),
    Stage.SHIPPED: Span("shipped", "shipped_at", ("delivered_at",)),
}
"""Stage → where its time starts and the exits that end it (first set one wins)."""

DELAY_STAGES: tuple[Stage, ...] = (
    Stage.PENDING_REVIEW,
    Stage.PAID,
    Stage.AWAITING_PICK,
    Stage.PICKED,
    Stage.PACKED,
)
"""Stages the seller's own operation is responsible for (not the carrier's transit)."""

PROCESSING = Span("processing", "paid_at", ("shipped_at",))
"""The article's order processing time (订单处理时效): paid → shipped."""

WAREHOUSE_NODES: tuple[Span, ...] = (
    Span("to_first_pick", "awaiting_pick_at", ("first_picked_at",)),
    Span("first_pick_to_packed", "first_picked_at", ("packed_at",)),
    Span("packed_to_pickup", "packed_at", ("shipped_at",)),
    Span("awaiting_pick_to_pickup", "awaiting_pick_at", ("shipped_at",)),
)
"""The warehouse board's nodes: entered awaiting pick → first item picked → last item packed
→ carrier pickup, and the whole way."""

"""How long an order spends in each stage, read from its stage timestamps.

Where each stage's time starts and ends is the store's (``store.stages.STAGE_SPANS``, which
the rules' dry run reads too): a stage ends at the first of its exit times that is set, in
flow order. A duration is counted in the window it *ends* in, so a window's figures are final
once the window is over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement

from store import stages
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


DELAY_STAGES: tuple[Stage, ...] = (
    Stage.PENDING_REVIEW,
    Stage.PAID,
    Stage.AWAITING_PICK,
    Stage.PICKED,
    Stage.PACKED,
)
"""Stages the seller's own operation is responsible for (not the carrier's transit)."""

STAGE_SPANS: dict[Stage, Span] = {
    stage: Span(stage.value, stages.STAGE_SPANS[stage].start, stages.STAGE_SPANS[stage].ends)
    for stage in (*DELAY_STAGES, Stage.SHIPPED)
}
"""The stages whose dwell the metrics report (``shipped``: carrier transit), spanned as the
store's stage table says."""

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

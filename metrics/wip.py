"""Work in progress (在制订单): how many orders sit in each stage right now, and since when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Order
from store.stages import Stage

# The open stages as an order walks them: the warehouse's work in progress.
OPEN_STAGES: tuple[Stage, ...] = (
    Stage.PENDING_REVIEW,
    Stage.PAID,
    Stage.AWAITING_PICK,
    Stage.PICKED,
    Stage.PACKED,
    Stage.ON_HOLD,
)
DONE_STAGES: tuple[Stage, ...] = (Stage.SHIPPED, Stage.DELIVERED, Stage.CANCELLED)
STAGE_ORDER: tuple[Stage, ...] = OPEN_STAGES + DONE_STAGES
"""Display order of every stage: work in progress first, then where work is done."""


@dataclass(frozen=True, slots=True)
class StageCount:
    """Orders currently in ``stage`` and when the longest-waiting of them entered it."""

    stage: str
    count: int
    oldest_entered_at: datetime | None

    @property
    def is_open(self) -> bool:
        return Stage(self.stage) in OPEN_STAGES

    def oldest_age_hours(self, now: datetime) -> float | None:
        """Hours the longest-waiting order has spent in the stage at ``now``."""
        if self.oldest_entered_at is None:
            return None
        return max(0.0, (now - self.oldest_entered_at).total_seconds() / 3600)


def orders_by_stage(session: Session, *, now: datetime) -> list[StageCount]:
    """One entry per stage in ``STAGE_ORDER`` (zero when empty), as of ``now``.

    One GROUP BY served by the ``(stage, stage_entered_at)`` index. Orders stamped after
    ``now`` (a channel clock running ahead) are left out until their time comes, so that an
    age is never negative and a snapshot is repeatable.
    """
    rows = session.execute(
        select(Order.stage, func.count(), func.min(Order.stage_entered_at))
        .where(Order.stage_entered_at <= now)
        .group_by(Order.stage)
    ).all()
    found: dict[str, tuple[int, datetime | None]] = {
        stage: (count, oldest) for stage, count, oldest in rows
    }
    return [StageCount(stage.value, *found.get(stage.value, (0, None))) for stage in STAGE_ORDER]


def total_orders(counts: list[StageCount]) -> int:
    return sum(entry.count for entry in counts)

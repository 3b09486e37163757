"""Work in progress (在制订单): how many orders sit in each stage right now, and since when."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from store.models import Order
from store.stages import OPEN_STAGES, Stage

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


def orders_by_stage(
    session: Session, *, now: datetime, where: Sequence[ColumnElement[bool]] = ()
) -> list[StageCount]:
    """One entry per stage in ``STAGE_ORDER`` (zero when empty), as of ``now``.

    One GROUP BY served by the ``(stage, stage_entered_at)`` index. Orders stamped after
    ``now`` (a channel clock running ahead) are left out until their time comes, so that an
    age is never negative and a snapshot is repeatable. ``where`` narrows the orders counted
    (a channel, a warehouse).
    """
    rows = session.execute(
        select(Order.stage, func.count(), func.min(Order.stage_entered_at))
        .where(Order.stage_entered_at <= now, *where)
        .group_by(Order.stage)
    ).all()
    found: dict[str, tuple[int, datetime | None]] = {
        stage: (count, oldest) for stage, count, oldest in rows
    }
    return [StageCount(stage.value, *found.get(stage.value, (0, None))) for stage in STAGE_ORDER]


def total_orders(counts: list[StageCount]) -> int:
    return sum(entry.count for entry in counts)


AGE_BUCKETS: tuple[tuple[str, timedelta], ...] = (
    ("under_1h", timedelta(hours=1)),
    ("1h_2h", timedelta(hours=2)),
    ("2h_4h", timedelta(hours=4)),
    ("4h_8h", timedelta(hours=8)),
    ("8h_24h", timedelta(hours=24)),
    ("1d_3d", timedelta(days=3)),
)
OLDEST_BUCKET = "over_3d"
"""How long open orders have waited in their stage: each bucket holds ages below its bound."""


def age_distribution(
    session: Session, *, now: datetime, where: Sequence[ColumnElement[bool]] = ()
) -> dict[str, dict[str, int]]:
    """Open orders per stage by how long they have been in it at ``now`` (every bucket of
    every open stage present, zero when empty). Reads only open orders, through the
    ``(stage, stage_entered_at)`` index, so its cost follows the work in progress, not the
    history."""
    bucket = case(
        *((Order.stage_entered_at > now - bound, name) for name, bound in AGE_BUCKETS),
        else_=OLDEST_BUCKET,
    )
    rows = session.execute(
        select(Order.stage, bucket, func.count())
        .where(
            Order.stage.in_([stage.value for stage in OPEN_STAGES]),
            Order.stage_entered_at <= now,
            *where,
        )
        .group_by(Order.stage, bucket)
    ).all()
    names = [name for name, _bound in AGE_BUCKETS] + [OLDEST_BUCKET]
    found = {stage.value: dict.fromkeys(names, 0) for stage in OPEN_STAGES}
    for stage, name, count in rows:
        found[stage][name] = int(count)
    return found

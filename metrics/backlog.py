"""Backlog (积压) per warehouse and stage, now and at past moments, without reading the history
of orders: the count now comes from the open orders, a past one from the count now less what
entered and plus what left since, summed from the hourly rollups.

A stage's backlog is counted as its dwell time is (``store.stages.STAGE_SPANS``): an order on
hold counts in the stage it interrupted, and one that review passed back to 已支付 counts in
待审核 until it is released. That is what makes the two halves agree: the rollups count an
entry at the stage's start time and an exit at the first of its exit times, and between the
two the order is in the stage's backlog. A past moment inside an hour is read between the
backlogs at the hour's two ends, in proportion.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import case, func, select, union_all
from sqlalchemy.orm import Session

from metrics.board import rolled_up_to
from metrics.rollups import HOUR, facts, floor_hour
from metrics.spans import DELAY_STAGES
from store.models import MetricHourly, Order
from store.stages import OPEN_STAGES, Stage

BACKLOG_STAGES: tuple[str, ...] = tuple(stage.value for stage in DELAY_STAGES)
"""Stages whose backlog is the seller's own work waiting (not the carrier's transit)."""
Key = tuple[str, str]
"""``(warehouse, stage)``; the warehouse is empty for orders that have none yet."""
AHEAD = timedelta(days=1)
"""Stage times this far after now still count (a channel's clock running ahead)."""


def backlog_now(session: Session) -> dict[Key, int]:
    """Orders in each backlog stage per warehouse now. Reads only the open orders (through
    the ``(stage, stage_entered_at)`` index), so its cost follows the work in progress."""
    stage = case((Order.stage == Stage.ON_HOLD.value, Order.held_from_stage), else_=Order.stage)
    reviewed = Order.pending_review_at.is_not(None)
    warehouse = func.coalesce(Order.warehouse, "")
    rows = session.execute(
        select(warehouse, stage, reviewed, func.count())
        .where(Order.stage.in_([s.value for s in OPEN_STAGES]))
        .group_by(warehouse, stage, reviewed)
    )
    found: dict[Key, int] = defaultdict(int)
    for where, in_stage, was_reviewed, count in rows:
        if in_stage == Stage.PAID.value and was_reviewed:
            in_stage = Stage.PENDING_REVIEW.value
        if in_stage in BACKLOG_STAGES:
            found[(str(where), str(in_stage))] += int(count)
    return dict(found)


def backlog_at(
    session: Session, moments: Sequence[datetime], now: datetime, current: dict[Key, int]
) -> dict[Key, list[float | None]]:
    """The backlog of every key at each of ``moments`` (all before ``now``), given the backlog
    ``current`` now: one value per moment, ``None`` for a moment before the rollups begin (the
    store had no history then) or when the rollups have never run."""
    rolled = rolled_up_to(session)
    first = session.scalar(select(func.min(MetricHourly.hour)))
    if rolled is None or first is None or not moments:
        return {key: [None] * len(moments) for key in current}
    start = floor_hour(min(moments))
    net = _net_by_hour(session, start, min(rolled, floor_hour(now)), now)
    found: dict[Key, list[float | None]] = {}
    for key in set(current) | set(net):
        flow = _FlowSince(net.get(key, {}))
        values: list[float | None] = []
        for moment in moments:
            if moment < first:
                values.append(None)
                continue
            low = floor_hour(moment)
            at_low = current.get(key, 0) - flow.since(low)
            at_high = current.get(key, 0) - flow.since(low + HOUR)
            values.append(at_low + (at_high - at_low) * ((moment - low) / HOUR))
        found[key] = values
    return found


class _FlowSince:
    """Net flow (entries less exits) from the start of an hour up to now."""

    def __init__(self, hourly: dict[datetime, int]) -> None:
        self.hours = sorted(hourly)
        self.suffix = [0] * (len(self.hours) + 1)
        for index in range(len(self.hours) - 1, -1, -1):
            self.suffix[index] = self.suffix[index + 1] + hourly[self.hours[index]]

    def since(self, hour: datetime) -> int:
        return self.suffix[bisect_left(self.hours, hour)]


def _net_by_hour(
    session: Session, start: datetime, frontier: datetime, now: datetime
) -> dict[Key, dict[datetime, int]]:
    """Entries less exits per key and UTC hour from ``start`` on: from the rollups for the
    hours they are final for (before ``frontier``), from the orders themselves after it."""
    rolled = (
        select(
            MetricHourly.hour.label("hour"),
            MetricHourly.warehouse.label("warehouse"),
            MetricHourly.stage.label("stage"),
            (MetricHourly.entered - MetricHourly.exited - MetricHourly.negative).label("net"),
        )
        .where(MetricHourly.stage.in_(BACKLOG_STAGES))
        .where(MetricHourly.hour >= start, MetricHourly.hour < frontier)
    )
    recent = facts(session, frontier, now + AHEAD)
    fresh = select(
        recent.c.hour,
        recent.c.warehouse,
        recent.c.stage,
        (recent.c.entered - recent.c.exited - recent.c.negative).label("net"),
    ).where(recent.c.stage.in_(BACKLOG_STAGES))
    both = union_all(rolled, fresh).subquery()
    rows = session.execute(
        select(both.c.hour, both.c.warehouse, both.c.stage, func.sum(both.c.net)).group_by(
            both.c.hour, both.c.warehouse, both.c.stage
        )
    )
    found: dict[Key, dict[datetime, int]] = defaultdict(dict)
    for hour, warehouse, stage, net in rows:
        hours = found[(str(warehouse), str(stage))]
        moment = floor_hour(hour)
        hours[moment] = hours.get(moment, 0) + int(net or 0)
    return dict(found)

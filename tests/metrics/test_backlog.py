"""Backlog per warehouse and stage, now from the open orders and at past moments from the
rollups, against a plain-Python count over the orders' own stage times."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from metrics.backlog import BACKLOG_STAGES, Key, backlog_at, backlog_now
from metrics.rollups import roll_up
from store.models import Order
from store.stages import STAGE_SPANS, Stage
from store.transitions import move_order
from tests.metrics.fixtures import Spec, load, local

NOW = local("03-26 15:00")
FLOW = ("paid_at", "awaiting_pick_at", "picked_at", "packed_at", "shipped_at")


def _specs(count: int) -> list[Spec]:
    """Orders paid over five weeks, each a few hours along the flow, some cancelled while
    waiting to be picked; the stage each stands in at ``NOW`` follows from its times."""
    rng = random.Random(7)
    specs = []
    for n in range(count):
        moment = NOW - timedelta(hours=rng.uniform(0, 24 * 35))
        times: dict[str, datetime] = {}
        for column in FLOW:
            if moment > NOW:
                break
            times[column] = moment
            moment += timedelta(minutes=rng.expovariate(1 / 600))
        if "awaiting_pick_at" in times and "picked_at" not in times and n % 7 == 0:
            times["cancelled_at"] = times["awaiting_pick_at"] + timedelta(minutes=5)
            if times["cancelled_at"] > NOW:
                del times["cancelled_at"]
        stage = "cancelled" if "cancelled_at" in times else max(times, key=times.__getitem__)
        specs.append(Spec(f"B{n:04d}", stage.removesuffix("_at"), times, warehouse=f"W{n % 2}"))
    return specs


def _in_stage(spec_times: dict[str, datetime], stage: str, at: datetime) -> bool:
    """The order was in ``stage`` at ``at``, by the store's spans (an hour boundary: the
    rollups count an entry from its hour's start)."""
    span = STAGE_SPANS[Stage(stage)]
    start = spec_times.get(span.start)
    ends = [spec_times[c] for c in span.ends if c in spec_times]
    return start is not None and start < at and (not ends or min(ends) >= at)


def _python(specs: list[Spec], at: datetime) -> dict[Key, int]:
    found: dict[Key, int] = {}
    for spec in specs:
        for stage in BACKLOG_STAGES:
            if _in_stage(spec.times, stage, at):
                key = (spec.warehouse, stage)
                found[key] = found.get(key, 0) + 1
    return found


def test_backlog_now_and_in_past_weeks_match_the_orders(sessions: sessionmaker[Session]) -> None:
    specs = _specs(600)
    load(sessions, specs)
    with sessions.begin() as session:
        roll_up(session, now=NOW)
    moments = [NOW - timedelta(weeks=n) for n in range(1, 5)] + [NOW - timedelta(hours=30)]
    with sessions() as session:
        current = backlog_now(session)
        past = backlog_at(session, moments, NOW, current)
    expected_now = _python(specs, NOW + timedelta(microseconds=1))
    assert current == expected_now and sum(current.values()) > 20
    for index, moment in enumerate(moments):
        expected = _python(specs, moment)
        got = {key: values[index] for key, values in past.items() if values[index]}
        assert got == expected, moment
    before_history = NOW - timedelta(weeks=6)
    with sessions() as session:
        assert all(
            v == [None] for v in backlog_at(session, [before_history], NOW, current).values()
        )


def test_a_held_order_counts_in_the_stage_it_interrupted(sessions: sessionmaker[Session]) -> None:
    entered = NOW - timedelta(hours=3)
    load(sessions, [Spec("H1", "awaiting_pick", {"paid_at": entered, "awaiting_pick_at": entered})])
    with sessions.begin() as session:
        order_no = session.scalars(select(Order.order_no)).one()
        move_order(
            session,
            order_no=order_no,
            to="on_hold",
            source="console",
            actor="supervisor",
            at=NOW - timedelta(hours=1),
            hold_category="out_of_stock",
        )
        roll_up(session, now=NOW)
    with sessions() as session:
        current = backlog_now(session)
        assert current == {("SH-01", "awaiting_pick"): 1}
        two_hours_ago = backlog_at(session, [NOW - timedelta(hours=2)], NOW, current)
        assert two_hours_ago[("SH-01", "awaiting_pick")] == [1]


def test_a_moment_inside_an_hour_lies_between_its_ends(sessions: sessionmaker[Session]) -> None:
    specs = _specs(300)
    load(sessions, specs)
    with sessions.begin() as session:
        roll_up(session, now=NOW)
        current = backlog_now(session)
        hour = NOW - timedelta(days=9)
        ends = backlog_at(session, [hour, hour + timedelta(hours=1)], NOW, current)
        middle = backlog_at(session, [hour + timedelta(minutes=15)], NOW, current)
    for key, (low, high) in ends.items():
        assert low is not None and high is not None
        assert middle[key] == [low + (high - low) * 0.25]

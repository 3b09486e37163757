"""Escalation and acknowledgement on a fake clock: a group nobody acknowledges reaches the next
level after ``escalate_after``; an acknowledged one stops escalating and reminding; outside
business hours the on-call receivers stand in for the first level."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.ack import acknowledge_group
from store.audit import audit_trail
from store.errors import NotFound
from store.models import Alert, AlertGroup
from store.transitions import move_order
from tests.alerts.pipeline import (
    PICK_DUE,
    Consumer,
    Pipeline,
    awaiting_pick,
    configure,
    consumer,
    route,
    webhook,
)
from tests.factories import T0, add_channel

S = timedelta(seconds=1)
M = timedelta(minutes=1)
Hooks = tuple[Consumer, Consumer, Consumer, Pipeline]


@pytest.fixture
def hooks(sessions: sessionmaker[Session]) -> Iterator[Hooks]:
    add_channel(sessions)
    with consumer() as (floor, a), consumer() as (boss, b), consumer() as (night, c):
        configure(
            sessions,
            [webhook("floor", a), webhook("boss", b), webhook("night", c)],
            [
                route(
                    levels=(("floor",), ("boss",)),
                    on_call=("night",),
                    escalate_after=600,
                    group_interval=60,
                    repeat_interval=7200,
                    business_hours={"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00"},
                )
            ],
        )
        yield floor, boss, night, Pipeline(sessions)


def group_id(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalars(select(AlertGroup.id)).one()


def test_unacknowledged_the_next_level_is_told_after_escalate_after(
    sessions: sessionmaker[Session], hooks: Hooks
) -> None:
    floor, boss, night, pipeline = hooks
    orders = awaiting_pick(sessions, 2)  # due 11:00 Shanghai, a Monday: business hours
    pipeline.tick(T0, changed=tuple(orders))
    pipeline.step(PICK_DUE)
    assert (len(floor.accepted), len(boss.accepted), len(night.accepted)) == (1, 0, 0)
    pipeline.step(PICK_DUE + 10 * M - S)
    assert boss.accepted == []
    pipeline.step(PICK_DUE + 10 * M)
    assert [m["title"] for m in boss.accepted] == ["2 单在 SH-01 待拣货 超过 2 小时"]
    assert len(floor.accepted) == 1  # the first level heard it already
    more = awaiting_pick(sessions, 1, at=T0 + 11 * M, prefix="M")
    pipeline.tick(PICK_DUE + 11 * M - S, changed=tuple(more))
    pipeline.step(PICK_DUE + 11 * M)
    pipeline.step(PICK_DUE + 12 * M)
    # A change now reaches every level so far; there is no third level to escalate to.
    assert [m["title"][:2] for m in floor.accepted] == ["2 ", "3 "]
    assert [m["title"][:2] for m in boss.accepted] == ["2 ", "3 "]


def test_acknowledged_nothing_escalates_or_repeats_but_the_resolved_notice_comes(
    sessions: sessionmaker[Session], hooks: Hooks
) -> None:
    floor, boss, _night, pipeline = hooks
    orders = awaiting_pick(sessions, 1)
    pipeline.tick(T0, changed=tuple(orders))
    pipeline.step(PICK_DUE)
    with sessions.begin() as session:
        acknowledge_group(session, group_id(sessions), actor="ann", now=PICK_DUE + M)
    pipeline.step(PICK_DUE + 10 * M)
    pipeline.step(PICK_DUE + 3 * 60 * M)
    assert (len(floor.accepted), len(boss.accepted)) == (1, 0)
    with sessions() as session:
        alert = session.scalars(select(Alert)).one()
        assert (alert.status, alert.acknowledged_by) == ("acknowledged", "ann")
        trail = audit_trail(session, entity_type="alert_group", entity_id=str(alert.group_id))
    assert [e.action for e in trail] == ["alert_group.acknowledged"]
    with sessions.begin() as session:
        move_order(
            session, order_no=orders[0], to="picked", source="handheld", at=PICK_DUE + 4 * 60 * M
        )
    pipeline.tick(PICK_DUE + 4 * 60 * M, changed=tuple(orders))
    pipeline.deliver(PICK_DUE + 4 * 60 * M)
    assert floor.accepted[-1]["title"].startswith("已恢复：")


def test_acknowledging_twice_changes_nothing_and_an_unknown_group_is_refused(
    sessions: sessionmaker[Session], hooks: Hooks
) -> None:
    *_, pipeline = hooks
    orders = awaiting_pick(sessions, 1)
    pipeline.tick(T0, changed=tuple(orders))
    pipeline.step(PICK_DUE)
    gid = group_id(sessions)
    with sessions.begin() as session:
        first = acknowledge_group(session, gid, actor="ann", now=PICK_DUE + M).acknowledged_at
        again = acknowledge_group(session, gid, actor="bob", now=PICK_DUE + 2 * M)
        assert (again.acknowledged_by, again.acknowledged_at) == ("ann", first)
    with pytest.raises(NotFound, match="no alert group #999"), sessions.begin() as session:
        acknowledge_group(session, 999, actor="ann", now=PICK_DUE)


def test_outside_business_hours_the_on_call_receiver_stands_in(
    sessions: sessionmaker[Session], hooks: Hooks
) -> None:
    floor, _boss, night, pipeline = hooks
    evening = T0 + timedelta(hours=10)  # 19:00 Shanghai: due at 21:00
    orders = awaiting_pick(sessions, 1, at=evening)
    pipeline.tick(evening, changed=tuple(orders))
    pipeline.step(evening + timedelta(hours=2))
    assert (len(floor.accepted), len(night.accepted)) == (0, 1)

"""The worker's periodic deadline refresh follows what changed, from any process: a move
nobody refreshed, a new order, a saved rule; unchanged orders are left alone (at a million
open orders a full pass is most of a minute, and it ran every minute)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rules.catalog import save_rules
from rules.defaults import DEFAULT_RULES
from rules.review import current_rules
from rules.sla import refresh_changed_deadlines
from store.models import Order
from store.transitions import move_order
from tests.factories import T0, add_channel, add_order

ZONE = ZoneInfo("Asia/Shanghai")


def _refresh(sessions: sessionmaker[Session], minutes: int) -> int:
    with sessions.begin() as session:
        now = T0 + timedelta(minutes=minutes)
        return refresh_changed_deadlines(session, current_rules(session), zone=ZONE, now=now)


def _deadline(sessions: sessionmaker[Session], order_no: str) -> object:
    with sessions() as session:
        query = select(Order.next_deadline_at).where(Order.order_no == order_no)
        return session.scalar(query)


def test_the_refresh_follows_moves_new_orders_and_rule_changes(
    sessions: sessionmaker[Session],
) -> None:
    add_channel(sessions)
    first = add_order(sessions, "R1")
    assert _refresh(sessions, 0) == 1  # the first pass: every open order
    ship_by = T0 + timedelta(hours=48)  # paid at T0: the default promise
    assert _deadline(sessions, first) == ship_by
    assert _refresh(sessions, 1) == 0  # nothing changed: nothing computed again

    with sessions.begin() as session:  # moved by another process, its deadline left stale
        move_order(session, order_no=first, to="awaiting_pick", source="rule", at=T0)
    second = add_order(sessions, "R2")
    assert _refresh(sessions, 2) == 2
    assert _deadline(sessions, first) == T0 + timedelta(hours=2)
    assert _deadline(sessions, second) == ship_by

    relaxed = DEFAULT_RULES.model_copy(
        update={"sla": tuple(p.model_copy(update={"max_hours": 3}) for p in DEFAULT_RULES.sla)}
    )
    with sessions.begin() as session:
        save_rules(session, relaxed, kinds=["sla"], author="ops-li", reason="slower picking")
    assert _refresh(sessions, 3) == 1
    assert _deadline(sessions, first) == T0 + timedelta(hours=3)

"""A small floor of stuck orders for the worklist and order-action tests, built through the
store's public functions: one order in each interesting state at ``NOW``."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from rules.review import current_rules
from rules.sla import refresh_deadlines
from store.orders import find_order
from store.picking import assign_picker
from store.stages import Source, Stage
from store.transitions import move_order
from store.upsert import upsert_orders
from tests.factories import T0, add_channel, canonical

NOW = T0 + timedelta(hours=3, minutes=45)
"""When the tests look at the floor."""


def build_floor(sessions: sessionmaker[Session]) -> dict[str, str]:
    """Order numbers by letter:

    * ``A`` tmall, awaiting pick since T0, picker 张三: 1 h 45 min over its 2-hour SLA;
    * ``B`` tmall, awaiting pick since T0 + 3 h, nobody assigned: on time;
    * ``C`` jd, warehouse GZ-03, on hold (out of stock) since T0 + 1 h: on time;
    * ``D`` tmall, pending review since T0 + 10 min: its 4-hour SLA is due in 25 minutes;
    * ``S`` tmall, shipped: not open, never in the worklist.
    """
    add_channel(sessions)
    add_channel(sessions, "jd-main")
    ship_by = {"ship_by": T0 + timedelta(hours=24)}
    with sessions.begin() as session:
        upsert_orders(session, "tmall-main", [canonical(n, **ship_by) for n in "ABDS"])
        upsert_orders(session, "jd-main", [canonical("C", warehouse="GZ-03", **ship_by)])
        numbers = {n: find_order(session, "tmall-main", n).order_no for n in "ABDS"}
        numbers["C"] = find_order(session, "jd-main", "C").order_no
        _move(session, numbers["A"], Stage.AWAITING_PICK, 0)
        assign_picker(session, order_no=numbers["A"], picker="张三", actor="lead")
        _move(session, numbers["B"], Stage.AWAITING_PICK, 180)
        _move(session, numbers["C"], Stage.ON_HOLD, 60, hold_category="out_of_stock")
        _move(session, numbers["D"], Stage.PENDING_REVIEW, 10)
        _move(session, numbers["S"], Stage.SHIPPED, 30, source=Source.CHANNEL)
        refresh_deadlines(session, current_rules(session), zone=ZoneInfo("Asia/Shanghai"))
    return numbers


def _move(
    session: Session,
    order_no: str,
    to: Stage,
    minutes: int,
    *,
    source: Source = Source.RULE,
    hold_category: str | None = None,
) -> None:
    when = T0 + timedelta(minutes=minutes)
    move_order(
        session,
        order_no=order_no,
        to=to,
        source=source,
        actor="test",
        at=when,
        hold_category=hold_category,
    )

"""Order actions in batches: each order applied or refused on its own, audited with the person
and the source, refused when it changed since the person saw it (SQLite and PostgreSQL)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from rules.order_actions import (
    ActionKind,
    BatchResult,
    OrderAction,
    Seen,
    act_on_orders,
    offered_actions,
)
from store.audit import audit_trail
from store.errors import InvalidInput
from store.floor import release_hold
from store.models import Order
from store.orders import find_order, get_order, timeline
from store.stages import Source
from store.transitions import move_order
from store.upsert import upsert_orders
from tests.factories import canonical
from tests.worklist_floor import build_floor


@pytest.fixture
def floor(sessions: sessionmaker[Session]) -> dict[str, str]:
    return build_floor(sessions)


SHANGHAI = ZoneInfo("Asia/Shanghai")


def act(sessions: sessionmaker[Session], action: OrderAction, seen: list[Seen]) -> BatchResult:
    with sessions.begin() as session:
        return act_on_orders(
            session, action, seen, actor="wang.supervisor", source=Source.CONSOLE, zone=SHANGHAI
        )


def state(sessions: sessionmaker[Session], order_no: str) -> tuple[str, str | None]:
    with sessions() as session:
        order = get_order(session, order_no)
        return order.stage, order.assignee


def test_a_refused_order_never_spoils_the_batch(
    sessions: sessionmaker[Session], floor: dict[str, str]
) -> None:
    # B goes on hold too; then someone else releases it before the supervisor's batch.
    act(
        sessions,
        OrderAction(ActionKind.HOLD, category="unclear_address"),
        [Seen(floor["B"], "awaiting_pick")],
    )
    with sessions.begin() as session:
        release_hold(session, order_no=floor["B"], actor="li.supervisor", source=Source.API)
    result = act(
        sessions,
        OrderAction(ActionKind.RELEASE),
        [Seen(floor["C"], "on_hold"), Seen(floor["B"], "on_hold"), Seen("OW9999999999", "on_hold")],
    )
    assert [(o.order_no, o.applied, o.code) for o in result.outcomes] == [
        (floor["C"], True, "applied"),
        (floor["B"], False, "stage_changed"),
        ("OW9999999999", False, "unknown_order"),
    ]
    assert result.refused[0].message == (
        f"{floor['B']} is awaiting pick now, not on hold as shown: it changed meanwhile"
    )
    assert result.refused[0].stage == "awaiting_pick"
    assert state(sessions, floor["C"]) == ("paid", None)
    with sessions() as session:
        released = audit_trail(session, entity_type="order", entity_id=floor["C"])[-1]
        assert (released.actor, released.action) == ("wang.supervisor", "order.released")
        last = timeline(session, get_order(session, floor["C"]))[-1]
        assert (last.source, last.actor) == ("console", "wang.supervisor")


def test_reassigning_refuses_an_order_someone_else_reassigned(
    sessions: sessionmaker[Session], floor: dict[str, str]
) -> None:
    result = act(
        sessions,
        OrderAction(ActionKind.ASSIGN, picker="李四"),
        [Seen(floor["A"], "awaiting_pick", "王五"), Seen(floor["B"], "awaiting_pick")],
    )
    assert [(o.applied, o.code) for o in result.outcomes] == [
        (False, "reassigned"),
        (True, "applied"),
    ]
    assert result.outcomes[0].message == f"{floor['A']} was reassigned to 张三 meanwhile"
    assert state(sessions, floor["A"]) == ("awaiting_pick", "张三")
    assert state(sessions, floor["B"]) == ("awaiting_pick", "李四")
    with sessions() as session:
        entry = audit_trail(session, entity_type="order", entity_id=floor["B"])[-1]
        assert (entry.actor, entry.action, entry.after) == (
            "wang.supervisor",
            "order.assigned",
            {"assignee": "李四"},
        )


def test_approve_and_reject_review(sessions: sessionmaker[Session], floor: dict[str, str]) -> None:
    refused = act(sessions, OrderAction(ActionKind.APPROVE), [Seen(floor["B"], "awaiting_pick")])
    assert refused.outcomes[0].code == "transition_refused"
    assert "not pending review" in refused.outcomes[0].message
    approved = act(
        sessions,
        OrderAction(ActionKind.APPROVE, note="买家已电话确认"),
        [Seen(floor["D"], "pending_review")],
    )
    assert approved.outcomes[0].stage == "paid"
    with sessions() as session:
        last = timeline(session, get_order(session, floor["D"]))[-1]
        assert (last.to_stage, last.note) == ("paid", "买家已电话确认")


def test_reject_needs_a_reason_and_cancels_with_it(
    sessions: sessionmaker[Session], floor: dict[str, str]
) -> None:
    with pytest.raises(InvalidInput, match="needs a reason"):
        act(
            sessions,
            OrderAction(ActionKind.REJECT, note="  "),
            [Seen(floor["D"], "pending_review")],
        )
    assert state(sessions, floor["D"]) == ("pending_review", None)
    act(
        sessions,
        OrderAction(ActionKind.REJECT, note="疑似欺诈"),
        [Seen(floor["D"], "pending_review")],
    )
    with sessions() as session:
        order = get_order(session, floor["D"])
        assert (order.stage, order.next_deadline_at) == ("cancelled", None)
        assert timeline(session, order)[-1].note == "疑似欺诈"


def test_hold_with_category_and_note_recomputes_the_deadline(
    sessions: sessionmaker[Session], floor: dict[str, str]
) -> None:
    with pytest.raises(InvalidInput, match="needs a category"):
        act(sessions, OrderAction(ActionKind.HOLD), [Seen(floor["A"], "awaiting_pick", "张三")])
    result = act(
        sessions,
        OrderAction(ActionKind.HOLD, category="unclear_address", note="缺门牌号"),
        [Seen(floor["A"], "awaiting_pick", "张三")],
    )
    assert result.outcomes[0].stage == "on_hold"
    with sessions() as session:
        order = session.scalar(select(Order).where(Order.order_no == floor["A"]))
        assert order is not None
        assert (order.hold_category, order.hold_note) == ("unclear_address", "缺门牌号")
        assert order.next_deadline_at == order.ship_by  # no SLA for holds: only the promise


def test_a_note_is_an_audit_entry(sessions: sessionmaker[Session], floor: dict[str, str]) -> None:
    with pytest.raises(InvalidInput, match="a note needs text"):
        act(sessions, OrderAction(ActionKind.NOTE), [Seen(floor["C"], "on_hold")])
    act(sessions, OrderAction(ActionKind.NOTE, note="已催供应商"), [Seen(floor["C"], "on_hold")])
    with sessions() as session:
        entry = audit_trail(session, entity_type="order", entity_id=floor["C"])[-1]
    assert (entry.actor, entry.action) == ("wang.supervisor", "order.noted")
    assert entry.after == {"note": "已催供应商", "source": "console", "stage": "on_hold"}
    assert state(sessions, floor["C"]) == ("on_hold", None)


def test_a_batch_names_each_order_once(
    sessions: sessionmaker[Session], floor: dict[str, str]
) -> None:
    twice = [Seen(floor["C"], "on_hold"), Seen(floor["C"], "on_hold")]
    with pytest.raises(InvalidInput, match="more than once"):
        act(sessions, OrderAction(ActionKind.RELEASE), twice)
    with pytest.raises(InvalidInput, match="a batch holds"):
        act(sessions, OrderAction(ActionKind.RELEASE), [])


@pytest.mark.parametrize(
    ("stage", "offered"),
    [
        ("pending_review", ["approve", "reject", "hold", "note"]),
        ("paid", ["hold", "note"]),
        ("awaiting_pick", ["assign", "hold", "note"]),
        ("on_hold", ["assign", "release", "note"]),
        ("shipped", ["note"]),
        ("cancelled", ["note"]),
    ],
)
def test_an_order_is_offered_the_actions_its_stage_allows(stage: str, offered: list[str]) -> None:
    assert [kind.value for kind in offered_actions(stage)] == offered


def held_orders(sessions: sessionmaker[Session], count: int, first: int) -> list[Seen]:
    """``count`` more orders on hold (out of stock) from 待拣货."""
    names = [f"H{n}" for n in range(first, first + count)]
    with sessions.begin() as session:
        upsert_orders(session, "tmall-main", [canonical(name) for name in names])
        numbers = [find_order(session, "tmall-main", name).order_no for name in names]
        for order_no in numbers:
            for to in ("awaiting_pick", "on_hold"):
                move_order(
                    session,
                    order_no=order_no,
                    to=to,
                    source=Source.RULE,
                    hold_category="out_of_stock",
                )
    return [Seen(order_no, "on_hold") for order_no in numbers]


def test_a_batch_reads_its_orders_once_however_many_it_holds(
    sessions: sessionmaker[Session], floor: dict[str, str]
) -> None:
    def order_reads(seen: list[Seen]) -> int:
        reads: list[str] = []
        engine = sessions.kw["bind"]

        def count(*args: object) -> None:
            statement = str(args[2])
            if statement.lstrip().startswith("SELECT") and "FROM orders" in statement:
                reads.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            result = act(sessions, OrderAction(ActionKind.RELEASE), seen)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert len(result.applied) == len(seen)
        return len(reads)

    few, many = held_orders(sessions, 2, 0), held_orders(sessions, 12, 2)
    assert order_reads(few) == order_reads(many)
    assert {state(sessions, seen.order_no) for seen in few + many} == {("awaiting_pick", None)}

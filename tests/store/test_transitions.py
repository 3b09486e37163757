"""Every allowed and every refused move of the stage table, through ``move_order``."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from store.audit import audit_trail
from store.errors import InvalidInput, NotFound, TransitionRefused
from store.models import AuditEntry, Order, StageEvent
from store.orders import get_order, timeline
from store.stages import HOLDABLE, TRANSITIONS, Move, Source, Stage, check_move
from store.transitions import move_order
from tests.factories import T0, add_channel, add_order

ALL_MOVES = list(itertools.product(Stage, Stage, Source))


def _put_in_stage(session: Session, order_no: str, stage: Stage, held_from: Stage) -> None:
    """Set up an order in ``stage`` directly (the path there is not under test)."""
    order = get_order(session, order_no)
    order.stage = stage.value
    order.held_from_stage = held_from.value if stage is Stage.ON_HOLD else None
    order.hold_category = "other" if stage is Stage.ON_HOLD else None


@pytest.mark.parametrize(("current", "target", "source"), ALL_MOVES)
def test_table_decides_every_move(current: Stage, target: Stage, source: Source) -> None:
    held_from = target if target in HOLDABLE else Stage.PAID
    move = Move("OW0000000001", current, target, source, held_from)
    allowed = source in TRANSITIONS.get((current, target), frozenset())
    if allowed:
        check_move(move)
    else:
        with pytest.raises(TransitionRefused, match="cannot move OW0000000001 from"):
            check_move(move)


@pytest.mark.parametrize(("current", "target"), sorted(TRANSITIONS))
def test_each_allowed_move_writes_event(
    sessions: sessionmaker[Session], current: Stage, target: Stage
) -> None:
    add_channel(sessions)
    order_no = add_order(sessions)
    source = sorted(TRANSITIONS[(current, target)])[0]
    with sessions.begin() as session:
        _put_in_stage(session, order_no, current, held_from=target)
    with sessions.begin() as session:
        moved = move_order(
            session,
            order_no=order_no,
            to=target,
            source=source,
            actor="ann",
            at=T0,
            hold_category="out_of_stock" if target is Stage.ON_HOLD else None,
        )
        assert moved.stage == target.value
    with sessions() as session:
        order = get_order(session, order_no)
        last = timeline(session, order)[-1]
        assert (last.from_stage, last.to_stage, last.source, last.actor) == (
            current.value,
            target.value,
            source.value,
            "ann",
        )
        assert order.stage_entered_at == T0


def test_refusal_names_order_and_reason(sessions: sessionmaker[Session]) -> None:
    add_channel(sessions)
    order_no = add_order(sessions)
    with sessions.begin() as session:
        move_order(session, order_no=order_no, to="awaiting_pick", source="rule")
    with pytest.raises(TransitionRefused) as refused, sessions.begin() as session:
        move_order(session, order_no=order_no, to="packed", source="handheld", actor="p1")
    assert str(refused.value) == (
        f"cannot move {order_no} from awaiting_pick to packed: it has not been picked"
    )


@pytest.mark.parametrize(
    ("target", "source", "reason"),
    [
        ("paid", "handheld", "it is already paid"),
        ("picked", "handheld", "it has not been released to the warehouse"),
        ("awaiting_pick", "handheld", "only api, console, rule may make this move, not handheld"),
    ],
)
def test_refusal_reasons(
    sessions: sessionmaker[Session], target: str, source: str, reason: str
) -> None:
    add_channel(sessions)
    order_no = add_order(sessions)
    with pytest.raises(TransitionRefused, match=reason), sessions.begin() as session:
        move_order(session, order_no=order_no, to=target, source=source, actor="p1")


def test_refused_move_writes_nothing(sessions: sessionmaker[Session]) -> None:
    add_channel(sessions)
    order_no = add_order(sessions)
    with pytest.raises(TransitionRefused), sessions.begin() as session:
        move_order(session, order_no=order_no, to="shipped", source="console", actor="ann")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(StageEvent)) == 0
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0
        assert get_order(session, order_no).version == 1


def test_backwards_move_is_refused(sessions: sessionmaker[Session]) -> None:
    add_channel(sessions)
    order_no = add_order(sessions)
    with sessions.begin() as session:
        move_order(session, order_no=order_no, to="awaiting_pick", source="rule")
        move_order(session, order_no=order_no, to="picked", source="handheld", actor="p1")
    with (
        pytest.raises(TransitionRefused, match="orders never move backwards"),
        sessions.begin() as session,
    ):
        move_order(session, order_no=order_no, to="awaiting_pick", source="console", actor="a")


def test_hold_and_release_return_to_stage_left(sessions: sessionmaker[Session]) -> None:
    add_channel(sessions)
    order_no = add_order(sessions)
    with sessions.begin() as session:
        move_order(session, order_no=order_no, to="awaiting_pick", source="rule")
        move_order(
            session,
            order_no=order_no,
            to="on_hold",
            source="handheld",
            actor="p1",
            hold_category="unclear_address",
            note="no door number",
        )
    with (
        pytest.raises(TransitionRefused, match=r"returns the order to the stage it left"),
        sessions.begin() as session,
    ):
        move_order(session, order_no=order_no, to="paid", source="console", actor="sup")
    with sessions.begin() as session:
        order = move_order(
            session, order_no=order_no, to="awaiting_pick", source="console", actor="sup"
        )
        assert (order.stage, order.hold_category, order.held_from_stage) == (
            "awaiting_pick",
            None,
            None,
        )


@pytest.mark.parametrize(
    ("category", "message"),
    [(None, "a hold needs a category"), ("lost_in_space", "unknown hold category 'lost_in_space'")],
)
def test_hold_needs_known_category(
    sessions: sessionmaker[Session], category: str | None, message: str
) -> None:
    add_channel(sessions)
    order_no = add_order(sessions)
    with pytest.raises(InvalidInput, match=message), sessions.begin() as session:
        move_order(
            session,
            order_no=order_no,
            to="on_hold",
            source="console",
            actor="sup",
            hold_category=category,
        )


def test_person_moves_are_audited_in_same_transaction(sessions: sessionmaker[Session]) -> None:
    add_channel(sessions)
    order_no = add_order(sessions)
    with sessions.begin() as session:
        move_order(session, order_no=order_no, to="awaiting_pick", source="rule")
        move_order(
            session,
            order_no=order_no,
            to="on_hold",
            source="console",
            actor="sup",
            hold_category="out_of_stock",
        )
        move_order(session, order_no=order_no, to="awaiting_pick", source="console", actor="sup")
    with sessions() as session:
        trail = audit_trail(session, entity_type="order", entity_id=order_no)
    assert [(e.actor, e.action) for e in trail] == [
        ("sup", "order.held"),
        ("sup", "order.released"),
    ]
    assert trail[0].before == {
        "stage": "awaiting_pick",
        "hold_category": None,
        "held_from_stage": None,
        "version": 2,
    }
    assert trail[0].after is not None
    assert trail[0].after["hold_category"] == "out_of_stock"


def test_machine_moves_are_not_audited(sessions: sessionmaker[Session]) -> None:
    add_channel(sessions)
    order_no = add_order(sessions)
    with sessions.begin() as session:
        move_order(session, order_no=order_no, to="awaiting_pick", source="rule")
    with sessions() as session:
        assert audit_trail(session, entity_type="order", entity_id=order_no) == []


def test_person_move_needs_actor(sessions: sessionmaker[Session]) -> None:
    add_channel(sessions)
    order_no = add_order(sessions)
    with pytest.raises(InvalidInput, match="needs the acting person"), sessions.begin() as session:
        move_order(session, order_no=order_no, to="cancelled", source="console")


def test_idempotency_key_replay_changes_nothing(sessions: sessionmaker[Session]) -> None:
    add_channel(sessions)
    order_no = add_order(sessions)
    for _ in range(3):
        with sessions.begin() as session:
            move_order(
                session,
                order_no=order_no,
                to="awaiting_pick",
                source="rule",
                idempotency_key="release-1",
            )
    with sessions() as session:
        order = get_order(session, order_no)
        assert (order.stage, order.version, len(timeline(session, order))) == (
            "awaiting_pick",
            2,
            2,
        )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"to": "teleported"}, InvalidInput, "unknown stage 'teleported'"),
        ({"to": "awaiting_pick", "source": "robot"}, InvalidInput, "unknown source 'robot'"),
        ({"to": "awaiting_pick", "order_no": "OW404"}, NotFound, "unknown order 'OW404'"),
    ],
)
def test_bad_move_input(
    sessions: sessionmaker[Session], kwargs: dict[str, str], error: type[Exception], message: str
) -> None:
    add_channel(sessions)
    order_no = add_order(sessions)
    arguments = {"order_no": order_no, "source": "rule"} | kwargs
    with pytest.raises(error, match=message), sessions.begin() as session:
        move_order(session, **arguments)  # type: ignore[arg-type]
    with sessions() as session:
        assert session.scalar(select(Order.stage)) == "paid"

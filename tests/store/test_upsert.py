"""Batch upsert: idempotent, newest-wins, never backwards, lines and events written once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from store import upsert
from store.canonical import CanonicalOrder
from store.db import session_factory
from store.errors import InvalidInput, NotFound
from store.models import Order, OrderItem, StageEvent
from store.orders import find_order, timeline
from store.transitions import move_order
from store.upsert import UpsertResult, upsert_orders
from tests.factories import T0, add_channel, canonical


def _count(session: Session, model: type[object]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_same_payload_three_times_is_one_order(sessions: sessionmaker[Session]) -> None:
    add_channel(sessions)
    results = []
    for _ in range(3):
        with sessions.begin() as session:
            results.append(upsert_orders(session, "tmall-main", [canonical("T1")]))
    assert results == [
        UpsertResult(inserted=1, updated=0, stale=0, stage_changes=0),
        UpsertResult(inserted=0, updated=0, stale=1, stage_changes=0),
        UpsertResult(inserted=0, updated=0, stale=1, stage_changes=0),
    ]
    with sessions() as session:
        assert (_count(session, Order), _count(session, OrderItem)) == (1, 1)
        assert _count(session, StageEvent) == 0
        order = find_order(session, "tmall-main", "T1")
        arrival = timeline(session, order)
        assert [(e.from_stage, e.to_stage, e.at, e.actor) for e in arrival] == [
            (None, "paid", T0, "tmall-main")
        ]
        assert order.order_no == "OW0000000001"
        assert order.version == 1


def test_older_update_after_newer_is_ignored(sessions: sessionmaker[Session]) -> None:
    add_channel(sessions)
    later = T0 + timedelta(hours=2)
    with sessions.begin() as session:
        upsert_orders(session, "tmall-main", [canonical("T1")])
        upsert_orders(
            session, "tmall-main", [canonical("T1", stage="cancelled", modified_at=later)]
        )
    with sessions.begin() as session:
        stale = upsert_orders(
            session,
            "tmall-main",
            [canonical("T1", modified_at=T0 + timedelta(hours=1), amount="1.00")],
        )
    assert stale == UpsertResult(inserted=0, updated=0, stale=1, stage_changes=0)
    with sessions() as session:
        order = find_order(session, "tmall-main", "T1")
        assert (order.stage, str(order.amount), order.cancelled_at) == ("cancelled", "99.00", later)


def test_newer_update_applies_fields_and_channel_moves(sessions: sessionmaker[Session]) -> None:
    add_channel(sessions)
    shipped = T0 + timedelta(hours=5)
    with sessions.begin() as session:
        upsert_orders(session, "tmall-main", [canonical("T1")])
    with sessions.begin() as session:
        result = upsert_orders(
            session,
            "tmall-main",
            [canonical("T1", stage="shipped", modified_at=shipped, buyer_phone="13900000000")],
        )
    assert result == UpsertResult(inserted=0, updated=1, stale=0, stage_changes=1)
    with sessions() as session:
        order = find_order(session, "tmall-main", "T1")
        assert (order.stage, order.shipped_at, order.stage_entered_at) == (
            "shipped",
            shipped,
            shipped,
        )
        assert (order.buyer_phone, order.version) == ("13900000000", 2)
        events = [(e.from_stage, e.to_stage, e.source) for e in timeline(session, order)]
        assert events == [(None, "paid", "channel"), ("paid", "shipped", "channel")]


def test_channel_never_moves_warehouse_stage_backwards(sessions: sessionmaker[Session]) -> None:
    add_channel(sessions)
    with sessions.begin() as session:
        upsert_orders(session, "tmall-main", [canonical("T1")])
        order_no = find_order(session, "tmall-main", "T1").order_no
        move_order(session, order_no=order_no, to="awaiting_pick", source="rule")
        move_order(session, order_no=order_no, to="picked", source="handheld", actor="p1")
    with sessions.begin() as session:
        result = upsert_orders(
            session,
            "tmall-main",
            [canonical("T1", modified_at=T0 + timedelta(hours=1), buyer_name="李四")],
        )
    assert result == UpsertResult(inserted=0, updated=1, stale=0, stage_changes=0)
    with sessions() as session:
        order = find_order(session, "tmall-main", "T1")
        assert (order.stage, order.buyer_name) == ("picked", "李四")


def test_batch_of_1000_twice(sessions: sessionmaker[Session]) -> None:
    add_channel(sessions)
    batch = [canonical(f"B{i:04d}", amount=f"{i}.50") for i in range(1000)]
    with sessions.begin() as session:
        first = upsert_orders(session, "tmall-main", batch)
    with sessions.begin() as session:
        second = upsert_orders(session, "tmall-main", batch)
    assert first == UpsertResult(inserted=1000, updated=0, stale=0, stage_changes=0)
    assert second == UpsertResult(inserted=0, updated=0, stale=1000, stage_changes=0)
    with sessions() as session:
        assert _count(session, Order) == 1000
        assert _count(session, OrderItem) == 1000
        assert _count(session, StageEvent) == 0
        numbers = set(session.scalars(select(Order.order_no)))
        assert numbers == {f"OW{n:010d}" for n in range(1, 1001)}
        assert str(find_order(session, "tmall-main", "B0007").amount) == "7.50"


def test_batch_repeating_an_order_keeps_its_newest(sessions: sessionmaker[Session]) -> None:
    add_channel(sessions)
    newer = T0 + timedelta(minutes=10)
    batch = [canonical("T1", stage="cancelled", modified_at=newer), canonical("T1")]
    with sessions.begin() as session:
        result = upsert_orders(session, "tmall-main", batch)
    assert result == UpsertResult(inserted=1, updated=0, stale=1, stage_changes=0)
    with sessions() as session:
        assert find_order(session, "tmall-main", "T1").stage == "cancelled"


def test_same_channel_order_id_on_two_channels_are_two_orders(
    sessions: sessionmaker[Session],
) -> None:
    add_channel(sessions, "tmall-main")
    add_channel(sessions, "jd-main")
    with sessions.begin() as session:
        upsert_orders(session, "tmall-main", [canonical("X1")])
        upsert_orders(session, "jd-main", [canonical("X1")])
    with sessions() as session:
        first = find_order(session, "tmall-main", "X1")
        second = find_order(session, "jd-main", "X1")
        assert first.order_no != second.order_no


def test_unknown_channel_writes_nothing(sessions: sessionmaker[Session]) -> None:
    add_channel(sessions)
    with (
        pytest.raises(NotFound, match="unknown channel 'nowhere'; known channels: tmall-main"),
        sessions.begin() as session,
    ):
        upsert_orders(session, "nowhere", [canonical("T1")])
    with sessions() as session:
        assert _count(session, Order) == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amount": "12.345"}, "amount: Decimal input should have no more than 2 decimal places"),
        ({"amount": "abc"}, "amount: Input should be a valid decimal"),
        ({"amount": "-1"}, "amount: Input should be greater than or equal to 0"),
        (
            {"items": [{"sku": "S", "quantity": -2, "unit_price": "1"}]},
            "items.0.quantity: Input should be greater than 0",
        ),
        ({"stage": "teleported"}, "stage: unknown stage 'teleported'"),
        ({"modified_at": "2026-11-02T01:00:00"}, "modified_at: Input should have timezone info"),
    ],
)
def test_bad_canonical_order_is_refused_precisely(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        canonical("T9", **overrides)
    assert message in str(refused.value)
    assert str(refused.value).startswith("order T9: ")


def test_missing_required_field_is_named() -> None:
    with pytest.raises(InvalidInput, match="order T9: amount: is required"):
        CanonicalOrder.parse(
            {
                "channel_order_id": "T9",
                "stage": "paid",
                "created_at": T0.isoformat(),
                "modified_at": T0.isoformat(),
            }
        )


def test_concurrent_batches_with_the_same_new_order_make_one_order(pg_engine: Engine) -> None:
    """Two writers insert the same new order at once: the second waits for the first, loses
    the race on the unique key, and applies its (newer) version as an update instead."""
    sessions = session_factory(pg_engine)
    add_channel(sessions)
    newer = canonical("RACE", stage="cancelled", modified_at=T0 + timedelta(minutes=5))
    first = sessions()
    first.begin()
    upsert_orders(first, "tmall-main", [canonical("RACE")])
    outcome: list[UpsertResult] = []

    def second_writer() -> None:
        with sessions.begin() as session:
            outcome.append(upsert_orders(session, "tmall-main", [newer, canonical("OTHER")]))

    thread = threading.Thread(target=second_writer)
    thread.start()
    thread.join(timeout=0.5)  # the second writer blocks on the first one's uncommitted key
    first.commit()
    first.close()
    thread.join(timeout=30)
    assert outcome == [UpsertResult(inserted=1, updated=1, stale=0, stage_changes=1)]
    with sessions() as session:
        assert _count(session, Order) == 2
        order = find_order(session, "tmall-main", "RACE")
        assert (order.stage, order.version) == ("cancelled", 2)


def _reads(monkeypatch: pytest.MonkeyPatch, *, miss_first: bool = False) -> list[int]:
    """Count the upsert's reads of what the store holds; ``miss_first``: the first read
    finds nothing, as a read taken just before another writer committed would."""
    real = upsert.stored_versions
    calls: list[int] = []

    def reading(session: Session, channel_id: int, ids: list[str]) -> dict[str, datetime]:
        calls.append(len(ids))
        return {} if miss_first and len(calls) == 1 else real(session, channel_id, ids)

    monkeypatch.setattr(upsert, "stored_versions", reading)
    return calls


def test_a_writer_that_loses_the_insert_race_merges_instead(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On both databases: the natural key's unique violation is the one lost race."""
    add_channel(sessions)
    with sessions.begin() as session:  # the other writer, first
        upsert_orders(session, "tmall-main", [canonical("RACE")])
    reads = _reads(monkeypatch, miss_first=True)
    newer = canonical("RACE", stage="cancelled", modified_at=T0 + timedelta(minutes=5))

    with sessions.begin() as session:
        result = upsert_orders(session, "tmall-main", [newer, canonical("OTHER")])

    assert result == UpsertResult(inserted=1, updated=1, stale=0, stage_changes=1)
    assert reads == [2, 2]  # the lost race: read again, then sorted into insert and merge
    with sessions() as session:
        assert _count(session, Order) == 2
        assert find_order(session, "tmall-main", "RACE").stage == "cancelled"


def _bad_item(order: CanonicalOrder) -> CanonicalOrder:
    return order.model_copy(update={"items": (order.items[0].model_copy(update={"quantity": 0}),)})


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda o: o.model_copy(update={"amount": None}), id="not-null"),
        pytest.param(lambda o: o.model_copy(update={"amount": Decimal("-1")}), id="order-check"),
        pytest.param(_bad_item, id="line-check-after-the-orders-were-written"),
    ],
)
def test_another_integrity_error_propagates_with_nothing_half_written(
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    spoil: Callable[[CanonicalOrder], CanonicalOrder],
) -> None:
    """Bad data past the model (built with ``model_copy``, which does not validate) is no
    lost race: it is raised at once, not retried, and the batch's rows are rolled back."""
    sessions = session_factory(engine)
    add_channel(sessions)
    reads = _reads(monkeypatch)
    with sessions() as session:
        with pytest.raises(engine.dialect.loaded_dbapi.IntegrityError):
            upsert_orders(session, "tmall-main", [canonical("GOOD"), spoil(canonical("BAD"))])
        # still in the caller's transaction: the savepoint took back every row of the batch
        assert (_count(session, Order), _count(session, OrderItem)) == (0, 0)
    assert reads == [2]

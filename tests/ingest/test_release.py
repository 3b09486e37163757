"""Automatic release: paid orders with stock go to the warehouse, the rest wait on hold."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from ingest.release import release_paid_orders
from store.channels import get_channel
from store.db import session_factory
from store.inventory import reserve_order, stock_levels
from store.models import Order
from store.orders import get_order
from store.transitions import move_order
from tests.api.floor import WAREHOUSE, paid_order, release, stock
from tests.factories import add_channel


@pytest.fixture
def channel(sessions: sessionmaker[Session]) -> str:
    return add_channel(sessions)


def available(sessions: sessionmaker[Session], sku: str) -> int:
    with sessions() as session:
        return next(lv.available for lv in stock_levels(session, WAREHOUSE) if lv.sku == sku)


def test_oldest_promise_gets_the_stock_first(sessions: sessionmaker[Session], channel: str) -> None:
    stock(sessions, {"SKU-1": 2})
    later = paid_order(sessions, "T1", [("SKU-1", 2)], ship_in_hours=48)
    sooner = paid_order(sessions, "T2", [("SKU-1", 2)], ship_in_hours=12)
    report = release(sessions)
    assert (report.released, report.held) == ([sooner], [later])
    assert available(sessions, "SKU-1") == 0


def test_an_order_is_reserved_all_or_nothing(sessions: sessionmaker[Session], channel: str) -> None:
    stock(sessions, {"SKU-1": 5, "SKU-2": 1})
    order_no = paid_order(sessions, "T1", [("SKU-1", 2), ("SKU-2", 2), ("SKU-3", 1)])
    assert release(sessions).held == [order_no]
    assert available(sessions, "SKU-1") == 5
    with sessions() as session:
        assert get_order(session, order_no).hold_note == (
            "short: SKU-2 needs 2, 1 available; SKU-3 needs 1, 0 available"
        )


def test_review_can_keep_an_order_paid(sessions: sessionmaker[Session], channel: str) -> None:
    stock(sessions, {"SKU-1": 5})
    risky = paid_order(sessions, "T1", [("SKU-1", 1)])
    fine = paid_order(sessions, "T2", [("SKU-1", 1)])
    report = release(sessions, review=lambda _session, order: order.order_no != risky)
    assert (report.released, report.kept) == ([fine], [risky])


def test_cancelled_and_channel_shipped_orders_settle_their_stock(
    sessions: sessionmaker[Session], channel: str
) -> None:
    stock(sessions, {"SKU-1": 5})
    cancelled = paid_order(sessions, "T1", [("SKU-1", 2)])
    shipped = paid_order(sessions, "T2", [("SKU-1", 1)])
    release(sessions)
    with sessions.begin() as session:
        move_order(session, order_no=cancelled, to="cancelled", source="channel")
        move_order(session, order_no=shipped, to="shipped", source="channel")
    release(sessions)
    with sessions() as session:
        [level] = stock_levels(session, WAREHOUSE)
    assert (level.on_hand, level.reserved) == (4, 0)


def test_orders_without_a_warehouse_stay_paid(
    sessions: sessionmaker[Session], channel: str
) -> None:
    order_no = paid_order(sessions, "T1", [("SKU-1", 1)])
    with sessions.begin() as session:
        get_order(session, order_no).warehouse = None
    assert release(sessions).released == []


def test_orders_without_a_warehouse_ship_from_the_channel_default(
    sessions: sessionmaker[Session], channel: str
) -> None:
    stock(sessions, {"SKU-1": 5})
    order_no = paid_order(sessions, "T1", [("SKU-1", 1)])
    with sessions.begin() as session:
        get_order(session, order_no).warehouse = None
        get_channel(session, channel).default_warehouse = WAREHOUSE
    assert release(sessions).released == [order_no]
    with sessions() as session:
        assert get_order(session, order_no).warehouse == WAREHOUSE


@pytest.mark.postgres
def test_two_transactions_never_reserve_the_same_last_unit(pg_engine: Engine) -> None:
    """Two orders race for one unit: the second waits for the first's row lock, then finds
    nothing left."""
    sessions = session_factory(pg_engine)
    add_channel(sessions)
    stock(sessions, {"SKU-1": 1})
    first, second = (paid_order(sessions, f"T{n}", [("SKU-1", 1)]) for n in (1, 2))
    outcome: dict[str, object] = {}

    def reserve(order_no: str, hold: threading.Event | None) -> None:
        with sessions.begin() as session:
            order = session.get_one(Order, get_order(session, order_no).id)
            outcome[order_no] = reserve_order(session, order)
            if hold is not None:
                hold.wait(timeout=30)  # keep the row locked until the other one is waiting

    holding = threading.Event()
    a = threading.Thread(target=reserve, args=(first, holding))
    a.start()
    _wait_until(lambda: first in outcome)
    b = threading.Thread(target=reserve, args=(second, None))
    b.start()
    _wait_until(lambda: _lock_waiters(pg_engine) == 1)
    holding.set()
    a.join()
    b.join()
    assert outcome[first] == []
    assert [s.describe() for s in outcome[second]] == ["SKU-1 needs 1, 0 available"]  # type: ignore[attr-defined]
    assert available(sessions, "SKU-1") == 0


@pytest.mark.postgres
def test_concurrent_release_runs_share_the_work(pg_engine: Engine) -> None:
    sessions = session_factory(pg_engine)
    add_channel(sessions)
    stock(sessions, {"SKU-1": 3})
    orders = [paid_order(sessions, f"T{n}", [("SKU-1", 1)]) for n in range(6)]
    reports = []
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        with sessions.begin() as session:
            reports.append(release_paid_orders(session))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    released = sorted(o for r in reports for o in r.released)
    held = sorted(o for r in reports for o in r.held)
    assert len(released) == 3
    assert sorted(released + held) == sorted(orders)
    assert available(sessions, "SKU-1") == 0


def _lock_waiters(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            or 0
        )


def _wait_until(condition: object, attempts: int = 3000) -> None:
    event = threading.Event()
    for _ in range(attempts):
        if condition():  # type: ignore[operator]
            return
        event.wait(0.01)
    raise AssertionError("the other transaction never got there")

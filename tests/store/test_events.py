"""Change events fan out after commit, never on rollback, and never hold up a write."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Engine, func, select

from store.db import session_factory
from store.events import ChangeEvent, ChangeFeed
from store.models import Order
from store.transitions import move_order
from store.upsert import upsert_orders
from tests.factories import add_channel, canonical


class Inbox:
    """Collects delivered events; ``wait`` blocks until ``n`` have arrived (or gives up)."""

    def __init__(self) -> None:
        self.events: list[ChangeEvent] = []
        self._arrived = threading.Condition()

    def __call__(self, batch: list[ChangeEvent]) -> None:
        with self._arrived:
            self.events.extend(batch)
            self._arrived.notify_all()

    def wait(self, n: int) -> list[ChangeEvent]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.events) >= n, timeout=10)
            return list(self.events)


@pytest.fixture
def local_feed() -> Iterator[ChangeFeed]:
    feed = ChangeFeed()
    yield feed
    feed.close()


def test_committed_changes_reach_subscribers(engine: Engine, local_feed: ChangeFeed) -> None:
    inbox = Inbox()
    local_feed.subscribe(inbox)
    sessions = session_factory(engine, local_feed)
    add_channel(sessions)
    with sessions.begin() as session:
        upsert_orders(session, "tmall-main", [canonical("T1"), canonical("T2")])
    events = inbox.wait(2)
    assert sorted((e.order_no, e.stage) for e in events) == [
        ("OW0000000001", "paid"),
        ("OW0000000002", "paid"),
    ]


def test_rolled_back_changes_are_not_published(engine: Engine, local_feed: ChangeFeed) -> None:
    inbox = Inbox()
    local_feed.subscribe(inbox)
    sessions = session_factory(engine, local_feed)
    add_channel(sessions)
    with sessions.begin() as session:
        upsert_orders(session, "tmall-main", [canonical("T1")])
    inbox.wait(1)
    with pytest.raises(RuntimeError), sessions.begin() as session:
        move_order(session, order_no="OW0000000001", to="awaiting_pick", source="rule")
        raise RuntimeError("abandon the unit of work")
    with sessions.begin() as session:
        move_order(session, order_no="OW0000000001", to="cancelled", source="channel")
    events = inbox.wait(2)
    assert [e.stage for e in events] == ["paid", "cancelled"]


def test_events_cross_processes_through_redis(engine: Engine, redis_url: str) -> None:
    channel = f"orderwatch:test:{uuid.uuid4().hex}"
    writer, reader = ChangeFeed(redis_url, channel=channel), ChangeFeed(redis_url, channel=channel)
    inbox = Inbox()
    reader.subscribe(inbox)
    try:
        _wait_for_redis_subscription(redis_url, channel)
        sessions = session_factory(engine, writer)
        add_channel(sessions)
        with sessions.begin() as session:
            upsert_orders(session, "tmall-main", [canonical("T1")])
        assert [(e.order_no, e.stage) for e in inbox.wait(1)] == [("OW0000000001", "paid")]
    finally:
        writer.close()
        reader.close()


def test_broker_outage_never_fails_the_write(engine: Engine) -> None:
    dropped_before = _dropped()
    feed = ChangeFeed("redis://127.0.0.1:1/0")  # nothing listens on port 1
    sessions = session_factory(engine, feed)
    add_channel(sessions)
    with sessions.begin() as session:
        upsert_orders(session, "tmall-main", [canonical("T1")])
    feed.close()
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 1
    assert _dropped() == dropped_before + 1


def _dropped() -> float:
    return REGISTRY.get_sample_value("orderwatch_change_events_dropped_total") or 0.0


def _wait_for_redis_subscription(redis_url: str, channel: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    done = threading.Event()
    for _ in range(100):
        counts = dict(client.pubsub_numsub(channel))
        if counts.get(channel.encode(), 0) > 0:
            return
        done.wait(0.05)
    pytest.fail(f"nobody subscribed to {channel}")

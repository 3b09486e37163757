"""Change events: after a write commits, a small event per changed order fans out.

Writers never wait for, or fail because of, the fan-out: events go into a bounded queue that a
background thread drains into Redis pub/sub (or straight to in-process subscribers when no Redis
is configured). A full queue or a Redis outage drops events, logs and counts them.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from prometheus_client import Counter
from sqlalchemy import event
from sqlalchemy.orm import Session

log = structlog.get_logger(__name__)

PUBLISHED = Counter("orderwatch_change_events_published", "Change events handed to subscribers")
DROPPED = Counter(
    "orderwatch_change_events_dropped", "Change events lost to a full queue or a broker outage"
)

CHANNEL = "orderwatch:changes"
_PENDING = "orderwatch.pending_changes"
_FEED = "orderwatch.change_feed"
_BATCH = 500


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """One committed change of one order."""

    order_no: str
    stage: str
    at: datetime

    def to_json(self) -> dict[str, str]:
        return {"order_no": self.order_no, "stage": self.stage, "at": self.at.isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, str]) -> ChangeEvent:
        return cls(data["order_no"], data["stage"], datetime.fromisoformat(data["at"]))


Subscriber = Callable[[list[ChangeEvent]], None]


class ChangeFeed:
    """Publishes committed changes and calls subscribers; never blocks the publisher."""

    def __init__(self, redis_url: str | None = None, *, channel: str = CHANNEL) -> None:
        self.channel = channel
        self._redis_url = redis_url
        self._queue: queue.Queue[list[ChangeEvent] | None] = queue.Queue(maxsize=1000)
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._publisher = threading.Thread(target=self._drain, name="change-feed", daemon=True)
        self._publisher.start()
        self._listener: threading.Thread | None = None

    def publish(self, events: Sequence[ChangeEvent]) -> None:
        for start in range(0, len(events), _BATCH):
            chunk = list(events[start : start + _BATCH])
            try:
                self._queue.put_nowait(chunk)
            except queue.Full:
                DROPPED.inc(len(chunk))
                log.warning("change_feed.queue_full", dropped=len(chunk))

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback`` with each batch of events; returns the unsubscribe function."""
        with self._lock:
            self._subscribers.append(callback)
            if self._redis_url and self._listener is None:
                self._listener = threading.Thread(
                    target=self._listen, name="change-feed-listener", daemon=True
                )
                self._listener.start()
        return lambda: self._unsubscribe(callback)

    def close(self) -> None:
        """Publish what is queued, then stop the threads."""
        self._queue.put(None)  # the publisher stops when it reaches this marker
        self._publisher.join(timeout=5)
        self._stop.set()

    def _unsubscribe(self, callback: Subscriber) -> None:
        with self._lock:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

    def _drain(self) -> None:
        client = _redis_client(self._redis_url) if self._redis_url else None
        while (chunk := self._queue.get()) is not None:
            if client is None:
                self._deliver(chunk)
                continue
            try:
                client.publish(self.channel, json.dumps([e.to_json() for e in chunk]))
                PUBLISHED.inc(len(chunk))
            except Exception as exc:
                DROPPED.inc(len(chunk))
                log.warning("change_feed.publish_failed", error=str(exc), dropped=len(chunk))

    def _deliver(self, chunk: list[ChangeEvent]) -> None:
        PUBLISHED.inc(len(chunk))
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(chunk)
            except Exception:
                log.exception("change_feed.subscriber_failed")

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                pubsub = _redis_client(self._redis_url).pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.channel)
                self._pump(pubsub)
            except Exception as exc:
                log.warning("change_feed.listen_failed", error=str(exc))
                self._stop.wait(1.0)

    def _pump(self, pubsub: Any) -> None:
        while not self._stop.is_set():
            message = pubsub.get_message(timeout=0.5)
            if message is not None:
                self._deliver([ChangeEvent.from_json(e) for e in json.loads(message["data"])])


def _redis_client(url: str | None) -> Any:
    import redis

    return redis.Redis.from_url(str(url), socket_connect_timeout=1, socket_timeout=2)


def record_change(session: Session, order_no: str, stage: str, at: datetime) -> None:
    """Queue an event that is published only if the session's transaction commits."""
    session.info.setdefault(_PENDING, []).append(ChangeEvent(order_no, stage, at))


def record_changes(session: Session, events: Sequence[ChangeEvent]) -> None:
    session.info.setdefault(_PENDING, []).extend(events)


def feed_info(feed: ChangeFeed | None) -> dict[str, Any]:
    """``info`` for a sessionmaker whose sessions publish to ``feed``."""
    return {_FEED: feed}


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    feed = session.info.get(_FEED)
    if pending and feed is not None:
        feed.publish(pending)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)

"""The delivery outbox against a loopback Standard Webhooks consumer: retries with backoff
while the receiver is down, every notification delivered exactly once per idempotency key when
it comes back, dead letters kept and re-sendable, rate limits, and two deliverers on
PostgreSQL never sending one row twice."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from alerts.notifiers.templates import compose
from alerts.outbox import MAX_ATTEMPTS, deliver_due, enqueue, resend, send_test
from alerts.routing import ReceiverRef
from store.db import make_engine, session_factory
from store.models import AlertDelivery, Receiver
from tests.alerts.fake_providers import CLIENT, Reply
from tests.alerts.pipeline import Consumer, configure, consumer, route, webhook
from tests.factories import T0

S = timedelta(seconds=1)


def fixed(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


@pytest.fixture
def hook(sessions: sessionmaker[Session]) -> Iterator[Consumer]:
    with consumer() as (fake, url):
        configure(sessions, [webhook("hook", url)], [route()])
        yield fake


def queue(sessions: sessionmaker[Session], count: int, *, at: datetime = T0) -> list[str]:
    """``count`` notifications to the receiver ``hook``; returns their idempotency keys."""
    with sessions.begin() as session:
        receiver = session.scalars(select(Receiver).where(Receiver.name == "hook")).one()
        ref = ReceiverRef(receiver.id, receiver.name, receiver.kind, receiver.lang)
        keys = []
        for n in range(count):
            message = compose(
                idempotency_key=f"ow-t-{n}", kind="test", severity="info", lang="en",
                facts={"receiver": "hook"}, url=None,
            )  # fmt: skip
            enqueue(session, receiver=ref, message=message, event="test", now=at)
            keys.append(message.idempotency_key)
    return keys


def rows(sessions: sessionmaker[Session]) -> list[AlertDelivery]:
    with sessions() as session:
        return list(session.scalars(select(AlertDelivery).order_by(AlertDelivery.id)))


def test_receiver_down_then_up_gets_every_notification_exactly_once(
    sessions: sessionmaker[Session], hook: Consumer
) -> None:
    keys = queue(sessions, 5)
    hook.down = True
    now = T0
    for _ in range(4):  # down: every attempt is answered 503 and retried later
        attempts = deliver_due(sessions, CLIENT, clock=fixed(now))
        assert {a.status for a in attempts} <= {"pending"}
        now += timedelta(minutes=1)
    assert {r.status for r in rows(sessions)} == {"pending"}
    assert all(r.failures >= 1 and r.provider_status == 503 for r in rows(sessions))
    hook.down = False
    for _ in range(10):
        deliver_due(sessions, CLIENT, clock=fixed(now))
        now += timedelta(minutes=1)
    assert {r.status for r in rows(sessions)} == {"sent"}
    assert sorted(hook.delivered()) == sorted(keys)  # each once: a repeat would show twice
    assert Counter(status for _id, status in hook.answers)[503] >= 5


def test_a_retry_waits_the_backoff_and_at_least_what_the_receiver_asked(
    sessions: sessionmaker[Session], hook: Consumer
) -> None:
    queue(sessions, 1)
    hook.replies.append(Reply(429, {"error": "slow down"}, {"retry-after": "120"}))
    (attempt,) = deliver_due(sessions, CLIENT, clock=lambda: T0)
    assert attempt.status == "pending"
    assert attempt.next_attempt_at is not None and attempt.next_attempt_at >= T0 + 120 * S
    assert deliver_due(sessions, CLIENT, clock=lambda: T0 + 119 * S) == []
    (second,) = deliver_due(sessions, CLIENT, clock=lambda: attempt.next_attempt_at or T0)
    assert second.status == "sent"


def test_a_refusal_parks_the_row_as_dead_with_the_answer_and_it_can_be_resent(
    sessions: sessionmaker[Session], hook: Consumer
) -> None:
    (key,) = queue(sessions, 1)
    hook.replies.append(Reply(410, {"error": "gone"}))
    (attempt,) = deliver_due(sessions, CLIENT, clock=lambda: T0)
    assert attempt.status == "dead"
    (row,) = rows(sessions)
    assert (row.status, row.provider_status, row.attempts) == ("dead", 410, 1)
    assert row.provider_answer is not None and "gone" in row.provider_answer
    assert deliver_due(sessions, CLIENT, clock=lambda: T0 + timedelta(days=1)) == []
    with sessions.begin() as session:
        resend(session, row.id, actor="ann", now=T0 + timedelta(hours=1))
    (again,) = deliver_due(sessions, CLIENT, clock=lambda: T0 + timedelta(hours=1))
    assert again.status == "sent"
    assert hook.delivered() == [key]


def test_the_retry_budget_ends_in_the_dead_letters(
    sessions: sessionmaker[Session], hook: Consumer
) -> None:
    queue(sessions, 1)
    hook.down = True
    now = T0
    for _ in range(MAX_ATTEMPTS + 2):
        deliver_due(sessions, CLIENT, clock=fixed(now))
        now += timedelta(hours=1)
    (row,) = rows(sessions)
    assert (row.status, row.attempts, row.failures) == ("dead", MAX_ATTEMPTS, MAX_ATTEMPTS)


def test_a_receivers_rate_limit_holds_the_rest_for_the_minute(
    sessions: sessionmaker[Session], hook: Consumer
) -> None:
    with sessions.begin() as session:
        session.scalars(select(Receiver)).one().rate_limit_per_min = 2
    queue(sessions, 5)
    assert [a.status for a in deliver_due(sessions, CLIENT, clock=lambda: T0)] == ["sent"] * 2
    assert deliver_due(sessions, CLIENT, clock=lambda: T0 + 59 * S) == []
    assert len(deliver_due(sessions, CLIENT, clock=lambda: T0 + 60 * S)) == 2
    assert len(deliver_due(sessions, CLIENT, clock=lambda: T0 + 120 * S)) == 1
    assert all(r.attempts == 1 for r in rows(sessions))  # waiting used no attempt


def test_a_test_message_goes_through_the_outbox_and_shows_the_answer(
    sessions: sessionmaker[Session], hook: Consumer
) -> None:
    attempt = send_test(sessions, "hook", CLIENT, clock=lambda: T0)
    assert attempt is not None and attempt.status == "sent"
    assert attempt.delivery.status_code == 204
    assert hook.accepted[0]["title"] == "orderwatch 测试通知"
    assert [r.event for r in rows(sessions)] == ["test"]


@pytest.mark.postgres
def test_two_deliverers_on_postgresql_never_send_a_row_twice(pg_engine: Engine) -> None:
    sessions = session_factory(pg_engine)
    with consumer() as (fake, url):
        configure(sessions, [webhook("hook", url)], [route()])
        keys = queue(sessions, 300)
        others = [make_engine(pg_engine.url.render_as_string(hide_password=False)) for _ in "ab"]
        start = threading.Barrier(len(others))
        sent: Counter[int] = Counter()

        def deliverer(engine: Engine) -> None:
            mine = session_factory(engine)
            start.wait()
            while attempts := deliver_due(mine, CLIENT, clock=lambda: T0, limit=7):
                sent[id(engine)] += len(attempts)

        threads = [threading.Thread(target=deliverer, args=(e,)) for e in others]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for engine in others:
            engine.dispose()
    assert {r.status for r in rows(sessions)} == {"sent"}
    assert sorted(fake.delivered()) == sorted(keys)
    assert len(fake.answers) == len(keys)
    assert len(sent) == 2 and sum(sent.values()) == len(keys)  # both took part

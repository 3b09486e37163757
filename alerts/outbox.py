"""The delivery outbox: every notification is a row written in the transaction that decided it,
and deliverers send the rows.

A deliverer claims due rows (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so deliverers
in several workers never claim one row together; SQLite has one writer at a time anyway) and
pushes their ``next_attempt_at`` out by a lease before it commits the claim, so the HTTP calls
happen outside any transaction and a deliverer that dies mid-send only delays its rows by the
lease. Each answer is classified by the notifier: SENT is recorded, RETRY waits an exponential
backoff with jitter (at least what the provider asked for), GIVE_UP or an exhausted retry
budget parks the row as ``dead`` with the provider's answer, kept and re-sendable. Every
attempt carries the row's idempotency key (``webhook-id``), so a receiver can drop a repeat.

A receiver with a rate limit (DingTalk and WeCom robots take 20 messages a minute) is sent no
more than that: a row beyond it waits until the minute has passed, without using an attempt.
"""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker, undefer
from tenacity import RetryCallState, Retrying, wait_exponential_jitter

from alerts.notifiers.base import Delivery, Message, Notifier, Outcome
from alerts.notifiers.providers import InvalidReceiver, notifier_for
from alerts.notifiers.templates import compose
from alerts.routing import ReceiverRef
from store.audit import write_audit
from store.errors import Conflict, NotFound
from store.models import AlertDelivery, Receiver, utcnow

log = structlog.get_logger(__name__)

LEASE = timedelta(seconds=120)
"""Longer than any receiver's timeout (at most 60 s): a claimed row is not claimed again
while its deliverer can still be waiting for the answer."""
MAX_ATTEMPTS = 12
BATCH = 20
RATE_WINDOW = timedelta(minutes=1)
DEFAULT_RATE_LIMITS = {"dingtalk": 18, "wecom": 18, "feishu": 90}
"""Per minute, a little under what each robot takes (20, 20, 100)."""
BACKOFF = wait_exponential_jitter(multiplier=2, max=900, jitter=2)
"""2 s doubling to 15 minutes, plus up to 2 s of jitter: twelve attempts span about an hour."""

Clock = Callable[[], datetime]


def backoff(attempts: int, retry_after_s: float | None) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt."""
    state = RetryCallState(Retrying(), None, (), {})
    state.attempt_number = attempts
    return timedelta(seconds=max(BACKOFF(state), retry_after_s or 0.0))


def enqueue(
    session: Session,
    *,
    receiver: ReceiverRef,
    message: Message,
    event: str,
    now: datetime,
    group_id: int | None = None,
    due_at: datetime | None = None,
) -> AlertDelivery:
    """Write the notification of ``message`` to ``receiver`` into the outbox (caller's
    transaction): it is sent only if the transaction that decided it commits."""
    row = AlertDelivery(
        idempotency_key=message.idempotency_key,
        group_id=group_id,
        receiver_id=receiver.id,
        notifier=receiver.kind,
        target=receiver.name,
        event=event,
        payload=asdict(message),
        next_attempt_at=now,
        due_at=due_at,
        created_at=now,
    )
    session.add(row)
    return row


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row a deliverer holds for the lease, with what it needs to send it."""

    id: int
    receiver: str
    notifier: Notifier
    message: Message
    due_at: datetime | None


@dataclass(frozen=True, slots=True)
class Attempt:
    """One send and what came of it."""

    id: int
    receiver: str
    idempotency_key: str
    status: str
    """The row's status afterwards: sent, pending (will retry) or dead."""
    delivery: Delivery
    next_attempt_at: datetime | None


def claim(
    session: Session, now: datetime, *, limit: int = BATCH, only: Sequence[int] | None = None
) -> list[Claimed]:
    """Take up to ``limit`` due rows (or the rows ``only`` names) for this deliverer."""
    query = select(AlertDelivery).where(AlertDelivery.status == "pending")
    if only is not None:
        query = query.where(AlertDelivery.id.in_(only))
    else:
        query = query.where(AlertDelivery.next_attempt_at <= now)
    query = query.order_by(AlertDelivery.next_attempt_at, AlertDelivery.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(session.scalars(query))
    ids = {row.receiver_id for row in rows if row.receiver_id is not None}
    # The settings (sealed) of the receivers about to be sent to, and no others', in one query.
    sending = select(Receiver).where(Receiver.id.in_(ids)).options(undefer(Receiver.settings))
    receivers = {r.id: r for r in session.scalars(sending)}
    limits = _RateLimits(session, receivers.values(), now)
    claimed = []
    for row in rows:
        receiver = receivers.get(row.receiver_id) if row.receiver_id is not None else None
        notifier = _notifier(row, receiver, now)
        if notifier is None or receiver is None:
            continue
        wait_until = limits.take(receiver)
        if wait_until is not None:
            row.next_attempt_at = wait_until
            continue
        row.attempts += 1
        row.next_attempt_at = now + LEASE
        message = Message(**row.payload)
        claimed.append(Claimed(row.id, receiver.name, notifier, message, row.due_at))
    return claimed


def _notifier(row: AlertDelivery, receiver: Receiver | None, now: datetime) -> Notifier | None:
    """The receiver's notifier, or None after parking the row when it cannot be sent."""
    problem = None
    if receiver is None:
        problem = f"receiver {row.target!r} was deleted"
    elif not receiver.enabled:
        problem = f"receiver {receiver.name!r} is disabled"
    else:
        try:
            return notifier_for(receiver.kind, receiver.settings)
        except InvalidReceiver as error:
            problem = error.message
    row.status, row.provider_answer = "dead", problem
    log.warning("alert_delivery.unsendable", delivery=row.id, problem=problem)
    return None


class _RateLimits:
    """Sends per receiver in the last minute, counting the ones claimed now."""

    def __init__(self, session: Session, receivers: Iterable[Receiver], now: datetime) -> None:
        self.now = now
        self.limits = {
            r.id: r.rate_limit_per_min or DEFAULT_RATE_LIMITS.get(r.kind) for r in receivers
        }
        limited = [rid for rid, limit in self.limits.items() if limit]
        self.sent: dict[int, list[datetime]] = defaultdict(list)
        if limited:
            query = select(AlertDelivery.receiver_id, AlertDelivery.sent_at).where(
                AlertDelivery.receiver_id.in_(limited),
                AlertDelivery.sent_at > now - RATE_WINDOW,
            )
            for rid, at in session.execute(query):
                if rid is not None and at is not None:
                    self.sent[rid].append(at)

    def take(self, receiver: Receiver) -> datetime | None:
        """None when ``receiver`` may be sent one more now (it is counted); else when it may."""
        limit = self.limits.get(receiver.id)
        if not limit:
            return None
        recent = sorted(self.sent[receiver.id])
        if len(recent) >= limit:
            return recent[len(recent) - limit] + RATE_WINDOW
        self.sent[receiver.id].append(self.now)
        return None


def send(claimed: Claimed, client: httpx.Client) -> Delivery:
    try:
        return claimed.notifier.send(claimed.message, client)
    except Exception as error:  # a notifier bug must not lose the row: retry it later
        log.exception("alert_delivery.notifier_failed", delivery=claimed.id)
        return Delivery(Outcome.RETRY, None, None, f"notifier failed: {error!r}")


def record(session: Session, claimed: Claimed, delivery: Delivery, now: datetime) -> Attempt:
    """Store what one attempt came to (see the module docstring)."""
    row = session.get_one(AlertDelivery, claimed.id)
    row.provider_status, row.provider_code = delivery.status_code, delivery.provider_code
    row.provider_answer = delivery.detail
    next_at: datetime | None = None
    if delivery.outcome is Outcome.SENT:
        row.status, row.sent_at = "sent", now
        if row.due_at is not None:
            row.latency_s = (now - row.due_at).total_seconds()
    else:
        row.failures += 1
        if delivery.outcome is Outcome.RETRY and row.attempts < MAX_ATTEMPTS:
            next_at = now + backoff(row.attempts, delivery.retry_after_s)
            row.next_attempt_at = next_at
        else:
            row.status = "dead"
    log.info(
        "alert_delivery.attempt",
        delivery=row.id,
        receiver=claimed.receiver,
        outcome=delivery.outcome.value,
        status=row.status,
        code=delivery.provider_code,
    )
    return Attempt(row.id, claimed.receiver, row.idempotency_key, row.status, delivery, next_at)


def deliver_due(
    sessions: sessionmaker[Session],
    client: httpx.Client,
    *,
    clock: Clock = utcnow,
    limit: int = BATCH,
    only: Sequence[int] | None = None,
    pool: Executor | None = None,
) -> list[Attempt]:
    """Claim, send and record one batch of due rows; returns what each attempt came to."""
    with sessions.begin() as session:
        claimed = claim(session, clock(), limit=limit, only=only)
    if not claimed:
        return []
    if pool is None:
        answers = [send(item, client) for item in claimed]
    else:
        answers = list(pool.map(lambda item: send(item, client), claimed))
    with sessions.begin() as session:
        now = clock()
        return [
            record(session, item, answer, now)
            for item, answer in zip(claimed, answers, strict=True)
        ]


def next_due(session: Session) -> datetime | None:
    """When the earliest pending row falls due."""
    query = select(func.min(AlertDelivery.next_attempt_at)).where(AlertDelivery.status == "pending")
    found: datetime | None = session.scalar(query)
    return found


def resend(session: Session, delivery_id: int, *, actor: str, now: datetime) -> AlertDelivery:
    """Put a dead row back in the queue with a fresh retry budget (audited)."""
    row = session.get(AlertDelivery, delivery_id, with_for_update=True)
    if row is None:
        raise NotFound("delivery", f"no delivery #{delivery_id}")
    if row.status != "dead":
        raise Conflict(f"delivery #{delivery_id} is {row.status}, not dead: nothing to re-send")
    row.status, row.attempts, row.next_attempt_at = "pending", 0, now
    write_audit(
        session,
        actor=actor,
        action="alert_delivery.resent",
        entity_type="alert_delivery",
        entity_id=str(delivery_id),
        before={"status": "dead", "provider_answer": row.provider_answer},
    )
    return row


def send_test(
    sessions: sessionmaker[Session],
    receiver_name: str,
    client: httpx.Client,
    *,
    clock: Clock = utcnow,
) -> Attempt | None:
    """Send the test message to a receiver now, through the outbox like any notification;
    None when its rate limit holds it back (the row then waits for the deliverers)."""
    with sessions.begin() as session:
        receiver = session.scalar(select(Receiver).where(Receiver.name == receiver_name))
        if receiver is None:
            raise NotFound("receiver", f"no receiver {receiver_name!r}")
        message = compose(
            idempotency_key=f"ow-test-{receiver.id}-{uuid.uuid4().hex[:12]}",
            kind="test",
            severity="info",
            lang=receiver.lang,
            facts={"receiver": receiver.name},
            url=None,
        )
        ref = ReceiverRef(receiver.id, receiver.name, receiver.kind, receiver.lang)
        row = enqueue(session, receiver=ref, message=message, event="test", now=clock())
        session.flush()
        row_id = row.id
    attempts = deliver_due(sessions, client, clock=clock, only=[row_id])
    return attempts[0] if attempts else None


class Deliverer:
    """A deliverer loop for a worker: sends a batch, then sleeps until the next row is due
    (at most ``poll_s``: rows written by other processes are found that fast) or until
    ``wake`` says the engine wrote some."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        client: Callable[[], httpx.Client] = httpx.Client,
        pool: Callable[[], Executor] | None = None,
        clock: Clock = utcnow,
        poll_s: float = 1.0,
    ) -> None:
        self.sessions, self.clock, self.poll_s = sessions, clock, poll_s
        self._client, self._pool = client, pool
        self._woken = threading.Event()

    def wake(self) -> None:
        self._woken.set()

    def run(self, stop: threading.Event) -> None:
        with self._client() as client:
            pool = self._pool() if self._pool is not None else None
            try:
                while not stop.is_set():
                    self._woken.clear()
                    if len(self._batch(client, pool)) < BATCH:
                        self._woken.wait(self._sleep_s())
            finally:
                if pool is not None:
                    pool.shutdown(wait=True)

    def _batch(self, client: httpx.Client, pool: Executor | None) -> list[Any]:
        try:
            return deliver_due(self.sessions, client, clock=self.clock, pool=pool)
        except Exception:  # a database hiccup must not end the loop
            log.exception("alert_delivery.batch_failed")
            return []

    def _sleep_s(self) -> float:
        try:
            with self.sessions() as session:
                due = next_due(session)
        except Exception:
            log.exception("alert_delivery.next_due_failed")
            return self.poll_s
        if due is None:
            return self.poll_s
        return min(self.poll_s, max(0.0, (due - self.clock()).total_seconds()))

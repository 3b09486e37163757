"""The alerts engine loop: SLA deadline timer, dispatch, notification decisions, one thread.

It sleeps until the earliest thing that can happen: the next order deadline
(``orders.next_deadline_at``, one step down its index), a group's next decision, a silence's
end, or ``max_sleep_s`` (alerts raised by other processes are found that fast). A change event
(an order moved) wakes it early: the moved orders' deadlines are computed again at once, so a
breach is noticed when it happens, not at the next minute, and a breach that no longer holds
resolves when the order moves on. Each wake-up reads only the orders that came due since the
last one (through the index), plus those that changed; every few minutes it looks at all due
orders and all open breaches to catch what a lost event or a rule change moved.

Run it once per cluster (the worker takes a lock for it): ``tick`` is one wake-up's work in
one transaction, and everything it decides to send is in the outbox when it commits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alerts.grouping import BATCH as ROUTE_BATCH
from alerts.grouping import route_alerts
from alerts.muting import reconsider_groups
from alerts.notify import NotifySettings, flush_groups, next_flush, write_marks
from alerts.outbox import Clock
from alerts.routing import load_routes
from alerts.sources import SourceReport, check_sla, open_breach_orders
from rules.catalog import load_rules
from rules.sla import due_orders, next_deadline, refresh_deadlines
from store.events import ChangeEvent, ChangeFeed
from store.models import Order, Silence, utcnow

log = structlog.get_logger(__name__)

FULL_SWEEP = timedelta(minutes=5)
"""Every due order is looked at again this often (deadlines a rule change moved back)."""
RESOLVE_SWEEP = timedelta(seconds=30)
"""Every order with an open breach is looked at again this often (moves no event told of)."""


@dataclass
class TimerState:
    """What the engine remembers between wake-ups."""

    watermark: datetime | None = None
    """Deadlines up to here have been looked at."""
    last_full_sweep: datetime | None = None
    last_resolve_sweep: datetime | None = None
    last_tick: datetime | None = None


@dataclass
class TickReport:
    sla: SourceReport = field(default_factory=SourceReport)
    matched: int = 0
    """Alerts matched against the routes."""
    deliveries: int = 0
    next_wake: datetime | None = None


def tick(
    session: Session,
    settings: NotifySettings,
    state: TimerState,
    now: datetime,
    changed: Collection[str] = (),
    *,
    plan_next: bool = True,
) -> TickReport:
    """One wake-up: SLA breaches of the orders due or changed, then dispatch and notify; with
    ``plan_next``, when to wake next (the engine asks that after committing, see
    ``AlertEngine.run_once``)."""
    report = TickReport()
    orders = _orders_to_check(session, state, now, changed)
    if orders:
        loaded = load_rules(session)
        refresh_deadlines(session, loaded, zone=settings.zone, order_ids=sorted(orders))
        report.sla = check_sla(session, loaded, settings.zone, orders, now)
    if state.last_tick is not None and _silence_ended(session, state.last_tick, now):
        reconsider_groups(session, now)
    routes = load_routes(session)
    report.matched = route_alerts(session, routes, now)
    report.deliveries = len(flush_groups(session, routes, settings, now))
    state.watermark = state.last_tick = now
    if report.matched >= ROUTE_BATCH:  # more alerts waiting than one tick routes: go on at once
        report.next_wake = now
    elif plan_next:
        report.next_wake = next_wake(session, state, now)
    return report


def wake_up(
    sessions: sessionmaker[Session],
    settings: NotifySettings,
    state: TimerState,
    now: datetime,
    changed: Collection[str] = (),
) -> TickReport:
    """One wake-up as the engine makes it, with no deliverer to wake: the tick in its
    transaction, then the marks of the alerts it notified in another (for tools and tests
    that drive the engine at times they choose)."""
    with sessions.begin() as session:
        report = tick(session, settings, state, now, changed)
    with sessions.begin() as session:
        write_marks(session)
    return report


def _orders_to_check(
    session: Session, state: TimerState, now: datetime, changed: Collection[str]
) -> set[int]:
    full = state.last_full_sweep is None or now >= state.last_full_sweep + FULL_SWEEP
    after = None if full else state.watermark
    orders = {order_id for order_id, _no, _due in due_orders(session, now, after=after, limit=None)}
    if full:
        state.last_full_sweep = now
    if state.last_resolve_sweep is None or now >= state.last_resolve_sweep + RESOLVE_SWEEP:
        orders |= open_breach_orders(session)
        state.last_resolve_sweep = now
    if changed:
        query = select(Order.id).where(Order.order_no.in_(sorted(changed)))
        orders |= set(session.scalars(query))
    return orders


def _silence_ended(session: Session, since: datetime, now: datetime) -> bool:
    query = select(func.count()).where(Silence.ends_at > since, Silence.ends_at <= now)
    return bool(session.scalar(query))


def next_wake(session: Session, state: TimerState, now: datetime) -> datetime | None:
    """The earliest of the next deadline after ``now``, the next group decision, the next
    silence's end and the next resolve sweep."""
    silence_end = session.scalar(select(func.min(Silence.ends_at)).where(Silence.ends_at > now))
    candidates: Sequence[datetime | None] = (
        next_deadline(session, now),
        next_flush(session),
        silence_end,
        state.last_resolve_sweep and state.last_resolve_sweep + RESOLVE_SWEEP,
    )
    return min((c for c in candidates if c is not None), default=None)


class AlertEngine:
    """``tick`` in a loop for the worker (see the module docstring)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: NotifySettings,
        *,
        feed: ChangeFeed | None = None,
        on_outbox: Callable[[], None] | None = None,
        clock: Clock = utcnow,
        max_sleep_s: float = 5.0,
    ) -> None:
        self.sessions, self.settings, self.feed = sessions, settings, feed
        self.on_outbox, self.clock, self.max_sleep_s = on_outbox, clock, max_sleep_s
        self.state = TimerState()
        self._woken = threading.Event()
        self._changed: set[str] = set()
        self._lock = threading.Lock()

    def wake(self) -> None:
        self._woken.set()

    def changes(self, events: list[ChangeEvent]) -> None:
        """Change-feed subscriber: remember the moved orders and wake the loop."""
        with self._lock:
            self._changed.update(event.order_no for event in events)
        self._woken.set()

    def run(self, stop: threading.Event) -> None:
        unsubscribe = self.feed.subscribe(self.changes) if self.feed is not None else None
        try:
            while not stop.is_set():
                self._woken.clear()
                self._woken.wait(self.run_once())
        finally:
            if unsubscribe is not None:
                unsubscribe()

    def run_once(self) -> float:
        """One tick; returns the seconds to sleep before the next."""
        with self._lock:
            changed, self._changed = self._changed, set()
        now = self.clock()
        try:
            with self.sessions.begin() as session:
                report = tick(session, self.settings, self.state, now, changed, plan_next=False)
        except Exception:  # the loop outlives a failing tick; the next one tries again
            log.exception("alerts.tick_failed")
            with self._lock:
                self._changed |= changed
            return self.max_sleep_s
        # The deliverer first: what to wake for next and the marks are not on the way to the
        # receiver, and the marks last: a large group's are a row each, and the deliverer's
        # claim waited for them (its commit 2.4 ms instead of 0.4 with the marks beside it).
        if report.deliveries and self.on_outbox is not None:
            self.on_outbox()
        wake_at = report.next_wake
        if wake_at is None:
            try:
                with self.sessions() as session:
                    wake_at = next_wake(session, self.state, now)
            except Exception:
                log.exception("alerts.next_wake_failed")
        if report.deliveries:
            self._write_marks()
        if wake_at is None:
            return self.max_sleep_s
        wait = (wake_at - self.clock()).total_seconds()
        return min(self.max_sleep_s, max(0.0, wait))

    def _write_marks(self) -> None:
        try:
            with self.sessions.begin() as session:
                write_marks(session)
        except Exception:  # the next tick writes them before it decides anything
            log.exception("alerts.write_marks_failed")

"""SLA policies: how long an order may stay in a stage, and the ship-by promise to the buyer.

Each open order's earliest deadline is kept in ``orders.next_deadline_at`` (a partial index),
so the timers that look for due orders never scan all orders. Ship-by promises count in the
business time zone, optionally in working hours only, skipping holidays.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from rules.catalog import LoadedRules
from rules.definitions import BusinessCalendar, RuleSet, ShipByPromise, SlaPolicy
from store.events import ChangeEvent, record_changes
from store.models import Channel, Counter, Order, Rule, StageEvent
from store.stages import OPEN_STAGES

_OPEN_CODES = [stage.value for stage in OPEN_STAGES]


@dataclass(frozen=True, slots=True)
class Deadline:
    """One deadline that applies to an order, and the rule version that sets it."""

    kind: str
    """``sla`` (time in the current stage) or ``ship_by`` (the promise to the buyer)."""
    name: str
    version: int
    stage: str | None
    due_at: datetime

    def overrun(self, now: datetime) -> timedelta:
        """How far past the deadline ``now`` is (negative: time left)."""
        return now - self.due_at


def promise_for(rules: RuleSet, channel: str) -> ShipByPromise | None:
    """The channel's own ship-by promise, else the default one."""
    own = next((p for p in rules.ship_by if p.channel == channel), None)
    return own or next((p for p in rules.ship_by if p.channel is None), None)


def policy_for(
    rules: RuleSet, *, stage: str, channel: str, warehouse: str | None, promise_type: str | None
) -> SlaPolicy | None:
    """The most specific SLA policy for the stage whose every given scope matches."""
    matching = [
        p
        for p in rules.sla
        if p.stage == stage
        and p.channel in (None, channel)
        and p.warehouse in (None, warehouse)
        and p.promise_type in (None, promise_type)
    ]
    return max(matching, key=lambda p: p.specificity, default=None)


def ship_by_due(
    promise: ShipByPromise, paid_at: datetime, calendar: BusinessCalendar, zone: ZoneInfo
) -> datetime:
    """When an order paid at ``paid_at`` must have left the warehouse under ``promise``."""
    if promise.promise_type == "same_day":
        return _same_day_due(promise, paid_at, calendar, zone)
    hours = timedelta(hours=promise.hours or 0)
    if not promise.business_hours:
        return paid_at + hours
    return add_business_time(paid_at, hours, calendar, zone)


def _same_day_due(
    promise: ShipByPromise, paid_at: datetime, calendar: BusinessCalendar, zone: ZoneInfo
) -> datetime:
    local = paid_at.astimezone(zone)
    day = local.date()
    cutoff = promise.cutoff or calendar.work_end
    if not is_workday(day, calendar) or local.time() >= cutoff:
        day = next_workday(day, calendar)
    return datetime.combine(day, calendar.work_end, zone).astimezone(UTC)


def is_workday(day: date, calendar: BusinessCalendar) -> bool:
    return day.isoweekday() in calendar.workdays and day not in calendar.holidays


def next_workday(day: date, calendar: BusinessCalendar) -> date:
    candidate = day + timedelta(days=1)
    while not is_workday(candidate, calendar):  # a calendar has at least one workday
        candidate += timedelta(days=1)
    return candidate


def add_business_time(
    start: datetime, amount: timedelta, calendar: BusinessCalendar, zone: ZoneInfo
) -> datetime:
    """``start`` plus ``amount`` of working time (working hours of workdays only)."""
    left = amount
    for opens, closes in _working_spans(start.astimezone(zone), calendar, zone):
        begin = max(opens, start)
        if begin + left <= closes:
            return (begin + left).astimezone(UTC)
        left -= max(closes - begin, timedelta(0))
    raise AssertionError("unreachable: working spans never end")


def _working_spans(
    local: datetime, calendar: BusinessCalendar, zone: ZoneInfo
) -> Iterator[tuple[datetime, datetime]]:
    day = local.date()
    if not is_workday(day, calendar):
        day = next_workday(day, calendar)
    while True:
        yield (
            datetime.combine(day, calendar.work_start, zone),
            datetime.combine(day, calendar.work_end, zone),
        )
        day = next_workday(day, calendar)


@dataclass(frozen=True, slots=True)
class OrderClock:
    """What deadlines depend on, for one order."""

    stage: str
    stage_entered_at: datetime
    channel: str
    warehouse: str | None
    paid_at: datetime | None
    ship_by: datetime | None


def deadlines(clock: OrderClock, loaded: LoadedRules, zone: ZoneInfo) -> list[Deadline]:
    """Every deadline that applies to the order now, earliest first."""
    if clock.stage not in OPEN_STAGES:
        return []
    rules = loaded.rules
    promise = promise_for(rules, clock.channel)
    found: list[Deadline] = []
    policy = policy_for(
        rules,
        stage=clock.stage,
        channel=clock.channel,
        warehouse=clock.warehouse,
        promise_type=promise.promise_type if promise else None,
    )
    if policy is not None:
        due = clock.stage_entered_at + timedelta(hours=policy.max_hours)
        found.append(
            Deadline("sla", policy.name, loaded.version("sla", policy.name), clock.stage, due)
        )
    ship_by = _ship_by(clock, promise, loaded, zone)
    if ship_by is not None:
        found.append(ship_by)
    return sorted(found, key=lambda d: d.due_at)


def _ship_by(
    clock: OrderClock, promise: ShipByPromise | None, loaded: LoadedRules, zone: ZoneInfo
) -> Deadline | None:
    if clock.ship_by is not None:  # the channel's own promise wins
        return Deadline("ship_by", "channel", 0, None, clock.ship_by)
    if promise is None or clock.paid_at is None:
        return None
    due = ship_by_due(promise, clock.paid_at, loaded.rules.calendar, zone)
    return Deadline("ship_by", promise.name, loaded.version("ship_by", promise.name), None, due)


def refresh_deadlines(
    session: Session,
    loaded: LoadedRules,
    *,
    zone: ZoneInfo,
    order_ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> int:
    """Recompute ``next_deadline_at`` of open orders (all, or ``order_ids``) and clear it on
    closed ones; returns how many orders changed. Call it after stage moves or rule changes.

    With ``now``, an order whose new deadline has passed by then is announced as a change
    (``store.events``): the alerts engine looks only at deadlines after its last look, and
    would otherwise find one set in the past (a tightened SLA, a backlog's first deadlines)
    only at its periodic full sweep."""
    closed = update(Order).where(
        Order.stage.not_in(_OPEN_CODES), Order.next_deadline_at.is_not(None)
    )
    if order_ids is not None:
        closed = closed.where(Order.id.in_(order_ids))
    changed = session.execute(closed.values(next_deadline_at=None)).rowcount  # type: ignore[attr-defined]
    moved = [
        (row, due)
        for row, due in _open_deadlines(session, loaded, zone, order_ids)
        if row.next_deadline_at != due
    ]
    if moved:
        session.execute(
            update(Order), [{"id": row.id, "next_deadline_at": due} for row, due in moved]
        )
    if now is not None:
        passed = [row for row, due in moved if due is not None and due <= now]
        record_changes(session, [ChangeEvent(row.order_no, row.clock.stage, now) for row in passed])
    return int(changed) + len(moved)


FULL_REFRESH_EVERY = timedelta(hours=24)
"""Every open order's deadline is computed again this often even when nothing says it moved
(a promise changed by a push the worker did not hear of)."""
ID_OVERLAP = 2_000
"""New orders and stage events are looked for this many ids below the highest seen: ids come
from sequences, and a batch that commits late has lower ids than one committed before it.
(Every id in the overlap is computed again each minute; the worker's own moves reach the
engine as change events anyway, and the daily full pass catches what slips through.)"""
_SEEN = ("rule_id", "order_id", "event_id", "full_at")


def refresh_changed_deadlines(
    session: Session, loaded: LoadedRules, *, zone: ZoneInfo, now: datetime
) -> int:
    """``refresh_deadlines`` for what may have changed since the last call (from any process):
    new orders and orders with new stage events; every open order when a rule was saved since
    (a new rule row), on the first call, and once a ``FULL_REFRESH_EVERY``. The cost follows
    the changes, not the open orders (at 1M open orders a full pass is most of a minute). What
    it has seen is kept in the store's counters, so a restarted worker goes on from there."""
    seen = {name: _counter(session, f"sla_refresh.{name}") for name in _SEEN}
    top_rule = int(session.scalar(select(func.max(Rule.id))) or 0)
    top_order = int(session.scalar(select(func.max(Order.id))) or 0)
    top_event = int(session.scalar(select(func.max(StageEvent.id))) or 0)
    full_at = datetime.fromtimestamp(seen["full_at"].value, UTC) if seen["full_at"].value else None
    if full_at is None or top_rule != seen["rule_id"].value or now >= full_at + FULL_REFRESH_EVERY:
        changed = refresh_deadlines(session, loaded, zone=zone, now=now)
        seen["full_at"].value = int(now.timestamp())
    else:
        new_orders = select(Order.id).where(Order.id > seen["order_id"].value - ID_OVERLAP)
        moved = select(StageEvent.order_id).where(
            StageEvent.id > seen["event_id"].value - ID_OVERLAP
        )
        ids = set(session.scalars(new_orders)) | set(session.scalars(moved))
        changed = (
            refresh_deadlines(session, loaded, zone=zone, order_ids=sorted(ids), now=now)
            if ids
            else 0
        )
    seen["rule_id"].value, seen["order_id"].value = top_rule, top_order
    seen["event_id"].value = top_event
    return changed


def _counter(session: Session, name: str) -> Counter:
    row = session.get(Counter, name, with_for_update=True)
    if row is None:
        row = Counter(name=name, value=0)
        session.add(row)
    return row


def _open_deadlines(
    session: Session, loaded: LoadedRules, zone: ZoneInfo, order_ids: Sequence[int] | None
) -> Iterator[tuple[ClockRow, datetime | None]]:
    """Each open order with its earliest deadline now."""
    for row in order_clocks(session, order_ids, open_only=True):
        found = deadlines(row.clock, loaded, zone)
        yield row, found[0].due_at if found else None


@dataclass(frozen=True, slots=True)
class ClockRow:
    """One order's clock, with what identifies it."""

    id: int
    order_no: str
    next_deadline_at: datetime | None
    clock: OrderClock


def order_clocks(
    session: Session, order_ids: Sequence[int] | None, *, open_only: bool = False
) -> Iterator[ClockRow]:
    """The clocks of ``order_ids`` (all orders when None; only open ones with ``open_only``)."""
    query = select(
        Order.id,
        Order.order_no,
        Order.next_deadline_at,
        Order.stage,
        Order.stage_entered_at,
        Channel.name,
        Order.warehouse,
        Order.paid_at,
        Order.ship_by,
    ).join(Channel, Channel.id == Order.channel_id)
    if open_only:
        query = query.where(Order.stage.in_(_OPEN_CODES))
    if order_ids is not None:
        query = query.where(Order.id.in_(order_ids))
    for row in session.execute(query.order_by(Order.id)):
        clock = OrderClock(row[3], row[4], row[5], row[6], row[7], row[8])
        yield ClockRow(row[0], row[1], row[2], clock)


def due_orders(
    session: Session, now: datetime, *, after: datetime | None = None, limit: int | None = 1000
) -> list[tuple[int, str, datetime]]:
    """Open orders whose earliest deadline has passed (and fell after ``after``, when given),
    most overdue first (by the index): ``(id, order_no, next_deadline_at)``."""
    query = (
        select(Order.id, Order.order_no, Order.next_deadline_at)
        .where(Order.next_deadline_at.is_not(None), Order.next_deadline_at <= now)
        .order_by(Order.next_deadline_at)
        .limit(limit)
    )
    if after is not None:
        query = query.where(Order.next_deadline_at > after)
    return [(int(i), str(no), due) for i, no, due in session.execute(query) if due is not None]


def next_deadline(session: Session, after: datetime) -> datetime | None:
    """The earliest ``next_deadline_at`` later than ``after`` (one step down the index)."""
    query = select(func.min(Order.next_deadline_at)).where(Order.next_deadline_at > after)
    found: datetime | None = session.scalar(query)
    return found

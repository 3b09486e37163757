"""When a group is notified, and who hears about it: the decisions of the pipeline after
grouping, each written to the outbox in the same transaction.

For a group that is due (its ``next_flush_at`` has come, or its last alert resolved):

- the members muted by a silence or an inhibition are left out (and say why);
- the first notification goes out once ``group_wait`` has passed since the group formed;
- after that, a change in what the group holds is notified at most once per
  ``group_interval``, and an unchanged, unacknowledged group is reminded after
  ``repeat_interval``;
- not acknowledged within ``escalate_after`` of its level's first notification, the next
  level's receivers are told (supervisor → warehouse manager → on-call), and later
  notifications reach every level so far;
- when the last alert resolves, the resolved notice goes out at once, not at the next
  interval, and the group closes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import BigInteger, exists, or_, select, update
from sqlalchemy.orm import Session

from alerts.links import ack_url
from alerts.members import Member, members
from alerts.messages import group_message
from alerts.muting import Muter
from alerts.notifiers.base import Message
from alerts.notifiers.templates import TemplateError
from alerts.outbox import enqueue
from alerts.routing import ReceiverRef, Route
from store.listed import listed
from store.models import Alert, AlertDelivery, AlertGroup

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class NotifySettings:
    zone: ZoneInfo
    """Business hours and the times messages show are in this zone."""
    secret_key: str
    """Signs the acknowledge links (ORDERWATCH_SECRET_KEY)."""
    public_url: str
    """Where people reach orderwatch: the start of every link in a message."""
    ack_ttl: timedelta = timedelta(hours=24)


def flush_groups(
    session: Session, routes: Sequence[Route], settings: NotifySettings, now: datetime
) -> list[AlertDelivery]:
    """Decide every due group; returns the outbox rows written. The alerts each notification
    names first are kept on their group (``unmarked``) for ``write_marks``."""
    write_marks(session)  # what a previous tick could not write, before deciding again
    due = due_groups(session, now)
    if not due:
        return []
    by_id = {route.id: route for route in routes}
    muter = Muter(session, now)
    # Every due group's members in one query: a query per group was most of the time when
    # each order is its own group.
    found = members(session, [group.id for group in due])
    written: list[AlertDelivery] = []
    for group in due:
        route = by_id.get(group.route_id) if group.route_id is not None else None
        alerts = found.get(group.id, [])
        if route is None:
            _dissolve(session, group, alerts, now)
            continue
        try:
            written += _decide(session, group, alerts, route, muter, settings, now)
        except TemplateError as error:  # the alert stays open and visible; say why loudly
            log.error("alert_group.unsendable", group=group.id, error=error.message)
            group.next_flush_at = now + route.group_interval
        told = [alert.id for alert in alerts if alert.notified_at == now]
        if told:
            group.unmarked, group.unmarked_at = told, now
    return written


def write_marks(session: Session) -> int:
    """Write ``notified_at`` on the alerts that notifications named first, in one statement
    per decision time; returns how many. The engine calls it just after a notification's
    transaction commits, so that the deliverer is not kept waiting for a row per alert (a
    1,000-alert group's marks were 13 ms of its 45 ms decision); the next decision calls it
    again first, so marks a crash left unwritten are written before anything else is decided."""
    query = select(AlertGroup).where(AlertGroup.unmarked_at.is_not(None))
    by_time: dict[datetime, list[int]] = {}
    for group in session.scalars(query):
        assert group.unmarked_at is not None
        by_time.setdefault(group.unmarked_at, []).extend(group.unmarked or [])
        group.unmarked, group.unmarked_at = None, None
    for at, ids in by_time.items():
        _set_on_alerts(session, ids, notified_at=at)
    return sum(len(ids) for ids in by_time.values())


def _set_on_alerts(session: Session, ids: Sequence[int], **values: object) -> None:
    """Set ``values`` on the alerts ``ids`` in one statement with one parameter."""
    session.execute(
        update(Alert).where(listed(session, Alert.id, ids, BigInteger())).values(**values),
        execution_options={"synchronize_session": False},
    )


def due_groups(session: Session, now: datetime) -> list[AlertGroup]:
    """Open groups whose decision time has come, and those whose last alert resolved."""
    open_member = exists().where(Alert.group_id == AlertGroup.id, Alert.status != "resolved")
    query = select(AlertGroup).where(
        AlertGroup.state == "firing", or_(AlertGroup.next_flush_at <= now, ~open_member)
    )
    return list(session.scalars(query.order_by(AlertGroup.id)))


def next_flush(session: Session) -> datetime | None:
    query = select(AlertGroup.next_flush_at).where(AlertGroup.state == "firing")
    found: datetime | None = session.scalar(query.order_by(AlertGroup.next_flush_at).limit(1))
    return found


def _decide(
    session: Session,
    group: AlertGroup,
    alerts: list[Member],
    route: Route,
    muter: Muter,
    settings: NotifySettings,
    now: datetime,
) -> list[AlertDelivery]:
    if not alerts:
        return _close(session, group, route, settings, now)
    muted = muter.reasons(alerts)
    changes = [
        {"id": alert.id, "muted_by": muted.get(alert.id)}
        for alert in alerts
        if alert.muted_by != muted.get(alert.id)
    ]
    if changes:  # only the changes: most decisions have none
        session.execute(update(Alert), changes)
    active = [alert for alert in alerts if alert.id not in muted]
    group.next_flush_at = now + route.group_interval
    if not active:
        return []
    written: list[AlertDelivery] = []
    event = _event(group, route, active, now)
    if event is not None:
        receivers = route.up_to(group.escalation_level, now, settings.zone)
        written += _notify(session, group, active, event, receivers, settings, now)
    if _escalation_due(group, route, now):
        group.escalation_level += 1
        group.level_since = now
        receivers = list(route.receivers(group.escalation_level, now, settings.zone))
        written += _notify(session, group, active, "escalation", receivers, settings, now)
    _schedule(group, route)
    return written


def _digest(alerts: Sequence[Member]) -> str:
    content = ",".join(f"{a.id}:{a.severity}" for a in sorted(alerts, key=lambda a: a.id))
    return hashlib.sha256(content.encode()).hexdigest()


def _event(group: AlertGroup, route: Route, active: Sequence[Member], now: datetime) -> str | None:
    last = group.last_notified_at
    if last is None:
        return "firing"
    if _digest(active) != group.notified_digest:
        if now < last + route.group_interval:
            group.next_flush_at = last + route.group_interval
            return None
        return "update"
    if group.acknowledged_at is None and now >= last + route.repeat_interval:
        return "repeat"
    return None


def _escalation_due(group: AlertGroup, route: Route, now: datetime) -> bool:
    if group.acknowledged_at is not None or group.level_since is None:
        return False
    if not route.can_escalate(group.escalation_level) or route.escalate_after is None:
        return False
    return now >= group.level_since + route.escalate_after


def _schedule(group: AlertGroup, route: Route) -> None:
    """Bring the next decision forward to a repeat or an escalation that comes sooner."""
    due = [group.next_flush_at]
    if group.acknowledged_at is None and group.last_notified_at is not None:
        due.append(group.last_notified_at + route.repeat_interval)
        if route.can_escalate(group.escalation_level) and group.level_since is not None:
            assert route.escalate_after is not None
            due.append(group.level_since + route.escalate_after)
    group.next_flush_at = min(d for d in due if d is not None)


def _notify(
    session: Session,
    group: AlertGroup,
    active: Sequence[Member],
    event: str,
    receivers: Sequence[ReceiverRef],
    settings: NotifySettings,
    now: datetime,
) -> list[AlertDelivery]:
    fresh = [alert for alert in active if alert.notified_at is None]
    due_at = min((alert.opened_at for alert in fresh), default=None)
    if event != "escalation":
        group.last_notified_at, group.notified_digest = now, _digest(active)
        group.notified_count = len(active)
        group.first_notified_at = group.first_notified_at or now
        group.level_since = group.level_since or now
    url = ack_url(settings.public_url, group.id, now + settings.ack_ttl, settings.secret_key)
    rows = _write(session, group, active, event, receivers, settings, now, url, due_at)
    for alert in fresh:  # named once the message is written; ``write_marks`` stores it
        alert.notified_at = now
    return rows


def _write(
    session: Session,
    group: AlertGroup,
    alerts: Sequence[Member],
    event: str,
    receivers: Sequence[ReceiverRef],
    settings: NotifySettings,
    now: datetime,
    url: str,
    due_at: datetime | None = None,
) -> list[AlertDelivery]:
    """One outbox row per receiver, under one notification number of the group."""
    group.notifications += 1
    composed: dict[str, Message] = {}
    rows = []
    for receiver in receivers:
        key = f"ow-g{group.id}-n{group.notifications}-r{receiver.id}"
        if receiver.lang not in composed:
            composed[receiver.lang] = group_message(
                alerts,
                idempotency_key=key,
                lang=receiver.lang,
                now=now,
                zone=settings.zone,
                url=url,
                resolved=event == "resolved",
            )
        message = _keyed(composed[receiver.lang], key)
        rows.append(
            enqueue(
                session,
                receiver=receiver,
                message=message,
                event=event,
                now=now,
                group_id=group.id,
                due_at=due_at,
            )
        )
    log.info("alert_group.notified", group=group.id, notification=event, receivers=len(rows))
    return rows


def _keyed(message: Message, key: str) -> Message:
    return replace(message, idempotency_key=key)


def _close(
    session: Session, group: AlertGroup, route: Route, settings: NotifySettings, now: datetime
) -> list[AlertDelivery]:
    """The group's last alert resolved: the resolved notice (if it was ever notified), and
    the group closes; a new alert with the same key starts a new group."""
    group.state, group.resolved_at, group.next_flush_at = "resolved", now, None
    if group.last_notified_at is None or not route.send_resolved:
        return []
    everyone = members(session, [group.id], open_only=False).get(group.id, [])
    told = [alert for alert in everyone if alert.notified_at is not None]
    if not told:
        return []
    receivers = route.up_to(group.escalation_level, now, settings.zone)
    url = console_url(settings.public_url, group.id)
    return _write(session, group, told, "resolved", receivers, settings, now, url)


def console_url(public_url: str, group_id: int) -> str:
    return f"{public_url.rstrip('/')}/alerts?group={group_id}"


def _dissolve(session: Session, group: AlertGroup, alerts: list[Member], now: datetime) -> None:
    """The group's route is gone: its alerts are routed again by the routes there are now."""
    if alerts:
        _set_on_alerts(
            session, [alert.id for alert in alerts], group_id=None, route_checked_at=None
        )
    group.state, group.resolved_at, group.next_flush_at = "resolved", now, None

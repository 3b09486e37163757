"""The alerts engine's tables: alerts and the groups they are notified in, receivers and the
routes that choose them, silences, and the delivery outbox.

An alert is raised by the area that noticed a problem (``store.alerts``); the engine routes it
to the first matching route, files it in that route's open group for its group key, decides
when the group is notified and writes one outbox row per receiver in the same transaction.
Deliverers send the rows; nothing is sent that is not first written here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, BigId, Json, utcnow
from store.sealing import SealedJSON

SEVERITIES = ("info", "warning", "critical")
DELIVERY_STATES = ("pending", "sent", "dead")
DELIVERY_EVENTS = ("firing", "update", "repeat", "escalation", "resolved", "test")
_FIRING = "state = 'firing'"
_UNMARKED = "unmarked_at IS NOT NULL"
ALERT_FILLFACTOR = 70


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ('" + "', '".join(values) + "')"


class Alert(Base):
    """Something a person must know about; repeats fold into one row by ``dedupe_key``."""

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint("status IN ('firing', 'acknowledged', 'resolved')", name="status_known"),
        CheckConstraint(_one_of("severity", SEVERITIES), name="severity_known"),
        Index("ix_alerts_status_key", "status", "dedupe_key"),
        Index("ix_alerts_kind_status", "kind", "status"),
        Index("ix_alerts_group_status", "group_id", "status"),
        Index("ix_alerts_order_id", "order_id"),
        Index(
            "ix_alerts_unrouted",
            "id",
            postgresql_where=text("route_checked_at IS NULL"),
            sqlite_where=text("route_checked_at IS NULL"),
        ),
        # Room on each page for a row's next version: marking, muting and seeing an alert
        # again change no indexed column, so PostgreSQL updates them in place (HOT) instead
        # of adding an entry to each of the six indexes (a 1,000-alert group: 22 → 17 ms).
        {"postgresql_with": {"fillfactor": ALERT_FILLFACTOR}},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(255))
    severity: Mapped[str] = mapped_column(String(8), default="warning")
    status: Mapped[str] = mapped_column(String(12), default="firing")
    title: Mapped[str] = mapped_column(String(255))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    """What routes, silences and inhibitions match on: channel, warehouse, stage, sku..."""
    order_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("orders.id", ondelete="SET NULL")
    )
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    group_id: Mapped[int | None] = mapped_column(ForeignKey("alert_groups.id", ondelete="SET NULL"))
    """The group it is notified in; None until routed (or when no route matches)."""
    route_checked_at: Mapped[datetime | None]
    """When the engine matched it against the routes; None: not yet (or routes changed)."""
    notified_at: Mapped[datetime | None]
    """When a notification first named it."""
    muted_by: Mapped[str | None] = mapped_column(String(64))
    """Why the last notification of its group left it out: ``silence:ID`` or
    ``inhibited:ALERT_ID``; None when it was notified."""


class Receiver(Base):
    """Who or what gets notified: a robot, a webhook or a phone, with its provider settings."""

    __tablename__ = "alert_receivers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    """A provider of ``alerts.notifiers.providers.PROVIDERS``: webhook, dingtalk, aliyun_sms..."""
    settings: Mapped[dict[str, Any]] = mapped_column(SealedJSON, deferred=True)
    """The provider's settings, secrets included: written, never shown. Sealed at rest as a
    whole (``store.sealing``; the store cannot know which of a provider's fields are secret)
    and read and written as a plain dict. Loaded only when read: routing, rate limits and
    the console's lists of receivers by name never open them."""
    lang: Mapped[str] = mapped_column(String(2), default="zh")
    rate_limit_per_min: Mapped[int | None]
    """At most this many messages a minute (DingTalk and WeCom robots take 20)."""
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AlertRoute(Base):
    """Which alerts go to whom, grouped how and notified how often; first match by position."""

    __tablename__ = "alert_routes"
    __table_args__ = (
        CheckConstraint(
            "group_wait_s >= 0 AND group_interval_s > 0 AND repeat_interval_s > 0",
            name="intervals_positive",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    position: Mapped[int]
    matchers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Label -> accepted values (kind, severity, channel, warehouse, stage); absent: any."""
    group_by: Mapped[list[str]] = mapped_column(default=list)
    group_wait_s: Mapped[int] = mapped_column(default=30)
    group_interval_s: Mapped[int] = mapped_column(default=300)
    repeat_interval_s: Mapped[int] = mapped_column(default=4 * 3600)
    escalate_after_s: Mapped[int | None]
    """Not acknowledged this long after its level was notified: the next level is."""
    business_hours: Mapped[dict[str, Any] | None] = mapped_column(Json)
    """``{"days": [1..7], "start": "HH:MM", "end": "HH:MM"}`` in the business time zone;
    outside them the on-call receivers stand in for the first level. None: always."""
    send_resolved: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RouteReceiver(Base):
    """A receiver at one escalation level of a route (level 0 first), or its on-call stand-in."""

    __tablename__ = "alert_route_receivers"

    route_id: Mapped[int] = mapped_column(
        ForeignKey("alert_routes.id", ondelete="CASCADE"), primary_key=True
    )
    on_call: Mapped[bool] = mapped_column(primary_key=True)
    level: Mapped[int] = mapped_column(primary_key=True)
    receiver_id: Mapped[int] = mapped_column(ForeignKey("alert_receivers.id"), primary_key=True)


class AlertGroup(Base):
    """Alerts of one route sharing a group key, notified together as one message."""

    __tablename__ = "alert_groups"
    __table_args__ = (
        CheckConstraint("state IN ('firing', 'resolved')", name="state_known"),
        Index(
            "ix_alert_groups_open_key",
            "route_id",
            "group_key",
            unique=True,
            postgresql_where=text(_FIRING),
            sqlite_where=text(_FIRING),
        ),
        Index(
            "ix_alert_groups_next_flush_at",
            "next_flush_at",
            postgresql_where=text(_FIRING),
            sqlite_where=text(_FIRING),
        ),
        Index(
            "ix_alert_groups_unmarked",
            "id",
            postgresql_where=text(_UNMARKED),
            sqlite_where=text(_UNMARKED),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int | None] = mapped_column(ForeignKey("alert_routes.id", ondelete="SET NULL"))
    group_key: Mapped[str] = mapped_column(String(255))
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """The values of the route's ``group_by`` labels the members share."""
    state: Mapped[str] = mapped_column(String(8), default="firing")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_flush_at: Mapped[datetime | None]
    """When the engine next decides whether to notify (group wait, interval, escalation)."""
    first_notified_at: Mapped[datetime | None]
    last_notified_at: Mapped[datetime | None]
    notified_digest: Mapped[str | None] = mapped_column(String(64))
    """Fingerprint of the alerts the last notification named: a change is a new digest."""
    notified_count: Mapped[int] = mapped_column(default=0)
    notifications: Mapped[int] = mapped_column(default=0)
    """How many notifications the group has had (numbers their idempotency keys)."""
    escalation_level: Mapped[int] = mapped_column(default=0)
    level_since: Mapped[datetime | None]
    """When the current escalation level was first notified."""
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    unmarked: Mapped[list[int] | None] = mapped_column(Json)
    """The alerts a notification named first, whose ``notified_at`` is still to be written
    (``alerts.notify.write_marks``, just after the notification's transaction commits)."""
    unmarked_at: Mapped[datetime | None]
    """When that notification was decided: the ``notified_at`` to write."""


class Silence(Base):
    """Alerts whose labels match every matcher are not notified between the two times."""

    __tablename__ = "alert_silences"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_alert_silences_ends_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    matchers: Mapped[dict[str, Any]]
    """Label -> the one value it must have (kind, severity, channel, warehouse, stage...)."""
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    author: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertDelivery(Base):
    """Outbox row: one notification to one receiver, retried until sent or parked as dead."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        CheckConstraint(_one_of("status", DELIVERY_STATES), name="status_known"),
        CheckConstraint(_one_of("event", DELIVERY_EVENTS), name="event_known"),
        Index("ix_alert_deliveries_due", "status", "next_attempt_at"),
        Index("ix_alert_deliveries_group_id", "group_id"),
        Index("ix_alert_deliveries_receiver_sent", "receiver_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    """Sent with every attempt (``webhook-id``) so a receiver can drop a repeat."""
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("alert_groups.id", ondelete="SET NULL"))
    receiver_id: Mapped[int | None] = mapped_column(
        ForeignKey("alert_receivers.id", ondelete="SET NULL")
    )
    notifier: Mapped[str] = mapped_column(String(32))
    """The receiver's kind when written: sms, dingtalk, wecom, feishu, webhook ..."""
    target: Mapped[str] = mapped_column(String(255))
    """The receiver's name when written (kept if the receiver is deleted)."""
    event: Mapped[str] = mapped_column(String(12), default="firing")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    """The message as composed: kind, severity, title, text, lang, url, params."""
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    """When it is due; a deliverer that claims it pushes this out by its lease."""
    provider_status: Mapped[int | None]
    provider_code: Mapped[str | None] = mapped_column(String(64))
    provider_answer: Mapped[str | None] = mapped_column(Text)
    """The provider's last answer (or the network's error), whatever the outcome."""
    due_at: Mapped[datetime | None]
    """The earliest deadline behind the notification (SLA breaches): latency is measured
    from it."""
    latency_s: Mapped[float | None] = mapped_column(Float)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

"""Raising and resolving alerts: one open alert per ``dedupe_key``, repeats fold into it.

The alerts engine (``alerts/``: routing, grouping, delivery) reads these rows; the areas that
notice a problem only say so here. An alert's ``labels`` are what routes, silences and
inhibitions match on; without them, the ``channel``, ``warehouse`` and ``stage`` its details
name stand in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Alert

LABELS_FROM_DETAILS = ("channel", "warehouse", "stage")
_CHUNK = 500


@dataclass(frozen=True)
class AlertSpec:
    """One alert as a source states it."""

    kind: str
    key: str
    severity: str
    title: str
    details: dict[str, Any]
    labels: dict[str, str] | None = None
    order_id: int | None = None
    opened_at: datetime | None = field(default=None, compare=False)
    """When the problem began, if earlier than now (an SLA deadline)."""

    def label_set(self) -> dict[str, str]:
        if self.labels is not None:
            return dict(self.labels)
        return {k: str(v) for k in LABELS_FROM_DETAILS if (v := self.details.get(k)) is not None}


def raise_alert(
    session: Session,
    *,
    kind: str,
    key: str,
    severity: str,
    title: str,
    details: dict[str, Any],
    now: datetime,
    labels: dict[str, str] | None = None,
    order_id: int | None = None,
) -> Alert:
    """Open an alert for ``key``, or refresh the one already open (never a second row)."""
    spec = AlertSpec(kind, key, severity, title, details, labels, order_id)
    return raise_alerts(session, [spec], now)[0]


def raise_alerts(session: Session, specs: Sequence[AlertSpec], now: datetime) -> list[Alert]:
    """``raise_alert`` for many at once: one lookup of the open alerts per 500 keys."""
    found = open_alerts(session, [spec.key for spec in specs])
    alerts = []
    for spec in specs:
        alert = found.get(spec.key)
        if alert is None:
            alert = Alert(
                kind=spec.kind,
                dedupe_key=spec.key,
                order_id=spec.order_id,
                opened_at=spec.opened_at or now,
            )
            session.add(alert)
            found[spec.key] = alert
        alert.severity, alert.title, alert.details = spec.severity, spec.title[:255], spec.details
        alert.labels, alert.last_seen_at = spec.label_set(), now
        alerts.append(alert)
    return alerts


def resolve_alert(session: Session, key: str, now: datetime) -> bool:
    """Resolve the open alert for ``key``; whether there was one."""
    return bool(resolve_alerts(session, [key], now))


def resolve_alerts(session: Session, keys: Iterable[str], now: datetime) -> list[Alert]:
    """Resolve the open alerts of ``keys``; returns those that were open."""
    resolved = list(open_alerts(session, keys).values())
    for alert in resolved:
        alert.status, alert.resolved_at = "resolved", now
    return resolved


def open_alert(session: Session, key: str) -> Alert | None:
    return open_alerts(session, [key]).get(key)


def open_alerts(session: Session, keys: Iterable[str]) -> dict[str, Alert]:
    """The open (firing or acknowledged) alert of each key that has one."""
    wanted = list(dict.fromkeys(keys))
    found: dict[str, Alert] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        query = select(Alert).where(Alert.dedupe_key.in_(chunk), Alert.status != "resolved")
        found |= {alert.dedupe_key: alert for alert in session.scalars(query)}
    return found

"""Raising and resolving alerts: one open alert per ``dedupe_key``, repeats fold into it.

The alerts engine (routing, grouping, delivery) reads these rows; the areas that notice a
problem only say so here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Alert


def raise_alert(
    session: Session,
    *,
    kind: str,
    key: str,
    severity: str,
    title: str,
    details: dict[str, Any],
    now: datetime,
) -> Alert:
    """Open an alert for ``key``, or refresh the one already open (never a second row)."""
    alert = open_alert(session, key)
    if alert is not None:
        alert.last_seen_at, alert.details, alert.severity = now, details, severity
        alert.title = title[:255]
        return alert
    alert = Alert(
        kind=kind,
        dedupe_key=key,
        severity=severity,
        title=title[:255],
        details=details,
        opened_at=now,
        last_seen_at=now,
    )
    session.add(alert)
    return alert


def resolve_alert(session: Session, key: str, now: datetime) -> bool:
    """Resolve the open alert for ``key``; whether there was one."""
    alert = open_alert(session, key)
    if alert is None:
        return False
    alert.status, alert.resolved_at = "resolved", now
    return True


def open_alert(session: Session, key: str) -> Alert | None:
    query = select(Alert).where(Alert.dedupe_key == key, Alert.status != "resolved")
    return session.scalar(query)

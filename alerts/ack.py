"""Acknowledging a group: someone is on it. Escalation and reminders stop; changes and the
resolved notice still go out. The console, the REST API and the signed link in a message all
call ``acknowledge_group``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from store.audit import write_audit
from store.errors import Conflict, NotFound
from store.models import Alert, AlertGroup


def acknowledge_group(
    session: Session, group_id: int, *, actor: str, now: datetime, note: str | None = None
) -> AlertGroup:
    """Acknowledge the group and its open alerts (audited); acknowledging twice changes
    nothing."""
    group = session.get(AlertGroup, group_id, with_for_update=True)
    if group is None:
        raise NotFound("alert_group", f"no alert group #{group_id}")
    if group.acknowledged_at is not None:
        return group
    if group.state == "resolved":
        raise Conflict(f"alert group #{group_id} is resolved already")
    group.acknowledged_by, group.acknowledged_at = actor[:64], now
    session.execute(
        update(Alert)
        .where(Alert.group_id == group_id, Alert.status == "firing")
        .values(status="acknowledged", acknowledged_by=actor[:64], acknowledged_at=now)
    )
    write_audit(
        session,
        actor=actor,
        action="alert_group.acknowledged",
        entity_type="alert_group",
        entity_id=str(group_id),
        after={"group_key": group.group_key, "note": note},
    )
    return group

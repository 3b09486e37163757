"""The append-only audit trail of what people did."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from store.models import AuditEntry


def write_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record one action in the caller's transaction, so it commits or fails with it."""
    entry = AuditEntry(
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
    )
    session.add(entry)
    return entry


def audit_trail(session: Session, *, entity_type: str, entity_id: str) -> list[AuditEntry]:
    query = (
        select(AuditEntry)
        .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return list(session.scalars(query))


MAX_PAGE = 500
"""Entries one ``audit_page`` call returns at most."""


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which entries of the whole log to show; empty parts match everything."""

    actors: Sequence[str] = ()
    actions: Sequence[str] = ()
    entity_type: str | None = None
    entity_id: str | None = None
    since: datetime | None = None
    """Inclusive."""
    until: datetime | None = None
    """Exclusive."""

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.actors:
            found.append(AuditEntry.actor.in_(list(self.actors)))
        if self.actions:
            found.append(AuditEntry.action.in_(list(self.actions)))
        if self.entity_type:
            found.append(AuditEntry.entity_type == self.entity_type)
        if self.entity_id:
            found.append(AuditEntry.entity_id == self.entity_id)
        if self.since is not None:
            found.append(AuditEntry.at >= self.since)
        if self.until is not None:
            found.append(AuditEntry.at < self.until)
        return found


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int
    """Entries matching the filter in the whole log."""


def audit_page(
    session: Session, where: AuditFilter, *, offset: int = 0, limit: int = 100
) -> AuditPage:
    """One page of the log, newest first (on the time index, with or without an actor or
    action filter), and how many entries match."""
    conditions = where.conditions()
    query = (
        select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset(max(offset, 0))
        .limit(min(max(limit, 1), MAX_PAGE))
    )
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions))
    return AuditPage(list(session.scalars(query)), int(total or 0))


def audit_vocabulary(session: Session) -> tuple[list[str], list[str]]:
    """The actions and entity types the log holds, for the console's filter choices."""
    actions = session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    types = session.scalars(
        select(AuditEntry.entity_type).distinct().order_by(AuditEntry.entity_type)
    )
    return list(actions), list(types)

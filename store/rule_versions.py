"""Versioned rule rows: every change is a new version with author, time and reason, audited.

Per ``(kind, name)`` the row with the highest version is the rule's current state; it is in
force when its ``is_active`` is true (older versions are always inactive). Restoring an old
version writes it again as the newest, so the history only ever grows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.audit import write_audit
from store.errors import Conflict, NotFound
from store.models import Rule


def active_rules(session: Session, kinds: Iterable[str] | None = None) -> list[Rule]:
    """The rules in force, by kind and name."""
    query = select(Rule).where(Rule.is_active).order_by(Rule.kind, Rule.name)
    if kinds is not None:
        query = query.where(Rule.kind.in_(list(kinds)))
    return list(session.scalars(query))


def stored_kinds(session: Session) -> set[str]:
    """Kinds that have ever been saved (a kind never saved falls back to its defaults)."""
    return set(session.scalars(select(Rule.kind).distinct()))


def latest_version(session: Session, kind: str, name: str) -> Rule | None:
    query = (
        select(Rule)
        .where(Rule.kind == kind, Rule.name == name)
        .order_by(Rule.version.desc())
        .limit(1)
    )
    return session.scalar(query)


def history(session: Session, kind: str, name: str) -> list[Rule]:
    query = select(Rule).where(Rule.kind == kind, Rule.name == name).order_by(Rule.version)
    rows = list(session.scalars(query))
    if not rows:
        raise NotFound("rule", f"no {kind} rule named {name!r}")
    return rows


def save_version(
    session: Session,
    *,
    kind: str,
    name: str,
    body: dict[str, Any],
    author: str,
    reason: str | None = None,
    active: bool = True,
    action: str | None = None,
) -> Rule | None:
    """Write a new version unless it equals the current one; returns the row or ``None``."""
    latest = latest_version(session, kind, name)
    if latest is not None and latest.is_active == active and latest.body == body:
        return None
    number = 1 if latest is None else latest.version + 1
    session.execute(
        update(Rule)
        .where(Rule.kind == kind, Rule.name == name, Rule.is_active)
        .values(is_active=False)
    )
    row = Rule(
        kind=kind,
        name=name,
        version=number,
        body=body,
        is_active=active,
        author=author,
        reason=reason,
    )
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(
            f"{kind} rule {name!r} was changed by someone else at the same time; try again"
        ) from None
    verb = action or ("retired" if not active else "created" if latest is None else "changed")
    write_audit(
        session,
        actor=author,
        action=f"rule.{verb}",
        entity_type="rule",
        entity_id=f"{kind}/{name}",
        before=None if latest is None else _describe(latest),
        after=_describe(row) | {"reason": reason},
    )
    return row


def restore_version(
    session: Session, *, kind: str, name: str, version: int, author: str, reason: str | None
) -> Rule:
    """Make an earlier version current again, as a new version."""
    old = session.scalar(
        select(Rule).where(Rule.kind == kind, Rule.name == name, Rule.version == version)
    )
    if old is None:
        newest = session.scalar(
            select(func.max(Rule.version)).where(Rule.kind == kind, Rule.name == name)
        )
        known = f"versions 1–{newest}" if newest else "no versions"
        raise NotFound("rule_version", f"{kind} rule {name!r} has no version {version} ({known})")
    why = reason or f"restore version {version}"
    row = save_version(
        session,
        kind=kind,
        name=name,
        body=dict(old.body),
        author=author,
        reason=why,
        action="restored",
    )
    if row is None:
        raise Conflict(f"{kind} rule {name!r} is already as in version {version}")
    return row


def _describe(row: Rule) -> dict[str, Any]:
    return {"version": row.version, "is_active": row.is_active, "body": row.body}

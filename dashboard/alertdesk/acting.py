"""What the alerts page's actions do in the store, each a call of the function the REST API
and the CLI call too (``alerts.ack``, ``alerts.muting``, ``alerts.outbox``). Each runs in a
thread as ``work(sessions, actor, …)`` once ``dashboard.permissions.require_role`` has
checked the signed-in user's role on the server."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy.orm import Session, sessionmaker

from alerts.ack import acknowledge_group
from alerts.muting import create_silence, expire_silence
from alerts.outbox import Attempt, resend, send_test
from dashboard.alertdesk.silence_form import SilenceAsk
from store.audit import write_audit
from store.errors import DomainError
from store.models import utcnow


@dataclass(frozen=True, slots=True)
class Acknowledged:
    group_id: int
    by: str
    at: datetime
    now: bool
    """False when someone had acknowledged it already (nothing changed)."""


def acknowledge(
    sessions: sessionmaker[Session], actor: str, group_id: int, note: str | None
) -> Acknowledged:
    now = utcnow()
    with sessions.begin() as session:
        group = acknowledge_group(session, group_id, actor=actor, now=now, note=note or None)
        assert group.acknowledged_at is not None and group.acknowledged_by is not None
        return Acknowledged(
            group_id, group.acknowledged_by, group.acknowledged_at, group.acknowledged_at == now
        )


def silence(sessions: sessionmaker[Session], actor: str, ask: SilenceAsk) -> int:
    now = utcnow()
    with sessions.begin() as session:
        made = create_silence(
            session,
            matchers=ask.matchers,
            ends_at=ask.ends_at,
            author=actor,
            reason=ask.reason,
            now=now,
        )
        return made.id


def end_silence(sessions: sessionmaker[Session], actor: str, silence_id: int) -> int:
    with sessions.begin() as session:
        return expire_silence(session, silence_id, author=actor, now=utcnow()).id


@dataclass(frozen=True, slots=True)
class Resent:
    id: int
    refusal: str | None
    """Why this one was not queued again (no longer dead, gone); None when it was."""


def resend_letters(
    sessions: sessionmaker[Session], actor: str, delivery_ids: Sequence[int]
) -> list[Resent]:
    """Queue each dead letter again on its own: one that someone re-sent meanwhile is refused
    with the reason, the others go."""
    results = []
    now = utcnow()
    with sessions.begin() as session:
        for delivery_id in delivery_ids:
            try:
                with session.begin_nested():
                    resend(session, delivery_id, actor=actor, now=now)
            except DomainError as refused:
                results.append(Resent(delivery_id, refused.message))
            else:
                results.append(Resent(delivery_id, None))
    return results


def test_receiver(sessions: sessionmaker[Session], actor: str, receiver: str) -> Attempt | None:
    """Send ``receiver`` the test message now, through the outbox, and keep who asked and what
    the provider answered in the audit trail."""
    with httpx.Client() as client:
        attempt = send_test(sessions, receiver, client)
    with sessions.begin() as session:
        write_audit(
            session,
            actor=actor,
            action="alert_receiver.tested",
            entity_type="alert_receiver",
            entity_id=receiver,
            after={
                "delivery": attempt.id if attempt else None,
                "status": attempt.status if attempt else "rate_limited",
                "provider_status": attempt.delivery.status_code if attempt else None,
            },
        )
    return attempt

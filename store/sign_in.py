"""What the console's sign-in needs from the store: who a session belongs to, whether it is
still current, ending every session of a user, and the failed sign-ins that throttle the next
ones."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from store.models import SignInFailure, User


@dataclass(frozen=True, slots=True)
class SessionHolder:
    """An active user as a console session sees them (no password hash)."""

    user_id: int
    username: str
    display_name: str | None
    role: str
    locale: str
    generation: int


def session_holder(session: Session, user_id: int) -> SessionHolder | None:
    """The active user ``user_id``, else ``None`` (unknown or deactivated)."""
    row = session.execute(
        select(
            User.id, User.username, User.display_name, User.role, User.locale,
            User.session_generation,
        ).where(User.id == user_id, User.is_active)
    ).one_or_none()  # fmt: skip
    return SessionHolder(*row) if row is not None else None


def end_sessions(session: Session, user_id: int) -> None:
    """Every console session of ``user_id`` ends (signing out ends them on every device)."""
    session.execute(
        update(User)
        .where(User.id == user_id)
        .values(session_generation=User.session_generation + 1)
    )


def locked_until(session: Session, keys: Collection[str], now: datetime) -> datetime | None:
    """Until when sign-in is closed for any of ``keys`` (``None``: open now)."""
    latest = session.scalar(
        select(func.max(SignInFailure.locked_until)).where(
            SignInFailure.key.in_(list(keys)), SignInFailure.locked_until > now
        )
    )
    return latest


def record_failure(
    session: Session,
    keys: Collection[str],
    now: datetime,
    *,
    delay: Callable[[str, int], timedelta],
    forget_after: timedelta,
) -> datetime | None:
    """Count a failed sign-in against each key (from one again after ``forget_after`` without
    failures) and close each for ``delay(key, failures)``; until when the latest is closed."""
    until: datetime | None = None
    for key in keys:
        row = session.get(SignInFailure, key, with_for_update=True)
        if row is None:
            row = SignInFailure(key=key, failures=0, last_failure_at=now)
            session.add(row)
        elif now - row.last_failure_at >= forget_after:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        wait = delay(key, row.failures)
        row.locked_until = now + wait if wait else None
        if row.locked_until is not None and (until is None or row.locked_until > until):
            until = row.locked_until
    session.flush()
    return until


def clear_failures(session: Session, key: str) -> None:
    session.execute(delete(SignInFailure).where(SignInFailure.key == key))

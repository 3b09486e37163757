"""What the console's sign-in needs from the store: who a session belongs to, whether it is
still current, and ending every session of a user."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from store.models import User


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

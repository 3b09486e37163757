"""What the admin page's actions do, as ``dashboard.confirming.as_allowed`` runs them
(``work(sessions, actor, …)`` in a thread, after the role check): the store functions the
CLI calls too (``store.people``), each audited there with the acting admin as the actor.

A change to a user (role, active flag, password) ends their console sessions in the
database itself (migration 0012's trigger); the page then forgets this process's cached
check of them (``ConsoleSessions.forget``), so their next request is refused at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from store.people import (
    change_role,
    create_token,
    create_user,
    deactivate_user,
    get_user,
    new_password,
    revoke_token,
    set_password,
)


@dataclass(frozen=True, slots=True)
class Changed:
    """A user whose sessions a change ended (``user_id``), and whether anything changed."""

    user_id: int
    changed: bool


@dataclass(frozen=True, slots=True)
class Reset:
    user_id: int
    generated: str | None
    """The password made for the user, to be shown once; ``None`` when the admin typed it."""


def add_user(
    sessions: sessionmaker[Session],
    actor: str,
    username: str,
    display_name: str | None,
    role: str,
    password: str,
) -> None:
    with sessions.begin() as session:
        create_user(session, username=username, role=role, password=password,
                    display_name=display_name, actor=actor)  # fmt: skip


def give_role(sessions: sessionmaker[Session], actor: str, username: str, role: str) -> Changed:
    with sessions.begin() as session:
        user = get_user(session, username)
        before = user.role
        change_role(session, username, role, actor=actor)
        return Changed(user.id, before != role)


def deactivate(sessions: sessionmaker[Session], actor: str, username: str, reason: str) -> Changed:
    with sessions.begin() as session:
        user = get_user(session, username)
        was_active = user.is_active
        deactivate_user(session, username, actor=actor, reason=reason)
        return Changed(user.id, was_active)


def reset_password(sessions: sessionmaker[Session], actor: str, username: str, typed: str) -> Reset:
    """Set the password the admin typed, or a generated one when they typed none."""
    generated = None if typed else new_password()
    with sessions.begin() as session:
        user = set_password(session, username, typed or str(generated), actor=actor)
        return Reset(user.id, generated)


@dataclass(frozen=True, slots=True)
class Issued:
    name: str
    scopes: list[str]
    secret: str
    """Shown once, in the page's answer; only its hash is stored."""


def issue_token(
    sessions: sessionmaker[Session], actor: str, name: str, scopes: list[str]
) -> Issued:
    with sessions.begin() as session:
        issued = create_token(session, name=name, scopes=scopes, actor=actor)
        return Issued(issued.record.name, list(issued.record.scopes), issued.secret)


def revoke(sessions: sessionmaker[Session], actor: str, name: str) -> bool:
    """Whether the token was live until now (False: revoked already, nothing changed)."""
    with sessions.begin() as session:
        token = revoke_token(session, name, actor=actor)
        return session.is_modified(token)

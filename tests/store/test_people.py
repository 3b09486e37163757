"""Users as the store keeps them: a role change and a deactivation are audited with their
actor (and the deactivation's reason), end the user's console sessions, and nobody does
either to themselves; every refusal has a code the console puts beside its field."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.errors import DomainError
from store.models import AuditEntry, User
from store.people import (
    change_role,
    check_password,
    create_token,
    create_user,
    deactivate_user,
    new_password,
)

PASSWORD = "picker-pass-9"


@pytest.fixture
def picker(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with sessions.begin() as session:
        create_user(session, username="picker", role="supervisor", password=PASSWORD)
    return sessions


def generation(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalars(select(User.session_generation)).one()


def entries(sessions: sessionmaker[Session]) -> list[tuple[str, str, object, object]]:
    with sessions() as session:
        found = session.scalars(select(AuditEntry).where(AuditEntry.action != "user.created"))
        return [(e.actor, e.action, e.before, e.after) for e in found]


def test_a_role_change_is_audited_and_ends_the_sessions(picker: sessionmaker[Session]) -> None:
    before = generation(picker)
    with picker.begin() as session:
        change_role(session, "picker", "ops_supervisor", actor="chen")
    with picker.begin() as session:
        change_role(session, "picker", "ops_supervisor", actor="chen")  # no change, no entry

    assert generation(picker) == before + 1
    assert entries(picker) == [
        ("chen", "user.role_changed", {"role": "supervisor"}, {"role": "ops_supervisor"})
    ]


def test_a_deactivation_keeps_its_reason_and_ends_the_sessions(
    picker: sessionmaker[Session],
) -> None:
    before = generation(picker)
    with picker.begin() as session:
        deactivate_user(session, "picker", actor="chen", reason=" left ")

    assert generation(picker) == before + 1
    assert entries(picker) == [
        ("chen", "user.deactivated", {"active": True}, {"active": False, "reason": "left"})
    ]


def test_nobody_demotes_or_deactivates_themselves(picker: sessionmaker[Session]) -> None:
    with picker.begin() as session, pytest.raises(DomainError) as demoted:
        change_role(session, "picker", "viewer", actor="picker")
    with picker.begin() as session, pytest.raises(DomainError) as deactivated:
        deactivate_user(session, "picker", actor="picker")

    assert demoted.value.code == deactivated.value.code == "own_account"
    assert entries(picker) == []


def user(session: Session, username: str, role: str, password: str) -> None:
    create_user(session, username=username, role=role, password=password)


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda s: user(s, "a b", "viewer", PASSWORD), "bad_user_name"),
        (lambda s: user(s, "x", "boss", PASSWORD), "unknown_role"),
        (lambda s: user(s, "x", "viewer", "short"), "weak_password"),
        (lambda s: user(s, "picker", "viewer", PASSWORD), "user_exists"),
        (lambda s: create_token(s, name="", scopes=["scans"]), "bad_token_name"),
        (lambda s: create_token(s, name="pda", scopes=[]), "no_scopes"),
        (lambda s: create_token(s, name="pda", scopes=["root"]), "unknown_scope"),
    ],
)  # fmt: skip
def test_each_refusal_has_its_code(picker: sessionmaker[Session], make: object, code: str) -> None:
    with picker.begin() as session, pytest.raises(DomainError) as refused:
        make(session)  # type: ignore[operator]
    assert refused.value.code == code


def test_a_generated_password_meets_the_rule() -> None:
    made = {new_password() for _ in range(20)}
    assert len(made) == 20
    for password in made:
        check_password(password)

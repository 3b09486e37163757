"""Console sessions end when they should: sign-out (on every device), deactivation, a role
change and a password change; a cookie this server did not sign for a current user is
nobody's. The check is cached, so a burst of callbacks reads the store once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from dashboard.i18n import role_label
from dashboard.sessions import CHECK_TTL_S, COOKIE
from store.db import session_factory
from store.models import User
from tests.dashboard.console_client import (
    PASSWORD,
    SessionClock,
    client_for,
    console_client,
    sign_in,
)


@pytest.fixture
def clock() -> SessionClock:
    return SessionClock()


@pytest.fixture
def client(engine: Engine, clock: SessionClock) -> Iterator[TestClient]:
    with client_for(engine) as made:
        made.app.state.console_sessions.clock = clock  # type: ignore[attr-defined]
        yield made


def admitted(client: TestClient, cookie: str | None = None) -> bool:
    """Whether the console serves a callback route to this client (or this cookie alone)."""
    if cookie is not None:
        client.cookies.clear()
        client.cookies.set(COOKIE, cookie)
    answer = client.get("/_dash-layout")
    assert answer.status_code in {200, 401}, answer.text
    return answer.status_code == 200


def signed_in(client: TestClient) -> str:
    assert sign_in(client).status_code == 303
    return str(client.cookies[COOKIE])


def change_user(engine: Engine, **values: Any) -> None:
    """What the CLI, ``orderwatch apply`` or another process does to the user."""
    with session_factory(engine).begin() as session:
        user = session.scalars(select(User).where(User.username == "lead")).one()
        for name, value in values.items():
            setattr(user, name, value)


def test_a_cookie_saved_before_signing_out_is_refused_at_once(client: TestClient) -> None:
    saved = signed_in(client)
    assert admitted(client)

    client.post("/logout")

    assert not admitted(client, cookie=saved)


def test_signing_out_ends_the_session_on_every_device(engine: Engine, client: TestClient) -> None:
    other_device = signed_in(client)
    client.cookies.clear()
    signed_in(client)

    client.post("/logout")

    assert not admitted(client, cookie=other_device)


@pytest.mark.parametrize(
    "change",
    [
        {"is_active": False},
        {"role": "viewer"},
        {"password_hash": PasswordHasher().hash("another-pass-9")},
    ],
    ids=["deactivated", "demoted", "new-password"],
)
def test_a_change_to_the_user_ends_their_sessions(
    engine: Engine, client: TestClient, clock: SessionClock, change: dict[str, Any]
) -> None:
    saved = signed_in(client)
    assert admitted(client)

    change_user(engine, **change)
    clock.now += CHECK_TTL_S  # made by another process: seen once the cached check is due

    assert not admitted(client, cookie=saved)


def test_a_name_change_keeps_the_session(
    engine: Engine, client: TestClient, clock: SessionClock
) -> None:
    signed_in(client)

    change_user(engine, display_name="王芳")
    clock.now += CHECK_TTL_S

    assert admitted(client)
    assert "王芳" in layout_text(client)


def test_a_demoted_user_signs_in_again_with_the_new_role(
    engine: Engine, client: TestClient, clock: SessionClock
) -> None:
    signed_in(client)
    change_user(engine, role="viewer")
    clock.now += CHECK_TTL_S

    signed_in(client)

    assert role_label("viewer", "zh") in layout_text(client)


def layout_text(client: TestClient) -> str:
    return json.dumps(client.get("/_dash-layout").json(), ensure_ascii=False)


@pytest.mark.parametrize("key", ["", "another-secret-key"])
def test_a_cookie_signed_with_another_key_is_nobodys(client: TestClient, key: str) -> None:
    signed_in(client)  # a real user exists, and has a session
    forged = URLSafeTimedSerializer(key, salt="orderwatch.console-session").dumps({"u": 1, "g": 0})

    assert not admitted(client, cookie=forged)


def test_a_signed_cookie_for_a_user_that_does_not_exist_is_nobodys(client: TestClient) -> None:
    console = client.app.state.console_sessions  # type: ignore[attr-defined]
    for claim in ({"u": 999, "g": 0}, {"u": "1", "g": 0}, ["u", 1]):
        assert not admitted(client, cookie=console.signer.dumps(claim))


def test_a_burst_of_requests_reads_the_user_once(engine: Engine, client: TestClient) -> None:
    signed_in(client)
    reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM users" in statement:
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(20):
            assert admitted(client)
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert len(reads) == 1


def test_the_store_moves_the_generation_on_whoever_changes_the_user(engine: Engine) -> None:
    with console_client(engine):
        with session_factory(engine).begin() as session:
            session.add(User(username="lead", role="supervisor", password_hash="x"))
        generations = [generation(engine)]
        for change in ({"role": "admin"}, {"display_name": "x"}, {"is_active": False},
                       {"is_active": False}, {"password_hash": "y"}):  # fmt: skip
            change_user(engine, **change)
            generations.append(generation(engine))

    assert generations == [0, 1, 1, 2, 2, 3]


def generation(engine: Engine) -> int:
    with Session(engine) as session:
        found = session.scalar(select(User.session_generation).where(User.username == "lead"))
    assert found is not None
    return found


def test_sign_in_needs_the_password_still(client: TestClient) -> None:
    assert sign_in(client, password=PASSWORD + "x").status_code == 401

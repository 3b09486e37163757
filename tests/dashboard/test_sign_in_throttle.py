"""Sign-in throttling: after a few wrong passwords a user name, and after more a client
address, must wait, longer after each failure; while it waits even the right password is
refused (unchecked), the page says when to try again, and the log says who tried, never with
what password."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from dashboard.app import create_app
from dashboard.throttle import FREE_PER_ADDRESS, FREE_PER_USER, MAX_DELAY
from orderwatch.logs import configure_logging, flush_logs, reset_logging
from orderwatch.settings import Settings
from store.db import session_factory
from store.people import create_user
from tests.dashboard.console_client import CONFIG, PASSWORD, SAME_SITE
from tests.factories import T0
from tests.ingest.simulation import FakeClock

WRONG = "not-the-password-9"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(Settings(log_format="json"), stream=stream)
    yield stream
    reset_logging()


@pytest.fixture
def console(engine: Engine, clock: FakeClock) -> Iterator[Any]:
    """A console with users ``lead`` and ``other``; ``console(address)`` is a client from
    that address."""
    sessions = session_factory(engine)
    with sessions.begin() as session:
        for name in ("lead", "other"):
            create_user(session, username=name, role="supervisor", password=PASSWORD)
    app = create_app(CONFIG, sessions=sessions)
    app.state.sign_in_throttle.clock = clock
    clients: list[TestClient] = []

    def client(address: str = "10.0.0.1") -> TestClient:
        made = TestClient(app, headers=SAME_SITE, client=(address, 40000))
        clients.append(made)
        return made

    yield client
    for made in clients:
        made.close()


def attempt(client: TestClient, password: str, username: str = "lead") -> Any:
    form = {"username": username, "password": password, "next": "/"}
    return client.post("/login", data=form, follow_redirects=False)


def test_wrong_passwords_make_the_user_wait_longer_each_time(
    console: Any, clock: FakeClock
) -> None:
    client = console()
    for _ in range(FREE_PER_USER):
        assert attempt(client, WRONG).status_code == 401

    waits = []
    for _ in range(6):
        refused = attempt(client, WRONG)
        assert refused.status_code == 429
        waits.append(int(refused.headers["retry-after"]))
        clock.advance(seconds=waits[-1])  # the wait is over: the next try is checked

    assert waits == [1, 2, 4, 8, 16, 32]


def test_while_closed_even_the_right_password_waits_and_is_told_when(
    console: Any, clock: FakeClock
) -> None:
    client = console()
    for _ in range(FREE_PER_USER + 1):
        attempt(client, WRONG)

    refused = attempt(client, PASSWORD)

    assert refused.status_code == 429
    assert "orderwatch_session" not in refused.cookies
    wait = int(refused.headers["retry-after"])
    assert re.search(rf"请在 {wait} 秒后（\d\d:\d\d:\d\d）重试", refused.text)
    assert f"try again in {wait} s" in refused.text
    clock.advance(seconds=wait)
    assert attempt(client, PASSWORD).status_code == 303


def test_trying_during_the_wait_does_not_make_it_longer(console: Any, clock: FakeClock) -> None:
    client = console()
    for _ in range(FREE_PER_USER + 1):
        attempt(client, WRONG)
    first = int(attempt(client, WRONG).headers["retry-after"])

    for _ in range(20):
        assert int(attempt(client, WRONG).headers["retry-after"]) <= first


def test_the_user_name_is_throttled_from_every_address_and_in_any_case(
    console: Any, clock: FakeClock
) -> None:
    for n in range(FREE_PER_USER + 1):
        attempt(console(f"10.0.1.{n}"), WRONG, username="lead" if n % 2 else "LEAD")

    assert attempt(console("10.0.2.1"), PASSWORD).status_code == 429
    assert attempt(console("10.0.2.1"), PASSWORD, username="other").status_code == 303


def test_an_address_trying_many_names_is_throttled(console: Any) -> None:
    client = console("10.0.3.1")
    for n in range(FREE_PER_ADDRESS + 1):
        attempt(client, WRONG, username=f"guess-{n}")

    assert attempt(client, PASSWORD, username="other").status_code == 429
    assert attempt(console("10.0.3.2"), PASSWORD, username="other").status_code == 303


def test_the_right_password_clears_the_count(console: Any, clock: FakeClock) -> None:
    client = console()
    for _ in range(FREE_PER_USER - 1):
        attempt(client, WRONG)
    assert attempt(client, PASSWORD).status_code == 303

    for _ in range(FREE_PER_USER - 1):
        assert attempt(console(), WRONG).status_code == 401


def test_the_wait_is_capped(console: Any, clock: FakeClock) -> None:
    client = console()
    wait = 0
    for _ in range(FREE_PER_USER + 16):
        answer = attempt(client, WRONG)
        wait = int(answer.headers.get("retry-after", 0))
        clock.advance(seconds=wait)

    assert wait == MAX_DELAY.total_seconds()


def test_attempts_are_logged_without_the_password(console: Any, log: io.StringIO) -> None:
    client = console()
    for _ in range(FREE_PER_USER + 1):
        attempt(client, WRONG)
    attempt(client, PASSWORD)
    flush_logs()

    logged = log.getvalue()
    assert logged.count('"event": "login.refused"') == FREE_PER_USER + 1
    assert '"event": "login.throttled"' in logged
    assert '"username": "lead"' in logged
    assert '"client": "10.0.0.1"' in logged
    assert WRONG not in logged
    assert PASSWORD not in logged

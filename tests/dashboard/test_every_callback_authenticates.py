"""Every console callback refuses a request without a current session: no cookie, a cookie
signed with another key (or with none), a cookie kept from before signing out or from a user
since deactivated, and (with a good session) a request from another site. The callbacks are
read from Dash's own map (``/_dash-dependencies``), so a new page's callbacks are covered
without anyone adding them here.

Which role may take which action is the action callbacks' own check
(``dashboard.permissions.require_role``), proved per action by the pages' tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import Engine, update

from dashboard.sessions import CHECK_TTL_S, COOKIE
from store.db import session_factory
from store.models import User
from tests.dashboard.console_client import SessionClock, callback_request, client_for, sign_in


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with client_for(engine, role="admin") as made:
        yield made


def callbacks(client: TestClient) -> list[dict[str, Any]]:
    """Every server-side callback of every page, as the browser is told of them."""
    sign_in(client)
    specs = client.get("/_dash-dependencies").json()
    client.cookies.clear()
    served = [spec for spec in specs if spec.get("clientside_function") is None]
    assert len(served) >= 20, "the console's pages register their callbacks"
    return served


def refused_everywhere(client: TestClient, specs: list[dict[str, Any]], status: int) -> None:
    for spec in specs:
        answer = client.post("/_dash-update-component", json=callback_request(spec, {}))
        assert answer.status_code == status, (spec["output"], answer.text)


def test_without_a_session_every_callback_is_refused(client: TestClient) -> None:
    specs = callbacks(client)

    refused_everywhere(client, specs, 401)
    assert client.get("/_dash-dependencies").status_code == 401
    assert client.get("/_dash-layout").status_code == 401


@pytest.mark.parametrize("key", ["", "another-secret-key"])
def test_a_cookie_signed_with_another_key_opens_no_callback(client: TestClient, key: str) -> None:
    specs = callbacks(client)
    forged = URLSafeTimedSerializer(key, salt="orderwatch.console-session")
    client.cookies.set(COOKIE, forged.dumps({"u": 1, "g": 0}))

    refused_everywhere(client, specs, 401)


def test_a_cookie_from_before_signing_out_opens_no_callback(client: TestClient) -> None:
    specs = callbacks(client)
    sign_in(client)
    kept = client.cookies[COOKIE]
    client.post("/logout")
    client.cookies.set(COOKIE, kept)

    refused_everywhere(client, specs, 401)


def test_a_deactivated_users_cookie_opens_no_callback(engine: Engine, client: TestClient) -> None:
    clock = client.app.state.console_sessions.clock = SessionClock()  # type: ignore[attr-defined]
    specs = callbacks(client)
    sign_in(client)
    with session_factory(engine).begin() as session:
        session.execute(update(User).values(is_active=False))
    clock.now += CHECK_TTL_S  # deactivated by another process: seen when the cached check is due

    refused_everywhere(client, specs, 401)


def test_with_a_session_every_callback_refuses_another_site(client: TestClient) -> None:
    specs = callbacks(client)
    sign_in(client)
    client.headers["origin"] = "http://evil.example"

    refused_everywhere(client, specs, 403)

"""``/api`` goes past the console's middlewares: bearer tokens, no session cookie."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from store.db import session_factory
from store.people import create_token
from tests.dashboard.test_app import client_for


def test_api_call_needs_a_token_not_a_console_session(sqlite_engine: Engine) -> None:
    with session_factory(sqlite_engine).begin() as session:
        secret = create_token(session, name="pda-1", scopes=["scans"]).secret
    with client_for(sqlite_engine) as client:
        refused = client.post("/api/v1/scans", json={})
        accepted = client.get(
            "/api/v1/pick-tasks", params={"picker": "p1"},
            headers={"Authorization": f"Bearer {secret}"},
        )  # fmt: skip
        page = client.get("/", follow_redirects=False)
    assert (refused.status_code, refused.json()["code"]) == (401, "missing_token")
    assert accepted.status_code == 200
    assert "set-cookie" not in accepted.headers  # the console's session never saw it
    assert page.status_code == 303  # console routes still need a sign-in


def test_api_docs_are_served_under_the_mount(sqlite_engine: Engine) -> None:
    with TestClient(client_for(sqlite_engine).app) as client:
        assert client.get("/api/docs").status_code == 200
        assert client.get("/api/openapi.json").json()["info"]["title"] == "orderwatch API"

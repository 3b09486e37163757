"""The console over HTTP without a browser: a signed-in test client and Dash callback requests
built from Dash's own map of the callbacks (``/_dash-dependencies``), as the browser sends
them, so a test can call a callback as any page would, or forge one no page offers."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from dashboard.app import create_app
from dashboard.config import WebConfig
from store.db import session_factory
from store.people import create_user

PASSWORD = "correct-horse-9"
CONFIG = WebConfig(secret_key="test-secret-key", zone=ZoneInfo("Asia/Shanghai"))
SAME_SITE = {"origin": "http://testserver"}
"""What a browser sends with every POST from the console's own pages (the test client's
host is ``testserver``): the console refuses state-changing requests without it."""


def console_client(engine: Engine) -> TestClient:
    """A client of a console on ``engine`` that sends what the console's pages send."""
    return TestClient(create_app(CONFIG, sessions=session_factory(engine)), headers=SAME_SITE)


class SessionClock:
    """A clock for the session check's cache (``app.state.console_sessions.clock``) that a
    test moves on, to show what another process changed once the cached check is due."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def client_for(engine: Engine, role: str = "supervisor") -> TestClient:
    """A client of a console on ``engine`` with one user ``lead`` in ``role`` (not signed in)."""
    with session_factory(engine).begin() as session:
        create_user(session, username="lead", role=role, password=PASSWORD)
    return console_client(engine)


def sign_in(client: TestClient, password: str = PASSWORD, next_path: str = "/") -> Any:
    form = {"username": "lead", "password": password, "next": next_path}
    return client.post("/login", data=form, follow_redirects=False)


def callback_spec(client: TestClient, output_id: str) -> dict[str, Any]:
    """The callback writing to ``output_id``, as Dash describes it to the browser."""
    (spec,) = [
        c for c in client.get("/_dash-dependencies").json() if f"{output_id}." in c["output"]
    ]
    found: dict[str, Any] = spec
    return found


def outputs_of(spec: dict[str, Any]) -> list[dict[str, str]]:
    """The callback's outputs as its request lists them (an ``@`` suffix of a duplicate
    output is Dash's own bookkeeping, not part of the property)."""
    parts = spec["output"].strip(".").split("...")
    return [
        {"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1].split("@")[0]}
        for part in parts
    ]


def callback_request(
    spec: dict[str, Any], values: dict[str, Any], changed: str | None = None
) -> dict[str, Any]:
    """The request calling ``spec`` with ``values`` (``"id.property": value``) for its inputs
    and states (``None`` for the others), as if ``changed`` (default: its first input) had."""

    def filled(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in items]

    first = spec["inputs"][0]
    return {
        "output": spec["output"],
        "outputs": outputs_of(spec),
        "inputs": filled(spec["inputs"]),
        "state": filled(spec["state"]),
        "changedPropIds": [changed or f"{first['id']}.{first['property']}"],
    }

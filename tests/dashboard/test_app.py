"""The web app over HTTP: probes, sign-in, and the guard in front of every console route."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.websockets import WebSocketDisconnect

from dashboard.app import create_app
from dashboard.login import safe_next
from store.audit import audit_trail
from store.canonical import CanonicalOrder
from store.channels import create_channel
from store.db import make_engine, session_factory
from store.upsert import upsert_orders
from tests.dashboard.console_client import (
    CONFIG,
    callback_request,
    callback_spec,
    client_for,
    outputs_of,
    sign_in,
)


@pytest.fixture
def client(sqlite_engine: Engine) -> Iterator[TestClient]:
    # As a context manager, so the app's start-up (where Dash adds its catch-all) runs.
    with client_for(sqlite_engine) as made:
        yield made


def test_healthz_reports_the_database(engine: Engine) -> None:
    with client_for(engine) as client:
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_down(tmp_path: Path) -> None:
    missing = make_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'orderwatch.db'}")
    app = create_app(CONFIG, sessions=session_factory(missing))

    with TestClient(app) as client:
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "error: unable to open database file",
    }


def test_metrics_serves_prometheus_text(client: TestClient) -> None:
    sign_in(client, password="wrong-password")

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'orderwatch_console_logins_total{result="refused"}' in response.text
    assert "python_info" in response.text


def test_page_without_session_redirects_to_login(client: TestClient) -> None:
    response = client.get("/orders?channel=tmall", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Forders%3Fchannel%3Dtmall"


def test_callback_without_session_is_401(client: TestClient) -> None:
    for method, path in [("POST", "/_dash-update-component"), ("GET", "/_dash-layout")]:
        response = client.request(method, path, json={})

        assert response.status_code == 401, path
        assert response.json()["error"] == "login_required"


def test_websocket_without_session_is_refused(client: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/_dash-ws-callback"):
        pass


def test_public_routes_need_no_session(client: TestClient) -> None:
    assert client.get("/login").status_code == 200
    assert client.get("/api/openapi.json").json()["info"]["title"] == "orderwatch API"
    # an unknown API path is the API's 404, not the console's page shell
    assert client.get("/api/v1/nothing-here").status_code == 404


def test_wrong_password_is_refused_with_a_message(client: TestClient) -> None:
    response = sign_in(client, password="wrong-password")

    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert "Wrong user name or password" in response.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_right_password_opens_the_console(client: TestClient) -> None:
    response = sign_in(client, next_path="/orders")

    assert response.status_code == 303
    assert response.headers["location"] == "/orders"
    assert "orderwatch_session" in response.cookies
    page = client.get("/")
    assert page.status_code == 200
    assert "DashRenderer" in page.text
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200
    assert '"lead"' in layout.text


def test_sign_in_never_sends_people_to_another_site(client: TestClient) -> None:
    assert sign_in(client, next_path="//evil.example/").headers["location"] == "/"
    assert safe_next("https://evil.example/") == "/"
    assert safe_next("/\t/evil.example/") == "/"
    assert safe_next("/\\evil.example/") == "/"
    assert safe_next("/orders?x=1") == "/orders?x=1"


def test_logout_ends_the_session(client: TestClient) -> None:
    sign_in(client)

    assert client.post("/logout", follow_redirects=False).headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).status_code == 303


def test_board_callback_reads_the_store(engine: Engine) -> None:
    now = datetime.now(UTC)
    with session_factory(engine).begin() as session:
        create_channel(session, name="tmall-main", platform="tmall")
        upsert_orders(
            session,
            "tmall-main",
            [
                CanonicalOrder(
                    channel_order_id=f"T{n}",
                    stage="awaiting_pick",
                    amount=Decimal("10.00"),
                    created_at=now - timedelta(hours=4),
                    modified_at=now - timedelta(hours=3),
                )
                for n in range(3)
            ],
        )
    with client_for(engine) as client:
        sign_in(client)
        now_part = client.post("/_dash-update-component", json=board_now(client))
        window_part = client.post("/_dash-update-component", json=board_window(client))

    assert now_part.status_code == window_part.status_code == 200
    drawn = now_part.json()["response"]
    (waiting,) = [bar for bar in drawn["board-wip"]["figure"]["data"] if bar["name"] == "2–4 h"]
    assert dict(zip(waiting["customdata"], waiting["y"], strict=True))["awaiting_pick"] == 3
    assert drawn["board-row-wip"]["display"] == "grid"
    counted = window_part.json()["response"]
    assert counted["board-empty"]["display"] == "none"
    assert counted["board-problem"]["hide"] is True
    assert counted["board-url"]["search"] == "?range=today"


def test_board_says_so_when_the_store_is_empty(client: TestClient) -> None:
    sign_in(client)

    result = client.post("/_dash-update-component", json=board_window(client)).json()

    assert result["response"]["board-empty"]["display"] == "block"
    assert result["response"]["board-row-kpis"]["display"] == "none"
    texts = client.post("/_dash-update-component", json=board_translate(client, "en")).json()
    assert texts["response"]["board-empty-title"]["children"] == "No orders yet"


@pytest.mark.parametrize(
    ("filters", "reason"),
    [
        ({"channels": ["nope"]}, "unknown channel 'nope'"),
        ({"range": "custom", "dates": ["2026-11-09", "2026-11-01"]}, "empty or inverted window"),
        ({"range": "custom", "dates": ["2026-11-09", None]}, "give both from and to"),
        ({"range": "fortnight"}, "unknown range 'fortnight'"),
    ],
)
def test_board_explains_filters_it_cannot_use(
    client: TestClient, filters: dict[str, Any], reason: str
) -> None:
    sign_in(client)

    result = client.post("/_dash-update-component", json=board_window(client, **filters)).json()

    assert result["response"]["board-problem"]["hide"] is False
    assert reason in result["response"]["board-problem-detail"]["children"]


def test_every_page_renders_for_a_signed_in_user(client: TestClient) -> None:
    sign_in(client)

    for path in ("/", "/health", "/?channel=nope&range=7d"):
        assert client.get(path).status_code == 200, path


def test_forged_action_callback_is_refused_and_audited(engine: Engine) -> None:
    with client_for(engine, role="viewer") as client:
        sign_in(client)
        spec = callback_spec(client, "health-last-run")
        forged = {
            "output": spec["output"],
            "outputs": outputs_of(spec),
            "inputs": [
                {"id": "shell-lang", "property": "data", "value": "en"},
                {"id": "health-run", "property": "n_clicks", "value": 1},
            ],
            "changedPropIds": ["health-run.n_clicks"],
            "state": [],
        }
        response = client.post("/_dash-update-component", json=forged)

    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    with session_factory(engine)() as session:
        (entry,) = audit_trail(
            session, entity_type="console_action", entity_id="run_flow_health_audit"
        )
    assert (entry.actor, entry.action) == ("lead", "console.refused")
    assert entry.after == {"role": "viewer"}


def board_translate(client: TestClient, lang: str) -> dict[str, Any]:
    spec = callback_spec(client, "board-empty-title")
    return {
        "output": spec["output"],
        "outputs": outputs_of(spec),
        "inputs": [{"id": "shell-lang", "property": "data", "value": lang}],
        "changedPropIds": ["shell-lang.data"],
        "state": [],
    }


def board_window(
    client: TestClient,
    *,
    channels: list[str] | None = None,
    range: str = "today",
    dates: list[str | None] | None = None,
) -> dict[str, Any]:
    """The request the browser sends when the board's range figures refresh, built from Dash's
    own map of the callback."""
    values = {"board-channels.value": channels or [], "board-warehouses.value": [],
              "board-range.value": range, "board-dates.value": dates or [None, None]}  # fmt: skip
    return _request(client, "board-rendered-window", values)


def board_now(client: TestClient) -> dict[str, Any]:
    values = {"board-channels.value": [], "board-warehouses.value": []}
    return _request(client, "board-rendered-now", values)


def _request(client: TestClient, output_id: str, values: dict[str, Any]) -> dict[str, Any]:
    spec = callback_spec(client, output_id)
    shared = {"board-version.data": None, "shell-lang.data": "en", "shell-scheme.data": "light"}
    inputs = [
        {"id": name.split(".")[0], "property": name.split(".")[1], "value": value}
        for name, value in (values | shared).items()
    ]
    changed = next(iter(values))
    return {"output": spec["output"], "outputs": outputs_of(spec), "inputs": inputs,
            "changedPropIds": [changed], "state": []}  # fmt: skip


def test_a_callback_with_nothing_to_update_is_204_and_no_error(engine: Engine) -> None:
    with client_for(engine, role="ops_supervisor") as client:
        sign_in(client)
        spec = callback_spec(client, "order-reveal")
        values = {"order-reveal.n_clicks": None, "order-no.data": "OW0000000001"}

        answer = client.post("/_dash-update-component", json=callback_request(spec, values))

    assert answer.status_code == 204

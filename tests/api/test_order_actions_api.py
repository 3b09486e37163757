"""The worklist and order actions over the REST API: same functions as the console, scope
``orders:act``, per-order results in a batch, problem+json refusals."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from dashboard.api import create_api
from store.audit import audit_trail
from store.orders import get_order, timeline
from tests.api.floor import token
from tests.worklist_floor import build_floor


@pytest.fixture
def floor(sessions: sessionmaker[Session]) -> dict[str, str]:
    return build_floor(sessions)


@pytest.fixture
def api(sessions: sessionmaker[Session]) -> TestClient:
    return TestClient(
        create_api(sessions, zone=ZoneInfo("Asia/Shanghai")), raise_server_exceptions=False
    )


@pytest.fixture
def supervisor(sessions: sessionmaker[Session]) -> dict[str, str]:
    return token(sessions, "ops-bot", "orders:act", "orders:read")


def test_worklist_page_with_summaries(
    api: TestClient, supervisor: dict[str, str], floor: dict[str, str]
) -> None:
    answer = api.get(
        "/v1/worklist",
        params={"stage": ["awaiting_pick", "on_hold"], "sort": "-stage_entered_at", "lang": "en"},
        headers=supervisor,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] == 3
    assert [row["order_no"] for row in body["rows"]] == [floor["B"], floor["C"], floor["A"]]
    assert body["rows"][0]["summary"].startswith("Awaiting pick")
    assert {row["sla_state"] for row in body["rows"]} <= {"breached", "due_soon", "on_time"}


def test_worklist_refuses_an_unknown_channel(
    api: TestClient, supervisor: dict[str, str], floor: dict[str, str]
) -> None:
    answer = api.get("/v1/worklist", params={"channel": "nope"}, headers=supervisor)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert "unknown channel 'nope'" in answer.json()["detail"]


def test_bulk_release_reports_each_order(
    api: TestClient,
    supervisor: dict[str, str],
    floor: dict[str, str],
    sessions: sessionmaker[Session],
) -> None:
    answer = api.post(
        "/v1/orders/actions",
        json={
            "action": "release",
            "orders": [
                {"order_no": floor["C"], "stage": "on_hold"},
                {"order_no": floor["A"], "stage": "on_hold", "assignee": "张三"},
            ],
        },
        headers=supervisor,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["applied"], body["refused"]) == (1, 1)
    assert [(r["order_no"], r["code"]) for r in body["results"]] == [
        (floor["C"], "applied"),
        (floor["A"], "stage_changed"),
    ]
    assert body["results"][1]["stage"] == "awaiting_pick"
    with sessions() as session:
        entry = audit_trail(session, entity_type="order", entity_id=floor["C"])[-1]
        assert (entry.actor, entry.action) == ("ops-bot", "order.released")
        assert timeline(session, get_order(session, floor["C"]))[-1].source == "api"


def test_single_order_actions(
    api: TestClient, supervisor: dict[str, str], floor: dict[str, str]
) -> None:
    held = api.post(
        f"/v1/orders/{floor['B']}/hold",
        json={"category": "unclear_address", "note": "缺门牌号"},
        headers=supervisor,
    )
    assert (held.status_code, held.json()["stage"]) == (200, "on_hold")
    noted = api.post(
        f"/v1/orders/{floor['B']}/notes", json={"note": "已联系买家"}, headers=supervisor
    )
    assert noted.status_code == 200
    rejected = api.post(
        f"/v1/orders/{floor['D']}/review/reject", json={"reason": "疑似欺诈"}, headers=supervisor
    )
    assert (rejected.status_code, rejected.json()["stage"]) == (200, "cancelled")
    again = api.post(f"/v1/orders/{floor['D']}/review/approve", json={}, headers=supervisor)
    assert again.status_code == 409
    assert (
        again.json()["detail"]
        == f"cannot approve {floor['D']}: it is cancelled, not pending review"
    )


def test_refusals_are_problems(
    api: TestClient,
    supervisor: dict[str, str],
    floor: dict[str, str],
    sessions: sessionmaker[Session],
) -> None:
    blank = api.post(
        f"/v1/orders/{floor['D']}/review/reject", json={"reason": " "}, headers=supervisor
    )
    assert (blank.status_code, blank.json()["code"]) == (422, "invalid_input")
    unknown = api.post(
        f"/v1/orders/{floor['B']}/hold", json={"category": "lost"}, headers=supervisor
    )
    assert unknown.status_code == 422
    assert "unknown hold category 'lost'" in unknown.json()["detail"]
    reader = token(sessions, "board", "orders:read")
    forbidden = api.post(f"/v1/orders/{floor['D']}/review/approve", json={}, headers=reader)
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "missing_scope")

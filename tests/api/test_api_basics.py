"""The REST API's shared behaviour: bearer tokens with scopes and problem+json errors."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from dashboard.api import create_api
from dashboard.api.deps import Caller, require_scope
from store.errors import NotFound, TransitionRefused
from store.people import create_token

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Thing(BaseModel):
    quantity: int


def _client(sessions: sessionmaker[Session]) -> TestClient:
    api = create_api(sessions, zone=SHANGHAI)
    router = APIRouter(prefix="/v1/test")

    @router.post("/things")
    def post_thing(
        thing: Thing, caller: Annotated[Caller, Depends(require_scope("scans"))]
    ) -> dict[str, object]:
        if thing.quantity == 404:
            raise NotFound("order", "unknown order 'OW404'")
        if thing.quantity == 409:
            raise TransitionRefused("cannot move OW1 from paid to packed: it has not been picked")
        if thing.quantity == 500:
            raise RuntimeError("boom")
        return {"by": caller.name, "quantity": thing.quantity}

    api.include_router(router)
    return TestClient(api, raise_server_exceptions=False)


@pytest.fixture
def token(sessions: sessionmaker[Session]) -> str:
    with sessions.begin() as session:
        return create_token(session, name="pda-1", scopes=["scans"]).secret


def test_token_with_scope_is_accepted(sessions: sessionmaker[Session], token: str) -> None:
    response = _client(sessions).post(
        "/v1/test/things", json={"quantity": 2}, headers={"Authorization": f"Bearer {token}"}
    )
    assert (response.status_code, response.json()) == (200, {"by": "pda-1", "quantity": 2})


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "missing_token"),
        ({"Authorization": "Bearer owt_nope"}, 401, "invalid_token"),
    ],
)
def test_missing_or_unknown_token(
    sessions: sessionmaker[Session], headers: dict[str, str], status: int, code: str
) -> None:
    response = _client(sessions).post("/v1/test/things", json={"quantity": 1}, headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["code"] == code


def test_token_without_scope_is_forbidden(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        reader = create_token(session, name="bi", scopes=["orders:read"]).secret
    response = _client(sessions).post(
        "/v1/test/things", json={"quantity": 1}, headers={"Authorization": f"Bearer {reader}"}
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "token 'bi' lacks the scope 'scans'"


@pytest.mark.parametrize(
    ("body", "status", "code", "detail"),
    [
        ('{"quantity": ', 400, "malformed_json", "the request body is not valid JSON"),
        ('{"quantity": "many"}', 422, "invalid_request", "quantity: Input should be a valid"),
        ("{}", 422, "invalid_request", "quantity: Field required"),
        ('{"quantity": 404}', 404, "unknown_order", "unknown order 'OW404'"),
        ('{"quantity": 409}', 409, "transition_refused", "it has not been picked"),
        ('{"quantity": 500}', 500, "internal_error", "the server failed; the error was logged"),
    ],
)
def test_errors_are_problem_json(
    sessions: sessionmaker[Session], token: str, body: str, status: int, code: str, detail: str
) -> None:
    response = _client(sessions).post(
        "/v1/test/things",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    problem = response.json()
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert (problem["status"], problem["code"]) == (status, code)
    assert detail in problem["detail"]


def test_openapi_document_is_served(sessions: sessionmaker[Session]) -> None:
    response = _client(sessions).get("/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "orderwatch API"

"""Every REST operation refuses a caller without credentials, with an unknown or a revoked
token, and with a token that lacks the operation's scope. The operations are read from the
OpenAPI document, so a new endpoint is covered without anyone adding it here; an endpoint kept
out of the document must be one of the few this file knows (and tests) by name."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from dashboard.api import create_api
from dashboard.api.routers import ROUTERS
from store.channels import create_channel
from store.models import ApiToken, utcnow
from store.people import SCOPES, create_token

PUSH = "/v1/channels/{name}/push"
"""Platforms sign their pushes with the channel's app secret instead of a token."""
UNLISTED = {("GET", "/v1/alerts/ack/{token}"), ("POST", "/v1/alerts/ack/{token}")}
"""The acknowledge link in alert messages: the signed token in its path is the credential."""
PATH_VALUES = {"integer": "1", "string": "OW0000000001"}


DOCUMENT = create_api(sessionmaker(), zone=ZoneInfo("UTC")).openapi()
OPERATIONS = [
    (method.upper(), path, operation)
    for path, methods in DOCUMENT["paths"].items()
    for method, operation in methods.items()
]


def minimal(schema: dict[str, Any]) -> Any:
    """The smallest instance of a JSON schema of the document: a body that passes validation,
    so what answers is the authentication, whatever order an endpoint checks things in."""
    if "$ref" in schema:
        return minimal(DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    for key in ("const", "default"):
        if key in schema:
            return schema[key]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("oneOf", "anyOf", "allOf"):
        if key in schema:
            return minimal(schema[key][0])
    return _MINIMAL.get(schema.get("type", "object"), _string)(schema)


def _string(schema: dict[str, Any]) -> str:
    return "x" * max(schema.get("minLength", 1), 1)


_MINIMAL: dict[str, Any] = {
    "object": lambda schema: {
        name: minimal(schema.get("properties", {}).get(name, {}))
        for name in schema.get("required", [])
    },
    "array": lambda schema: [minimal(schema.get("items", {}))] * schema.get("minItems", 0),
    "integer": lambda schema: max(schema.get("minimum", 1), 1),
    "number": lambda schema: max(schema.get("minimum", 1), 1),
    "boolean": lambda _schema: False,
}


def body_of(operation: dict[str, Any]) -> dict[str, Any]:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return {}
    return {"json": minimal(content["application/json"].get("schema", {}))}


def concrete(path: str, operation: dict[str, Any]) -> str:
    """``path`` with a plausible value for each of its parameters."""
    kinds = {
        p["name"]: p["schema"].get("type", "string")
        for p in operation.get("parameters", [])
        if p["in"] == "path"
    }
    if path == PUSH:
        return path.format(name="douyin-shop")
    return re.sub(r"{(\w+)}", lambda m: PATH_VALUES[kinds[m[1]]], path)


class Api:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.client = TestClient(create_api(sessions, zone=ZoneInfo("Asia/Shanghai")))
        self.sessions = sessions

    def call(self, method: str, path: str, operation: dict[str, Any], token: str | None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.client.request(
            method, concrete(path, operation), headers=headers, **body_of(operation)
        )

    def token(self, name: str, scopes: list[str], *, revoked: bool = False) -> str:
        with self.sessions.begin() as session:
            issued = create_token(session, name=name, scopes=scopes)
            if revoked:
                session.get_one(ApiToken, issued.record.id).revoked_at = utcnow()
        return issued.secret


@pytest.fixture
def api(sessions: sessionmaker[Session]) -> Api:
    with sessions.begin() as session:
        create_channel(session, name="douyin-shop", platform="douyin")
    return Api(sessions)


def test_the_document_lists_every_endpoint_but_the_known_few() -> None:
    listed = {(method, path) for method, path, _operation in OPERATIONS}
    served = {
        (method, route.path)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    assert served - listed == UNLISTED
    assert all(
        operation.get("security") == [{"HTTPBearer": []}]
        for _method, path, operation in OPERATIONS
        if path != PUSH
    )


def test_every_operation_refuses_missing_unknown_and_revoked_tokens(api: Api) -> None:
    revoked = api.token("revoked", list(SCOPES), revoked=True)
    for method, path, operation in OPERATIONS:
        if path == PUSH:
            continue
        for token, code in [(None, "missing_token"), ("owt_" + "x" * 43, "invalid_token"),
                            (revoked, "invalid_token")]:  # fmt: skip
            answer = api.call(method, path, operation, token)
            assert answer.status_code == 401, (method, path, token, answer.text)
            assert answer.json()["code"] == code
            assert answer.headers["www-authenticate"].startswith("Bearer")


def test_every_operation_needs_one_scope_and_refuses_a_token_without_it(api: Api) -> None:
    lacking = {scope: api.token(f"all-but-{scope}", [s for s in SCOPES if s != scope])
               for scope in SCOPES}  # fmt: skip
    every = api.token("every-scope", list(SCOPES))
    for method, path, operation in OPERATIONS:
        if path == PUSH:
            continue
        refused = set()
        for scope, token in lacking.items():
            answer = api.call(method, path, operation, token)
            assert answer.status_code != 401, (method, path, answer.text)
            if answer.status_code == 403:
                assert answer.json()["code"] == "missing_scope"
                refused.add(scope)
        assert len(refused) == 1, (method, path, refused)
        assert api.call(method, path, operation, every).status_code not in {401, 403}


def test_a_push_without_the_platforms_signature_is_refused(api: Api) -> None:
    ((method, path, operation),) = [op for op in OPERATIONS if op[1] == PUSH]
    answer = api.client.request(method, concrete(path, operation), content=b'{"msg": "x"}')

    assert answer.status_code == 401
    assert answer.json()["code"] == "invalid_signature"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_acknowledge_link_that_was_not_signed_here_is_refused(
    sessions: sessionmaker[Session], method: str
) -> None:
    api = create_api(sessions, zone=ZoneInfo("UTC"), secret_key="k" * 43)
    answer = TestClient(api).request(method, "/v1/alerts/ack/1.forged.signature")

    assert answer.status_code in {403, 410}

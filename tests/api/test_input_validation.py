"""Looser validation that held no more (issue 14, findings 13 and 14): strict integers, bounded
and clean identifiers, problem+json for every odd path, one vocabulary for "not found"."""

from __future__ import annotations

import re
from typing import Any, get_args

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel, Strict
from pydantic.fields import FieldInfo
from sqlalchemy.orm import Session, sessionmaker

from dashboard.api import create_api
from dashboard.api.guard import _api_routes
from store.errors import InvalidInput, NotFound
from store.people import create_token
from tests.api.floor import SHANGHAI, client, paid_order, release, stock, token
from tests.dashboard.console_client import client_for

RLO = "\u202e"


def test_a_boolean_is_not_a_quantity(sessions: sessionmaker[Session]) -> None:
    api = client(sessions)
    stock(sessions, {"SKU-1": 5})
    order_no = paid_order(sessions, "T1", [("SKU-1", 2)])
    release(sessions)
    auth = token(sessions, "pda", "scans")
    scan = {"scan_id": "s1", "kind": "pick", "order_no": order_no, "sku": "SKU-1"}

    for quantity in (True, "1", 1.0):
        refused = api.post("/v1/scans", json={**scan, "quantity": quantity}, headers=auth)
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"].endswith(".quantity")
    assert api.post("/v1/scans", json={**scan, "quantity": 1}, headers=auth).status_code == 200


def _integer_fields(model: type[BaseModel], seen: set[type]) -> list[tuple[str, FieldInfo]]:
    """Every integer field of ``model`` and of the models inside it."""
    if model in seen:
        return []
    seen.add(model)
    found = []
    for name, info in model.model_fields.items():
        types = [info.annotation, *get_args(info.annotation)]
        for kind in types:
            for inner in [kind, *get_args(kind)]:
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    found += _integer_fields(inner, seen)
        if int in types:
            found.append((f"{model.__name__}.{name}", info))
    return found


def _body_models() -> list[type[BaseModel]]:
    api = create_api(sessionmaker(), zone=SHANGHAI)
    found: list[type[BaseModel]] = []
    for route in _api_routes(api.router.routes):
        if isinstance(route, APIRoute) and route.body_field is not None:
            annotation: Any = route.body_field.field_info.annotation
            for kind in [annotation, *get_args(annotation)]:
                for inner in [kind, *get_args(kind)]:
                    if isinstance(inner, type) and issubclass(inner, BaseModel):
                        found.append(inner)
    return found


def test_every_integer_in_a_request_body_is_strict() -> None:
    fields: list[tuple[str, FieldInfo]] = []
    seen: set[type] = set()
    for model in _body_models():
        fields += _integer_fields(model, seen)
    loose = [name for name, info in fields if not any(isinstance(m, Strict) for m in info.metadata)]

    assert fields, "no integer field found: the walk is broken"
    assert loose == []


def test_a_long_path_parameter_is_refused_without_being_echoed(
    sessions: sessionmaker[Session],
) -> None:
    auth = token(sessions, "bi", "orders:read")

    response = client(sessions).get(f"/v1/orders/{'9' * 10_000}/explain", headers=auth)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert len(response.content) < 1000


def test_every_string_path_parameter_is_bounded() -> None:
    document = create_api(sessionmaker(), zone=SHANGHAI).openapi()
    unbounded = [
        f"{path} {parameter['name']}"
        for path, item in document["paths"].items()
        for operation in item.values()
        for parameter in operation.get("parameters", ())
        if parameter["in"] == "path"
        and parameter["schema"].get("type") == "string"
        and "maxLength" not in parameter["schema"]
    ]
    assert unbounded == []


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/orders/OW%0A1/explain", 422),
        ("/api/v1/orders/OW%0A1", 404),
        ("/api/nosuch", 404),
        ("/api/", 404),
    ],
)
def test_odd_api_paths_get_problems_from_the_api(
    sessions: sessionmaker[Session], path: str, status: int
) -> None:
    with sessions.begin() as session:
        secret = create_token(session, name="bi", scopes=["orders:read"]).secret
    with client_for(sessions.kw["bind"]) as console:
        response = console.get(path, headers={"Authorization": f"Bearer {secret}"})

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    if status == 404:
        assert response.json()["code"] == "unknown_path"


def test_bidirectional_overrides_are_refused_in_identifiers(
    sessions: sessionmaker[Session],
) -> None:
    api = client(sessions)
    auth = token(sessions, "pda", "scans", "orders:read")
    scan = {"scan_id": f"s1{RLO}9", "kind": "pick", "order_no": "OW1", "sku": "SKU-1"}

    refused = [
        api.post("/v1/scans", json=scan, headers=auth),
        api.post("/v1/scans", json={**scan, "scan_id": "s1", "sku": f"SKU{RLO}-1"}, headers=auth),
        api.get(f"/v1/orders/OW1{RLO}/explain", headers=auth),
        api.post(f"/v1/channels/dy{RLO}/push", content=b"{}"),
    ]

    assert [r.status_code for r in refused] == [422] * 4
    with sessions.begin() as session, pytest.raises(InvalidInput, match="bidirectional"):
        create_token(session, name=f"pda{RLO}", scopes=["scans"])


def test_every_not_found_answer_speaks_one_vocabulary(sessions: sessionmaker[Session]) -> None:
    api = client(sessions)
    auth = token(sessions, "all", "scans", "orders:read", "orders:act", "alerts:read")
    missing = "OW0000000404"
    pick = {"scan_id": "s1", "kind": "pick", "order_no": missing, "sku": "SKU-1"}
    seen = {"order_no": missing, "stage": "on_hold"}

    answers = {
        "explain": api.get(f"/v1/orders/{missing}/explain", headers=auth).json()["code"],
        "release": api.post(f"/v1/orders/{missing}/release", headers=auth).json()["code"],
        "scan": api.post("/v1/scans", json=pick, headers=auth).json()["code"],
        "batch": api.post(
            "/v1/orders/actions", json={"action": "release", "orders": [seen]}, headers=auth
        ).json()["results"][0]["code"],
        "alert group": api.get("/v1/alerts/groups/404", headers=auth).json()["code"],
        "push": api.post("/v1/channels/nosuch/push", content=b"{}").json()["code"],
    }

    assert all(re.fullmatch(r"unknown_[a-z_]+", code) for code in answers.values()), answers
    assert answers["explain"] == answers["scan"] == answers["batch"] == "unknown_order"
    assert NotFound("order", "x").code == "unknown_order"


def test_the_api_without_the_console_answers_problems_for_unknown_paths(
    sessions: sessionmaker[Session],
) -> None:
    response = TestClient(create_api(sessions, zone=SHANGHAI)).delete("/v1/scans")

    assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")

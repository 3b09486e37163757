"""Schemathesis drives every operation of ``/openapi.json`` with generated requests: no answer
is ever a 5xx, and every answer matches the documented status, media type and schema."""

from __future__ import annotations

import os
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session, sessionmaker

from dashboard.api import create_api
from ingest.release import release_paid_orders
from store.people import SCOPES
from tests.api.floor import paid_order, stock, token
from tests.factories import add_channel

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Bounded so the suite stays fast; set ORDERWATCH_FUZZ_EXAMPLES for a deeper run.
EXAMPLES = int(os.environ.get("ORDERWATCH_FUZZ_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# Every area documents its answers (problem+json included), so the whole document is fuzzed.
FUZZED_TAGS = {"warehouse", "inventory", "orders", "metrics", "channels"}


def _operations() -> list[tuple[str, str]]:
    document = create_api(sessionmaker(), zone=SHANGHAI).openapi()
    return [
        (path, method)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if FUZZED_TAGS & set(operation.get("tags", ()))
    ]


@pytest.fixture
def live_schema(sessions: sessionmaker[Session]) -> tuple[Any, dict[str, str]]:
    """The API on a store holding one released order, and a token with every scope."""
    add_channel(sessions)
    stock(sessions, {"SKU-1": 10})
    paid_order(sessions, "T1", [("SKU-1", 2)])
    with sessions.begin() as session:
        release_paid_orders(session)
    auth = token(sessions, "fuzz", *SCOPES)
    return schemathesis.openapi.from_asgi(
        "/openapi.json", create_api(sessions, zone=SHANGHAI)
    ), auth


@pytest.mark.parametrize(("path", "method"), _operations())
def test_no_server_errors_and_documented_answers(
    live_schema: tuple[Any, dict[str, str]], path: str, method: str
) -> None:
    schema, auth = live_schema

    @given(case=schema[path][method.upper()].as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Any) -> None:
        case.call_and_validate(headers=auth, checks=CHECKS)

    call()

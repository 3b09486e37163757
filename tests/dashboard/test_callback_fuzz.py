"""A bounded fuzz run of the console's callback endpoint (issue 14, "Done when"): arbitrary
bodies, and well-formed calls of every callback with arbitrary values, never answer 5xx."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from store.db import make_engine
from store.migrate import upgrade
from tests.dashboard.console_client import client_for, outputs_of, sign_in

EXAMPLES = int(os.environ.get("ORDERWATCH_FUZZ_EXAMPLES", "10"))


def bounded(factor: int) -> settings:
    """A fixed, repeatable run of ``factor`` × ``ORDERWATCH_FUZZ_EXAMPLES`` examples."""
    return settings(
        max_examples=EXAMPLES * factor,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


BOUNDED = bounded(8)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path = tmp_path_factory.mktemp("fuzz") / "orderwatch.db"
    engine: Engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with client_for(engine, role="admin") as client:
        sign_in(client)
        yield client
    engine.dispose()


def _post(console: TestClient, body: bytes) -> int:
    response = console.post(
        "/_dash-update-component", content=body, headers={"content-type": "application/json"}
    )
    return response.status_code


def test_arbitrary_bodies_are_never_a_server_error(console: TestClient) -> None:
    @BOUNDED
    @given(body=JSON_VALUES.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=64))
    def call(body: bytes) -> None:
        assert _post(console, body) < 500

    call()


def _id_text(component_id: str | dict[str, Any]) -> str:
    return component_id if isinstance(component_id, str) else json.dumps(component_id)


def _entry(declared: dict[str, Any], value: Any) -> Any:
    if isinstance(declared["id"], dict) or declared["id"].startswith("{"):
        return []  # a pattern-matching input that matched no component
    return {**declared, "value": value}


def test_every_callback_with_arbitrary_values_is_never_a_server_error(console: TestClient) -> None:
    specs = console.get("/_dash-dependencies").json()

    @BOUNDED
    @given(spec=st.sampled_from(specs), values=st.lists(JSON_VALUES, min_size=12, max_size=12))
    def call(spec: dict[str, Any], values: list[Any]) -> None:
        declared = [*spec["inputs"], *spec["state"]]
        filled = [_entry(d, v) for d, v in zip(declared, values, strict=False)]
        outputs = outputs_of(spec)
        first = spec["inputs"][0]
        body = {
            "output": spec["output"],
            "outputs": outputs if spec["output"].startswith("..") else outputs[0],
            "inputs": filled[: len(spec["inputs"])],
            "state": filled[len(spec["inputs"]) :],
            "changedPropIds": [f"{_id_text(first['id'])}.{first['property']}"],
        }
        status = _post(console, json.dumps(body).encode())
        assert status < 500, (spec["output"], body)

    call()

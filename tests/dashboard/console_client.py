"""The console over HTTP without a browser: a signed-in test client and Dash callback requests
built from Dash's own map of the callbacks (``/_dash-dependencies``), as the browser sends
them, so a test can call a callback as any page would, or forge one no page offers."""

from __future__ import annotations

import json
from collections.abc import Sequence
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


def callback_spec_by_input(client: TestClient, input_id: str) -> dict[str, Any]:
    """The callback ``input_id`` (a plain id) is the first input of."""
    (spec,) = [
        c for c in client.get("/_dash-dependencies").json() if c["inputs"][0]["id"] == input_id
    ]
    found: dict[str, Any] = spec
    return found


def id_text(component: str | dict[str, Any]) -> str:
    """A component id as Dash writes it: a pattern-matching id as its compact JSON."""
    if isinstance(component, dict):
        return json.dumps(component, sort_keys=True, separators=(",", ":"))
    return component


def prop_id(component: str | dict[str, Any], prop: str) -> str:
    """``id.property`` as Dash writes it."""
    return f"{id_text(component)}.{prop}"


def _wildcard(raw_id: str) -> dict[str, Any] | None:
    """The pattern of a pattern-matching id with a wildcard (``ALL``), else None."""
    if not raw_id.startswith("{"):
        return None
    pattern: dict[str, Any] = json.loads(raw_id)
    return pattern if any(isinstance(v, list) for v in pattern.values()) else None


def _matching(pattern: dict[str, Any], present: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        found
        for found in present
        if found.keys() == pattern.keys()
        and all(value == ["ALL"] or found[key] == value for key, value in pattern.items())
    ]


def _concrete(raw_id: str) -> str | dict[str, Any]:
    """A plain id, or a pattern-matching id without wildcards as the dict it is."""
    if raw_id.startswith("{"):
        found: dict[str, Any] = json.loads(raw_id)
        return found
    return raw_id


def callback_request(
    spec: dict[str, Any],
    values: dict[str, Any],
    changed: str | None = None,
    present: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The request calling ``spec`` with ``values`` (``prop_id(id, property)``: value) for
    its inputs and states (``None`` for the others), as if ``changed`` (default: its first
    input) had. A pattern-matching input or output with a wildcard (``ALL``) matches the
    components of ``present`` (the pattern-matching ids the page has) that fit it."""

    def filled(items: list[dict[str, Any]]) -> list[Any]:
        out: list[Any] = []
        for i in items:
            pattern = _wildcard(i["id"])
            if pattern is None:
                component = _concrete(i["id"])
                value = values.get(prop_id(component, i["property"]))
                out.append({"id": component, "property": i["property"], "value": value})
                continue
            out.append(
                [
                    {
                        "id": m,
                        "property": i["property"],
                        "value": values.get(prop_id(m, i["property"])),
                    }
                    for m in _matching(pattern, present)
                ]
            )
        return out

    outputs: list[Any] = []
    for o in outputs_of(spec):
        pattern = _wildcard(o["id"])
        if pattern is None:
            outputs.append({"id": _concrete(o["id"]), "property": o["property"]})
        else:
            outputs.append(
                [{"id": m, "property": o["property"]} for m in _matching(pattern, present)]
            )
    first = spec["inputs"][0]
    multi = spec["output"].startswith("..")
    return {
        "output": spec["output"],
        "outputs": outputs if multi else outputs[0],
        "inputs": filled(spec["inputs"]),
        "state": filled(spec["state"]),
        "changedPropIds": [changed or f"{first['id']}.{first['property']}"],
    }


def components(tree: Any) -> list[dict[str, Any]]:
    """Every component in a rendered tree, depth first."""
    if isinstance(tree, list):
        return [found for item in tree for found in components(item)]
    if not isinstance(tree, dict):
        return []
    props = tree.get("props", {})
    return [tree] + [found for value in props.values() for found in components(value)]


def component_ids(tree: Any) -> list[Any]:
    """Every component id in a rendered tree, depth first."""
    return [c["props"]["id"] for c in components(tree) if "id" in c.get("props", {})]

"""Calling the alerts page's callbacks over HTTP as its browser page would: the alert floor
with a client signed in, the ids of the action buttons each role's page is drawn with, and one
function per callback the tests use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from store.db import session_factory
from tests.dashboard.alert_floor import AlertFloor, alert_floor
from tests.dashboard.console_client import (
    callback_request,
    callback_spec,
    callback_spec_by_input,
    client_for,
    component_ids,
    id_text,
    prop_id,
    sign_in,
)
from tests.factories import add_channel

ACTION = "alerts-action"
ACTING = [
    {"role": ACTION, "action": "ack", "place": "detail"},
    {"role": ACTION, "action": "silence", "place": "detail"},
    {"role": ACTION, "action": "resend_group", "place": "detail-log"},
    {"role": ACTION, "action": "new_silence", "place": "silences"},
    {"role": ACTION, "action": "expire", "place": "silences"},
    {"role": ACTION, "action": "resend", "place": "deliveries"},
    {"role": ACTION, "action": "test", "place": "receivers"},
]
"""The action buttons of a supervisor's page (an ops supervisor's adds the editor's)."""
EDIT = {"role": ACTION, "action": "edit", "place": "routing"}


@dataclass
class Desk:
    client: TestClient
    floor: AlertFloor
    engine: Engine


@contextmanager
def desk_on(engine: Engine, role: str) -> Iterator[Desk]:
    """The alert floor on ``engine`` and a client signed in as its user ``lead`` in ``role``."""
    sessions = session_factory(engine)
    add_channel(sessions)
    with alert_floor(sessions) as floor, client_for(engine, role=role) as client:
        sign_in(client)
        yield Desk(client, floor, engine)


def button(action: str) -> dict[str, str]:
    return next(b for b in [*ACTING, EDIT] if b["action"] == action)


def disabled(response: dict[str, Any], *actions: str) -> list[bool]:
    """Whether each of the buttons of ``actions`` is disabled in a callback's answer."""
    return [response[id_text(button(a))]["disabled"] for a in actions]


def answer(client: TestClient, spec: dict[str, Any], values: dict[str, Any], **kw: Any) -> Any:
    """The callback's response (its outputs by id); a refusal is returned as it came."""
    sent = client.post("/_dash-update-component", json=callback_request(spec, values, **kw))
    if sent.status_code != 200:
        return sent
    body: dict[str, Any] = sent.json()["response"]
    return body


def group_list(client: TestClient, lang: str = "en", **filters: list[str]) -> dict[str, Any]:
    chosen = {"state": ["firing", "acknowledged"]} | filters
    values = {"shell-lang.data": lang, "alerts-filters.data": chosen}
    found: dict[str, Any] = answer(client, callback_spec(client, "alerts-stats"), values)
    return found


def detail(
    client: TestClient, group_id: int, lang: str = "en", present: list[Any] | None = None
) -> dict[str, Any]:
    spec = callback_spec(client, "alerts-detail-head")
    values = {"alerts-group.data": group_id, "shell-lang.data": lang}
    found: dict[str, Any] = answer(
        client, spec, values, present=ACTING if present is None else present
    )
    return found


def open_dialog(client: TestClient, action: str, lang: str = "en", **state: Any) -> Any:
    """Click the button of ``action`` with ``state`` (``group``, ``silences``, ``letters``,
    ``log``, ``receivers``: the selected rows) as the page holds it."""
    spec = callback_spec(client, "alerts-dialog-text")
    clicked = button(action)
    values = {
        prop_id(clicked, "n_clicks"): 1,
        "alerts-group.data": state.get("group"),
        "alerts-silences-grid.selectedRows": state.get("silences"),
        "alerts-deliveries-grid.selectedRows": state.get("letters"),
        "alerts-log-grid.selectedRows": state.get("log"),
        "alerts-receivers-grid.selectedRows": state.get("receivers"),
        "shell-lang.data": lang,
    }
    return answer(client, spec, values, changed=prop_id(clicked, "n_clicks"), present=ACTING)


def confirm(
    client: TestClient, action: str, ids: list[Any], note: str = "", lang: str = "en"
) -> Any:
    """The dialog's confirm button, with what the dialog asked about (as a page sends it,
    or as a forger would)."""
    spec = callback_spec_by_input(client, "alerts-dialog-confirm")
    values = {
        "alerts-dialog-confirm.n_clicks": 1,
        "alerts-pending.data": {"action": action, "ids": ids},
        "alerts-dialog-note.value": note,
        "alerts-refresh.data": 0,
        "shell-lang.data": lang,
    }
    return answer(client, spec, values)


def toast_of(response: dict[str, Any]) -> dict[str, Any]:
    (shown,) = response["shell-toasts"]["sendNotifications"]
    found: dict[str, Any] = shown
    return found


def drawn_actions(client: TestClient) -> list[str]:
    """The action buttons of the page the signed-in user is drawn."""
    spec = callback_spec(client, "_pages_content")
    values = {"_pages_location.pathname": "/alerts", "_pages_location.search": ""}
    page = answer(client, spec, values, changed="_pages_location.pathname")
    ids = component_ids(page["_pages_content"]["children"])
    return [i["action"] for i in ids if isinstance(i, dict) and i.get("role") == ACTION]


def text_of(tree: Any) -> str:
    """All the text in a rendered tree, for asserting on what a person reads."""
    if isinstance(tree, str | int | float):
        return str(tree)
    if isinstance(tree, list):
        return " ".join(text_of(item) for item in tree)
    if isinstance(tree, dict):  # a component, or a callback's answer for one
        props = tree.get("props", tree)
        return " ".join(text_of(props.get(key)) for key in ("title", "children") if key in props)
    return ""


def callback_for(client: TestClient, output: str) -> dict[str, Any]:
    """The callback with the output ``id.property`` that is not a duplicate's."""
    (spec,) = [
        c
        for c in client.get("/_dash-dependencies").json()
        if output in c["output"].strip(".").split("...")
    ]
    found: dict[str, Any] = spec
    return found


LABELS = ("kind", "severity", "channel", "warehouse", "stage", "sku", "order_no", "deadline")


def open_silence_form(client: TestClient, action: str, group: int | None = None) -> Any:
    spec = callback_for(client, "alerts-silence-modal.opened")
    clicked = button(action)
    values = {prop_id(clicked, "n_clicks"): 1, "alerts-group.data": group}
    return answer(client, spec, values, changed=prop_id(clicked, "n_clicks"), present=ACTING)


def preview(client: TestClient, lang: str = "en", **matchers: str) -> Any:
    spec = callback_for(client, "alerts-silence-preview.children")
    values: dict[str, Any] = {f"alerts-silence-m-{k}.value": v for k, v in matchers.items()}
    return answer(client, spec, values | {"shell-lang.data": lang})


def submit_silence(
    client: TestClient,
    *,
    span: str = "2h",
    until: str | None = None,
    reason: str = "",
    lang: str = "en",
    **matchers: str,
) -> Any:
    spec = callback_spec_by_input(client, "alerts-silence-submit")
    values: dict[str, Any] = {f"alerts-silence-m-{k}.value": v for k, v in matchers.items()}
    values |= {
        "alerts-silence-submit.n_clicks": 1,
        "alerts-silence-for.value": span,
        "alerts-silence-until.value": until,
        "alerts-silence-reason.value": reason,
        "alerts-refresh.data": 0,
        "shell-lang.data": lang,
    }
    return answer(client, spec, values)

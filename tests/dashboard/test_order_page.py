"""The order page's callbacks over HTTP: what each role is drawn (actions, the reveal button,
never the buyer in clear), an action taken or refused because the order changed meanwhile, and
the buyer reveal — audited when it is allowed, refused with 403 and audited when forged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from store.audit import audit_trail
from store.db import session_factory
from store.models import AuditEntry, ChannelWriteback, Order
from store.orders import get_order
from store.stages import Source
from store.transitions import move_order
from tests.dashboard.console_client import (
    callback_request,
    callback_spec,
    client_for,
    component_ids,
    components,
    sign_in,
)
from tests.factories import add_channel, add_order

CLEAR = ("张三丰", "13812345678", "上海市浦东新区世纪大道100号")
MASKED = "张** · 138****5678 · 上海市浦东新****"


def held_order(engine: Engine) -> str:
    """An order on hold as out of stock (with the factory's buyer), its number."""
    sessions = session_factory(engine)
    add_channel(sessions)
    order_no = add_order(sessions)
    with sessions.begin() as session:
        move_order(
            session,
            order_no=order_no,
            to="on_hold",
            source=Source.RULE,
            hold_category="out_of_stock",
        )
    return order_no


@pytest.fixture
def console(request: pytest.FixtureRequest, engine: Engine) -> Iterator[tuple[TestClient, str]]:
    """A client signed in with the role the test names (``request.param``), and the held
    order's number."""
    order_no = held_order(engine)
    with client_for(engine, role=request.param) as client:
        sign_in(client)
        yield client, order_no


def show(client: TestClient, order_no: str) -> dict[str, Any]:
    spec = callback_spec(client, "order-seen")
    values = {"shell-lang.data": "en", "order-refresh.data": 0, "order-no.data": order_no}
    answer = client.post("/_dash-update-component", json=callback_request(spec, values))
    assert answer.status_code == 200, answer.text
    drawn: dict[str, Any] = answer.json()["response"]
    return drawn


def confirm(client: TestClient, order_no: str, action: str, seen_stage: str, **fields: str) -> Any:
    """The order page's confirm callback, as its dialog sends it for ``action``."""
    values = {
        "order-dialog-confirm.n_clicks": 1,
        "order-pending.data": action,
        "order-dialog-picker.value": fields.get("picker", ""),
        "order-dialog-category.value": fields.get("category"),
        "order-dialog-note.value": fields.get("note", ""),
        "order-no.data": order_no,
        "order-seen.data": {"stage": seen_stage, "assignee": None},
        "order-refresh.data": 0,
        "shell-lang.data": "en",
    }
    spec = callback_spec(client, "order-refresh")
    return client.post("/_dash-update-component", json=callback_request(spec, values))


def reveal(client: TestClient, order_no: str) -> Any:
    spec = callback_spec(client, "order-reveal")
    values = {"order-reveal.n_clicks": 1, "order-no.data": order_no, "shell-lang.data": "en"}
    return client.post("/_dash-update-component", json=callback_request(spec, values))


def actions_drawn(drawn: dict[str, Any]) -> list[str]:
    ids = component_ids(drawn["order-view"]["children"])
    return [i["action"] for i in ids if isinstance(i, dict) and i.get("role") == "order-action"]


def refusals(engine: Engine) -> list[tuple[str, str, dict[str, Any] | None]]:
    with session_factory(engine)() as session:
        query = select(AuditEntry).where(AuditEntry.action == "console.refused")
        return [(e.actor, e.entity_id, e.after) for e in session.scalars(query)]


@pytest.mark.parametrize(
    ("role", "actions", "may_reveal"),
    [
        ("viewer", [], False),
        ("supervisor", ["assign", "release", "note"], False),
        ("ops_supervisor", ["assign", "release", "note"], True),
    ],
)
def test_each_role_is_drawn_its_actions_and_never_the_buyer_in_clear(
    sqlite_engine: Engine, role: str, actions: list[str], may_reveal: bool
) -> None:
    order_no = held_order(sqlite_engine)
    with client_for(sqlite_engine, role=role) as client:
        sign_in(client)
        drawn = show(client, order_no)

    assert actions_drawn(drawn) == actions
    assert ("order-reveal" in component_ids(drawn["order-view"]["children"])) is may_reveal
    text = str(drawn)
    assert MASKED in text
    assert not [value for value in CLEAR if value in text]
    assert drawn["order-seen"]["data"] == {"stage": "on_hold", "assignee": None}


ENCRYPTED_SHOWN = {
    "en": "encrypted by the platform · encrypted by the platform · "
    "上海市浦东新**** (encrypted by the platform)",
    "zh": "平台加密 · 平台加密 · 上海市浦东新****（平台加密）",
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_fields_the_platform_encrypted_say_so_in_the_language(
    sqlite_engine: Engine, lang: str
) -> None:
    order_no = held_order(sqlite_engine)
    sent = {"name": "#AgAAAAbc#", "phone": "$AgAAAAbc$", "address": "#AgAAAAdd#"}
    with session_factory(sqlite_engine).begin() as session:
        order = session.scalars(select(Order).where(Order.order_no == order_no)).one()
        order.buyer_ciphertext = json.dumps(sent)
    with client_for(sqlite_engine, role="viewer") as client:
        sign_in(client)
        spec = callback_spec(client, "order-seen")
        values = {"shell-lang.data": lang, "order-refresh.data": 0, "order-no.data": order_no}
        answer = client.post("/_dash-update-component", json=callback_request(spec, values))
    drawn = answer.json()["response"]["order-view"]["children"]
    shown = [c["props"]["children"] for c in components(drawn) if _id(c) == "order-buyer-value"]
    assert shown == [ENCRYPTED_SHOWN[lang]]


def _id(component: dict[str, Any]) -> Any:
    return component.get("props", {}).get("id")


@pytest.mark.parametrize("console", ["viewer"], indirect=True)
def test_a_forged_action_is_refused_with_403_and_audited(
    console: tuple[TestClient, str], engine: Engine
) -> None:
    client, order_no = console

    answer = confirm(client, order_no, "release", "on_hold")

    assert answer.status_code == 403
    assert answer.json()["error"] == "forbidden"
    assert refusals(engine) == [("lead", "orders.release", {"role": "viewer"})]
    with session_factory(engine)() as session:
        assert get_order(session, order_no).stage == "on_hold"


@pytest.mark.parametrize("console", ["supervisor"], indirect=True)
def test_a_supervisor_releases_the_order_and_a_stale_page_is_told_why_not(
    console: tuple[TestClient, str], engine: Engine
) -> None:
    client, order_no = console

    done = confirm(client, order_no, "release", "on_hold").json()["response"]
    stale = confirm(client, order_no, "release", "on_hold").json()["response"]

    (toast,) = done["shell-toasts"]["sendNotifications"]
    assert (toast["message"], toast["color"]) == (
        f"Release hold: done for order {order_no}",
        "green",
    )
    assert done["order-modal"]["opened"] is False
    assert done["order-refresh"]["data"] == 1
    (refused,) = stale["shell-toasts"]["sendNotifications"]
    assert refused["message"] == (
        f"Release hold was not applied: {order_no} is Paid now (it changed meanwhile). "
        "The page now shows the order as it is."
    )
    assert refused["color"] == "orange"
    assert stale["order-refresh"]["data"] == 1  # redrawn, so the page shows it paid
    with session_factory(engine)() as session:
        assert get_order(session, order_no).stage == "paid"
        trail = audit_trail(session, entity_type="order", entity_id=order_no)
        assert [(e.actor, e.action) for e in trail] == [("lead", "order.released")]
    redrawn = show(client, order_no)
    assert "On hold → Paid" in str(redrawn["order-view"])
    assert "Released" in str(redrawn["order-audit-view"])


@pytest.mark.parametrize("console", ["supervisor"], indirect=True)
def test_an_incomplete_action_keeps_the_dialog_open_with_the_reason(
    console: tuple[TestClient, str], engine: Engine
) -> None:
    client, order_no = console

    answer = confirm(client, order_no, "note", "on_hold", note="  ").json()["response"]

    assert answer["order-modal"]["opened"] is True
    assert answer["order-dialog-error"]["children"] == (
        "Nothing was changed: a note needs text. Correct it and try again."
    )


@pytest.mark.parametrize("console", ["supervisor"], indirect=True)
def test_a_forged_reveal_is_refused_with_403_and_audited(
    console: tuple[TestClient, str], engine: Engine
) -> None:
    client, order_no = console

    answer = reveal(client, order_no)

    assert answer.status_code == 403
    assert not [value for value in CLEAR if value in answer.text]
    assert refusals(engine) == [("lead", "order.reveal_buyer", {"role": "supervisor"})]
    with session_factory(engine)() as session:
        assert audit_trail(session, entity_type="order", entity_id=order_no) == []


@pytest.mark.parametrize("console", ["ops_supervisor"], indirect=True)
def test_every_reveal_shows_the_buyer_and_is_audited(
    console: tuple[TestClient, str], engine: Engine
) -> None:
    client, order_no = console

    first = reveal(client, order_no)
    second = reveal(client, order_no).json()["response"]

    assert first.status_code == 200
    drawn = first.json()["response"]
    assert " · ".join(CLEAR) in str(drawn["order-buyer"])
    assert drawn["order-reveal"]["disabled"] is True
    assert "Buyer details revealed" in str(second["order-audit-view"])
    with session_factory(engine)() as session:
        trail = audit_trail(session, entity_type="order", entity_id=order_no)
    assert [(e.actor, e.action) for e in trail] == [("lead", "order.buyer_revealed")] * 2
    assert trail[0].after == {"fields": ["name", "phone", "address"], "source": "console"}
    assert refusals(engine) == []


@pytest.mark.parametrize("console", ["viewer"], indirect=True)
def test_a_refused_shipment_confirmation_shows_on_the_order(
    console: tuple[TestClient, str], engine: Engine
) -> None:
    client, order_no = console
    assert "Sent back to the platform" not in json.dumps(show(client, order_no))  # none owed
    with session_factory(engine).begin() as session:
        order = get_order(session, order_no)
        session.add(
            ChannelWriteback(
                channel_id=order.channel_id, order_id=order.id,
                channel_order_id=order.channel_order_id, waybill="SF1234567890", carrier="SF",
                status="failed", attempts=1, error_code="unknown_carrier",
                last_error="attempt 1: no platform code for carrier SF",
            )
        )  # fmt: skip

    drawn = json.dumps(show(client, order_no), ensure_ascii=False)

    for shown in (
        "Sent back to the platform",
        "Shipment confirmation",
        "Failed: needs a person",
        "SF1234567890",
        "unknown_carrier · attempt 1: no platform code for carrier SF",
    ):
        assert shown in drawn  # fmt: skip

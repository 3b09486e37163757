"""The warehouse floor through the HTTP API: release, pick tasks, scans, pack, pickup, times."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.inventory import stock_levels
from store.models import AuditEntry, OrderItem
from store.orders import get_order, timeline
from store.transitions import move_order
from tests.api.floor import (
    WAREHOUSE,
    at,
    client,
    exception_codes,
    paid_order,
    release,
    stock,
    token,
)


@pytest.fixture
def api(sessions: sessionmaker[Session]) -> TestClient:
    return client(sessions)


@pytest.fixture
def pda(sessions: sessionmaker[Session]) -> dict[str, str]:
    return token(sessions, "pda-07", "scans")


@pytest.fixture
def released(sessions: sessionmaker[Session], api: TestClient) -> str:
    """An order of SKU-1 × 2 and SKU-2 × 1, released to the warehouse with stock reserved."""
    stock(sessions, {"SKU-1": 5, "SKU-2": 5})
    order_no = paid_order(sessions, "T1", [("SKU-1", 2), ("SKU-2", 1)])
    assert release(sessions).released == [order_no]
    return order_no


def pick(order_no: str, scan_id: str, sku: str, quantity: int, minute: int) -> dict[str, Any]:
    return {
        "kind": "pick",
        "scan_id": scan_id,
        "order_no": order_no,
        "sku": sku,
        "quantity": quantity,
        "at": at(minute),
    }


def pack(order_no: str, scan_id: str, minute: int) -> dict[str, Any]:
    return {
        "kind": "pack",
        "scan_id": scan_id,
        "order_no": order_no,
        "weight_kg": "1.250",
        "at": at(minute),
    }


def pickup(order_no: str, scan_id: str, minute: int) -> dict[str, Any]:
    return {
        "kind": "pickup",
        "scan_id": scan_id,
        "order_no": order_no,
        "carrier": "SF",
        "waybill": "SF1234567890",
        "at": at(minute),
    }


def levels(sessions: sessionmaker[Session]) -> dict[str, tuple[int, int]]:
    with sessions() as session:
        return {lv.sku: (lv.on_hand, lv.reserved) for lv in stock_levels(session, WAREHOUSE)}


def test_whole_floor_flow(
    sessions: sessionmaker[Session], api: TestClient, pda: dict[str, str], released: str
) -> None:
    assert levels(sessions) == {"SKU-1": (5, 2), "SKU-2": (5, 1)}
    tasks = api.get("/v1/pick-tasks", params={"picker": "li", "warehouse": WAREHOUSE}, headers=pda)
    assert [t["order_no"] for t in tasks.json()["unassigned"]] == [released]
    claimed = api.post(f"/v1/pick-tasks/{released}/claim", json={"picker": "li"}, headers=pda)
    assert claimed.json()["assignee"] == "li"
    tasks = api.get("/v1/pick-tasks", params={"picker": "li"}, headers=pda).json()
    assert ([t["order_no"] for t in tasks["assigned"]], tasks["unassigned"]) == ([released], [])

    first = api.post("/v1/scans", json=pick(released, "s1", "SKU-1", 1, 10), headers=pda)
    assert first.status_code == 200
    assert first.json() | {"message_zh": None} == {
        "scan_id": "s1",
        "status": "accepted",
        "order_no": released,
        "stage": "awaiting_pick",
        "code": None,
        "message": None,
        "message_zh": None,
    }
    batch = [
        pick(released, "s2", "SKU-1", 1, 11),
        pick(released, "s3", "SKU-2", 1, 12),
        pack(released, "s4", 20),
        pickup(released, "s5", 30),
    ]
    answer = api.post("/v1/scans", json={"scans": batch}, headers=pda).json()
    assert (answer["accepted"], answer["duplicates"], answer["refused"]) == (4, 0, 0)
    assert answer["results"][-1]["stage"] == "shipped"

    reader = token(sessions, "board", "orders:read")
    times = api.get(f"/v1/orders/{released}/timestamps", headers=reader).json()
    assert {k: times[k] for k in ("awaiting_pick_at", "first_picked_at", "packed_at")} == {
        "awaiting_pick_at": at(1).replace("+00:00", "Z"),
        "first_picked_at": at(10).replace("+00:00", "Z"),
        "packed_at": at(20).replace("+00:00", "Z"),
    }
    assert times["shipped_at"] == at(30).replace("+00:00", "Z")
    assert (times["picked_at"], times["stage"]) == (at(12).replace("+00:00", "Z"), "shipped")
    assert (times["carrier"], times["waybill"], times["weight_kg"]) == (
        "SF",
        "SF1234567890",
        "1.250",
    )
    assert levels(sessions) == {"SKU-1": (3, 0), "SKU-2": (4, 0)}
    with sessions() as session:
        steps = timeline(session, get_order(session, released))
        assert [(e.to_stage, e.source, e.actor) for e in steps] == [
            ("paid", "channel", "tmall-main"),
            ("awaiting_pick", "rule", "auto-release"),
            ("picked", "handheld", "pda-07"),
            ("packed", "handheld", "pda-07"),
            ("shipped", "handheld", "pda-07"),
        ]


def test_repeated_scans_change_nothing(
    sessions: sessionmaker[Session], api: TestClient, pda: dict[str, str], released: str
) -> None:
    scan = pick(released, "s1", "SKU-1", 1, 10)
    assert api.post("/v1/scans", json=scan, headers=pda).json()["status"] == "accepted"
    again = api.post("/v1/scans", json=scan, headers=pda)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    twice = api.post("/v1/scans", json={"scans": [scan, scan]}, headers=pda).json()
    assert [r["status"] for r in twice["results"]] == ["duplicate", "duplicate"]
    fresh = pick(released, "s2", "SKU-2", 1, 11)
    in_batch = api.post("/v1/scans", json={"scans": [fresh, fresh]}, headers=pda).json()
    assert [r["status"] for r in in_batch["results"]] == ["accepted", "duplicate"]
    with sessions() as session:
        picked = session.scalars(select(OrderItem.picked_quantity).order_by(OrderItem.line_no))
        assert list(picked) == [1, 1]


def test_out_of_order_scans(
    sessions: sessionmaker[Session], api: TestClient, pda: dict[str, str], released: str
) -> None:
    early = api.post("/v1/scans", json=pack(released, "p1", 5), headers=pda)
    assert early.status_code == 409
    assert early.headers["content-type"] == "application/problem+json"
    assert early.json()["code"] == "pack_before_pick"
    assert "2 line(s) not picked yet" in early.json()["detail"]
    # An offline handheld's queue sent backwards: applied in the order it was scanned.
    queue = [
        pickup(released, "q4", 40),
        pack(released, "q3", 30),
        pick(released, "q2", "SKU-2", 1, 21),
        pick(released, "q1", "SKU-1", 2, 20),
    ]
    answer = api.post("/v1/scans", json={"scans": queue}, headers=pda).json()
    assert [r["status"] for r in answer["results"]] == ["accepted"] * 4
    assert {r["stage"] for r in answer["results"]} == {"shipped"}
    assert exception_codes(sessions) == ["pack_before_pick"]


def test_every_refusal_is_answered_recorded_and_the_rest_applied(
    sessions: sessionmaker[Session], api: TestClient, pda: dict[str, str], released: str
) -> None:
    unreleased = paid_order(sessions, "T2", [("SKU-1", 1)])
    held = paid_order(sessions, "T3", [("SKU-1", 1)])
    cancelled = paid_order(sessions, "T4", [("SKU-1", 1)])
    with sessions.begin() as session:
        move_order(session, order_no=held, to="on_hold", source="rule", hold_category="other")
        move_order(session, order_no=cancelled, to="cancelled", source="channel")
    scans = [
        pick("OW9999999999", "r1", "SKU-1", 1, 1),
        pick(released, "r2", "SKU-9", 1, 2),
        pick(released, "r3", "SKU-1", 3, 3),
        pack(released, "r4", 4),
        pickup(released, "r5", 5),
        pick(unreleased, "r6", "SKU-1", 1, 6),
        pick(held, "r7", "SKU-1", 1, 7),
        pick(cancelled, "r8", "SKU-1", 1, 8),
        pick(released, "ok", "SKU-1", 2, 9),
    ]
    codes = [
        "unknown_order",
        "sku_not_on_order",
        "quantity_over_ordered",
        "pack_before_pick",
        "pickup_before_pack",
        "order_not_released",
        "order_on_hold",
        "order_cancelled",
    ]
    answer = api.post("/v1/scans", json={"scans": scans}, headers=pda)
    body = answer.json()
    assert answer.status_code == 200
    assert [r["code"] for r in body["results"]] == [*codes, None]
    assert (body["accepted"], body["refused"]) == (1, 8)
    assert all(r["message"] and r["message_zh"] for r in body["results"][:-1])
    assert exception_codes(sessions) == codes
    again = api.post("/v1/scans", json={"scans": scans}, headers=pda).json()
    assert [r["code"] for r in again["results"]] == [*codes, None]
    assert exception_codes(sessions) == codes  # a repeated refusal is recorded once
    with sessions() as session:
        assert [i.picked_quantity for i in get_order(session, released).items] == [2, 0]


@pytest.mark.parametrize(
    ("scan", "status", "code"),
    [
        (pick("OW0000000404", "x1", "SKU-1", 1, 1), 404, "unknown_order"),
        (pick("{order}", "x2", "SKU-7", 1, 1), 422, "sku_not_on_order"),
        (pick("{order}", "x3", "SKU-1", 5, 1), 422, "quantity_over_ordered"),
        (pickup("{order}", "x4", 1), 409, "pickup_before_pack"),
    ],
)
def test_single_refused_scan_is_a_problem(
    sessions: sessionmaker[Session],
    api: TestClient,
    pda: dict[str, str],
    released: str,
    scan: dict[str, Any],
    status: int,
    code: str,
) -> None:
    scan = scan | {"order_no": scan["order_no"].format(order=released)}
    response = api.post("/v1/scans", json=scan, headers=pda)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert exception_codes(sessions) == [code]


@pytest.mark.parametrize(
    ("body", "status", "code", "detail"),
    [
        ('{"scans": [', 400, "malformed_json", "not valid JSON"),
        ('{"scans": []}', 422, "invalid_request", "scans: List should have at least 1 item"),
        ('{"kind": "pick", "scan_id": "a", "order_no": "OW1", "sku": "S", "quantity": "x"}',
         422, "invalid_request", "pick.quantity: Input should be a valid integer"),
        ('{"kind": "teleport", "scan_id": "a", "order_no": "OW1"}', 422, "invalid_request",
         "does not match any of the expected tags: 'pick', 'pack', 'pickup'"),
        ('{"kind": "pack", "scan_id": "a", "order_no": "OW1", "weight_kg": 0}', 422,
         "invalid_request", "weight_kg: Input should be greater than 0"),
        ('{"kind": "pack", "scan_id": "a", "order_no": "OW1", "weight_kg": 1, '
         '"at": "2026-11-02T10:00:00"}', 422, "invalid_request", "at: Input should have timezone"),
    ],
)  # fmt: skip
def test_malformed_requests(
    api: TestClient, pda: dict[str, str], body: str, status: int, code: str, detail: str
) -> None:
    headers = pda | {"Content-Type": "application/json"}
    response = api.post("/v1/scans", content=body, headers=headers)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert detail in response.json()["detail"]


def test_batch_over_the_limit_applies_nothing(
    sessions: sessionmaker[Session], api: TestClient, pda: dict[str, str], released: str
) -> None:
    scans = [pick(released, f"b{n}", "SKU-1", 1, 1) for n in range(501)]
    response = api.post("/v1/scans", json={"scans": scans}, headers=pda)
    assert response.status_code == 422
    assert "scans: List should have at most 500 items" in response.json()["detail"]
    with sessions() as session:
        assert get_order(session, released).first_picked_at is None


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [({}, 401, "missing_token"), ("reader", 403, "missing_scope")],
)
def test_scans_need_a_token_with_the_scans_scope(
    sessions: sessionmaker[Session], api: TestClient, headers: Any, status: int, code: str
) -> None:
    if headers == "reader":
        headers = token(sessions, "bi", "orders:read")
    response = api.post("/v1/scans", json=pack("OW1", "a", 1), headers=headers)
    assert (response.status_code, response.json()["code"]) == (status, code)


def test_floor_exception_holds_and_supervisor_releases(
    sessions: sessionmaker[Session], api: TestClient, pda: dict[str, str], released: str
) -> None:
    report = {"category": "unclear_address", "note": "门牌号缺失", "report_id": "e1"}
    held = api.post(f"/v1/orders/{released}/exceptions", json=report, headers=pda)
    assert (held.status_code, held.json()["stage"]) == (200, "on_hold")
    assert held.json()["held_from_stage"] == "awaiting_pick"
    api.post(f"/v1/orders/{released}/exceptions", json=report, headers=pda)  # repeated
    refused = api.post("/v1/scans", json=pick(released, "s1", "SKU-1", 1, 5), headers=pda)
    assert refused.json()["code"] == "order_on_hold"
    assert exception_codes(sessions) == ["unclear_address", "order_on_hold"]

    assert api.post(f"/v1/orders/{released}/release", headers=pda).status_code == 403
    supervisor = token(sessions, "wang.supervisor", "orders:act")
    back = api.post(f"/v1/orders/{released}/release", headers=supervisor)
    assert (back.status_code, back.json()["stage"]) == (200, "awaiting_pick")
    again = api.post(f"/v1/orders/{released}/release", headers=supervisor)
    assert (again.status_code, again.json()["code"]) == (409, "transition_refused")
    with sessions() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "order.released"))
        assert [a.actor for a in audit] == ["wang.supervisor"]


def test_other_needs_a_note(api: TestClient, pda: dict[str, str], released: str) -> None:
    response = api.post(
        f"/v1/orders/{released}/exceptions", json={"category": "other"}, headers=pda
    )
    assert (response.status_code, response.json()["detail"]) == (
        422,
        "category 'other' needs a note saying what is wrong",
    )


def test_supervisor_assigns_and_reassigns(
    sessions: sessionmaker[Session], api: TestClient, pda: dict[str, str], released: str
) -> None:
    supervisor = token(sessions, "wang.supervisor", "orders:act")
    url = f"/v1/orders/{released}/assignee"
    assert api.put(url, json={"picker": "li"}, headers=supervisor).json()["assignee"] == "li"
    assert api.put(url, json={"picker": "zhao"}, headers=supervisor).json()["assignee"] == "zhao"
    taken = api.post(f"/v1/pick-tasks/{released}/claim", json={"picker": "li"}, headers=pda)
    assert (taken.status_code, taken.json()["code"]) == (409, "already_assigned")
    with sessions() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.entity_id == released))
        assert [(a.action, a.actor, a.after) for a in audit] == [
            ("order.assigned", "wang.supervisor", {"assignee": "li"}),
            ("order.reassigned", "wang.supervisor", {"assignee": "zhao"}),
        ]


def test_out_of_stock_is_held_and_released_by_a_receipt(
    sessions: sessionmaker[Session], api: TestClient, pda: dict[str, str]
) -> None:
    stock(sessions, {"SKU-1": 1})
    short = paid_order(sessions, "T1", [("SKU-1", 3)])
    report = release(sessions)
    assert report.held == [short]
    with sessions() as session:
        order = get_order(session, short)
        assert (order.stage, order.hold_category) == ("on_hold", "out_of_stock")
        assert order.hold_note == "short: SKU-1 needs 3, 1 available"
    receipt = {
        "receipt_id": "R1",
        "warehouse": WAREHOUSE,
        "lines": [{"sku": "SKU-1", "quantity": 2}],
    }
    answer = api.post("/v1/inventory/receipts", json=receipt, headers=pda).json()
    assert (answer["released"], answer["duplicate"]) == ([short], False)
    assert answer["stock"] == [
        {"sku": "SKU-1", "warehouse": WAREHOUSE, "on_hand": 3, "reserved": 3, "available": 0}
    ]
    repeat = api.post("/v1/inventory/receipts", json=receipt, headers=pda).json()
    assert (repeat["duplicate"], repeat["stock"][0]["on_hand"]) == (True, 3)
    with sessions() as session:
        assert get_order(session, short).stage == "awaiting_pick"


def test_cycle_counts_keep_the_difference(
    sessions: sessionmaker[Session], api: TestClient, pda: dict[str, str]
) -> None:
    stock(sessions, {"SKU-1": 10})
    counts = {
        "warehouse": WAREHOUSE,
        "counts": [
            {"sku": "SKU-1", "location": "A-01", "counted": 8},
            {"sku": "SKU-NEW", "location": "B-02", "counted": 2},
        ],
    }
    answer = api.post("/v1/inventory/counts", json=counts, headers=pda)
    assert answer.status_code == 200
    assert [(c["sku"], c["expected"], c["difference"]) for c in answer.json()] == [
        ("SKU-1", 10, -2),
        ("SKU-NEW", 0, 2),
    ]
    assert levels(sessions)["SKU-1"] == (10, 0)  # a count is a finding, not a correction

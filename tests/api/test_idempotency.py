"""Idempotency keys reused for other content (issue 14, finding 6): the same key and content is
a duplicate; the same key with other content is a 409 naming what differs, and nothing of it
is applied."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from store.inventory import stock_levels
from store.models import Order, Scan
from tests.api.floor import WAREHOUSE, client, paid_order, release, stock, token


def _floor(sessions: sessionmaker[Session]) -> tuple[Any, dict[str, str], str, str]:
    api = client(sessions)
    stock(sessions, {"SKU-1": 10})
    first = paid_order(sessions, "T1", [("SKU-1", 2)])
    second = paid_order(sessions, "T2", [("SKU-1", 2)])
    release(sessions)
    return api, token(sessions, "pda", "scans"), first, second


def _picked(sessions: sessionmaker[Session], order_no: str) -> int | None:
    with sessions() as session:
        order = session.scalar(select(Order).where(Order.order_no == order_no))
        return sum(item.picked_quantity for item in order.items) if order else None


def test_a_scan_id_reused_for_another_order_or_kind_is_409(
    sessions: sessionmaker[Session],
) -> None:
    api, auth, first, second = _floor(sessions)
    pick = {"scan_id": "s1", "kind": "pick", "order_no": first, "sku": "SKU-1", "quantity": 1}
    assert api.post("/v1/scans", json=pick, headers=auth).json()["status"] == "accepted"

    other_order = api.post("/v1/scans", json={**pick, "order_no": second}, headers=auth)
    other_kind = api.post(
        "/v1/scans", json={"scan_id": "s1", "kind": "pack", "order_no": first, "weight_kg": "1"},
        headers=auth,
    )  # fmt: skip
    retry = api.post("/v1/scans", json={**pick, "at": "2026-11-23T09:00:00+08:00"}, headers=auth)

    assert other_order.status_code == other_kind.status_code == 409
    problem = other_order.json()
    assert problem["code"] == "idempotency_key_reused"
    assert f"order_no: '{first}' before, '{second}' now" in problem["detail"]
    assert "kind: 'pick' before, 'pack' now" in other_kind.json()["detail"]
    assert (retry.status_code, retry.json()["status"]) == (200, "duplicate")
    assert (_picked(sessions, first), _picked(sessions, second)) == (1, 0)
    with sessions() as session:
        assert session.scalar(select(func.count(Scan.id))) == 1  # the reuse is kept nowhere


def test_a_batch_reusing_an_id_within_itself_applies_the_first_only(
    sessions: sessionmaker[Session],
) -> None:
    api, auth, first, _second = _floor(sessions)
    pick = {"scan_id": "b1", "kind": "pick", "order_no": first, "sku": "SKU-1", "quantity": 1}

    answer = api.post(
        "/v1/scans", json={"scans": [pick, {**pick, "quantity": 2}, pick]}, headers=auth
    ).json()

    assert [(r["status"], r["code"]) for r in answer["results"]] == [
        ("accepted", None),
        ("refused", "idempotency_key_reused"),
        ("duplicate", None),
    ]
    assert "quantity: 1 before, 2 now" in answer["results"][1]["message"]
    assert _picked(sessions, first) == 1


def test_a_receipt_id_reused_with_other_lines_is_409_and_adds_nothing(
    sessions: sessionmaker[Session],
) -> None:
    api = client(sessions)
    auth = token(sessions, "dock", "scans")
    receipt = {
        "receipt_id": "R1",
        "warehouse": WAREHOUSE,
        "lines": [{"sku": "SKU-9", "quantity": 5}],
    }

    assert api.post("/v1/inventory/receipts", json=receipt, headers=auth).status_code == 200
    again = api.post("/v1/inventory/receipts", json=receipt, headers=auth)
    other = api.post(
        "/v1/inventory/receipts",
        json={**receipt, "lines": [{"sku": "SKU-9", "quantity": 7}]},
        headers=auth,
    )
    elsewhere = api.post(
        "/v1/inventory/receipts", json={**receipt, "warehouse": "HZ-02"}, headers=auth
    )

    assert (again.status_code, again.json()["duplicate"]) == (200, True)
    assert other.status_code == elsewhere.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert "receipt_id 'R1' was used before with other content" in other.json()["detail"]
    assert "{'SKU-9': 5} before, {'SKU-9': 7} now" in other.json()["detail"]
    with sessions() as session:
        (level,) = stock_levels(session, WAREHOUSE, ["SKU-9"])
    assert level.on_hand == 5

"""Explain: the function and the REST endpoint."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from dashboard.api import create_api
from rules.explain import explain_order
from rules.review import review_paid_orders
from store.orders import find_order
from store.people import create_token
from store.transitions import move_order
from tests.factories import T0
from tests.rules.article import TMALL, XHS, seed_article

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_held_order_names_rule_deadline_and_reviewers(sessions: sessionmaker[Session]) -> None:
    seed_article(sessions)
    with sessions.begin() as session:
        review_paid_orders(session, now=T0 + timedelta(minutes=30))
        order_no = find_order(session, XHS, "X005").order_no
        explained = explain_order(
            session, order_no, now=T0 + timedelta(hours=5, minutes=30), zone=SHANGHAI
        )
    assert explained.late is True
    assert explained.risk is not None and explained.risk.rule == "bnpl-high-risk"
    [sla, ship_by] = explained.deadlines
    assert (sla.name, sla.version, sla.overrun_s, sla.overdue) == (
        "pending-review-4h",
        1,
        3600,
        True,
    )
    assert (ship_by.name, ship_by.overdue) == ("default-48h", False)
    assert explained.waiting_for.code == "reviewer"
    assert explained.summary.en == (
        f"{order_no} has been pending review for 5 h; risk rule bnpl-high-risk v1 held it "
        "(payment_method in [先用后付, buy_now_pay_later]); "
        "over its deadline pending-review-4h v1 by 1 h; "
        "waiting for a risk reviewer (can unblock: supervisor, ops_supervisor, admin)"
    )


def test_an_order_on_hold_waits_for_stock(sessions: sessionmaker[Session]) -> None:
    seed_article(sessions, alipay_orders=1)
    with sessions.begin() as session:
        order_no = find_order(session, TMALL, "T000").order_no
        move_order(
            session, order_no=order_no, to="on_hold", source="console", actor="ann",
            hold_category="out_of_stock", at=T0,
        )  # fmt: skip
        explained = explain_order(session, order_no, now=T0 + timedelta(hours=1), zone=SHANGHAI)
    assert explained.waiting_for.code == "stock"
    assert explained.can_unblock == ["supervisor", "admin"]
    assert explained.risk is None


def test_a_shipped_order_has_nothing_to_wait_for(sessions: sessionmaker[Session]) -> None:
    seed_article(sessions, alipay_orders=1)
    with sessions.begin() as session:
        order_no = find_order(session, TMALL, "T000").order_no
        move_order(session, order_no=order_no, to="shipped", source="channel", at=T0)
        explained = explain_order(session, order_no, now=T0 + timedelta(hours=2), zone=SHANGHAI)
    assert explained.waiting_for.code == "nothing"
    assert explained.summary.en.endswith("; nothing to do: the order has left the warehouse")
    assert explained.summary.zh.endswith("；无需处理")


def test_explain_endpoint(sessions: sessionmaker[Session]) -> None:
    seed_article(sessions)
    with sessions.begin() as session:
        review_paid_orders(session)
        order_no = find_order(session, XHS, "X001").order_no
        reader = create_token(session, name="bi", scopes=["orders:read"]).secret
        scanner = create_token(session, name="pda", scopes=["scans"]).secret
    client = TestClient(create_api(sessions, zone=SHANGHAI))
    ok = client.get(f"/v1/orders/{order_no}/explain", headers={"Authorization": f"Bearer {reader}"})
    assert ok.status_code == 200
    assert ok.json()["risk"]["rule"] == "bnpl-high-risk"
    assert "buyer" not in ok.json()
    refused = client.get(
        f"/v1/orders/{order_no}/explain", headers={"Authorization": f"Bearer {scanner}"}
    )
    assert refused.status_code == 403
    missing = client.get("/v1/orders/OW404/explain", headers={"Authorization": f"Bearer {reader}"})
    assert (missing.status_code, missing.json()["code"]) == (404, "unknown_order")

"""Risk review of paid orders: the article's 17 held orders, whitelists, the release callable."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rules.catalog import load_rules, save_rules
from rules.definitions import RiskWhitelist
from rules.review import Reviewer, review_paid_orders
from store.models import Order, RiskDecision
from store.orders import find_order, timeline
from store.transitions import move_order
from store.upsert import upsert_orders
from tests.factories import T0, canonical
from tests.rules.article import BNPL, TMALL, XHS, seed_article

NOW = T0 + timedelta(hours=1)
WHITELIST = RiskWhitelist(name="xhs-bnpl", channel=XHS, payment_method=BNPL, below=Decimal("300"))


def _stages(session: Session, channel_prefix: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for order in session.scalars(select(Order).where(Order.channel_order_id.like(channel_prefix))):
        counts[order.stage] = counts.get(order.stage, 0) + 1
    return counts


def test_default_rules_hold_the_17_bnpl_orders(sessions: sessionmaker[Session]) -> None:
    seed_article(sessions)
    with sessions.begin() as session:
        result = review_paid_orders(session, now=NOW)
    assert (len(result.held), result.passed, result.failed) == (17, 5, [])
    with sessions() as session:
        assert _stages(session, "X%") == {"pending_review": 17}
        assert _stages(session, "T%") == {"paid": 5}
        held = find_order(session, XHS, "X000")
        last = timeline(session, held)[-1]
        assert (last.to_stage, last.source, last.actor) == ("pending_review", "rule", "risk-review")
        assert last.note == (
            "risk rule bnpl-high-risk v1: payment_method in [先用后付, buy_now_pay_later]"
        )


def test_a_second_pass_changes_nothing(sessions: sessionmaker[Session]) -> None:
    seed_article(sessions)
    with sessions.begin() as session:
        review_paid_orders(session, now=NOW)
    with sessions.begin() as session:
        again = review_paid_orders(session, now=NOW)
    assert (again.held, again.released, again.passed) == ([], [], 5)


def test_whitelist_releases_the_orders_below_300(sessions: sessionmaker[Session]) -> None:
    seed_article(sessions)
    with sessions.begin() as session:
        review_paid_orders(session, now=NOW)
        proposed = load_rules(session).rules.model_copy(update={"whitelists": (WHITELIST,)})
        save_rules(session, proposed, kinds=["risk_whitelist"], author="ops-li", reason="article")
        result = review_paid_orders(session, now=NOW)
    assert len(result.released) == 14
    with sessions() as session:
        assert _stages(session, "X%") == {"paid": 14, "pending_review": 3}
        decision = session.scalars(
            select(RiskDecision).where(RiskDecision.action == "pass")
        ).first()
        assert decision is not None
        assert (decision.rule_kind, decision.rule_name, decision.rule_version) == (
            "risk_whitelist",
            "xhs-bnpl",
            1,
        )


def test_a_reviewer_approval_is_never_held_again(sessions: sessionmaker[Session]) -> None:
    seed_article(sessions)
    with sessions.begin() as session:
        review_paid_orders(session, now=NOW)
        order_no = find_order(session, XHS, "X016").order_no
        move_order(session, order_no=order_no, to="paid", source="console", actor="sup-wang")
    with sessions.begin() as session:
        result = review_paid_orders(session, now=NOW)
    assert order_no not in result.held


def test_reviewer_callable_for_automatic_release(sessions: sessionmaker[Session]) -> None:
    seed_article(sessions, alipay_orders=1)
    reviewer = Reviewer(now=NOW)
    with sessions.begin() as session:
        risky = find_order(session, XHS, "X001")
        plain = find_order(session, TMALL, "T000")
        assert (reviewer(session, risky), reviewer(session, plain)) == (False, True)
        assert (risky.stage, plain.stage) == ("pending_review", "paid")


def test_history_and_address_rules(sessions: sessionmaker[Session]) -> None:
    seed_article(sessions, alipay_orders=0)
    with sessions.begin() as session:
        upsert_orders(
            session,
            TMALL,
            [
                canonical("A1", buyer_address="北京朝阳门外大街12号院"),  # no district
                canonical("A2", buyer_address="浦东新区1号"),  # too short
                canonical("A3", buyer_address="江苏省苏州市昆山市花桥镇绿地大道8号"),
            ],
        )
        result = review_paid_orders(session, now=NOW)
        notes = {
            order.channel_order_id: timeline(session, order)[-1].note
            for order in session.scalars(select(Order).where(Order.channel_order_id.like("A%")))
        }
    assert len(result.held) == 17 + 2
    assert notes["A1"] is not None and "address-missing-district v1" in notes["A1"]
    assert notes["A2"] is not None and "address-too-short v1" in notes["A2"]
    assert notes["A3"] is None


def test_a_buyer_who_refused_twice_is_held(sessions: sessionmaker[Session]) -> None:
    seed_article(sessions, alipay_orders=0)
    phone = "13512345678"
    with sessions.begin() as session:
        earlier = [canonical(f"R{n}", buyer_phone=phone) for n in range(3)]
        upsert_orders(session, TMALL, earlier)
        for n in range(2):
            order_no = find_order(session, TMALL, f"R{n}").order_no
            move_order(
                session,
                order_no=order_no,
                to="on_hold",
                source="console",
                actor="cs-zhao",
                hold_category="customer_refused",
            )
        result = review_paid_orders(session, now=NOW)
        note = timeline(session, find_order(session, TMALL, "R2"))[-1].note
    assert len(result.held) == 18
    assert note == "risk rule repeat-refuser v1: buyer refused ≥ 2 earlier orders"

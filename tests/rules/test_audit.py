"""Flow health audit: the article's breakpoint is found, named and alerted; a healthy flow
has no findings."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rules.audit import latest_findings, run_flow_health_audit
from rules.review import review_paid_orders
from store.models import Alert, Order
from store.transitions import move_order
from tests.factories import T0
from tests.rules.article import TMALL, XHS, seed_article

LATER = T0 + timedelta(hours=6)


def _release_tmall(session: Session) -> None:
    query = select(Order.order_no).where(Order.stage == "paid")
    for order_no in session.scalars(query):
        move_order(session, order_no=order_no, to="awaiting_pick", source="rule", at=T0)


def test_the_bnpl_breakpoint_is_found_and_named(sessions: sessionmaker[Session]) -> None:
    seed_article(sessions)
    with sessions.begin() as session:
        review_paid_orders(session, now=T0 + timedelta(minutes=5))
        _release_tmall(session)
        result = run_flow_health_audit(session, now=LATER)
    by_key = {f.key: f for f in result.findings}
    share = by_key[f"flow_health:hold_share:bnpl-high-risk:channel:{XHS}"]
    assert (share.severity, share.rule_name, share.rule_version, share.channel) == (
        "critical",
        "bnpl-high-risk",
        1,
        XHS,
    )
    assert "100%" in share.message_en and "(17 of 17)" in share.message_en
    never = by_key[f"flow_health:never_picked:channel:{XHS}"]
    assert never.cause_en == "risk rule bnpl-high-risk v1 holds them in pending review"
    assert never.cause_zh == "风控规则 bnpl-high-risk v1 将其留在「待审核」"
    assert "flow_health:never_picked:payment_method:先用后付" in by_key
    assert not any(f.channel == TMALL for f in result.findings)
    with sessions.begin() as session:
        run_flow_health_audit(session, now=LATER + timedelta(hours=1))  # folds into one alert
        alerts = session.scalars(select(Alert).where(Alert.kind == "flow_health")).all()
        latest = latest_findings(session)
    assert len(alerts) == len(result.findings)
    assert latest is not None and len(latest.findings) == len(result.findings)


def test_a_healthy_flow_has_no_findings(sessions: sessionmaker[Session]) -> None:
    seed_article(sessions, alipay_orders=8)
    with sessions.begin() as session:
        query = select(Order.order_no).where(Order.channel_order_id.like("X%"))
        for order_no in session.scalars(query):
            move_order(session, order_no=order_no, to="cancelled", source="channel", at=T0)
        _release_tmall(session)
        assert run_flow_health_audit(session, now=LATER).findings == []


def test_a_stage_pile_up_against_recent_runs(sessions: sessionmaker[Session]) -> None:
    seed_article(sessions, alipay_orders=0)
    with sessions.begin() as session:
        for hour in range(3):  # history: nothing waits in pending review
            run_flow_health_audit(session, now=T0 - timedelta(hours=3 - hour))
        review_paid_orders(session, now=T0)
        result = run_flow_health_audit(session, now=T0 + timedelta(minutes=10))
    keys = {f.key for f in result.findings}
    assert "flow_health:count:pending_review" in keys

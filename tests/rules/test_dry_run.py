"""Dry run: the proposed whitelist against the article's orders, SQL agreeing with Python."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from rules.catalog import LoadedRules, load_rules
from rules.compile_sql import BuyerHistory, RiskSql
from rules.definitions import (
    RiskConditions,
    RiskRule,
    RiskWhitelist,
    RuleSet,
    SlaPolicy,
    WhitelistEntry,
)
from rules.dry_run import dry_run
from rules.facts import gather_facts
from rules.review import review_paid_orders
from rules.risk import RiskEvaluator
from store.models import Channel, Order, RiskDecision, Rule, Sku
from store.orders import find_order
from store.upsert import upsert_orders
from tests.factories import T0, canonical
from tests.rules.article import BNPL, TMALL, XHS, seed_article

NOW = T0 + timedelta(hours=1)
WHITELIST = RiskWhitelist(name="xhs-bnpl", channel=XHS, payment_method=BNPL, below=Decimal(300))
ENTRY = WhitelistEntry(channel=XHS, payment_method=BNPL, below=Decimal(300))


def test_whitelist_dry_run_releases_17_except_those_over_300(
    sessions: sessionmaker[Session],
) -> None:
    seed_article(sessions)
    with sessions.begin() as session:
        review_paid_orders(session, now=NOW)
    with sessions() as session:
        before = session.scalar(select(func.count()).select_from(Rule))
        proposed = load_rules(session).rules.model_copy(update={"whitelists": (WHITELIST,)})
        report = dry_run(session, proposed, days=7, now=NOW)
        after = session.scalar(select(func.count()).select_from(Rule))
        decisions = session.scalar(select(func.count()).select_from(RiskDecision))
        # The released are X000…X013 (below 300); examples are the group's first and last.
        examples = [find_order(session, XHS, f"X{n:03d}").order_no for n in (0, 13)]
    xhs = next(c for c in report.channels if c.channel == XHS)
    assert (xhs.orders, xhs.held_now, xhs.held_proposed, xhs.released) == (17, 17, 3, 14)
    assert xhs.examples_released == examples
    assert report.total("newly_held") == 0
    assert report.rule_changes == ["risk_whitelist xhs-bnpl: added as v1"]
    [shift] = report.shifts
    assert (shift.now, shift.proposed, shift.orders) == (
        "risk rule bnpl-high-risk v1",
        "whitelist xhs-bnpl v1",
        14,
    )
    assert list(shift.examples) == examples
    assert (before, after, decisions) == (after, before, 17)  # nothing written


def test_dry_run_counts_sla_breaches(sessions: sessionmaker[Session]) -> None:
    seed_article(sessions)
    with sessions.begin() as session:
        review_paid_orders(session, now=T0 + timedelta(minutes=30))
    later = T0 + timedelta(hours=3)
    with sessions() as session:
        rules = load_rules(session).rules
        tighter = rules.model_copy(
            update={
                "sla": (
                    *[p for p in rules.sla if p.stage != "pending_review"],
                    SlaPolicy(name="pending-review-4h", stage="pending_review", max_hours=1),
                )
            }
        )
        report = dry_run(session, tighter, now=later)
    xhs = next(c for c in report.channels if c.channel == XHS)
    assert (xhs.breaches_now, xhs.breaches_proposed) == (0, 17)
    assert report.rule_changes == ["sla pending-review-4h: changed v1 → v2"]


def test_sql_and_python_agree_on_every_order(sessions: sessionmaker[Session]) -> None:
    seed_article(sessions)
    with sessions.begin() as session:
        session.add(Sku(code="SKU-9", category="gadget"))
        upsert_orders(
            session,
            TMALL,
            [
                canonical("H1", buyer_phone="13900000001", amount=Decimal("2500")),
                canonical("H5", buyer_phone="13900000002", created_at=T0, amount=Decimal("2500")),
                canonical("H2", buyer_address="北京朝阳门外大街12号院"),
                canonical("H3", buyer_address=None, payment_method=None),
                canonical("H4", items=[{"sku": "SKU-9", "quantity": 1, "unit_price": "9.90"}]),
            ],
        )
        rules = load_rules(session).rules.model_copy(
            update={
                "whitelists": (WHITELIST,),
                "risk_rules": (
                    *load_rules(session).rules.risk_rules,
                    RiskRule(
                        name="big-first-order",
                        priority=50,
                        action="hold",
                        when=RiskConditions(first_order=True, amount_at_least=Decimal(2000)),
                    ),
                    RiskRule(
                        name="not-first-order",
                        priority=60,
                        action="pass",
                        when=RiskConditions(first_order=False, channels=(TMALL,)),
                    ),
                    RiskRule(
                        name="gadgets",
                        priority=70,
                        action="hold",
                        when=RiskConditions(sku_categories=("gadget",)),
                    ),
                ),
            }
        )
        loaded = LoadedRules(rules, {})
        channels = {name: id_ for name, id_ in session.execute(select(Channel.name, Channel.id))}
        history = BuyerHistory(session)
        compiled = RiskSql(loaded, channels, history)
        rows = session.execute(
            select(Order.id, compiled.code()).select_from(history.join(Order.__table__))
        ).all()
        facts = gather_facts(session, [row[0] for row in rows])
    evaluate = RiskEvaluator(loaded)
    sql = {order_id: compiled.verdicts[code] for order_id, code in rows}
    python = {order_id: evaluate(facts[order_id]) for order_id in sql}
    assert sql == python
    names = {v.name for v in sql.values()}
    assert names >= {"xhs-bnpl", "bnpl-high-risk", "big-first-order", "gadgets", "not-first-order"}


def _bnpl_whitelist(session: Session, *entries: WhitelistEntry) -> RuleSet:
    """The rules in force with ``entries`` as the whitelist of the 先用后付 rule."""
    rules = load_rules(session).rules
    edited = [
        r.model_copy(update={"whitelist": entries}) if r.name == "bnpl-high-risk" else r
        for r in rules.risk_rules
    ]
    return rules.model_copy(update={"risk_rules": tuple(edited)})


def test_a_rules_own_whitelist_releases_14_and_keeps_3_for_review(
    sessions: sessionmaker[Session],
) -> None:
    seed_article(sessions)
    with sessions.begin() as session:
        review_paid_orders(session, now=NOW)
    with sessions() as session:
        proposed = _bnpl_whitelist(session, ENTRY)
        report = dry_run(session, proposed, days=7, now=NOW)
    xhs = next(c for c in report.channels if c.channel == XHS)
    assert (xhs.held_now, xhs.released, xhs.held_proposed, xhs.newly_held) == (17, 14, 3, 0)
    assert report.rule_changes == ["risk bnpl-high-risk: changed v1 → v2"]
    [shift] = report.shifts
    assert (shift.now, shift.proposed, shift.orders) == (
        "risk rule bnpl-high-risk v1",
        "risk rule bnpl-high-risk v2 (whitelist)",
        14,
    )


def test_sql_and_python_agree_on_a_rules_whitelist(sessions: sessionmaker[Session]) -> None:
    """An order the whitelist lets through still meets the later rules: here a BNPL order
    under 300 whose address names no district is held by the address rule."""
    seed_article(sessions)
    with sessions.begin() as session:
        upsert_orders(
            session,
            XHS,
            [
                canonical(
                    "XA", payment_method=BNPL, amount=Decimal(99), buyer_address="上海某路1号"
                ),
                canonical("XB", payment_method="alipay", amount=Decimal(99)),
            ],
        )
        proposed = _bnpl_whitelist(session, ENTRY, ENTRY.model_copy(update={"channel": TMALL}))
        loaded = LoadedRules(proposed, {})
        channels = {name: id_ for name, id_ in session.execute(select(Channel.name, Channel.id))}
        history = BuyerHistory(session)
        compiled = RiskSql(loaded, channels, history)
        rows = session.execute(
            select(Order.id, Order.channel_order_id, compiled.code()).select_from(
                history.join(Order.__table__)
            )
        ).all()
        facts = gather_facts(session, [row[0] for row in rows])
    evaluate = RiskEvaluator(loaded)
    sql = {number: compiled.verdicts[code] for _id, number, code in rows}
    python = {number: evaluate(facts[order_id]) for order_id, number, _code in rows}
    assert sql == python
    assert sql["XA"].name == "address-missing-district" and sql["XA"].hold
    assert sql["X000"].exempt and not sql["X000"].hold
    assert sql["X016"].hold and sql["X016"].name == "bnpl-high-risk"
    assert sql["XB"].name is None

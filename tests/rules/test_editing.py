"""Editing one rule as the console does: every problem named at its field and nothing saved,
a dry run bounded by the window's size, a save over someone else's newer version refused with
who and when, saving and restoring versions with their readable diff, and the whitelist the
flow health audit suggests for the article's case."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from rules.diff import BodyChange
from rules.dry_run_bounds import DryRunLimits, DryRunTooLarge, orders_between
from rules.editing import (
    ChangedMeanwhile,
    FieldProblem,
    RuleRejected,
    Saved,
    check_edit,
    compare_versions,
    dry_run_edit,
    restore_edit,
    rule_in_force,
    rule_versions,
    rules_in_force,
    save_edit,
)
from rules.review import review_paid_orders
from rules.suggest import suggest_entry
from store.audit import audit_trail
from store.errors import InvalidInput
from store.models import Order, Rule
from tests.factories import T0
from tests.rules.article import BNPL, XHS, seed_article

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = T0 + timedelta(hours=1)
ENTRY = {"channel": XHS, "payment_method": BNPL, "below": "300.00"}


@pytest.fixture
def article(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The article's 17 先用后付 orders held in review by the default rules (v1 of each)."""
    seed_article(sessions)
    with sessions.begin() as session:
        review_paid_orders(session, now=NOW)
    return sessions


def bnpl_body(session: Session, **changes: Any) -> dict[str, Any]:
    entry = rule_in_force(session, "risk", "bnpl-high-risk")
    assert entry is not None
    return entry.body | changes


def save_bnpl(session: Session, body: dict[str, Any], *, author: str, reason: str) -> Saved:
    """Save the 先用后付 rule over v1, the version an editor opened."""
    return save_edit(
        session,
        kind="risk",
        name="bnpl-high-risk",
        body=body,
        opened_version=1,
        author=author,
        reason=reason,
        zone=SHANGHAI,
    )


def rejected(session: Session, kind: str, name: str, body: dict[str, Any]) -> list[FieldProblem]:
    with pytest.raises(RuleRejected) as refused:
        check_edit(session, kind, name, body)
    return refused.value.problems


def test_every_kind_is_listed_with_its_version(article: sessionmaker[Session]) -> None:
    with article() as session:
        listed = {(e.kind, e.name): e for e in rules_in_force(session)}
    assert listed[("risk", "bnpl-high-risk")].version == 1
    assert listed[("risk", "bnpl-high-risk")].reason == "built-in default rules"
    kinds = {kind for kind, _name in listed}
    # No whitelist exists yet: every other kind is there.
    assert kinds == {"risk", "sla", "ship_by", "calendar", "safety_stock", "refund_approval"}


def test_problems_are_named_at_their_field_and_nothing_is_saved(
    article: sessionmaker[Session],
) -> None:
    with article() as session:
        rules_before = session.scalar(select(func.count()).select_from(Rule))
        negative = rejected(session, "risk", "bnpl-high-risk", bnpl_body(session, priority=-1))
        assert [(p.path, p.code) for p in negative] == [(("priority",), "greater_than_equal")]
        clash = rejected(session, "risk", "bnpl-high-risk", bnpl_body(session, priority=20))
        assert [p.path for p in clash] == [("priority",)]
        assert "same priority 20" in clash[0].message
        never = bnpl_body(session, whitelist=[ENTRY | {"payment_method": "alipay"}])
        [problem] = rejected(session, "risk", "bnpl-high-risk", never)
        assert problem.path == ("whitelist", 0, "payment_method")
        assert problem.message_zh and "永远不会生效" in problem.message_zh
        amounts = bnpl_body(session, when={"amount_at_least": "500", "amount_below": "100"})
        [problem] = rejected(session, "risk", "bnpl-high-risk", amounts)
        assert (problem.path, problem.code) == (("when", "amount_below"), "amount_range")
        slow = {"name": "awaiting-pick-2h", "stage": "awaiting_pick", "max_hours": 72}
        [problem] = rejected(session, "sla", "awaiting-pick-2h", slow)
        assert problem.path == ("max_hours",)
        calendar = {"workdays": [1, 2, 3, 4, 5], "holidays": ["2026-10-03"]}
        [problem] = rejected(session, "calendar", "default", calendar)
        assert problem.path == ("holidays", 0)
        with pytest.raises(RuleRejected):
            save_bnpl(session, never, author="chen", reason="try")
        assert session.scalar(select(func.count()).select_from(Rule)) == rules_before


def test_the_articles_whitelist_is_dry_run_saved_and_releases_the_held_orders(
    article: sessionmaker[Session],
) -> None:
    with article() as session:
        body = bnpl_body(session, whitelist=[ENTRY])
        report = dry_run_edit(session, "risk", "bnpl-high-risk", body, days=7, now=NOW)
    assert (report.total("released"), report.total("held_proposed")) == (14, 3)
    with article.begin() as session:
        with pytest.raises(InvalidInput, match="needs a reason"):
            save_bnpl(session, body, author="chen", reason="  ")
        saved = save_bnpl(session, body, author="chen", reason="小红书先用后付 300 元以下免审")
    assert (saved.version, saved.review and len(saved.review.released)) == (2, 14)
    with article() as session:
        stages = dict(
            session.execute(select(Order.stage, func.count()).group_by(Order.stage)).all()
        )
        saved_versions = rule_versions(session, "risk", "bnpl-high-risk")
        versions = [(e.version, e.author, e.active) for e in saved_versions]
        changes = compare_versions(session, "risk", "bnpl-high-risk", 1, 2)
        trail = audit_trail(session, entity_type="rule", entity_id="risk/bnpl-high-risk")
    assert stages == {"paid": 14 + 5, "pending_review": 3}
    assert versions == [(1, "system", False), (2, "chen", True)]
    assert changes == [BodyChange(("whitelist", 0), None, ENTRY)]
    assert trail[-1].actor == "chen" and trail[-1].after is not None
    assert trail[-1].after["reason"] == "小红书先用后付 300 元以下免审"


def test_a_save_over_a_newer_version_is_refused_with_who_and_when(
    article: sessionmaker[Session],
) -> None:
    with article.begin() as session:
        body = bnpl_body(session, whitelist=[ENTRY])
        save_bnpl(session, body, author="chen", reason="first admin")
    with article.begin() as session, pytest.raises(ChangedMeanwhile) as refused:
        save_bnpl(
            session,
            bnpl_body(session, whitelist=[ENTRY | {"below": "200.00"}]),
            author="zhao",
            reason="second admin",
        )
    latest = refused.value.latest
    assert (latest.version, latest.author, latest.body["whitelist"]) == (2, "chen", [ENTRY])
    assert latest.at is not None
    at = f"{latest.at.astimezone(SHANGHAI):%H:%M}"
    assert str(refused.value) == (
        f"risk rule 'bnpl-high-risk' was changed by chen at {at} since you opened it (v1 → v2)"
    )


def test_restoring_v1_puts_the_hold_back_and_is_audited(article: sessionmaker[Session]) -> None:
    with article.begin() as session:
        body = bnpl_body(session, whitelist=[ENTRY])
        save_bnpl(session, body, author="chen", reason="whitelist")
    with article.begin() as session:
        restored = restore_edit(
            session,
            kind="risk",
            name="bnpl-high-risk",
            version=1,
            author="chen",
            reason="back to the default",
            zone=SHANGHAI,
        )
    assert restored.version == 3
    with article() as session:
        assert bnpl_body(session)["whitelist"] == []
        trail = audit_trail(session, entity_type="rule", entity_id="risk/bnpl-high-risk")
        assert [e.action for e in trail][-2:] == ["rule.changed", "rule.restored"]
        assert compare_versions(session, "risk", "bnpl-high-risk", 2, 3) == [
            BodyChange(("whitelist", 0), ENTRY, None)
        ]


def test_a_new_rule_needs_a_free_name_and_a_default_kind_is_saved_whole(
    article: sessionmaker[Session],
) -> None:
    whitelist = {"name": "xhs-bnpl", "channel": XHS, "payment_method": BNPL, "below": "300"}
    with article.begin() as session:
        saved = save_edit(
            session,
            kind="risk_whitelist",
            name="xhs-bnpl",
            body=whitelist,
            opened_version=None,
            author="chen",
            reason="global",
            zone=SHANGHAI,
        )
        assert saved.version == 1
        taken = {"name": "pending-review-4h", "stage": "paid", "max_hours": 1}
        with pytest.raises(RuleRejected) as refused:
            check_edit(session, "sla", "pending-review-4h", taken, new=True)
        assert refused.value.problems[0].path == ("name",)


def test_a_dry_run_over_too_many_orders_says_so_and_offers_a_shorter_window(
    article: sessionmaker[Session],
) -> None:
    with article() as session:
        body = bnpl_body(session, whitelist=[ENTRY])
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE orders"))  # the estimate reads the statistics
        window = orders_between(session, NOW - timedelta(days=30), NOW, 1_000_000)
        assert window == 22
        with pytest.raises(DryRunTooLarge) as refused:
            dry_run_edit(
                session,
                "risk",
                "bnpl-high-risk",
                body,
                days=30,
                now=NOW,
                limits=DryRunLimits(max_orders=window // 2),
            )
    assert refused.value.days == 30
    assert refused.value.suggested_days is not None and refused.value.suggested_days < 30
    assert "a dry run over 30 days would read about" in str(refused.value)


def test_the_suggested_whitelist_is_the_articles(article: sessionmaker[Session]) -> None:
    with article() as session:
        entry = suggest_entry(session, "bnpl-high-risk", channel=XHS, now=NOW)
        by_payment = suggest_entry(session, "bnpl-high-risk", payment_method=BNPL, now=NOW)
        nothing = suggest_entry(session, "address-too-short", channel=XHS, now=NOW)
    assert entry is not None and entry.model_dump(mode="json") == ENTRY
    assert by_payment == entry
    assert nothing is None

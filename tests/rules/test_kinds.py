"""Each rule kind on its own: SLA deadlines and promises, safety stock, refund approval."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rules.catalog import LoadedRules, load_rules
from rules.checks import check_rule_set
from rules.defaults import DEFAULT_RULES
from rules.definitions import (
    BusinessCalendar,
    RefundPolicy,
    RefundRoute,
    RefundTier,
    RiskConditions,
    RiskRule,
    Role,
    SafetyStockRule,
    ShipByPromise,
    SlaPolicy,
    SlaStage,
)
from rules.refunds import approver_role, route_ticket
from rules.sla import OrderClock, deadlines, due_orders, refresh_deadlines, ship_by_due
from rules.stock import stock_breaches
from store.channels import create_channel
from store.models import ROLES, ChannelListing, Inventory, Order, Sku
from store.stages import OPEN_STAGES
from store.transitions import move_order
from tests.factories import T0, add_channel, add_order

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = BusinessCalendar(workdays=(1, 2, 3, 4, 5), holidays=(date(2026, 10, 1),))


def test_roles_match_the_store() -> None:
    assert set(Role.__args__) == set(ROLES)  # type: ignore[attr-defined]


def test_sla_stages_are_the_stores_open_stages() -> None:
    assert SlaStage.__args__ == tuple(stage.value for stage in OPEN_STAGES)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("model", "data", "message"),
    [
        (SlaPolicy, {"name": "x", "stage": "packed", "max_hours": 0}, "greater than 0"),
        (SlaPolicy, {"name": "x", "stage": "packed", "max_hours": -2}, "greater than 0"),
        (SlaPolicy, {"name": "x", "stage": "shipped", "max_hours": 2}, "Input should be"),
        (RiskConditions, {"amount_below": "cheap"}, "valid decimal"),
        (RiskConditions, {"amount_at_least": 300, "amount_below": 100}, "must be below"),
        (RiskConditions, {"payment_method": ["x"]}, "Extra inputs"),
        (ShipByPromise, {"name": "x", "promise_type": "same_day"}, "needs a cutoff"),
        (SafetyStockRule, {"name": "x", "threshold": 3}, "exactly one of sku or category"),
        (RefundPolicy, {"tiers": [{"up_to": 50, "role": "cs_lead"}]}, "last tier"),
    ],
)
def test_bad_definitions_are_refused(model: type, data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        model.model_validate(data)


def test_defaults_pass_their_own_checks() -> None:
    assert check_rule_set(DEFAULT_RULES, set()) == []


def test_a_catch_all_rule_makes_later_rules_unreachable() -> None:
    rules = DEFAULT_RULES.model_copy(
        update={
            "risk_rules": (
                RiskRule(name="all", priority=1, action="hold"),
                *DEFAULT_RULES.risk_rules,
            )
        }
    )
    problems = [p.message for p in check_rule_set(rules, set())]
    assert len(problems) == len(DEFAULT_RULES.risk_rules)
    assert all("rule 'all'" in p for p in problems)


def test_ship_by_hours_after_payment_and_business_hours() -> None:
    paid = datetime(2026, 9, 30, 8, 0, tzinfo=UTC)  # Wed 16:00 in Shanghai
    plain = ShipByPromise(name="p", promise_type="hours_after_payment", hours=24)
    assert ship_by_due(plain, paid, CALENDAR, SHANGHAI) == paid + timedelta(hours=24)
    working = plain.model_copy(update={"hours": 4, "business_hours": True})
    # 2 h left on Wednesday, Thursday 1 Oct is a holiday, 2 h more on Friday from 09:00.
    due = ship_by_due(working, paid, CALENDAR, SHANGHAI)
    assert due.astimezone(SHANGHAI) == datetime(2026, 10, 2, 11, 0, tzinfo=SHANGHAI)


def test_same_day_promise_before_and_after_cutoff() -> None:
    promise = ShipByPromise(name="s", promise_type="same_day", cutoff=time(16, 0))
    morning = datetime(2026, 9, 29, 10, 0, tzinfo=SHANGHAI)  # Tuesday
    evening = datetime(2026, 9, 29, 17, 0, tzinfo=SHANGHAI)
    on_friday = datetime(2026, 10, 2, 17, 0, tzinfo=SHANGHAI)
    local = [
        ship_by_due(promise, t, CALENDAR, SHANGHAI).astimezone(SHANGHAI)
        for t in (morning, evening, on_friday)
    ]
    assert local == [
        datetime(2026, 9, 29, 18, 0, tzinfo=SHANGHAI),
        datetime(2026, 9, 30, 18, 0, tzinfo=SHANGHAI),
        datetime(2026, 10, 5, 18, 0, tzinfo=SHANGHAI),  # Monday: weekend skipped
    ]


def test_the_most_specific_sla_policy_applies() -> None:
    rules = DEFAULT_RULES.model_copy(
        update={
            "sla": (
                *DEFAULT_RULES.sla,
                SlaPolicy(name="hz-pick", stage="awaiting_pick", max_hours=1, warehouse="HZ-02"),
            )
        }
    )
    clock = OrderClock("awaiting_pick", T0, "tmall-main", "HZ-02", T0, None)
    found = deadlines(clock, LoadedRules(rules), SHANGHAI)
    assert [(d.name, d.due_at) for d in found] == [
        ("hz-pick", T0 + timedelta(hours=1)),
        ("default-48h", T0 + timedelta(hours=48)),
    ]


def test_next_deadline_is_kept_and_due_orders_are_found(sessions: sessionmaker[Session]) -> None:
    add_channel(sessions)
    first, second = add_order(sessions, "T1"), add_order(sessions, "T2")
    with sessions.begin() as session:
        move_order(session, order_no=first, to="awaiting_pick", source="rule", at=T0)
        loaded = load_rules(session)
        assert refresh_deadlines(session, loaded, zone=SHANGHAI) == 2
        assert refresh_deadlines(session, loaded, zone=SHANGHAI) == 0
        due = due_orders(session, T0 + timedelta(hours=3))
        move_order(session, order_no=second, to="cancelled", source="console", actor="ann")
        assert refresh_deadlines(session, loaded, zone=SHANGHAI) == 1
        cleared = session.scalar(select(Order.next_deadline_at).where(Order.order_no == second))
    assert [(no, at) for _id, no, at in due] == [(first, T0 + timedelta(hours=2))]
    assert cleared is None


def test_safety_stock_pauses_the_other_channels(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        xhs = create_channel(session, name="xhs-main", platform="xiaohongshu")
        tmall = create_channel(session, name="tmall-main", platform="tmall")
        session.add_all([Sku(code="TEA-1", category="tea"), Sku(code="CUP-1", category="cup")])
        session.flush()
        session.add_all(
            [
                Inventory(sku="TEA-1", warehouse="SH-01", on_hand=4, reserved=1),
                Inventory(sku="CUP-1", warehouse="SH-01", on_hand=40),
                ChannelListing(channel_id=xhs.id, sku="TEA-1", listing_id="x-1"),
                ChannelListing(channel_id=tmall.id, sku="TEA-1", listing_id="t-1"),
            ]
        )
        rules = DEFAULT_RULES.model_copy(
            update={
                "safety_stock": (
                    SafetyStockRule(
                        name="tea", category="tea", threshold=5, keep_channel="tmall-main"
                    ),
                )
            }
        )
        breaches = stock_breaches(session, LoadedRules(rules))
    assert [(b.sku, b.available, b.threshold, b.rule, b.pause) for b in breaches] == [
        ("TEA-1", 3, 5, "tea v0", [("xhs-main", "x-1")])
    ]


def test_refund_approval_tiers_and_routing() -> None:
    policy = RefundPolicy(
        tiers=(RefundTier(up_to=Decimal(50), role="cs_lead"), RefundTier(role="ops_supervisor")),
        routes=(RefundRoute(ticket_kind="reship", queue="warehouse", role="supervisor"),),
    )
    assert approver_role(policy, Decimal("50.00")) == "cs_lead"
    assert approver_role(policy, Decimal("50.01")) == "ops_supervisor"
    routed = route_ticket(
        policy, ticket_kind="refund", category=None, responsibility=None, amount=Decimal(80)
    )
    assert (routed.queue, routed.role) == ("after-sales", "ops_supervisor")
    reship = route_ticket(
        policy, ticket_kind="reship", category="tea", responsibility="carrier", amount=Decimal(8)
    )
    assert (reship.queue, reship.role) == ("warehouse", "supervisor")

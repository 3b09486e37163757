"""The checks across a rule set that the rules editor and ``orderwatch apply`` refuse a change
with: overlapping priorities, whitelists that can never match, an SLA longer than its promise,
a holiday the calendar would not work on anyway; each named where it is, in both languages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from rules.checks import check_rule_set
from rules.defaults import BNPL, DEFAULT_RULES
from rules.definitions import (
    BusinessCalendar,
    RiskConditions,
    RiskRule,
    RiskWhitelist,
    RuleSet,
    ShipByPromise,
    SlaPolicy,
    WhitelistEntry,
)

CHANNELS = {"xhs-main", "tmall-main"}
BNPL_RULE = DEFAULT_RULES.risk_rules[0]


def rules_with(**update: Any) -> RuleSet:
    return DEFAULT_RULES.model_copy(update=update)


def problems(rules: RuleSet) -> list[tuple[str, str]]:
    return [(p.where, p.message) for p in check_rule_set(rules, CHANNELS)]


def with_whitelist(*entries: WhitelistEntry, rule: RiskRule = BNPL_RULE) -> RuleSet:
    edited = rule.model_copy(update={"whitelist": entries})
    return rules_with(risk_rules=(edited, *DEFAULT_RULES.risk_rules[1:]))


def entry(**fields: Any) -> WhitelistEntry:
    data: dict[str, Any] = {"channel": "xhs-main", "payment_method": BNPL, "below": 300}
    return WhitelistEntry.model_validate(data | fields)


def test_the_articles_whitelist_passes() -> None:
    assert problems(with_whitelist(entry())) == []


def test_two_rules_with_one_priority_are_refused_in_both_languages() -> None:
    twin = RiskRule(name="twin", priority=10, action="hold", when=RiskConditions(first_order=True))
    rules = rules_with(risk_rules=(*DEFAULT_RULES.risk_rules, twin))
    [found] = check_rule_set(rules, CHANNELS)
    assert found.where == "risk.rules[4].priority"
    assert "same priority 10 as 'bnpl-high-risk'" in found.message
    assert "优先级同为 10" in found.message_zh


def test_a_whitelist_entry_for_a_payment_the_rule_never_holds_is_refused() -> None:
    [(at, message)] = problems(with_whitelist(entry(payment_method="alipay")))
    assert at == "risk.rules[0].whitelist[0].payment_method"
    assert "can never match: rule 'bnpl-high-risk' only holds orders paid with" in message
    # BNPL on another channel: the rule holds those too, so the entry may match.
    assert problems(with_whitelist(entry(channel="tmall-main"))) == []


def test_entries_outside_the_rules_channels_or_amounts_can_never_match() -> None:
    big = RiskRule(
        name="big-xhs",
        priority=5,
        action="hold",
        when=RiskConditions(channels=("xhs-main",), amount_at_least=Decimal(500)),
    )
    small = big.model_copy(update={"whitelist": (entry(below=500),)})
    elsewhere = big.model_copy(update={"whitelist": (entry(channel="tmall-main"),)})
    cases = ((small, "below", "500 CNY or more"), (elsewhere, "channel", "holds orders of xhs"))
    for rule, field, words in cases:
        [(at, message)] = problems(rules_with(risk_rules=(rule, *DEFAULT_RULES.risk_rules)))
        assert at == f"risk.rules[0].whitelist[0].{field}"
        assert words in message


def test_a_pass_rule_or_a_global_whitelist_leaves_an_entry_nothing_to_do() -> None:
    passing = RiskRule(name="vip", priority=1, action="pass", whitelist=(entry(),))
    global_list = RiskWhitelist(
        name="xhs-all", channel="xhs-main", payment_method=BNPL, below=Decimal(1000)
    )
    found = problems(rules_with(risk_rules=(passing, *DEFAULT_RULES.risk_rules)))
    assert found == [("risk.rules[0].whitelist[0]", found[0][1])]
    assert "passes orders" in found[0][1]
    found = problems(with_whitelist(entry()).model_copy(update={"whitelists": (global_list,)}))
    assert found == [("risk.rules[0].whitelist[0]", found[0][1])]
    assert "whitelist 'xhs-all' already exempts" in found[0][1]


def test_the_same_pair_twice_in_one_whitelist_is_refused() -> None:
    [(at, message)] = problems(with_whitelist(entry(), entry(below=100)))
    assert at == "risk.rules[0].whitelist[1]"
    assert "twice" in message


def test_an_unknown_channel_in_a_whitelist_entry_is_named() -> None:
    [(at, message)] = problems(with_whitelist(entry(channel="jd-main")))
    assert at == "risk.rules[0].whitelist[0].channel"
    assert "unknown channel 'jd-main'" in message


def test_a_rule_with_a_whitelist_does_not_make_later_rules_unreachable() -> None:
    catch_all = RiskRule(name="all", priority=1, action="hold")
    spared = catch_all.model_copy(update={"whitelist": (entry(),)})
    narrower = RiskRule(
        name="xhs-bnpl",
        priority=2,
        action="hold",
        when=RiskConditions(channels=("xhs-main",), payment_methods=(BNPL,)),
    )
    assert problems(rules_with(risk_rules=(catch_all, narrower)))[0][0] == "risk.rules[1]"
    assert problems(rules_with(risk_rules=(spared, narrower))) == []


def test_an_sla_longer_than_the_promise_it_serves_is_refused() -> None:
    slow = SlaPolicy(name="slow-pick", stage="awaiting_pick", max_hours=60)
    rules = rules_with(sla=(*DEFAULT_RULES.sla[:1], slow, *DEFAULT_RULES.sla[2:]))
    [(at, message)] = problems(rules)
    assert at == "sla.stages[1].max_hours"
    assert "longer than the ship-by promise 'default-48h' (48 h after payment)" in message


def test_the_sla_is_measured_against_the_promises_of_the_orders_it_watches() -> None:
    quick = ShipByPromise(
        name="xhs-24h", channel="xhs-main", promise_type="hours_after_payment", hours=24
    )
    packed = SlaPolicy(name="packed-30h", stage="packed", max_hours=30)
    own = SlaPolicy(name="xhs-packed", stage="packed", max_hours=12, channel="xhs-main")
    base = [p for p in DEFAULT_RULES.sla if p.stage != "packed"]
    watched = rules_with(ship_by=(*DEFAULT_RULES.ship_by, quick), sla=(*base, packed))
    assert [at for at, _ in problems(watched)] == [f"sla.stages[{len(base)}].max_hours"]
    # With a policy of its own, xhs-main's orders are not watched by the 30-hour one.
    scoped = watched.model_copy(update={"sla": (*base, packed, own)})
    assert problems(scoped) == []
    # Working-hour promises stretch over nights: no wall-clock comparison.
    working = quick.model_copy(update={"business_hours": True})
    assert problems(watched.model_copy(update={"ship_by": (*DEFAULT_RULES.ship_by, working)})) == []


def test_a_holiday_on_a_day_off_or_twice_is_refused() -> None:
    calendar = BusinessCalendar(
        workdays=(1, 2, 3, 4, 5),
        holidays=(date(2026, 10, 1), date(2026, 10, 4), date(2026, 10, 1)),
    )
    found = check_rule_set(rules_with(calendar=calendar), CHANNELS)
    assert [(p.where, p.message) for p in found] == [
        (
            "sla.calendar.holidays[1]",
            "holiday 2026-10-04 is a Sunday, which is not a workday of the calendar: as a "
            "holiday it changes nothing",
        ),
        ("sla.calendar.holidays[2]", "holiday 2026-10-01 is listed twice"),
    ]
    zh = "假日 2026-10-04 是周日，本来就不是日历中的工作日，设为假日不起作用"
    assert found[0].message_zh == zh

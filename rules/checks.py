"""The checks that span a whole rule set: what no single rule model can see.

``check_rule_set`` refuses unknown channels, names used twice, two risk rules with the same
priority (which runs first would be unclear), whitelists that overlap or can never match,
rules that can never match because an earlier rule or a whitelist takes every order they
would, SLA policies longer than the ship-by promise they serve, and holidays the business
calendar would not work on anyway. Each problem says where it is in the configuration file's
terms (``risk.rules[2].whitelist[0].payment_method``) and what is wrong, in English and
Chinese: the command line prints the one, the console shows either next to the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from rules.definitions import (
    RiskConditions,
    RiskRule,
    RiskWhitelist,
    RuleSet,
    ShipByPromise,
    SlaPolicy,
    WhitelistEntry,
)

WEEKDAYS = (
    ("Monday", "周一"),
    ("Tuesday", "周二"),
    ("Wednesday", "周三"),
    ("Thursday", "周四"),
    ("Friday", "周五"),
    ("Saturday", "周六"),
    ("Sunday", "周日"),
)


class RuleProblem(ValueError):
    """One reason a rule set cannot be saved, with where it is (``risk.rules[2].priority``)."""

    def __init__(self, where: str, message: str, zh: str | None = None) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message
        self.message_zh = zh or message


def check_rule_set(rules: RuleSet, known_channels: set[str]) -> list[RuleProblem]:
    """Every cross-rule problem of ``rules``; an empty list means it may be saved."""
    return [
        *_unique_names(rules),
        *_unknown_channels(rules, known_channels),
        *_priority_clashes(rules),
        *_overlapping_whitelists(rules),
        *_rule_whitelists(rules),
        *_unreachable_rules(rules),
        *_sla_clashes(rules),
        *_sla_longer_than_promise(rules),
        *_holidays_off_calendar(rules),
    ]


def _unique_names(rules: RuleSet) -> list[RuleProblem]:
    problems = []
    groups: dict[str, tuple[tuple[str, ...], str, str]] = {
        "risk.rules": (tuple(r.name for r in rules.risk_rules), "rule", "风控规则"),
        "risk.whitelists": (tuple(w.name for w in rules.whitelists), "whitelist", "白名单"),
        "sla.stages": (tuple(p.name for p in rules.sla), "SLA policy", "SLA 规则"),
        "sla.ship_by": (tuple(p.name for p in rules.ship_by), "ship-by promise", "发货承诺"),
        "safety_stock": (
            tuple(s.name for s in rules.safety_stock),
            "safety stock rule",
            "安全库存规则",
        ),
    }
    for where, (names, what, what_zh) in groups.items():
        for index, name in enumerate(names):
            if name in names[:index]:
                problems.append(
                    RuleProblem(
                        f"{where}[{index}].name",
                        f"{what} {name!r} twice",
                        f"{what_zh}名称 {name!r} 重复",
                    )
                )
    return problems


def _channel_refs(rules: RuleSet) -> Iterator[tuple[str, str]]:
    """Every channel a rule names, with where it names it."""
    for i, rule in enumerate(rules.risk_rules):
        yield from ((f"risk.rules[{i}].when.channels", c) for c in rule.when.channels or ())
        for j, entry in enumerate(rule.whitelist):
            yield f"risk.rules[{i}].whitelist[{j}].channel", entry.channel
    for i, whitelist in enumerate(rules.whitelists):
        yield f"risk.whitelists[{i}].channel", whitelist.channel
    for i, policy in enumerate(rules.sla):
        if policy.channel:
            yield f"sla.stages[{i}].channel", policy.channel
    yield from (
        (f"sla.ship_by[{i}].channel", p.channel) for i, p in enumerate(rules.ship_by) if p.channel
    )
    yield from (
        (f"safety_stock[{i}].keep_channel", s.keep_channel)
        for i, s in enumerate(rules.safety_stock)
        if s.keep_channel
    )


def _unknown_channels(rules: RuleSet, known: set[str]) -> list[RuleProblem]:
    names = ", ".join(sorted(known)) or "none"
    return [
        RuleProblem(
            where,
            f"unknown channel {channel!r}; known channels: {names}",
            f"没有渠道 {channel!r}；已有渠道：{', '.join(sorted(known)) or '无'}",
        )
        for where, channel in _channel_refs(rules)
        if channel not in known
    ]


def _priority_clashes(rules: RuleSet) -> list[RuleProblem]:
    seen: dict[int, str] = {}
    problems = []
    for index, rule in enumerate(rules.risk_rules):
        if rule.priority in seen:
            other = seen[rule.priority]
            problems.append(
                RuleProblem(
                    f"risk.rules[{index}].priority",
                    f"rule {rule.name!r} has the same priority {rule.priority} as "
                    f"{other!r}; which one runs first would be unclear",
                    f"规则 {rule.name!r} 与 {other!r} 的优先级同为 {rule.priority}，"
                    "无法确定谁先执行",
                )
            )
        seen.setdefault(rule.priority, rule.name)
    return problems


def _overlapping_whitelists(rules: RuleSet) -> list[RuleProblem]:
    seen: dict[tuple[str, str], str] = {}
    problems = []
    for index, item in enumerate(rules.whitelists):
        key = (item.channel, item.payment_method)
        if key in seen:
            problems.append(
                RuleProblem(
                    f"risk.whitelists[{index}]",
                    f"whitelist {item.name!r} overlaps {seen[key]!r}: both exempt "
                    f"{item.channel} + {item.payment_method}",
                    f"白名单 {item.name!r} 与 {seen[key]!r} 重叠：都豁免 "
                    f"{item.channel} + {item.payment_method}",
                )
            )
        seen.setdefault(key, item.name)
    return problems


def _rule_whitelists(rules: RuleSet) -> list[RuleProblem]:
    """A rule's whitelist entries that overlap one another or can never match an order the
    rule would hold."""
    problems = []
    for i, rule in enumerate(rules.risk_rules):
        seen: set[tuple[str, str]] = set()
        for j, entry in enumerate(rule.whitelist):
            where = f"risk.rules[{i}].whitelist[{j}]"
            key = (entry.channel, entry.payment_method)
            if key in seen:
                problems.append(
                    RuleProblem(
                        where,
                        f"rule {rule.name!r} lists {entry.channel} + {entry.payment_method} "
                        "in its whitelist twice",
                        f"规则 {rule.name!r} 的白名单中 {entry.channel} + "
                        f"{entry.payment_method} 出现了两次",
                    )
                )
            elif found := _never_matches(rule, entry, rules.whitelists):
                field, message, zh = found
                problems.append(RuleProblem(f"{where}{field}", message, zh))
            seen.add(key)
    return problems


def _never_matches(
    rule: RiskRule, entry: WhitelistEntry, whitelists: tuple[RiskWhitelist, ...]
) -> tuple[str, str, str] | None:
    """Why ``entry`` can never exempt an order from ``rule`` (the field it is about, then
    English and Chinese), or None when it can."""
    name, when = rule.name, rule.when
    never = f"can never match: rule {name!r}"
    never_zh = f"这条白名单永远不会生效：规则 {name!r}"
    if rule.action == "pass":
        return (
            "",
            f"{never} passes orders; a whitelist exempts orders only from a rule that holds them",
            f"{never_zh} 本身就是放行规则，白名单只对拦截规则有意义",
        )
    if when.channels is not None and entry.channel not in when.channels:
        channels = ", ".join(when.channels)
        return (
            ".channel",
            f"{never} only holds orders of {channels}, not of {entry.channel}",
            f"{never_zh} 只拦截 {channels} 的订单，不拦截 {entry.channel} 的订单",
        )
    if when.payment_methods is not None and entry.payment_method not in when.payment_methods:
        methods = ", ".join(when.payment_methods)
        return (
            ".payment_method",
            f"{never} only holds orders paid with {methods}, not with {entry.payment_method}",
            f"{never_zh} 只拦截支付方式为 {methods} 的订单，不拦截 {entry.payment_method}",
        )
    if when.amount_at_least is not None and entry.below <= when.amount_at_least:
        low = when.amount_at_least
        return (
            ".below",
            f"{never} only holds orders of {low} CNY or more, and this entry exempts orders "
            f"below {entry.below}",
            f"{never_zh} 只拦截 {low} 元及以上的订单，"
            f"而这条白名单只豁免低于 {entry.below} 元的订单",
        )
    wider = next(
        (
            w
            for w in whitelists
            if (w.channel, w.payment_method) == (entry.channel, entry.payment_method)
            and w.below >= entry.below
        ),
        None,
    )
    if wider is not None:
        return (
            "",
            f"can never match: whitelist {wider.name!r} already exempts these orders from "
            "every rule",
            f"这条白名单永远不会生效：全局白名单 {wider.name!r} 已让这些订单免于所有风控规则",
        )
    return None


def _unreachable_rules(rules: RuleSet) -> list[RuleProblem]:
    problems = []
    ordered = rules.ordered_risk_rules
    index_of = {rule.name: i for i, rule in enumerate(rules.risk_rules)}
    for position, rule in enumerate(ordered):
        where = f"risk.rules[{index_of[rule.name]}]"
        earlier = next((e for e in ordered[:position] if takes_all(e, rule.when)), None)
        if earlier is not None:
            problems.append(
                RuleProblem(
                    where,
                    f"rule {rule.name!r} can never match: rule {earlier.name!r} (priority "
                    f"{earlier.priority}) runs first and takes every order it would match",
                    f"规则 {rule.name!r} 永远不会命中：规则 {earlier.name!r}（优先级 "
                    f"{earlier.priority}）先执行，会拿走它能命中的所有订单",
                )
            )
        elif rule.action == "hold" and (names := _whitelisted(rule.when, rules.whitelists)):
            listed = ", ".join(names)
            problems.append(
                RuleProblem(
                    where,
                    f"rule {rule.name!r} can never match: whitelist {listed} "
                    "exempts every order it would hold",
                    f"规则 {rule.name!r} 永远不会命中：白名单 {listed} 豁免了它会拦截的所有订单",
                )
            )
    return problems


def takes_all(earlier: RiskRule, when: RiskConditions) -> bool:
    """Whether ``earlier`` decides every order ``when`` matches: its conditions cover them and
    its whitelist lets none of them through."""
    return covers(earlier.when, when) and not any(
        _entry_meets(entry, when) for entry in earlier.whitelist
    )


def _entry_meets(entry: WhitelistEntry, when: RiskConditions) -> bool:
    """Whether some order matching ``when`` is in the whitelist entry."""
    return (
        (when.channels is None or entry.channel in when.channels)
        and (when.payment_methods is None or entry.payment_method in when.payment_methods)
        and (when.amount_at_least is None or when.amount_at_least < entry.below)
    )


def _whitelisted(when: RiskConditions, whitelists: tuple[RiskWhitelist, ...]) -> list[str]:
    """The whitelists that together exempt every order ``when`` matches, or []."""
    if not when.channels or not when.payment_methods or when.amount_below is None:
        return []
    used = []
    for channel in when.channels:
        for method in when.payment_methods:
            match = next(
                (w for w in whitelists if (w.channel, w.payment_method) == (channel, method)), None
            )
            if match is None or match.below < when.amount_below:
                return []
            used.append(match.name)
    return sorted(set(used))


def covers(a: RiskConditions, b: RiskConditions) -> bool:
    """Whether every order matching ``b`` also matches ``a``."""
    return (
        _subset(a.channels, b.channels)
        and _subset(a.payment_methods, b.payment_methods)
        and _subset(a.sku_categories, b.sku_categories)
        and _lower_covers(a.amount_at_least, b.amount_at_least)
        and _lower_covers(a.past_refusals_at_least, b.past_refusals_at_least)
        and _upper_covers(a.amount_below, b.amount_below)
        and _upper_covers(a.address_shorter_than, b.address_shorter_than)
        and _same(a.first_order, b.first_order)
        and _same(a.address_missing_district, b.address_missing_district)
    )


def _subset(a: tuple[str, ...] | None, b: tuple[str, ...] | None) -> bool:
    return a is None or (b is not None and set(b) <= set(a))


def _lower_covers(a: Decimal | int | None, b: Decimal | int | None) -> bool:
    """Lower bound ``a`` (≥) lets through everything lower bound ``b`` does."""
    return a is None or (b is not None and a <= b)


def _upper_covers(a: Decimal | int | None, b: Decimal | int | None) -> bool:
    """Upper bound ``a`` (<) lets through everything upper bound ``b`` does."""
    return a is None or (b is not None and b <= a)


def _same(a: bool | None, b: bool | None) -> bool:
    return a is None or a == b


def _sla_clashes(rules: RuleSet) -> list[RuleProblem]:
    seen: dict[tuple[str, str | None, str | None, str | None], str] = {}
    problems = []
    for index, policy in enumerate(rules.sla):
        key = (policy.stage, policy.channel, policy.warehouse, policy.promise_type)
        if key in seen:
            problems.append(
                RuleProblem(
                    f"sla.stages[{index}]",
                    f"SLA policy {policy.name!r} has the same stage and scope as {seen[key]!r}",
                    f"SLA 规则 {policy.name!r} 与 {seen[key]!r} 的环节和范围相同",
                )
            )
        seen.setdefault(key, policy.name)
    defaults = [p for p in rules.ship_by if p.channel is None]
    if len(defaults) > 1:
        problems.append(
            RuleProblem(
                "sla.ship_by",
                "more than one ship-by promise has no channel",
                "有不止一条发货承诺没有指定渠道",
            )
        )
    per_channel = [p.channel for p in rules.ship_by if p.channel is not None]
    for channel in sorted({c for c in per_channel if per_channel.count(c) > 1}):
        problems.append(
            RuleProblem(
                "sla.ship_by",
                f"channel {channel!r} has two promises",
                f"渠道 {channel!r} 有两条发货承诺",
            )
        )
    return problems


def _sla_longer_than_promise(rules: RuleSet) -> list[RuleProblem]:
    """A stage SLA that allows more hours than the ship-by promise of an order it watches: the
    promise to the buyer is broken before the SLA notices anything."""
    problems = []
    for index, policy in enumerate(rules.sla):
        shorter = [
            p
            for p in _promises_watched(policy, rules)
            if p.promise_type == "hours_after_payment"
            and p.hours is not None
            # Working hours stretch over nights and holidays: no wall-clock bound to compare.
            and not p.business_hours
            and policy.max_hours > p.hours
        ]
        if not shorter:
            continue
        promise = min(shorter, key=lambda p: p.hours or 0)
        hours = f"{policy.max_hours:g}"
        promised = f"{promise.hours:g}"
        problems.append(
            RuleProblem(
                f"sla.stages[{index}].max_hours",
                f"SLA policy {policy.name!r} allows {hours} h in {policy.stage}, longer than "
                f"the ship-by promise {promise.name!r} ({promised} h after payment): the "
                "promise would be broken before the SLA noticed",
                f"SLA 规则 {policy.name!r} 允许在该环节停留 {hours} 小时，比发货承诺 "
                f"{promise.name!r}（付款后 {promised} 小时）还长：承诺已被打破，SLA 还没发现",
            )
        )
    return problems


def _promises_watched(policy: SlaPolicy, rules: RuleSet) -> list[ShipByPromise]:
    """The ship-by promises of the orders ``policy`` applies to."""
    if policy.channel is not None:
        own = next((p for p in rules.ship_by if p.channel == policy.channel), None)
        found = [own] if own else [p for p in rules.ship_by if p.channel is None]
    else:
        # A channel with a policy of its own for the stage is watched by that one instead.
        scoped = {p.channel for p in rules.sla if p.stage == policy.stage and p.channel}
        found = [p for p in rules.ship_by if p.channel is None or p.channel not in scoped]
    return [p for p in found if policy.promise_type in (None, p.promise_type)]


def _holidays_off_calendar(rules: RuleSet) -> list[RuleProblem]:
    """Holidays on days the calendar does not work anyway (a typo for another date, most
    likely), and holidays listed twice."""
    calendar = rules.calendar
    problems = []
    for index, day in enumerate(calendar.holidays):
        where = f"sla.calendar.holidays[{index}]"
        en, zh = WEEKDAYS[day.isoweekday() - 1]
        if day in calendar.holidays[:index]:
            problems.append(
                RuleProblem(where, f"holiday {day} is listed twice", f"假日 {day} 重复")
            )
        elif day.isoweekday() not in calendar.workdays:
            problems.append(
                RuleProblem(
                    where,
                    f"holiday {day} is a {en}, which is not a workday of the calendar: as a "
                    "holiday it changes nothing",
                    f"假日 {day} 是{zh}，本来就不是日历中的工作日，设为假日不起作用",
                )
            )
    return problems

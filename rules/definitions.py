"""Typed rule definitions, one pydantic model per kind, and the checks that span a whole set.

Every model forbids unknown fields, so a misspelt condition is refused with its name instead of
being silently ignored. ``check_rule_set`` then refuses what single models cannot see: unknown
channels, two rules with the same priority, whitelists that overlap, and rules that can never
match because an earlier rule or a whitelist takes every order they would.
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Amount = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
Role = Literal["viewer", "supervisor", "cs_lead", "ops_supervisor", "admin"]

# The store's open stages (``store.stages.OPEN_STAGES``), which a stage SLA can bound; spelled
# out for the type checker, and checked against the store by tests/rules/test_kinds.py.
SlaStage = Literal["pending_review", "paid", "awaiting_pick", "picked", "packed", "on_hold"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RiskConditions(_Strict):
    """What an order must look like for a risk rule to match; every given condition must hold."""

    channels: tuple[Name, ...] | None = None
    payment_methods: tuple[Annotated[str, Field(min_length=1, max_length=32)], ...] | None = None
    amount_at_least: Amount | None = None
    amount_below: Amount | None = None
    first_order: bool | None = None
    """The buyer (by phone) has no earlier order in the store."""
    past_refusals_at_least: Annotated[int, Field(ge=1)] | None = None
    """Earlier orders of the buyer held as customer refused (客户拒收)."""
    address_missing_district: bool | None = None
    """The address names no district or county (区/县/旗/镇)."""
    address_shorter_than: Annotated[int, Field(gt=0, le=200)] | None = None
    sku_categories: tuple[Annotated[str, Field(min_length=1, max_length=64)], ...] | None = None
    """Any line's SKU is in one of these categories."""

    @model_validator(mode="after")
    def _amount_range(self) -> RiskConditions:
        low, high = self.amount_at_least, self.amount_below
        if low is not None and high is not None and low >= high:
            raise ValueError(f"amount_at_least {low} must be below amount_below {high}")
        return self


class RiskRule(_Strict):
    """A risk review rule (风控规则); the first matching rule by priority decides."""

    name: Name
    priority: Annotated[int, Field(ge=0, le=1_000_000)]
    """Lower runs first."""
    action: Literal["hold", "pass"]
    when: RiskConditions = RiskConditions()
    description: str | None = None


class RiskWhitelist(_Strict):
    """Exempts a channel + payment method below an amount from every risk rule (白名单)."""

    name: Name
    channel: Name
    payment_method: Annotated[str, Field(min_length=1, max_length=32)]
    below: Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]
    """Orders with a smaller amount pass; at or above it they go through the rules."""
    description: str | None = None


class SlaPolicy(_Strict):
    """The longest an order may stay in one stage; the most specific matching scope applies."""

    name: Name
    stage: SlaStage
    max_hours: Annotated[float, Field(gt=0, le=24 * 90)]
    channel: Name | None = None
    warehouse: Annotated[str, Field(min_length=1, max_length=32)] | None = None
    promise_type: Literal["hours_after_payment", "same_day"] | None = None
    """Applies only to orders whose channel promises this kind of ship-by."""

    @property
    def specificity(self) -> int:
        return sum(x is not None for x in (self.channel, self.warehouse, self.promise_type))


class ShipByPromise(_Strict):
    """When a channel promises the order leaves the warehouse (最晚发货时间)."""

    name: Name
    channel: Name | None = None
    """None: every channel without a promise of its own."""
    promise_type: Literal["hours_after_payment", "same_day"]
    hours: Annotated[float, Field(gt=0, le=24 * 30)] | None = None
    cutoff: time | None = None
    """Same-day promises: paid before this local time ships that (business) day."""
    business_hours: bool = False
    """Count only the calendar's working hours, skipping holidays."""

    @model_validator(mode="after")
    def _complete(self) -> ShipByPromise:
        if self.promise_type == "hours_after_payment" and self.hours is None:
            raise ValueError("an hours_after_payment promise needs hours")
        if self.promise_type == "same_day" and self.cutoff is None:
            raise ValueError("a same_day promise needs a cutoff time, e.g. 16:00")
        return self


class BusinessCalendar(_Strict):
    """Working hours and holidays in the configured business time zone."""

    work_start: time = time(9, 0)
    work_end: time = time(18, 0)
    workdays: tuple[Annotated[int, Field(ge=1, le=7)], ...] = (1, 2, 3, 4, 5, 6, 7)
    """ISO weekdays (1 = Monday)."""
    holidays: tuple[date, ...] = ()

    @model_validator(mode="after")
    def _sane(self) -> BusinessCalendar:
        if self.work_start >= self.work_end:
            raise ValueError("work_start must be before work_end")
        if not self.workdays:
            raise ValueError("workdays must name at least one weekday")
        return self


class SafetyStockRule(_Strict):
    """Below ``threshold`` available units, pause the SKU's listings on the other channels."""

    name: Name
    sku: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    category: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    threshold: Annotated[int, Field(ge=0)]
    keep_channel: Name | None = None
    """The channel whose listing stays on sale; every other channel's listing is paused."""
    alert: bool = True

    @model_validator(mode="after")
    def _one_target(self) -> SafetyStockRule:
        if (self.sku is None) == (self.category is None):
            raise ValueError("give exactly one of sku or category")
        return self


class RefundTier(_Strict):
    up_to: Amount | None = None
    """Inclusive upper amount; None for the last tier (everything above)."""
    role: Role
    sla_hours: Annotated[float, Field(gt=0, le=24 * 90)] | None = None
    """How long an open after-sales ticket of this tier may wait for its decision before the
    alerts tell someone (``after_sales_sla``); None: no limit."""


class RefundRoute(_Strict):
    """Where a ticket goes: the first route whose given fields all match."""

    ticket_kind: Literal["refund", "return", "exchange", "reship"] | None = None
    category: str | None = None
    responsibility: Annotated[str, Field(max_length=32)] | None = None
    queue: Annotated[str, Field(min_length=1, max_length=64)]
    role: Role


class RefundPolicy(_Strict):
    """Amount-tiered refund approval (退款审批) and ticket routing."""

    tiers: tuple[RefundTier, ...] = (
        RefundTier(up_to=Decimal("50"), role="cs_lead"),
        RefundTier(role="ops_supervisor"),
    )
    routes: tuple[RefundRoute, ...] = ()
    default_queue: Annotated[str, Field(min_length=1, max_length=64)] = "after-sales"

    @model_validator(mode="after")
    def _ascending(self) -> RefundPolicy:
        limits = [t.up_to for t in self.tiers]
        if not limits or limits[-1] is not None:
            raise ValueError("the last tier must have no up_to (it takes every larger amount)")
        bounded = [x for x in limits[:-1] if x is not None]
        if len(bounded) != len(limits) - 1 or bounded != sorted(set(bounded)):
            raise ValueError("tiers must have strictly increasing up_to amounts")
        return self


class RuleSet(_Strict):
    """Every rule orderwatch applies, as one value that can be checked, compared and saved."""

    risk_rules: tuple[RiskRule, ...] = ()
    whitelists: tuple[RiskWhitelist, ...] = ()
    sla: tuple[SlaPolicy, ...] = ()
    ship_by: tuple[ShipByPromise, ...] = ()
    calendar: BusinessCalendar = BusinessCalendar()
    safety_stock: tuple[SafetyStockRule, ...] = ()
    refund: RefundPolicy = RefundPolicy()

    @property
    def ordered_risk_rules(self) -> tuple[RiskRule, ...]:
        return tuple(sorted(self.risk_rules, key=lambda r: r.priority))


class RuleProblem(ValueError):
    """One reason a rule set cannot be saved, with where it is (``risk.rules[2].priority``)."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


def check_rule_set(rules: RuleSet, known_channels: set[str]) -> list[RuleProblem]:
    """Every cross-rule problem of ``rules``; an empty list means it may be saved."""
    return [
        *_unique_names(rules),
        *_unknown_channels(rules, known_channels),
        *_priority_clashes(rules),
        *_overlapping_whitelists(rules),
        *_unreachable_rules(rules),
        *_sla_clashes(rules),
    ]


def _unique_names(rules: RuleSet) -> list[RuleProblem]:
    problems = []
    groups: dict[str, tuple[tuple[str, ...], str]] = {
        "risk.rules": (tuple(r.name for r in rules.risk_rules), "rule"),
        "risk.whitelists": (tuple(w.name for w in rules.whitelists), "whitelist"),
        "sla.stages": (tuple(p.name for p in rules.sla), "SLA policy"),
        "sla.ship_by": (tuple(p.name for p in rules.ship_by), "ship-by promise"),
        "safety_stock": (tuple(s.name for s in rules.safety_stock), "safety stock rule"),
    }
    for where, (names, what) in groups.items():
        for index, name in enumerate(names):
            if name in names[:index]:
                problems.append(RuleProblem(f"{where}[{index}].name", f"{what} {name!r} twice"))
    return problems


def _unknown_channels(rules: RuleSet, known: set[str]) -> list[RuleProblem]:
    refs: list[tuple[str, str]] = []
    for i, rule in enumerate(rules.risk_rules):
        refs += [(f"risk.rules[{i}].when.channels", c) for c in rule.when.channels or ()]
    refs += [(f"risk.whitelists[{i}].channel", w.channel) for i, w in enumerate(rules.whitelists)]
    refs += [(f"sla.stages[{i}].channel", p.channel) for i, p in enumerate(rules.sla) if p.channel]
    refs += [
        (f"sla.ship_by[{i}].channel", p.channel) for i, p in enumerate(rules.ship_by) if p.channel
    ]
    refs += [
        (f"safety_stock[{i}].keep_channel", s.keep_channel)
        for i, s in enumerate(rules.safety_stock)
        if s.keep_channel
    ]
    names = ", ".join(sorted(known)) or "none"
    return [
        RuleProblem(where, f"unknown channel {channel!r}; known channels: {names}")
        for where, channel in refs
        if channel not in known
    ]


def _priority_clashes(rules: RuleSet) -> list[RuleProblem]:
    seen: dict[int, str] = {}
    problems = []
    for index, rule in enumerate(rules.risk_rules):
        if rule.priority in seen:
            problems.append(
                RuleProblem(
                    f"risk.rules[{index}].priority",
                    f"rule {rule.name!r} has the same priority {rule.priority} as "
                    f"{seen[rule.priority]!r}; which one runs first would be unclear",
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
                )
            )
        seen.setdefault(key, item.name)
    return problems


def _unreachable_rules(rules: RuleSet) -> list[RuleProblem]:
    problems = []
    ordered = rules.ordered_risk_rules
    index_of = {rule.name: i for i, rule in enumerate(rules.risk_rules)}
    for position, rule in enumerate(ordered):
        where = f"risk.rules[{index_of[rule.name]}]"
        earlier = next((e for e in ordered[:position] if covers(e.when, rule.when)), None)
        if earlier is not None:
            problems.append(
                RuleProblem(
                    where,
                    f"rule {rule.name!r} can never match: rule {earlier.name!r} (priority "
                    f"{earlier.priority}) runs first and takes every order it would match",
                )
            )
        elif rule.action == "hold" and (names := _whitelisted(rule.when, rules.whitelists)):
            problems.append(
                RuleProblem(
                    where,
                    f"rule {rule.name!r} can never match: whitelist {', '.join(names)} "
                    "exempts every order it would hold",
                )
            )
    return problems


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
                )
            )
        seen.setdefault(key, policy.name)
    defaults = [p for p in rules.ship_by if p.channel is None]
    if len(defaults) > 1:
        problems.append(RuleProblem("sla.ship_by", "more than one ship-by promise has no channel"))
    per_channel = [p.channel for p in rules.ship_by if p.channel is not None]
    for channel in sorted({c for c in per_channel if per_channel.count(c) > 1}):
        problems.append(RuleProblem("sla.ship_by", f"channel {channel!r} has two promises"))
    return problems

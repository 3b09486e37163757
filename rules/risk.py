"""Risk review (风控审核) in Python: one order's facts in, the deciding rule version out.

Whitelists are checked first (an exempt order passes), then the rules by priority; the first
rule whose conditions all hold decides, and an order no rule matches passes. An order a rule's
own whitelist lets through goes on to the later rules; when none of them decides, it passes
on that rule's whitelist (the verdict names the rule version and the entry). Rules are compiled
once into small predicates so that one evaluation is a handful of comparisons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from rules.catalog import LoadedRules
from rules.definitions import RiskConditions, RiskRule, RiskWhitelist, WhitelistEntry
from store.models.rules import ADDRESS_DISTRICT_MARKS


@dataclass(frozen=True, slots=True)
class RiskFacts:
    """What risk review looks at for one order."""

    channel: str
    payment_method: str | None
    amount: Decimal
    address: str | None = None
    first_order: bool = True
    past_refusals: int = 0
    sku_categories: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RiskVerdict:
    """The decision and the rule version behind it, with the conditions that matched."""

    action: str
    """``hold`` or ``pass``."""
    kind: str | None = None
    """``risk`` (a rule), ``risk_whitelist``, or None when no rule matched."""
    name: str | None = None
    version: int | None = None
    matched: tuple[str, ...] = ()
    exempt: bool = False
    """Passed by the whitelist of the rule it names (not kept in the decision row: its
    ``matched`` says so in words)."""

    @property
    def hold(self) -> bool:
        return self.action == "hold"

    @property
    def label(self) -> str:
        if self.name is None:
            return "no risk rule matched"
        what = "whitelist" if self.kind == "risk_whitelist" else "risk rule"
        return f"{what} {self.name} v{self.version}" + (" (whitelist)" if self.exempt else "")

    def note(self) -> str:
        """The stage event note: rule name and version and why, e.g. for a hold."""
        reasons = "; ".join(self.matched)
        return f"{self.label}: {reasons}" if reasons else self.label


NO_MATCH = RiskVerdict(action="pass")


def missing_district(address: str | None) -> bool:
    if not address:
        return True
    return not any(mark in address for mark in ADDRESS_DISTRICT_MARKS) and address.count("市") < 2


Predicate = Callable[[RiskFacts], bool]
Exemptions = dict[tuple[str, str], tuple[Decimal, RiskVerdict]]
"""A rule's whitelist by (channel, payment method): the amount below which an order is exempt,
and the verdict it then passes with."""


class RiskEvaluator:
    """Evaluates the risk rules of a loaded rule set against many orders."""

    def __init__(self, loaded: LoadedRules) -> None:
        self._whitelists = {
            (w.channel, w.payment_method): (w.below, whitelist_verdict(w, loaded))
            for w in loaded.rules.whitelists
        }
        self._rules = [
            (_predicates(rule.when), rule_verdict(rule, loaded), _exemptions(rule, loaded))
            for rule in loaded.rules.ordered_risk_rules
        ]

    def __call__(self, facts: RiskFacts) -> RiskVerdict:
        key = (facts.channel, facts.payment_method or "")
        exempt = self._whitelists.get(key)
        if exempt is not None and facts.amount < exempt[0]:
            return exempt[1]
        spared_by: RiskVerdict | None = None
        for predicates, verdict, exemptions in self._rules:
            for predicate in predicates:
                if not predicate(facts):
                    break
            else:
                spared = exemptions.get(key) if exemptions else None
                if spared is None or facts.amount >= spared[0]:
                    return verdict
                spared_by = spared_by or spared[1]
        return spared_by or NO_MATCH


def _exemptions(rule: RiskRule, loaded: LoadedRules) -> Exemptions:
    found: Exemptions = {}
    for entry in rule.whitelist:  # the first entry of a pair decides, as in SQL
        verdict = exempt_verdict(rule, entry, loaded)
        found.setdefault((entry.channel, entry.payment_method), (entry.below, verdict))
    return found


def whitelist_verdict(item: RiskWhitelist, loaded: LoadedRules) -> RiskVerdict:
    return RiskVerdict(
        action="pass",
        kind="risk_whitelist",
        name=item.name,
        version=loaded.version("risk_whitelist", item.name),
        matched=(
            f"channel = {item.channel}",
            f"payment_method = {item.payment_method}",
            f"amount < {item.below}",
        ),
    )


def rule_verdict(rule: RiskRule, loaded: LoadedRules) -> RiskVerdict:
    return RiskVerdict(
        action=rule.action,
        kind="risk",
        name=rule.name,
        version=loaded.version("risk", rule.name),
        matched=describe_conditions(rule.when),
    )


def exempt_verdict(rule: RiskRule, entry: WhitelistEntry, loaded: LoadedRules) -> RiskVerdict:
    """An order the rule would hold but its whitelist entry lets through."""
    return RiskVerdict(
        action="pass",
        kind="risk",
        name=rule.name,
        version=loaded.version("risk", rule.name),
        matched=(*describe_conditions(rule.when), describe_entry(entry)),
        exempt=True,
    )


def describe_entry(entry: WhitelistEntry) -> str:
    return (
        f"whitelist: channel = {entry.channel}, payment_method = {entry.payment_method}, "
        f"amount < {entry.below}"
    )


def _predicates(when: RiskConditions) -> list[Predicate]:
    checks: list[Predicate] = []
    if when.channels is not None:
        channels = frozenset(when.channels)
        checks.append(lambda f: f.channel in channels)
    if when.payment_methods is not None:
        methods = frozenset(when.payment_methods)
        checks.append(lambda f: f.payment_method in methods)
    if (low := when.amount_at_least) is not None:
        checks.append(lambda f: f.amount >= low)
    if (high := when.amount_below) is not None:
        checks.append(lambda f: f.amount < high)
    if (first := when.first_order) is not None:
        checks.append(lambda f: f.first_order is first)
    if (refusals := when.past_refusals_at_least) is not None:
        checks.append(lambda f: f.past_refusals >= refusals)
    if (district := when.address_missing_district) is not None:
        checks.append(lambda f: missing_district(f.address) is district)
    if (shortest := when.address_shorter_than) is not None:
        checks.append(lambda f: len(f.address or "") < shortest)
    if when.sku_categories is not None:
        categories = frozenset(when.sku_categories)
        checks.append(lambda f: not categories.isdisjoint(f.sku_categories))
    return checks


def describe_conditions(when: RiskConditions) -> tuple[str, ...]:
    """The conditions as people read them, in the order the fields are declared."""
    parts: list[str] = []
    if when.channels is not None:
        parts.append(f"channel in [{', '.join(when.channels)}]")
    if when.payment_methods is not None:
        parts.append(f"payment_method in [{', '.join(when.payment_methods)}]")
    if when.amount_at_least is not None:
        parts.append(f"amount ≥ {when.amount_at_least}")
    if when.amount_below is not None:
        parts.append(f"amount < {when.amount_below}")
    if when.first_order is not None:
        parts.append("the buyer's first order" if when.first_order else "a returning buyer")
    if when.past_refusals_at_least is not None:
        parts.append(f"buyer refused ≥ {when.past_refusals_at_least} earlier orders")
    if when.address_missing_district is not None:
        has = "names no" if when.address_missing_district else "names a"
        parts.append(f"address {has} district or county")
    if when.address_shorter_than is not None:
        parts.append(f"address shorter than {when.address_shorter_than} characters")
    if when.sku_categories is not None:
        parts.append(f"a SKU in category [{', '.join(when.sku_categories)}]")
    return tuple(parts) or ("every order",)

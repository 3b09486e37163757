"""Typed rule definitions, one pydantic model per kind.

Every model forbids unknown fields, so a misspelt condition is refused with its name instead of
being silently ignored. A check inside one model raises a ``PydanticCustomError`` with its own
error type and the field it concerns in its context (``field``), so a form can mark that field
and say the problem in its own language. What single models cannot see (unknown channels,
clashing priorities, whitelists that can never match, ...) is ``rules.checks.check_rule_set``.
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Amount = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
Role = Literal["viewer", "supervisor", "cs_lead", "ops_supervisor", "admin"]
PaymentMethod = Annotated[str, Field(min_length=1, max_length=32)]

# The store's open stages (``store.stages.OPEN_STAGES``), which a stage SLA can bound; spelled
# out for the type checker, and checked against the store by tests/rules/test_kinds.py.
SlaStage = Literal["pending_review", "paid", "awaiting_pick", "picked", "packed", "on_hold"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def problem(code: str, field: str, message: str, **values: object) -> PydanticCustomError:
    """A model's own check failing: error type ``code``, about ``field``; ``message`` may name
    ``values`` as ``{name}`` (the console translates by ``code`` with the same values)."""
    return PydanticCustomError(code, message, {"field": field, **values})


class RiskConditions(_Strict):
    """What an order must look like for a risk rule to match; every given condition must hold."""

    channels: tuple[Name, ...] | None = None
    payment_methods: tuple[PaymentMethod, ...] | None = None
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
            raise problem(
                "amount_range",
                "amount_below",
                "amount_at_least {low} must be below amount_below {high}",
                low=str(low),
                high=str(high),
            )
        return self


class WhitelistEntry(_Strict):
    """Orders of one channel paid with one method below an amount, which the rule it belongs
    to never holds (the rule's 白名单); later rules still look at them."""

    channel: Name
    payment_method: PaymentMethod
    below: Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]
    """Orders with a smaller amount are exempt; at or above it the rule holds them."""


class RiskRule(_Strict):
    """A risk review rule (风控规则); the first matching rule by priority decides."""

    name: Name
    priority: Annotated[int, Field(ge=0, le=1_000_000)]
    """Lower runs first."""
    action: Literal["hold", "pass"]
    when: RiskConditions = RiskConditions()
    whitelist: tuple[WhitelistEntry, ...] = ()
    """Orders this rule lets through although they meet ``when``."""
    description: str | None = None


class RiskWhitelist(_Strict):
    """Exempts a channel + payment method below an amount from every risk rule (白名单)."""

    name: Name
    channel: Name
    payment_method: PaymentMethod
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
            raise problem("promise_hours", "hours", "an hours_after_payment promise needs hours")
        if self.promise_type == "same_day" and self.cutoff is None:
            raise problem(
                "promise_cutoff", "cutoff", "a same_day promise needs a cutoff time, e.g. 16:00"
            )
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
            raise problem("work_hours", "work_end", "work_start must be before work_end")
        if not self.workdays:
            raise problem("no_workdays", "workdays", "workdays must name at least one weekday")
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
            raise problem("one_target", "sku", "give exactly one of sku or category")
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
            raise problem(
                "last_tier",
                "tiers",
                "the last tier must have no up_to (it takes every larger amount)",
            )
        bounded = [x for x in limits[:-1] if x is not None]
        if len(bounded) != len(limits) - 1 or bounded != sorted(set(bounded)):
            raise problem(
                "tier_order", "tiers", "tiers must have strictly increasing up_to amounts"
            )
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

"""The rule set orderwatch starts with.

It reproduces the article's situation on purpose: "先用后付" (buy now, pay later) is in the
default high-risk group, so a new channel's BNPL orders stop in 待审核 until someone adds a
whitelist — which is what the demo and the tests show being found and fixed.
"""

from __future__ import annotations

from decimal import Decimal

from rules.definitions import (
    RefundPolicy,
    RefundTier,
    RiskConditions,
    RiskRule,
    RuleSet,
    SafetyStockRule,
    ShipByPromise,
    SlaPolicy,
)

BNPL = "先用后付"
BNPL_CODE = "buy_now_pay_later"
"""The same payment as the Xiaohongshu connector names it; exports from other systems use the
Chinese label, so the default rule names both."""

DEFAULT_RULES = RuleSet(
    risk_rules=(
        RiskRule(
            name="bnpl-high-risk",
            priority=10,
            action="hold",
            when=RiskConditions(payment_methods=(BNPL, BNPL_CODE)),
            description="先用后付订单默认纳入高风险组 / buy-now-pay-later is high risk",
        ),
        RiskRule(
            name="repeat-refuser",
            priority=20,
            action="hold",
            when=RiskConditions(past_refusals_at_least=2),
            description="买家多次拒收 / the buyer refused two or more earlier orders",
        ),
        RiskRule(
            name="address-missing-district",
            priority=30,
            action="hold",
            when=RiskConditions(address_missing_district=True),
            description="地址缺少区县 / the address names no district or county",
        ),
        RiskRule(
            name="address-too-short",
            priority=40,
            action="hold",
            when=RiskConditions(address_shorter_than=8),
            description="地址过短 / the address is too short to deliver to",
        ),
    ),
    sla=(
        SlaPolicy(name="pending-review-4h", stage="pending_review", max_hours=4),
        SlaPolicy(name="awaiting-pick-2h", stage="awaiting_pick", max_hours=2),
        SlaPolicy(name="packed-to-shipped-12h", stage="packed", max_hours=12),
    ),
    ship_by=(ShipByPromise(name="default-48h", promise_type="hours_after_payment", hours=48),),
    safety_stock=(SafetyStockRule(name="category-default", category="*", threshold=5),),
    # The article's refund cycle came down to 2.1 days: a small refund decided within a day,
    # a larger one (the ops supervisor's) within two.
    refund=RefundPolicy(
        tiers=(
            RefundTier(up_to=Decimal("50"), role="cs_lead", sla_hours=24),
            RefundTier(role="ops_supervisor", sla_hours=48),
        )
    ),
)

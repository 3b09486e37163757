"""Refund approval and routing (退款审批与分派), used by the after-sales ticket pool."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rules.definitions import RefundPolicy, RefundTier


def refund_tier(policy: RefundPolicy, amount: Decimal) -> RefundTier:
    """The tier whose amount range holds ``amount`` (tiers are inclusive upper bounds)."""
    for tier in policy.tiers:
        if tier.up_to is None or amount <= tier.up_to:
            return tier
    raise AssertionError("unreachable: the last tier has no upper bound")


def approver_role(policy: RefundPolicy, amount: Decimal) -> str:
    """The role that must approve a refund of ``amount``."""
    return refund_tier(policy, amount).role


@dataclass(frozen=True, slots=True)
class Routing:
    queue: str
    role: str


def route_ticket(
    policy: RefundPolicy,
    *,
    ticket_kind: str,
    category: str | None,
    responsibility: str | None,
    amount: Decimal,
) -> Routing:
    """The first route whose given fields all match, else the default queue and the
    approver of the amount."""
    for route in policy.routes:
        if (
            route.ticket_kind in (None, ticket_kind)
            and route.category in (None, category)
            and route.responsibility in (None, responsibility)
        ):
            return Routing(route.queue, route.role)
    return Routing(policy.default_queue, approver_role(policy, amount))

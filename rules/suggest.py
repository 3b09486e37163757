"""A whitelist entry to suggest for a risk rule that holds too much of one channel or payment
method (the flow health audit's ``rule_hold_share`` and ``never_reaches_pick`` findings).

It exempts the channel + payment method the rule holds most often among the orders named, up
to the next round hundred above their median amount: in the article's case (17 先用后付 orders
on Xiaohongshu, most of them small) that is "below 300 CNY", which lets most of them through
and keeps the large ones in manual review. The admin sees its dry run and adjusts it before
saving; nothing here writes.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from rules.catalog import load_rules
from rules.definitions import RiskRule, WhitelistEntry
from store.models import Channel, Order, RiskDecision, utcnow

WINDOW = timedelta(days=7)
"""The audit's own window: orders paid in the last week."""
STEP = Decimal(100)
CENT = Decimal("0.01")


def suggest_entry(
    session: Session,
    rule_name: str,
    *,
    channel: str | None = None,
    payment_method: str | None = None,
    now: datetime | None = None,
) -> WhitelistEntry | None:
    """The entry to suggest for rule ``rule_name`` and the orders of ``channel`` (or paid with
    ``payment_method``) it held in the last week; None when it held none it could exempt."""
    rule = next((r for r in load_rules(session).rules.risk_rules if r.name == rule_name), None)
    if rule is None or rule.action != "hold":
        return None
    since = (now or utcnow()) - WINDOW
    query = (
        select(Channel.name, Order.payment_method, Order.amount)
        .join(Channel, Channel.id == Order.channel_id)
        .join(RiskDecision, RiskDecision.order_id == Order.id)
        .where(
            RiskDecision.rule_name == rule_name,
            RiskDecision.action == "hold",
            RiskDecision.moved,
            Order.paid_at >= since,
            Order.payment_method.is_not(None),
        )
    )
    if channel is not None:
        query = query.where(Channel.name == channel)
    if payment_method is not None:
        query = query.where(Order.payment_method == payment_method)
    rows = [(str(c), str(m), Decimal(a)) for c, m, a in session.execute(query)]
    held = [(c, m, a) for c, m, a in rows if _fits(rule, c, m)]
    if not held:
        return None
    (pair, _count), *_ = Counter((c, m) for c, m, _a in held).most_common(1)
    median = Decimal(statistics.median(a for c, m, a in held if (c, m) == pair))
    below = max(STEP, (median / STEP).to_integral_value(ROUND_CEILING) * STEP)
    return WhitelistEntry(channel=pair[0], payment_method=pair[1], below=below.quantize(CENT))


def _fits(rule: RiskRule, channel: str, method: str) -> bool:
    """An order the rule could exempt: one of the channels and payment methods it names."""
    when = rule.when
    return (when.channels is None or channel in when.channels) and (
        when.payment_methods is None or method in when.payment_methods
    )


def with_entry(rule: RiskRule, entry: WhitelistEntry) -> RiskRule:
    """``rule`` with ``entry`` in its whitelist, in place of one for the same pair."""
    others = [
        e
        for e in rule.whitelist
        if (e.channel, e.payment_method) != (entry.channel, entry.payment_method)
    ]
    return rule.model_copy(update={"whitelist": (*others, entry)})

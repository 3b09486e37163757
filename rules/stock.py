"""Safety stock (安全库存): below its threshold a SKU's listings on the other channels pause.

The threshold of a SKU is, in order: a rule naming the SKU, a rule for its category, the SKU's
own ``safety_threshold`` when set above zero, then the ``*`` category rule. The ingest side
performs the pause and the alerts side raises the alert; this module only says what is due.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rules.catalog import LoadedRules
from rules.definitions import RuleSet, SafetyStockRule
from store.models import Channel, ChannelListing, Inventory, Sku

EVERY_CATEGORY = "*"


@dataclass(frozen=True)
class StockBreach:
    """A SKU whose available stock is below its safety threshold."""

    sku: str
    available: int
    threshold: int
    rule: str | None
    """``name vN`` of the deciding rule, or None for the SKU's own threshold."""
    alert: bool
    keep_channel: str | None = None
    pause: list[tuple[str, str]] = field(default_factory=list)
    """``(channel, listing_id)`` of each active listing to pause."""


def threshold_for(
    rules: RuleSet, *, sku: str, category: str | None, own: int
) -> tuple[int, SafetyStockRule | None]:
    """The SKU's threshold and the rule that sets it (None: the SKU's own threshold)."""
    by_sku = next((r for r in rules.safety_stock if r.sku == sku), None)
    by_category = next((r for r in rules.safety_stock if category and r.category == category), None)
    rule = by_sku or by_category
    if rule is None and own > 0:
        return own, None
    rule = rule or next((r for r in rules.safety_stock if r.category == EVERY_CATEGORY), None)
    return (rule.threshold, rule) if rule else (own, None)


def stock_breaches(session: Session, loaded: LoadedRules) -> list[StockBreach]:
    """Every SKU below its safety threshold, with the listings that should pause."""
    available = func.coalesce(func.sum(Inventory.on_hand - Inventory.reserved), 0)
    rows = session.execute(
        select(Sku.code, Sku.category, Sku.safety_threshold, available)
        .outerjoin(Inventory, Inventory.sku == Sku.code)
        .group_by(Sku.code, Sku.category, Sku.safety_threshold)
    ).all()
    breaches = []
    for code, category, own, units in rows:
        threshold, rule = threshold_for(loaded.rules, sku=code, category=category, own=own)
        if int(units) < threshold:
            breaches.append(StockBreach(code, int(units), threshold, *_source(rule, loaded)))
    _add_listings(session, breaches)
    return breaches


def _source(
    rule: SafetyStockRule | None, loaded: LoadedRules
) -> tuple[str | None, bool, str | None]:
    if rule is None:
        return None, True, None
    label = f"{rule.name} v{loaded.version('safety_stock', rule.name)}"
    return label, rule.alert, rule.keep_channel


def _add_listings(session: Session, breaches: list[StockBreach]) -> None:
    if not breaches:
        return
    query = (
        select(ChannelListing.sku, Channel.name, ChannelListing.listing_id)
        .join(Channel, Channel.id == ChannelListing.channel_id)
        .where(ChannelListing.sku.in_([b.sku for b in breaches]), ChannelListing.status == "active")
        .order_by(Channel.name, ChannelListing.listing_id)
    )
    listings: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for sku, channel, listing in session.execute(query):
        listings[sku].append((channel, listing))
    for breach in breaches:
        kept = breach.keep_channel
        breach.pause.extend(item for item in listings[breach.sku] if item[0] != kept)

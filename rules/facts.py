"""Reading the facts risk review needs (buyer history, address, SKU categories) in batches."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from rules.risk import RiskFacts
from store.models import Channel, Order, OrderItem, Sku, StageEvent

CHUNK = 1000
REFUSED = "customer_refused"


def gather_facts(session: Session, order_ids: Sequence[int]) -> dict[int, RiskFacts]:
    """Facts for each order id, by id; a few set-based queries per thousand orders."""
    facts: dict[int, RiskFacts] = {}
    for chunk in _chunks(order_ids):
        facts |= _gather(session, chunk)
    return facts


def _gather(session: Session, ids: Sequence[int]) -> dict[int, RiskFacts]:
    rows = session.execute(
        select(
            Order.id,
            Channel.name,
            Order.payment_method,
            Order.amount,
            Order.buyer_address,
            Order.buyer_phone,
            Order.created_at,
        )
        .join(Channel, Channel.id == Order.channel_id)
        .where(Order.id.in_(ids))
    ).all()
    phones = sorted({row.buyer_phone for row in rows if row.buyer_phone})
    firsts = _first_order_times(session, phones)
    refusals = _refusals(session, phones)
    categories = _categories(session, ids)
    return {
        row.id: RiskFacts(
            channel=row.name,
            payment_method=row.payment_method,
            amount=row.amount,
            address=row.buyer_address,
            first_order=_is_first(row.buyer_phone, row.created_at, firsts),
            past_refusals=refusals.get(row.buyer_phone or "", 0),
            sku_categories=frozenset(categories.get(row.id, ())),
        )
        for row in rows
    }


def _is_first(phone: str | None, created_at: datetime, firsts: dict[str, datetime]) -> bool:
    # A buyer we cannot recognise (no phone) has no history: treated as a first order.
    first = firsts.get(phone or "")
    return first is None or created_at <= first


def _first_order_times(session: Session, phones: Sequence[str]) -> dict[str, datetime]:
    if not phones:
        return {}
    query = (
        select(Order.buyer_phone, func.min(Order.created_at))
        .where(Order.buyer_phone.in_(phones))
        .group_by(Order.buyer_phone)
    )
    return {str(phone): first for phone, first in session.execute(query)}


def _refusals(session: Session, phones: Sequence[str]) -> dict[str, int]:
    if not phones:
        return {}
    buyer = aliased(Order)
    query = (
        select(buyer.buyer_phone, func.count(func.distinct(StageEvent.order_id)))
        .join(buyer, buyer.id == StageEvent.order_id)
        .where(
            StageEvent.to_stage == "on_hold",
            StageEvent.hold_category == REFUSED,
            buyer.buyer_phone.in_(phones),
        )
        .group_by(buyer.buyer_phone)
    )
    return {str(phone): int(count) for phone, count in session.execute(query)}


def _categories(session: Session, ids: Sequence[int]) -> dict[int, set[str]]:
    query = (
        select(OrderItem.order_id, Sku.category)
        .join(Sku, Sku.code == OrderItem.sku)
        .where(OrderItem.order_id.in_(ids), Sku.category.is_not(None))
    )
    found: dict[int, set[str]] = defaultdict(set)
    for order_id, category in session.execute(query):
        found[order_id].add(str(category))
    return found


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]

"""Factories for test data, built through the store's public functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from store.canonical import CanonicalOrder
from store.channels import create_channel
from store.orders import find_order
from store.upsert import upsert_orders

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def canonical(channel_order_id: str, **overrides: Any) -> CanonicalOrder:
    data: dict[str, Any] = {
        "channel_order_id": channel_order_id,
        "stage": "paid",
        "amount": Decimal("99.00"),
        "created_at": T0 - timedelta(minutes=3),
        "modified_at": T0,
        "paid_at": T0,
        "payment_method": "alipay",
        "warehouse": "SH-01",
        "buyer_name": "张三丰",
        "buyer_phone": "13812345678",
        "buyer_address": "上海市浦东新区世纪大道100号",
        "items": [{"sku": "SKU-1", "quantity": 2, "unit_price": "49.50"}],
    }
    data.update(overrides)
    return CanonicalOrder.parse(data)


def add_channel(sessions: sessionmaker[Session], name: str = "tmall-main") -> str:
    with sessions.begin() as session:
        create_channel(session, name=name, platform="tmall")
    return name


def add_order(
    sessions: sessionmaker[Session], channel_order_id: str = "T1", channel: str = "tmall-main"
) -> str:
    """A paid order in ``channel``; returns its order number."""
    with sessions.begin() as session:
        upsert_orders(session, channel, [canonical(channel_order_id)])
        return find_order(session, channel, channel_order_id).order_no

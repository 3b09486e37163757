"""The article's troubleshooting case as test data: 17 paid Xiaohongshu 先用后付 orders."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from store.channels import create_channel
from store.upsert import upsert_orders
from tests.factories import T0, canonical

XHS = "xhs-main"
TMALL = "tmall-main"
BNPL = "先用后付"
# 14 below the 300 CNY line, 3 at or above it (those stay in manual review after the fix).
AMOUNTS = [Decimal(a) for a in (59, 89, 99, 120, 129, 150, 168, 199, 210, 239, 256, 270, 288, 299)]
AMOUNTS += [Decimal("300.00"), Decimal("450.00"), Decimal("888.00")]


def seed_article(sessions: sessionmaker[Session], *, alipay_orders: int = 5) -> None:
    """Two channels; 17 BNPL orders on Xiaohongshu and a few ordinary Tmall orders, all paid."""
    with sessions.begin() as session:
        create_channel(session, name=XHS, platform="xiaohongshu")
        create_channel(session, name=TMALL, platform="tmall")
        bnpl = [
            canonical(
                f"X{n:03d}",
                amount=amount,
                payment_method=BNPL,
                paid_at=T0 + timedelta(minutes=n),
                modified_at=T0 + timedelta(minutes=n),
                buyer_phone=f"1390000{n:04d}",
                items=[{"sku": "SKU-1", "quantity": 1, "unit_price": str(amount)}],
            )
            for n, amount in enumerate(AMOUNTS)
        ]
        upsert_orders(session, XHS, bnpl)
        plain = [
            canonical(f"T{n:03d}", buyer_phone=f"1370000{n:04d}") for n in range(alipay_orders)
        ]
        upsert_orders(session, TMALL, plain)

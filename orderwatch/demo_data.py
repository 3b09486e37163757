"""Demo data: five channels, five users and a few hundred orders spread over the stages.

Everything goes through the same store functions the real flow uses (batch upsert, stage
moves), so the demo board shows what a real store would.
"""

from __future__ import annotations

import json
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from rich.progress import track
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.canonical import CanonicalItem, CanonicalOrder
from store.channels import create_channel
from store.models import Channel, utcnow
from store.orders import find_order
from store.people import create_user
from store.stages import Source, Stage
from store.transitions import move_order
from store.upsert import upsert_orders

DEMO_USERS = (
    ("admin", "admin"),
    ("supervisor", "supervisor"),
    ("cslead", "cs_lead"),
    ("ops", "ops_supervisor"),
    ("viewer", "viewer"),
)
CHANNELS = (
    ("tmall-flagship", "tmall", "支付宝"),
    ("jd-store", "jd", "在线支付"),
    ("pdd-shop", "pdd", "微信支付"),
    ("douyin-shop", "douyin", "抖音支付"),
    ("xhs-shop", "xiaohongshu", "先用后付"),
)
SKUS = (("SKU-LIP-01", "39.90"), ("SKU-CRM-02", "129.00"), ("SKU-MSK-03", "19.90"))
WAREHOUSES = ("SH-01", "HZ-02")
FLOOR = (Stage.AWAITING_PICK, Stage.PICKED, Stage.PACKED, Stage.SHIPPED)
HOLDS = ("out_of_stock", "unclear_address", "customer_refused")


@dataclass(frozen=True, slots=True)
class Plan:
    """How far one demo order has come, and how long each step took."""

    order: CanonicalOrder
    channel: str
    steps: int
    hold: str | None
    gaps: tuple[timedelta, ...]


def seed_demo(sessions: sessionmaker[Session], *, orders: int, logins: Path) -> dict[str, str]:
    """Create the demo once; later runs find it and return the same logins."""
    if logins.exists():
        return dict(json.loads(logins.read_text(encoding="utf-8")))
    passwords = {name: secrets.token_urlsafe(9) for name, _role in DEMO_USERS}
    with sessions.begin() as session:
        for name, role in DEMO_USERS:
            create_user(session, username=name, role=role, password=passwords[name])
        for name, platform, _payment in CHANNELS:
            if session.scalar(select(Channel.id).where(Channel.name == name)) is None:
                create_channel(session, name=name, platform=platform)
    _seed_orders(sessions, orders)
    logins.write_text(json.dumps(passwords), encoding="utf-8")
    logins.chmod(0o600)
    return passwords


def _seed_orders(sessions: sessionmaker[Session], count: int) -> None:
    rng = random.Random(20261130)
    now = utcnow()
    plans = [_plan(rng, now, index) for index in range(count)]
    with sessions.begin() as session:
        for name, _platform, _payment in CHANNELS:
            batch = [p.order for p in plans if p.channel == name]
            upsert_orders(session, name, batch)
    for plan in track(plans, description="demo orders", transient=True):
        with sessions.begin() as session:
            _walk(session, plan)


def _plan(rng: random.Random, now: datetime, index: int) -> Plan:
    channel, _platform, payment = rng.choice(CHANNELS)
    paid = now - timedelta(minutes=rng.randint(5, 72 * 60))
    sku, price = rng.choice(SKUS)
    quantity = rng.randint(1, 3)
    order = CanonicalOrder(
        channel_order_id=f"DEMO{index:06d}",
        stage=Stage.PAID,
        amount=Decimal(price) * quantity,
        created_at=paid - timedelta(minutes=rng.randint(1, 20)),
        modified_at=paid,
        paid_at=paid,
        payment_method=payment,
        warehouse=rng.choice(WAREHOUSES),
        ship_by=paid + timedelta(hours=48),
        items=(CanonicalItem(sku=sku, quantity=quantity, unit_price=Decimal(price)),),
    )
    gaps = tuple(timedelta(minutes=rng.randint(10, 240)) for _ in FLOOR)
    age_steps = sum(1 for i in range(len(FLOOR)) if paid + sum(gaps[: i + 1], timedelta()) < now)
    hold = rng.choice(HOLDS) if rng.random() < 0.06 and age_steps < len(FLOOR) else None
    return Plan(order=order, channel=channel, steps=age_steps, hold=hold, gaps=gaps)


def _walk(session: Session, plan: Plan) -> None:
    order_no = _order_no(session, plan)
    at = plan.order.paid_at or plan.order.modified_at
    if plan.order.payment_method == "先用后付" and plan.order.amount > Decimal("100"):
        move_order(session, order_no=order_no, to=Stage.PENDING_REVIEW, source=Source.RULE, at=at)
        return
    for stage, gap in zip(FLOOR[: plan.steps], plan.gaps, strict=False):
        at += gap
        source = Source.RULE if stage is Stage.AWAITING_PICK else Source.HANDHELD
        move_order(session, order_no=order_no, to=stage, source=source, actor="demo", at=at)
    if plan.hold is not None:
        move_order(
            session,
            order_no=order_no,
            to=Stage.ON_HOLD,
            source=Source.HANDHELD,
            actor="demo",
            at=at + timedelta(minutes=5),
            hold_category=plan.hold,
        )


def _order_no(session: Session, plan: Plan) -> str:
    return find_order(session, plan.channel, plan.order.channel_order_id).order_no

"""What the demo puts in the store before it runs: users, one channel per simulated platform,
the demo rules, stock in two warehouses and the channels' listings.

Orders are not written here: they come from the platform simulator through the real sync, as
they would from real platforms. Everything is idempotent, so a second start of the demo on the
same database keeps its users (and the printed logins), points the channels at the new
simulator port and adds nothing twice.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from store.channels import create_channel
from store.inventory import receive_stock
from store.models import Channel, ChannelListing, Order, Sku, User
from store.people import create_user

DEMO_USERS = (
    ("admin", "admin"),
    ("supervisor", "supervisor"),
    ("cslead", "cs_lead"),
    ("ops", "ops_supervisor"),
    ("viewer", "viewer"),
)
CHANNELS = (
    ("tmall-flagship", "tmall"),
    ("jd-store", "jd"),
    ("pdd-shop", "pdd"),
    ("douyin-shop", "douyin"),
    ("xhs-shop", "xiaohongshu"),
)
"""Demo channel name → platform; the simulator serves each platform under its own path."""
SIM_CREDENTIALS = {"app_key": "sim", "app_secret": "sim-secret", "access_token": "sim-token"}
"""What the simulator accepts unless told otherwise (``ingest.simulator.protocols.common``)."""
SYNC_INTERVAL_S = 30
"""Demo channels are pulled every 30 s instead of the production default of five minutes."""
WAREHOUSES = ("SH-01", "HZ-02")
STOCK_PER_SKU = 500
"""Units of every SKU received in each warehouse: a day of the live stream."""
SHORT_SKUS = {"SKU-0005": 1, "SKU-0023": 4}
"""SKUs the demo warehouses barely have, so out-of-stock holds (缺货) and paused listings show."""
SAFETY_THRESHOLD = 5
"""Below this many available units a SKU sells on one channel only (自动暂停其他平台销售链接)."""
ARTICLE_BNPL_ORDERS = 17
"""The article's incident: 17 Xiaohongshu 先用后付 orders of the last hour that the default risk
rule holds in 待审核, so a fresh demo's workbench starts with them."""
_SERIAL = re.compile(r"(\d+)$")


def ensure_users(sessions: sessionmaker[Session], logins: Path) -> dict[str, str]:
    """The demo users' passwords: made once and kept in ``logins``; later starts reuse them."""
    if logins.exists():
        return dict(json.loads(logins.read_text(encoding="utf-8")))
    passwords = {name: secrets.token_urlsafe(9) for name, _role in DEMO_USERS}
    with sessions.begin() as session:
        for name, role in DEMO_USERS:
            existing = session.scalar(select(User.id).where(User.username == name))
            if existing is None:
                create_user(session, username=name, role=role, password=passwords[name])
    logins.write_text(json.dumps(passwords), encoding="utf-8")
    logins.chmod(0o600)
    return passwords


DEMO_SETTINGS: dict[str, dict[str, object]] = {
    # UNCERTAIN: Xiaohongshu documents no 先用后付 signal; the simulator sends its 先用后付 orders
    # as paymentType 7, and the demo shop says so, as a real shop names its own signal
    "xiaohongshu": {"bnpl_payment_types": [7]},
}


def connect_channels(sessions: sessionmaker[Session], base_url: Callable[[str], str]) -> None:
    """One channel per platform pointing at the simulator (created, or moved to its new port)."""
    with sessions.begin() as session:
        for name, platform in CHANNELS:
            channel = session.scalar(select(Channel).where(Channel.name == name))
            if channel is None:
                channel = create_channel(
                    session,
                    name=name,
                    platform=platform,
                    base_url=base_url(platform),
                    credentials=dict(SIM_CREDENTIALS),
                    sync_interval_s=SYNC_INTERVAL_S,
                )
                channel.settings = dict(DEMO_SETTINGS.get(platform, {}))
                continue
            channel.platform = platform
            channel.base_url = base_url(platform)
            channel.credentials = dict(SIM_CREDENTIALS)
            channel.settings = dict(DEMO_SETTINGS.get(platform, {}))
            channel.sync_interval_s = SYNC_INTERVAL_S
            # A new simulator starts healthy: yesterday's failures are not today's backoff.
            channel.consecutive_failures = 0


def stock_warehouses(sessions: sessionmaker[Session], skus: Sequence[str]) -> None:
    """Receive the demo stock once per warehouse (the receipt ids make a second start a no-op)."""
    with sessions.begin() as session:
        for warehouse in WAREHOUSES:
            lines = {sku: SHORT_SKUS.get(sku, STOCK_PER_SKU) for sku in skus}
            receive_stock(
                session,
                receipt_id=f"demo-opening-{warehouse}",
                warehouse=warehouse,
                lines=lines,
                received_by="demo",
            )
        session.execute(
            update(Sku).where(Sku.code.in_(skus)).values(safety_threshold=SAFETY_THRESHOLD)
        )


def add_listings(sessions: sessionmaker[Session], listings: Sequence[tuple[str, str]]) -> None:
    """Each channel sells every SKU under the simulator's item id (``(sku, listing_id)``), so
    stock sync pushes quantities and pauses the short SKUs' listings."""
    with sessions.begin() as session:
        channels = {name: cid for name, cid in session.execute(select(Channel.name, Channel.id))}
        existing = {
            (cid, listing)
            for cid, listing in session.execute(
                select(ChannelListing.channel_id, ChannelListing.listing_id)
            )
        }
        for name, _platform in CHANNELS:
            channel_id = channels[name]
            for sku, listing_id in listings:
                if (channel_id, listing_id) not in existing:
                    session.add(
                        ChannelListing(channel_id=channel_id, sku=sku, listing_id=listing_id)
                    )


def last_order_at(sessions: sessionmaker[Session]) -> datetime | None:
    """When the newest stored demo order was created (an earlier demo's last one)."""
    names = [name for name, _platform in CHANNELS]
    with sessions.begin() as session:
        return session.scalar(
            select(func.max(Order.created_at))
            .join(Channel, Channel.id == Order.channel_id)
            .where(Channel.name.in_(names))
        )


def next_order_serial(sessions: sessionmaker[Session]) -> int:
    """The first simulator order number that no stored demo order uses.

    Every simulated platform's order id ends in the world's running number (below 10^15), so a
    new simulator on a database an earlier demo filled must start after the highest one.
    """
    names = [name for name, _platform in CHANNELS]
    with sessions.begin() as session:
        ids = session.scalars(
            select(Order.channel_order_id)
            .join(Channel, Channel.id == Order.channel_id)
            .where(Channel.name.in_(names))
        )
        highest = max(
            (int(m.group(1)) % 10**15 for oid in ids if (m := _SERIAL.search(oid))), default=0
        )
    return highest + 1

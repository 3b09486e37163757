"""Revealing a buyer whose name, phone or address the platform sent encrypted.

The plain text of those fields is never stored: a role allowed to reveal asks, the reveal is
audited first (who, when, which order, from where, through which platform call; never the
values), then the platform's own decrypt call (Pinduoduo ``pdd.open.decrypt.batch``, Douyin
``order.batchDecrypt``) answers and its plain text goes back to that one request only. Orders
without ciphertext are revealed from the store as before (``store.privacy.reveal_buyer``).
"""

from __future__ import annotations

import time

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ingest.channels import CONNECTORS, config_of
from ingest.channels.base import ChannelConfig, Clock, utcnow
from ingest.retry import RetryPolicy, Sleep
from ingest.sync import guarded_connector
from store.errors import NotFound
from store.models import Channel, Order
from store.privacy import Buyer, ciphertext_of, reveal_buyer

CALL_POLICY = RetryPolicy(attempts=2)
"""A person is waiting: one retry, then the platform's answer."""


def reveal_buyer_data(
    sessions: sessionmaker[Session],
    *,
    order_no: str,
    actor: str,
    source: str,
    client: httpx.Client | None = None,
    clock: Clock = utcnow,
    sleep: Sleep = time.sleep,
) -> Buyer:
    """The buyer in the clear for ``actor`` (whose role the caller checked), audited."""
    with sessions.begin() as session:
        order = session.scalar(select(Order).where(Order.order_no == order_no))
        if order is None:
            raise NotFound("order", f"unknown order {order_no!r}")
        encrypted = ciphertext_of(order)
        if not encrypted:
            return reveal_buyer(session, order_no=order_no, actor=actor, source=source)
        channel = session.get(Channel, order.channel_id)
        assert channel is not None
        config = config_of(channel)
        channel_order_id, region = order.channel_order_id, order.buyer_address or ""
        via = _decrypt_call(config)
        buyer = reveal_buyer(session, order_no=order_no, actor=actor, source=source, via=via)
    http = client or httpx.Client(timeout=15.0)
    try:
        connector = guarded_connector(config, http, clock=clock, policy=CALL_POLICY, sleep=sleep)
        plain = connector.decrypt(channel_order_id, encrypted)
    finally:
        if client is None:
            http.close()
    clear = buyer | {field: plain[field] for field in encrypted}
    street = plain.get("address")
    if street is not None and not street.startswith(region):
        clear["address"] = region + street  # Douyin encrypts the street, not the region
    return clear


def _decrypt_call(config: ChannelConfig) -> str:
    return CONNECTORS[config.platform].decrypt_call or f"{config.platform} (no decrypt call)"

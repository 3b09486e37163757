"""Encrypted buyer data end to end against the simulator: Pinduoduo's and Douyin's ciphertext is
stored apart from the plain fields and shown as "encrypted by the platform"; a reveal is audited
and decrypted by the platform's own call, and the plain text is never stored; ciphertext where
a platform documents plain text shows in the channel's health."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ingest.channels.base import ChannelRefused
from ingest.retry import RetryPolicy
from ingest.reveal import reveal_buyer_data
from ingest.simulator.world import Lifecycle
from ingest.sync import SyncOptions, sync_channel
from store.audit import audit_trail
from store.channels import get_channel
from store.models import Order
from store.orders import find_order, get_order, order_document
from store.privacy import ENCRYPTED
from tests.ingest.simulation import START, Platforms, add_sim_channel, platforms

FAST = SyncOptions(retry=RetryPolicy(attempts=2, requests_per_second=10_000))


def _synced(sessions: sessionmaker[Session], sim: Platforms, platform: str) -> str:
    sim.world.freeze()
    sim.clock.advance(minutes=10)  # past the platform's lag: every change is readable
    channel = add_sim_channel(sessions, sim, platform)
    report = sync_channel(sessions, channel, since=START, clock=sim.clock, options=FAST,
                          sleep=lambda _s: None)  # fmt: skip
    assert report.ok, report.error
    return channel


@pytest.mark.parametrize("platform", ["pdd", "douyin"])
def test_ciphertext_is_shown_as_encrypted_and_revealed_through_the_platform(
    sessions: sessionmaker[Session], platform: str
) -> None:
    with platforms(served=(platform,), orders_per_minute=3) as sim:
        channel = _synced(sessions, sim, platform)
        truth = next(o for o in sim.world.truth()
                     if o.lifecycle is Lifecycle.PAID and o.address[3])  # fmt: skip
        with sessions.begin() as session:
            order = find_order(session, channel, truth.order_id)
            order_no, stored = order.order_no, (order.buyer_name, order.buyer_phone)
            masked = order_document(session, get_order(session, order_no))["buyer"]
            everything = " ".join(str(v) for v in session.execute(
                select(Order.buyer_name, Order.buyer_phone, Order.buyer_address,
                       Order.buyer_ciphertext)).scalars())  # fmt: skip
        assert stored == (None, None)  # the ciphertext is not taken for the buyer
        assert truth.buyer_phone not in everything  # no plain text anywhere in the store
        assert masked["name"] == masked["phone"] == ENCRYPTED
        province, city, district, street = truth.address
        assert str(masked["address"]).endswith(ENCRYPTED)

        clear = reveal_buyer_data(sessions, order_no=order_no, actor="ops.li", source="console",
                                  clock=sim.clock, sleep=lambda _s: None)  # fmt: skip
    assert clear == {
        "name": truth.buyer_name,
        "phone": truth.buyer_phone,
        "address": f"{province}{city}{district}{street}",
    }
    with sessions() as session:
        (entry,) = audit_trail(session, entity_type="order", entity_id=order_no)
        after = entry.after
    assert (entry.actor, entry.action) == ("ops.li", "order.buyer_revealed")
    assert after is not None and after["via"] == {
        "pdd": "pdd.open.decrypt.batch", "douyin": "order.batchDecrypt"}[platform]  # fmt: skip
    assert sorted(after["decrypted"]) == ["address", "name", "phone"]
    assert truth.buyer_phone not in json.dumps(after, ensure_ascii=False)


def test_a_pinduoduo_order_past_awaiting_shipment_has_no_ciphertext_to_reveal(
    sessions: sessionmaker[Session],
) -> None:
    with platforms(served=("pdd",), orders_per_minute=3) as sim:
        shipped = next(o for o in sim.world.truth() if o.lifecycle is Lifecycle.PAID)
        sim.world.confirm_shipment("pdd", shipped.order_id, "SF1", "1")
        channel = _synced(sessions, sim, "pdd")
        with sessions.begin() as session:
            order = find_order(session, channel, shipped.order_id)
            assert (order.stage, order.buyer_ciphertext, order.buyer_name) == (
                "shipped", None, None,
            )  # fmt: skip
            province, city, district, _street = shipped.address
            assert order.buyer_address == f"{province}{city}{district}" or not province


def test_ciphertext_where_plain_text_was_expected_shows_in_the_channels_health(
    sessions: sessionmaker[Session],
) -> None:
    with platforms(served=("taobao",), orders_per_minute=3) as sim:
        odd = next(o for o in sim.world.truth() if o.lifecycle is Lifecycle.PAID)
        odd.buyer_name = "~AgAAAAPlscEH0psOJAEXpTdsLOWv~0~"  # TOP sends this where a name belongs
        channel = _synced(sessions, sim, "taobao")
        with sessions.begin() as session:
            order = find_order(session, channel, odd.order_id)
            note = get_channel(session, channel).last_error
            shown = order_document(session, order)["buyer"]
            assert order.buyer_name is None and "name" in json.loads(order.buyer_ciphertext or "")
    assert shown["name"] == ENCRYPTED
    assert note is not None and "1 order had encrypted buyer fields" in note


def test_jd_ciphertext_is_kept_apart_and_a_reveal_says_jd_cannot(
    sessions: sessionmaker[Session],
) -> None:
    """JD's consignee is base64 ciphertext with the mobile masked (a captured orderInfo,
    samples/jd_order_info.json); JD decrypts with its TDE library, not an API call."""
    with platforms(served=("jd",), orders_per_minute=3) as sim:
        channel = _synced(sessions, sim, "jd")
        truth = next(o for o in sim.world.truth() if o.lifecycle is Lifecycle.PAID)
        with sessions.begin() as session:
            order = find_order(session, channel, truth.order_id)
            order_no = order.order_no
            assert (order.buyer_name, order.buyer_phone) == (None, None)  # no mask as a phone
            assert sorted(json.loads(order.buyer_ciphertext or "")) == ["address", "name"]
            assert get_channel(session, channel).last_error is None  # expected on JD: no alarm
        with pytest.raises(ChannelRefused, match="TDE"):
            reveal_buyer_data(sessions, order_no=order_no, actor="ops.li", source="console",
                              clock=sim.clock, sleep=lambda _s: None)  # fmt: skip
    with sessions() as session:
        (entry,) = audit_trail(session, entity_type="order", entity_id=order_no)
    assert entry.after is not None and entry.after["via"] == "jd (no decrypt call)"

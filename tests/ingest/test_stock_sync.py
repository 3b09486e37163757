"""Inventory sync and oversell prevention against the simulator: stock pushed to every listing,
and a flash sale on three channels at once pauses the other channels' listings at the safety
threshold, then resumes them when stock arrives."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from ingest.release import release_paid_orders
from ingest.retry import RetryPolicy
from ingest.simulator.world import StreamSettings, listing_id_for
from ingest.stock_sync import AUTO_PAUSE, StockReport, sync_stock
from ingest.sync import SyncOptions, sync_channel
from store.channels import get_channel
from store.inventory import receive_stock
from store.models import AuditEntry, ChannelListing, Inventory, Order, Sku
from tests.ingest.simulation import START, Platforms, add_sim_channel, platforms

FAST = RetryPolicy(attempts=2, requests_per_second=10_000)
SKU = "SKU-0001"
LISTING = listing_id_for(SKU)
CHANNELS = ("taobao", "tmall", "pdd")


def _setup(sessions: sessionmaker[Session], sim: Platforms, *, on_hand: int, safety: int) -> None:
    with sessions.begin() as session:
        receive_stock(session, receipt_id="r0", warehouse="SH-01", lines={SKU: on_hand},
                      received_by="test")  # fmt: skip
        session.execute(update(Sku).where(Sku.code == SKU).values(safety_threshold=99))
        session.execute(update(Inventory).values(safety_threshold=safety))  # overrides the SKU's
    for platform in CHANNELS:
        channel = add_sim_channel(sessions, sim, platform)
        with sessions.begin() as session:
            session.add(ChannelListing(channel_id=get_channel(session, channel).id, sku=SKU,
                                       listing_id=LISTING))  # fmt: skip


def _stock(sessions: sessionmaker[Session], sim: Platforms) -> StockReport:
    report = sync_stock(sessions, clock=sim.clock, policy=FAST, sleep=lambda _s: None)
    assert report.errors == []
    return report


def _sell_and_reserve(sessions: sessionmaker[Session], sim: Platforms) -> None:
    """Pull every channel, route the new orders to the warehouse and release them (stock is
    reserved for each; what cannot be reserved goes on hold)."""
    for platform in CHANNELS:
        report = sync_channel(sessions, f"{platform}-sim", since=START, clock=sim.clock,
                              options=SyncOptions(retry=FAST), sleep=lambda _s: None)  # fmt: skip
        assert report.ok
    with sessions.begin() as session:
        session.execute(update(Order).where(Order.warehouse.is_(None)).values(warehouse="SH-01"))
        release_paid_orders(session, at=sim.clock())


def _available(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        row = session.scalars(select(Inventory)).one()
        return row.on_hand - row.reserved


def test_flash_sale_on_three_channels_pauses_the_others_at_the_threshold(
    sessions: sessionmaker[Session],
) -> None:
    settings = StreamSettings(orders_per_minute=3, skus=1, unpaid_share=0, cancel_share=0,
                              refund_request_share=0)  # fmt: skip
    with platforms(served=CHANNELS, history=timedelta(0),
                   settings=settings) as sim:  # fmt: skip
        _setup(sessions, sim, on_hand=60, safety=10)
        first = _stock(sessions, sim)
        assert sorted(first.pushed) == sorted((f"{p}-sim", LISTING, 60) for p in CHANNELS)
        assert all(sim.listings()[(p, LISTING)]["stock"] == 60 for p in CHANNELS)
        assert _stock(sessions, sim) == StockReport()  # nothing changed: no calls

        levels = []
        while True:  # the flash sale: all three channels sell the one SKU at once
            sim.clock.advance(minutes=5)
            sim.world.advance()
            _sell_and_reserve(sessions, sim)
            available = _available(sessions)
            report = _stock(sessions, sim)
            levels.append(available)
            if available < 10:
                break
            assert report.paused == []  # at or above the threshold everything stays on sale
            on_sale = sim.listings()  # the latest figure reached every listing that sold
            assert all(on_sale[(c.removesuffix("-sim"), lid)]["stock"] == quantity == available
                       for c, lid, quantity in report.pushed)  # fmt: skip
        assert len(levels) > 1, "the sale should take several rounds"
        # The round that crossed the threshold paused the other two channels' listings.
        assert len(report.paused) == 2
        kept = next(f"{p}-sim" for p in CHANNELS if (f"{p}-sim", LISTING) not in report.paused)
        assert report.pushed == [(kept, LISTING, available)]
        on_sale = sim.listings()
        assert {p: on_sale[(p, LISTING)]["on_sale"] for p in CHANNELS} == {
            p: f"{p}-sim" == kept for p in CHANNELS
        }
        with sessions.begin() as session:
            rows = session.scalars(select(ChannelListing).where(ChannelListing.status == "paused"))
            reasons = [row.pause_reason or "" for row in rows]
            trail = session.scalars(select(AuditEntry.action)).all()
        assert len(reasons) == 2
        assert all(r.startswith(AUTO_PAUSE) and "< 10" in r for r in reasons)
        assert trail.count("listing.paused") == 2

        # Stock arrives: the paused listings go back on sale with the available quantity.
        with sessions.begin() as session:
            receive_stock(session, receipt_id="r1", warehouse="SH-01", lines={SKU: 50},
                          received_by="test")  # fmt: skip
        restocked = _stock(sessions, sim)
        now_available = _available(sessions)
        assert len(restocked.resumed) == 2
        on_sale = sim.listings()
        assert all(on_sale[(p, LISTING)]["on_sale"] for p in CHANNELS)
        assert all(on_sale[(p, LISTING)]["stock"] == now_available for p in CHANNELS)
        with sessions.begin() as session:
            assert session.scalars(select(ChannelListing.status)).all() == ["active"] * 3
            assert session.scalars(select(AuditEntry.action)).all().count("listing.resumed") == 2


def test_a_person_s_pause_is_kept_and_the_per_channel_cap_defers_calls(
    sessions: sessionmaker[Session],
) -> None:
    with platforms(served=CHANNELS, orders_per_minute=0) as sim:
        _setup(sessions, sim, on_hand=5, safety=10)  # low from the start
        with sessions.begin() as session:
            manual = {"status": "paused", "pause_reason": "活动结束 / promotion over"}
            session.execute(update(ChannelListing).where(ChannelListing.id == 3).values(manual))
        capped = sync_stock(sessions, clock=sim.clock, policy=FAST, max_calls_per_channel=0)
        assert (capped.deferred, capped.pushed, capped.paused) == (2, [], [])
        report = _stock(sessions, sim)
        assert report.paused == [("tmall-sim", LISTING)]  # keeper: the oldest listing
        assert report.pushed == [("taobao-sim", LISTING, 5)]
        with sessions.begin() as session:
            receive_stock(session, receipt_id="r1", warehouse="SH-01", lines={SKU: 50},
                          received_by="test")  # fmt: skip
        again = _stock(sessions, sim)
        assert again.resumed == [("tmall-sim", LISTING)]  # the person's pause stays
        with sessions.begin() as session:
            assert session.get(ChannelListing, 3).status == "paused"  # type: ignore[union-attr]

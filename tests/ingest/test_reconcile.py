"""Reconciliation against the simulator: an order the incremental list left out is found by
creation time, ingested and counted once as missed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from ingest.reconcile import reconcile_all, reconcile_channel
from ingest.retry import RetryPolicy
from ingest.simulator.app import Simulator, SimulatorServer
from ingest.simulator.world import Lifecycle, StreamSettings, World
from ingest.sync import SyncOptions, sync_channel
from orderwatch.cli import main
from orderwatch.routines import periodic_jobs
from orderwatch.settings import get_settings
from store.channels import create_channel, get_channel
from store.db import session_factory
from store.models import MissedOrder, Order
from tests.ingest.simulation import START, Platforms, add_sim_channel, platforms, store_view
from tests.ingest.simulation import truth_view as truth_of

FAST = RetryPolicy(attempts=3, requests_per_second=10_000)


def _sync(sessions: sessionmaker[Session], sim: Platforms, channel: str) -> None:
    report = sync_channel(sessions, channel, since=START, clock=sim.clock,
                          options=SyncOptions(retry=FAST), sleep=lambda _s: None)  # fmt: skip
    assert report.ok, report.error


def _hide_paid_orders(sim: Platforms, platform: str, count: int) -> list[str]:
    """Hide ``count`` paid orders from the incremental list (as a platform index might)."""
    paid = [o for o in sim.world.truth() if o.platform == platform
            and o.lifecycle is Lifecycle.PAID]  # fmt: skip
    hidden = [o.order_id for o in paid[:count]]
    for order_id in hidden:
        sim.world.hide(platform, order_id)
    return hidden


@pytest.mark.parametrize("platform", ["taobao", "pdd"])
def test_reconciliation_finds_an_order_hidden_from_the_incremental_list(
    sessions: sessionmaker[Session], platform: str
) -> None:
    with platforms(served=(platform,), orders_per_minute=4, history=timedelta(hours=3)) as sim:
        sim.world.freeze()
        sim.clock.advance(minutes=10)  # everything is behind the watermark after the sync
        channel = add_sim_channel(sessions, sim, platform)
        hidden = _hide_paid_orders(sim, platform, 2)
        _sync(sessions, sim, channel)
        assert not set(hidden) & set(store_view(sessions, channel))  # the sync missed them

        found = reconcile_channel(sessions, channel, clock=sim.clock, policy=FAST)
        assert found.ok and found.listed > 0
        assert sorted(found.missed) == sorted(hidden)
        assert store_view(sessions, channel) == truth_of(sim, platform)  # ingested, right stage
        with sessions.begin() as session:
            rows = session.execute(
                select(MissedOrder.channel_order_id, MissedOrder.order_id, MissedOrder.found_at)
            ).all()
            stored = dict(session.execute(select(Order.channel_order_id, Order.id)).all())
        assert sorted(r[0] for r in rows) == sorted(hidden)
        assert all(r[1] == stored[r[0]] and r[2] == sim.clock() for r in rows)

        again = reconcile_channel(sessions, channel, clock=sim.clock, policy=FAST)
        assert again.ok and again.missed == [] and again.refreshed == 0  # counted once
    with sessions.begin() as session:
        assert len(session.scalars(select(MissedOrder)).all()) == 2


def test_orders_modified_after_the_watermark_are_left_to_the_sync(
    sessions: sessionmaker[Session],
) -> None:
    with platforms(served=("taobao",), orders_per_minute=4) as sim:
        channel = add_sim_channel(sessions, sim, "taobao")
        _sync(sessions, sim, channel)
        sim.clock.advance(minutes=30)  # new orders arrive; no sync has read them yet
        sim.world.advance()
        report = reconcile_channel(sessions, channel, clock=sim.clock, policy=FAST)
        assert report.ok and report.missed == []
        assert report.end is not None and report.end <= sim.clock() - timedelta(minutes=29)


def test_a_channel_never_synced_is_skipped_and_a_broken_one_reports(
    sessions: sessionmaker[Session],
) -> None:
    with platforms(served=("taobao",)) as sim:
        channel = add_sim_channel(sessions, sim, "taobao", secret="wrong")
        assert reconcile_channel(sessions, channel, clock=sim.clock, policy=FAST).skipped
        with sessions.begin() as session:
            create_channel(session, name="csv", platform="import")
        with sessions.begin() as session:
            get_channel(session, channel).sync_watermark = sim.clock()
        broken = reconcile_channel(sessions, channel, clock=sim.clock, policy=FAST)
        assert not broken.ok and "Invalid Signature" in (broken.error or "")
        assert [r.channel for r in reconcile_all(sessions)] == [channel]


def test_reconcile_command_reports_the_missed_orders(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], sqlite_engine: Engine
) -> None:
    url = sqlite_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("ORDERWATCH_DATABASE_URL", url)
    get_settings.cache_clear()
    sessions = session_factory(sqlite_engine)
    now = datetime.now(UTC)
    world = World(platforms=("taobao",), settings=StreamSettings(orders_per_minute=3), seed=5,
                  start=now - timedelta(hours=2))  # fmt: skip
    world.advance(now - timedelta(minutes=10))
    world.freeze()  # the command runs on the real clock: nothing new after the sync
    paid = next(o for o in world.truth() if o.lifecycle is Lifecycle.PAID)
    world.hide("taobao", paid.order_id)
    with SimulatorServer(Simulator(world)) as server:
        with sessions.begin() as session:
            create_channel(session, name="tb", platform="taobao",
                           base_url=server.base_url("taobao"),
                           credentials={"app_key": "sim", "app_secret": "sim-secret",
                                        "access_token": "t"})  # fmt: skip
        assert sync_channel(sessions, "tb", since=now - timedelta(hours=3)).ok
        monkeypatch.setattr("sys.argv", ["orderwatch", "reconcile", "--channel", "tb"])
        with pytest.raises(SystemExit) as exited:
            main()
    out, err = capsys.readouterr()
    assert (exited.value.code or 0, err) == (0, "")
    assert "1 missed order ingested (漏单 1 个)" in out
    assert out.splitlines()[-1] == f"missed: {paid.order_id}"
    jobs = {job.id: job for job in periodic_jobs(get_settings().zone)}
    assert jobs["ingest.reconcile"].every_s == 3600  # the worker runs it hourly

"""How the sync writes: pages in batches of several per transaction, the watermark only with the
batch that holds a window's last page, the planner statistics kept current."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from ingest.retry import RetryPolicy
from ingest.simulator.faults import Fault, FaultPlan
from ingest.sync import SyncOptions, SyncReport, sync_channel
from store.channels import get_channel
from store.db import session_factory
from tests.ingest.simulation import (
    START,
    Platforms,
    add_sim_channel,
    platforms,
    store_view,
    truth_view,
)

SMALL_BATCHES = SyncOptions(
    retry=RetryPolicy(attempts=6, requests_per_second=10_000), write_batch=150
)


def _sync(
    sessions: sessionmaker[Session], sim: Platforms, channel: str, **kwargs: object
) -> SyncReport:
    return sync_channel(sessions, channel, clock=sim.clock, options=SMALL_BATCHES,
                        sleep=lambda _s: None, **kwargs)  # type: ignore[arg-type]  # fmt: skip


def test_small_batches_under_faults_end_with_the_store_equal_to_the_truth(
    sessions: sessionmaker[Session],
) -> None:
    plan = FaultPlan(rate=0.2, slow_seconds=0.01, seed=5)
    with platforms(served=("taobao",), orders_per_minute=8, history=timedelta(hours=6),
                   faults=plan) as sim:  # fmt: skip
        channel = add_sim_channel(sessions, sim, "taobao")
        _sync(sessions, sim, channel, since=START)
        for _ in range(10):
            sim.clock.advance(minutes=3)
            _sync(sessions, sim, channel)
        sim.world.freeze()
        sim.clock.advance(minutes=10)
        plan.rate = 0.0
        settled = _sync(sessions, sim, channel)
        assert settled.ok and settled.quarantined == 0
        _sync(sessions, sim, channel)  # reads the quarantined ones again
        assert store_view(sessions, channel) == truth_view(sim, "taobao")


def test_a_window_that_fails_part_way_keeps_its_written_batches_but_not_the_watermark(
    sessions: sessionmaker[Session],
) -> None:
    plan = FaultPlan(rate=0.0, kinds=(Fault.SERVER_ERROR,))
    with platforms(served=("taobao",), orders_per_minute=40, history=timedelta(hours=3),
                   faults=plan) as sim:  # fmt: skip
        channel = add_sim_channel(sessions, sim, "taobao")
        calls = 0

        def count(_request: httpx.Request) -> None:
            nonlocal calls
            calls += 1
            if calls == 8:  # a count call and six pages in: one window of 1 day, many pages
                plan.rate = 1.0

        with httpx.Client(event_hooks={"request": [count]}) as client:
            failed = _sync(sessions, sim, channel, since=START, client=client)
        assert not failed.ok and failed.windows == 0
        assert failed.watermark is None
        stored = store_view(sessions, channel)
        truth = truth_view(sim, "taobao")
        assert SMALL_BATCHES.write_batch <= len(stored) < len(truth)
        with sessions.begin() as session:
            assert get_channel(session, channel).sync_watermark is None
        plan.rate = 0.0
        sim.world.freeze()  # nothing changes any more, and the clock lag has passed
        sim.clock.advance(minutes=10)
        resumed = _sync(sessions, sim, channel)
        assert resumed.ok and resumed.end is not None
        assert resumed.start == resumed.end - timedelta(days=1)  # no watermark: a first sync
        assert resumed.watermark == sim.clock() - timedelta(minutes=3)
        assert store_view(sessions, channel) == truth


def test_a_first_load_leaves_the_planner_statistics_of_orders_current(
    pg_engine: Engine,
) -> None:
    sessions = session_factory(pg_engine)
    with platforms(served=("taobao",), orders_per_minute=40, history=timedelta(hours=3)) as sim:
        channel = add_sim_channel(sessions, sim, "taobao")
        report = _sync(sessions, sim, channel, since=START)
    assert report.ok and report.inserted > 1000
    with pg_engine.connect() as connection:
        rows = connection.scalar(
            text("SELECT reltuples FROM pg_class WHERE oid = 'orders'::regclass")
        )
    # Never analyzed is -1: the planner would take the channel's orders for a handful.
    assert rows is not None and rows >= 1000

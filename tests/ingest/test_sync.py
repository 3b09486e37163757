"""The sync engine against the platform simulator: loss-free under faults, watermark and overlap
rules, quarantine, channel health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ingest.quarantine import dismiss
from ingest.retry import RetryPolicy
from ingest.simulator.faults import Fault, FaultPlan
from ingest.sync import SyncOptions, SyncReport, sync_channel
from store.channels import get_channel
from store.models import AuditEntry, QuarantinedOrder
from tests.ingest.simulation import (
    START,
    Platforms,
    add_sim_channel,
    platforms,
    store_view,
    truth_view,
)

NO_WAIT = SyncOptions(retry=RetryPolicy(attempts=6, requests_per_second=10_000))


def _sync(
    sessions: sessionmaker[Session], sim: Platforms, channel: str, **kwargs: object
) -> SyncReport:
    return sync_channel(sessions, channel, clock=sim.clock, options=NO_WAIT,
                        sleep=lambda _s: None, **kwargs)  # type: ignore[arg-type]  # fmt: skip


def _settle(sessions: sessionmaker[Session], sim: Platforms, channel: str) -> None:
    """Freeze the platforms, let the lag pass, sync until a clean run."""
    sim.world.freeze()
    sim.clock.advance(minutes=10)
    for _ in range(20):
        report = _sync(sessions, sim, channel)
        with sessions.begin() as session:
            waiting = session.scalar(
                select(QuarantinedOrder.id).where(QuarantinedOrder.resolved_at.is_(None))
            )
        if report.ok and waiting is None:
            return
    raise AssertionError(f"{channel} never settled: {report}")


@pytest.mark.parametrize("platform", ["taobao", "pdd", "jd", "douyin", "xiaohongshu"])
def test_sync_with_faults_at_20_percent_ends_with_the_store_equal_to_the_truth(
    sessions: sessionmaker[Session], platform: str
) -> None:
    plan = FaultPlan(rate=0.2, slow_seconds=0.01, seed=3)
    with platforms(served=(platform,), orders_per_minute=8, history=timedelta(hours=8),
                   faults=plan) as sim:  # fmt: skip
        channel = add_sim_channel(sessions, sim, platform)
        reports = [_sync(sessions, sim, channel, since=START)]
        for _ in range(40):  # the shop keeps selling and changing orders between syncs
            sim.clock.advance(minutes=3)
            reports.append(_sync(sessions, sim, channel))
        _settle(sessions, sim, channel)
        truth = truth_view(sim, platform)
        injected = {kind.value: n for kind, n in plan.injected.items()}
    assert all(injected[kind.value] > 0 for kind in Fault), str(injected)
    assert len(truth) > 500
    assert store_view(sessions, channel) == truth  # none missing, none extra, every stage right


def test_the_watermark_never_passes_a_window_that_was_not_read(
    sessions: sessionmaker[Session],
) -> None:
    plan = FaultPlan(rate=0.0, kinds=(Fault.SERVER_ERROR,))
    with platforms(served=("pdd",), orders_per_minute=4, history=timedelta(hours=3),
                   faults=plan) as sim:  # fmt: skip
        channel = add_sim_channel(sessions, sim, "pdd")

        def break_after_two(done: int, total: int, read: int) -> None:
            if done == 2:
                plan.rate = 1.0  # the platform goes down after the second window

        failed = _sync(sessions, sim, channel, since=START, progress=break_after_two)
        assert not failed.ok and failed.windows == 2
        assert failed.watermark == START + timedelta(minutes=60)  # two 30-minute windows
        with sessions.begin() as session:
            row = get_channel(session, channel)
            assert (row.consecutive_failures, row.last_success_at) == (1, None)
            assert "502" in (row.last_error or "")
        plan.rate = 0.0
        resumed = _sync(sessions, sim, channel)
        assert resumed.ok and resumed.start == failed.watermark - NO_WAIT.overlap
        _settle(sessions, sim, channel)
        assert store_view(sessions, channel) == truth_view(sim, "pdd")
        with sessions.begin() as session:
            row = get_channel(session, channel)
            assert (row.consecutive_failures, row.last_error) == (0, None)


def test_the_watermark_stops_short_of_the_platform_clock_and_never_goes_back(
    sessions: sessionmaker[Session],
) -> None:
    with platforms(served=("taobao",), orders_per_minute=2) as sim:
        channel = add_sim_channel(sessions, sim, "taobao")
        first = _sync(sessions, sim, channel, since=START)
        assert first.watermark == sim.clock() - timedelta(minutes=3)
        again = _sync(sessions, sim, channel, since=START)  # a re-read from further back
        assert again.ok and again.watermark == first.watermark
        assert (again.inserted, again.updated) == (0, 0)
        sim.clock.advance(minutes=20)
        later = _sync(sessions, sim, channel)
        assert later.start == first.watermark - timedelta(minutes=5)  # the overlap
        assert later.watermark == sim.clock() - timedelta(minutes=3)


def test_orders_modified_while_paging_are_not_lost(sessions: sessionmaker[Session]) -> None:
    plan = FaultPlan(rate=0.5, kinds=(Fault.MODIFIED_WHILE_PAGING,))
    with platforms(served=("taobao",), orders_per_minute=6, faults=plan) as sim:
        channel = add_sim_channel(sessions, sim, "taobao")
        assert _sync(sessions, sim, channel, since=START).ok
        assert plan.injected[Fault.MODIFIED_WHILE_PAGING] > 0
        plan.rate = 0.0
        _settle(sessions, sim, channel)
        assert store_view(sessions, channel) == truth_view(sim, "taobao")


def test_unreadable_orders_are_quarantined_and_read_again_later(
    sessions: sessionmaker[Session],
) -> None:
    plan = FaultPlan(rate=1.0, kinds=(Fault.MALFORMED_ORDER,))
    with platforms(served=("taobao",), orders_per_minute=4, faults=plan) as sim:
        channel = add_sim_channel(sessions, sim, "taobao")
        first = _sync(sessions, sim, channel, since=START)
        assert first.ok and first.quarantined > 0 and first.inserted > 0
        with sessions.begin() as session:
            held = session.scalars(select(QuarantinedOrder)).all()
            assert 0 < len(held) <= first.quarantined  # one entry per order
            assert all("payment: '1O0.00' is not an amount" in q.reason for q in held)
            assert all(q.payload["payment"] == "1O0.00" for q in held)
            assert "in quarantine" in (get_channel(session, channel).last_error or "")
        assert first.watermark == sim.clock() - timedelta(minutes=3)  # the rest moved on
        plan.rate = 0.0
        second = _sync(sessions, sim, channel)
        assert second.recovered == len(held)
        _settle(sessions, sim, channel)
        assert store_view(sessions, channel) == truth_view(sim, "taobao")


def test_a_dismissed_order_is_not_tried_again(sessions: sessionmaker[Session]) -> None:
    plan = FaultPlan(rate=1.0, kinds=(Fault.MALFORMED_ORDER,))
    with platforms(served=("pdd",), orders_per_minute=2, faults=plan) as sim:
        channel = add_sim_channel(sessions, sim, "pdd")
        assert _sync(sessions, sim, channel, since=START).quarantined > 0
        with sessions.begin() as session:
            entries = session.scalars(select(QuarantinedOrder)).all()
            for entry in entries:
                dismiss(session, entry.id, actor="ann", at=sim.clock())
        plan.rate = 0.0
        sim.clock.advance(hours=1)  # the dismissed orders are behind the overlap now
        again = _sync(sessions, sim, channel)
        assert again.ok and again.recovered == 0
        with sessions.begin() as session:
            assert get_channel(session, channel).last_error is None
            entries = session.scalars(select(QuarantinedOrder)).all()
            assert all(e.dismissed_by == "ann" and e.resolved_at is None for e in entries)
            trail = session.scalars(select(AuditEntry.action)).all()
            assert trail == ["quarantine.dismissed"] * len(entries)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("wrong-secret", "Invalid Signature"),
        ("unreachable", "cannot reach"),
        ("no-credentials", "has no app_key or app_secret"),
    ],
)
def test_a_misconfigured_channel_is_marked_unhealthy(
    sessions: sessionmaker[Session], setup: str, message: str
) -> None:
    with platforms(served=("taobao",)) as sim:
        channel = add_sim_channel(sessions, sim, "taobao", secret="wrong")
        with sessions.begin() as session:
            row = get_channel(session, channel)
            if setup == "unreachable":
                row.base_url = "http://127.0.0.1:9/taobao"
                row.credentials = {**row.credentials, "app_secret": "sim-secret"}
            elif setup == "no-credentials":
                row.credentials = {}
        report = _sync(sessions, sim, channel)
    assert not report.ok and message in (report.error or "")
    with sessions.begin() as session:
        row = get_channel(session, channel)
        assert row.consecutive_failures == 1 and message in (row.last_error or "")
        assert row.last_attempt_at == sim.clock() and row.sync_watermark is None


@pytest.mark.parametrize("platform", ["taobao", "douyin"])
def test_an_order_with_an_absurd_time_is_quarantined_and_the_sync_goes_on(
    sessions: sessionmaker[Session], platform: str
) -> None:
    with platforms(served=(platform,), orders_per_minute=4) as sim:
        channel = add_sim_channel(sessions, sim, platform)
        sim.world.freeze()
        order = next(o for o in sim.world.shops[platform].orders.values() if o.paid is not None)
        order.created = datetime(9999, 12, 31, tzinfo=UTC)
        report = _sync(sessions, sim, channel, since=START)

    assert report.ok and report.quarantined >= 1 and report.inserted > 0  # once per page seen
    with sessions.begin() as session:
        (held,) = session.scalars(select(QuarantinedOrder)).all()
        assert held.channel_order_id == order.order_id
        assert "is not between 2000-01-01 and 2100-01-01" in held.reason
        assert "in quarantine" in (get_channel(session, channel).last_error or "")

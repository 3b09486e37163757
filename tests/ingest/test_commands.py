"""``orderwatch sync`` and the worker's scheduling, through their public entry points."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ingest.jobs import backoff, run_channel_sync
from ingest.locks import try_lock
from orderwatch.commands.ingest import parse_since
from orderwatch.routines import PeriodicJob
from orderwatch.worker import JOB_LOCK_SPACE, Worker
from store.channels import create_channel, get_channel
from store.db import session_factory
from store.errors import InvalidInput
from tests.conftest import Run
from tests.ingest.simulation import add_sim_channel, platforms, store_view

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_sync_command_pulls_a_channel_from_the_simulator(run: Run, sqlite_engine: Engine) -> None:
    url = sqlite_engine.url.render_as_string(hide_password=False)
    sessions = session_factory(sqlite_engine)
    now = datetime.now(UTC)
    with platforms(served=("pdd",), orders_per_minute=20, history=timedelta(hours=1)) as sim:
        sim.world.clock = lambda: now  # the command runs on the real clock
        sim.clock.now = now
        base = sim.server.base_url("pdd")
        added = run("channels", "add", "pdd-shop", "--platform", "pdd", "--base-url", base,
                    "--app-key", "sim", "--secrets-stdin", stdin="sim-secret\nt\n",
                    database=url)  # fmt: skip
        assert added[0] == 0
        code, out, err = run("sync", "--channel", "pdd-shop", "--since", "3h", database=url)
        assert (code, err) == (0, "")
        assert out.startswith("pdd-shop: ") and "new" in out and "watermark" in out
        assert len(store_view(sessions, "pdd-shop")) > 0


def test_a_failing_sync_is_one_line_and_exit_1(run: Run, sqlite_engine: Engine) -> None:
    url = sqlite_engine.url.render_as_string(hide_password=False)
    with platforms(served=("taobao",)) as sim:
        add_sim_channel(session_factory(sqlite_engine), sim, "taobao", secret="wrong")
        code, _out, err = run("sync", "--channel", "taobao-sim", database=url)
    assert code == 1 and err.count("\n") == 1
    assert err.startswith("error: sync of taobao-sim failed: taobao-sim: TOP error 25")


def test_sync_of_an_unknown_channel(run: Run, sqlite_engine: Engine) -> None:
    url = sqlite_engine.url.render_as_string(hide_password=False)
    assert run("sync", "--channel", "nope", database=url) == (
        1,
        "",
        "error: unknown channel 'nope'; known channels: none\n",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", datetime(2026, 11, 24, 2, 30, tzinfo=UTC)),
        ("6h", datetime(2026, 11, 23, 22, 0, tzinfo=UTC)),
        ("2d", datetime(2026, 11, 22, 4, 0, tzinfo=UTC)),
        ("2026-11-24T08:00", datetime(2026, 11, 24, 0, 0, tzinfo=UTC)),  # naive = Shanghai
        ("2026-11-24T08:00+00:00", datetime(2026, 11, 24, 8, 0, tzinfo=UTC)),
    ],
)
def test_since_accepts_ages_and_times(text: str, expected: datetime) -> None:
    now = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
    assert parse_since(text, now=now, zone=SHANGHAI) == expected


def test_since_refuses_anything_else() -> None:
    with pytest.raises(InvalidInput, match="neither a time"):
        parse_since("yesterday", now=datetime.now(UTC), zone=SHANGHAI)


def test_the_backoff_of_a_failing_channel_is_capped() -> None:
    assert [backoff(300, n).total_seconds() for n in range(6)] == [0, 0, 300, 900, 1800, 1800]


def test_the_worker_schedules_each_channel_at_its_interval(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        create_channel(session, name="tmall-a", platform="tmall")
        create_channel(session, name="pdd-b", platform="pdd", sync_interval_s=60)
        create_channel(session, name="legacy", platform="import")
    scheduler = BackgroundScheduler(timezone=UTC)
    worker = Worker(sessions, scheduler, jobs=())
    worker.refresh_channels()
    intervals = {j.id: j.trigger.interval.total_seconds() for j in scheduler.get_jobs()}
    assert intervals == {"sync:pdd-b": 60, "sync:tmall-a": 300}
    with sessions.begin() as session:
        get_channel(session, "pdd-b").sync_interval_s = 120
    worker.refresh_channels()
    assert scheduler.get_job("sync:pdd-b").trigger.interval.total_seconds() == 120


def test_a_channel_locked_by_another_worker_is_skipped(sessions: sessionmaker[Session]) -> None:
    with platforms(served=("pdd",)) as sim:
        add_sim_channel(sessions, sim, "pdd")
        with sessions.begin() as session:
            channel_id = get_channel(session, "pdd-sim").id
        with try_lock(sessions.kw["bind"], channel_id) as taken:
            assert taken
            assert run_channel_sync(sessions, channel_id, "pdd-sim", clock=sim.clock) is None
        report = run_channel_sync(sessions, channel_id, "pdd-sim", clock=sim.clock)
    assert report is not None and report.ok


def test_a_failing_channel_waits_out_its_backoff_then_tries_again(
    sessions: sessionmaker[Session],
) -> None:
    with platforms(served=("pdd",)) as sim:
        add_sim_channel(sessions, sim, "pdd", secret="wrong")
        with sessions.begin() as session:
            channel_id = get_channel(session, "pdd-sim").id
        tries = []
        for _ in range(4):
            tries.append(run_channel_sync(sessions, channel_id, "pdd-sim", clock=sim.clock))
            sim.clock.advance(minutes=5)
    assert [t is not None for t in tries] == [True, True, True, False]  # then 15 min
    with sessions.begin() as session:
        assert get_channel(session, "pdd-sim").consecutive_failures == 3


def test_periodic_jobs_run_once_cluster_wide(sessions: sessionmaker[Session]) -> None:
    ran: list[str] = []
    job = PeriodicJob("test.tick", lambda _sessions: ran.append("tick"), every_s=10)
    worker = Worker(sessions, BackgroundScheduler(timezone=UTC), [job])
    worker.install()
    assert worker.scheduler.get_job("job:test.tick") is not None
    assert worker.run_periodic(job) is True
    key = zlib.crc32(b"test.tick") & 0x7FFF_FFFF
    with try_lock(sessions.kw["bind"], key, JOB_LOCK_SPACE):
        assert worker.run_periodic(job) is False
    assert ran == ["tick"]


def test_the_worker_refuses_two_jobs_of_one_id(sessions: sessionmaker[Session]) -> None:
    jobs = [PeriodicJob("test.tick", lambda _s: None, every_s=n) for n in (10, 20)]
    with pytest.raises(ValueError, match="unique"):
        Worker(sessions, BackgroundScheduler(timezone=UTC), jobs)

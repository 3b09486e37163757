"""End-to-end channel ingest: orders from the platform simulator over HTTP into PostgreSQL.

Three processes, so that each figure is the sync's alone: the simulator (a Taobao shop holding
``--orders`` paid orders over the last day, frozen) serves from a process of its own, and each
sync runs in a fresh child process. The peak RSS is the child's ``VmHWM``: ``ru_maxrss`` would
not do, Linux carries it over ``fork``/``exec`` from the parent, so a child of a process holding
the simulated world reported that world's size as its own (it grew with the order count).
Measured in one run:

- first sync: every order read page by page over HTTP, mapped and upserted (orders/s);
- resync: the next scheduled sync with nothing changed (from the watermark, as the worker runs
  it), and, for reference, a full re-read of the same day (every order read again, none
  written: the stale-skip path).

The channel's rate limiter is set to ``--requests-per-second`` (default 100, Xiaohongshu's
documented default app quota; the simulator grants any rate): at the sync's default of 20 calls
per second and 100 orders per page no sync can pass 2,000 orders/s, whatever orderwatch does,
so the bench prints that ceiling next to the figures instead of measuring the limiter.

Last line: ``{"orders_per_s": …, "peak_rss_mb": …, "resync_speedup": …}`` (targets ≥ 3,000,
≤ 300, ≥ 5).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.common import SECRET_KEY, bench_url, scratch_database
from bench.upsert import checkpoint
from store.channels import create_channel
from store.db import make_engine, session_factory
from store.models import Order
from store.sealing import Keyring

CHANNEL = "bench-taobao"
PAGE = 100
"""Orders per list call (TOP's maximum page size, as the connector asks)."""


def child(url: str, since: str | None, rate: float) -> None:
    """One sync in this (child) process; prints its figures as JSON."""
    from ingest.retry import RetryPolicy
    from ingest.sync import SyncOptions, sync_channel

    sessions = session_factory(make_engine(url, keyring=Keyring.of(SECRET_KEY)))
    start = datetime.fromisoformat(since) if since else None
    options = SyncOptions(retry=RetryPolicy(requests_per_second=rate))
    began = time.perf_counter()
    report = sync_channel(sessions, CHANNEL, since=start, options=options)
    elapsed = time.perf_counter() - began
    print(json.dumps({"ok": report.ok, "error": report.error, "seconds": elapsed,
                      "received": report.received, "inserted": report.inserted,
                      "rss_mb": peak_rss_mb()}))  # fmt: skip


def peak_rss_mb() -> float:
    """This process's own peak resident set (``VmHWM``; ``ru_maxrss`` where there is no /proc)."""
    try:
        with Path("/proc/self/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_sync(url: str, since: datetime | None, rate: float) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.ingest", "--child", "--url", url]
    command += ["--requests-per-second", str(rate)]
    if since is not None:
        command += ["--since", since.isoformat()]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if not figures["ok"]:
        raise SystemExit(f"sync failed: {figures['error']}")
    return figures


def serve(count: int) -> None:
    """The simulator process: build the world, serve it, say where; stop when stdin closes."""
    from ingest.simulator.app import Simulator, SimulatorServer
    from ingest.simulator.world import StreamSettings, World

    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(hours=25)
    # The stream's daily rhythm averages about 0.8 of its nominal rate.
    per_minute = count / (24 * 60 * 0.8)
    settings = StreamSettings(orders_per_minute=per_minute, unpaid_share=0.0, skus=200)
    world = World(platforms=("taobao",), settings=settings, seed=11, start=start)
    world.advance(now - timedelta(hours=1))
    world.freeze()
    listed = sum(len(shop.orders) for shop in world.shops.values())
    with SimulatorServer(Simulator(world)) as server:
        print(json.dumps({"base_url": server.base_url("taobao"), "listed": listed,
                          "start": start.isoformat()}), flush=True)  # fmt: skip
        sys.stdin.read()


@contextmanager
def simulator(count: int) -> Iterator[dict[str, Any]]:
    """A simulator process holding about ``count`` orders; yields its base URL, size, start."""
    command = [sys.executable, "-m", "bench.ingest", "--serve", "--orders", str(count)]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise SystemExit("the simulator did not start")
        yield json.loads(line)
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="10k orders")
    parser.add_argument(
        "--requests-per-second", type=float, default=100.0, help="the channel's rate limit"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--since", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.url, args.since, args.requests_per_second)
        return
    count = 10_000 if args.quick else args.orders
    if args.serve:
        serve(count)
        return
    url = bench_url()
    print(f"simulating a Taobao shop with ~{count:,} orders …", flush=True)
    rate = args.requests_per_second
    with simulator(count) as sim, scratch_database(url) as engine:
        start = datetime.fromisoformat(sim["start"])
        sessions = session_factory(engine)
        with sessions.begin() as session:
            create_channel(session, name=CHANNEL, platform="taobao", base_url=sim["base_url"],
                           credentials={"app_key": "sim", "app_secret": "sim-secret",
                                        "access_token": "bench"})  # fmt: skip
        db_url = engine.url.render_as_string(hide_password=False)
        checkpoint(engine)
        first = run_sync(db_url, start, rate)
        with sessions.begin() as session:
            stored = session.scalar(select(func.count()).select_from(Order)) or 0
        checkpoint(engine)
        resync = run_sync(db_url, None, rate)
        reread = run_sync(db_url, start, rate)
    orders_per_s = first["inserted"] / first["seconds"]
    peak = max(first["rss_mb"], resync["rss_mb"], reread["rss_mb"])
    speedup = first["seconds"] / resync["seconds"]
    print(f"rate limit            {rate:>10,.0f} calls/s  ceiling "
          f"{rate * PAGE:,.0f} orders/s (20 calls/s: {20 * PAGE:,})")  # fmt: skip
    print(f"platform orders       {sim['listed']:>10,}  (paid, over one day)")
    print(f"stored after sync     {stored:>10,}")
    print(f"first sync            {first['seconds']:>10.2f} s  {orders_per_s:>8,.0f} orders/s  "
          f"peak RSS {first['rss_mb']:.0f} MB")  # fmt: skip
    print(f"resync (watermark)    {resync['seconds']:>10.2f} s  {resync['received']:>8,} orders "
          f"read  speedup {speedup:.1f}×")  # fmt: skip
    print(f"full re-read (stale)  {reread['seconds']:>10.2f} s  {reread['received']:>8,} orders "
          f"read  speedup {first['seconds'] / reread['seconds']:.1f}×")  # fmt: skip
    result = {
        "orders_per_s": round(orders_per_s),
        "peak_rss_mb": round(peak, 1),
        "resync_speedup": round(speedup, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

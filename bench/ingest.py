"""End-to-end channel ingest: orders from the platform simulator over HTTP into PostgreSQL.

The simulator (a Taobao shop holding ``--orders`` paid orders over the last day, frozen) runs in
this process; each sync runs in a child process of its own, so its peak RSS is the sync's alone
(``ru_maxrss``). Measured in one run:

- first sync: every order read page by page over HTTP, mapped and upserted (orders/s);
- resync: the next scheduled sync with nothing changed (from the watermark, as the worker runs
  it), and, for reference, a full re-read of the same day (every order read again, none
  written: the stale-skip path).

Last line: ``{"orders_per_s": …, "peak_rss_mb": …, "resync_speedup": …}`` (targets ≥ 3,000,
≤ 300, ≥ 5).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bench.upsert import DEFAULT_URL, checkpoint, scratch_database
from ingest.simulator.app import Simulator, SimulatorServer
from ingest.simulator.world import StreamSettings, World
from store.channels import create_channel
from store.db import make_engine, session_factory
from store.models import Order

CHANNEL = "bench-taobao"


def child(url: str, since: str | None) -> None:
    """One sync in this (child) process; prints its figures as JSON."""
    from ingest.sync import sync_channel

    sessions = session_factory(make_engine(url))
    start = datetime.fromisoformat(since) if since else None
    began = time.perf_counter()
    report = sync_channel(sessions, CHANNEL, since=start)
    elapsed = time.perf_counter() - began
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"ok": report.ok, "error": report.error, "seconds": elapsed,
                      "received": report.received, "inserted": report.inserted,
                      "rss_mb": rss_kb / 1024}))  # fmt: skip


def run_sync(url: str, since: datetime | None) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.ingest", "--child", "--url", url]
    if since is not None:
        command += ["--since", since.isoformat()]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if not figures["ok"]:
        raise SystemExit(f"sync failed: {figures['error']}")
    return figures


def build_world(count: int) -> tuple[World, datetime]:
    """A Taobao shop with about ``count`` paid orders created over one day ending an hour ago."""
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(hours=25)
    # The stream's daily rhythm averages about 0.8 of its nominal rate.
    per_minute = count / (24 * 60 * 0.8)
    settings = StreamSettings(orders_per_minute=per_minute, unpaid_share=0.0, skus=200)
    world = World(platforms=("taobao",), settings=settings, seed=11, start=start)
    world.advance(now - timedelta(hours=1))
    world.freeze()
    return world, start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="10k orders")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--since", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.url, args.since)
        return
    count = 10_000 if args.quick else args.orders
    url = os.environ.get("ORDERWATCH_BENCH_DATABASE_URL") or os.environ.get(
        "ORDERWATCH_TEST_DATABASE_URL", DEFAULT_URL
    )
    print(f"simulating a Taobao shop with ~{count:,} orders …", flush=True)
    world, start = build_world(count)
    listed = sum(len(shop.orders) for shop in world.shops.values())
    with SimulatorServer(Simulator(world)) as server, scratch_database(url) as engine:
        sessions = session_factory(engine)
        with sessions.begin() as session:
            create_channel(session, name=CHANNEL, platform="taobao",
                           base_url=server.base_url("taobao"),
                           credentials={"app_key": "sim", "app_secret": "sim-secret",
                                        "access_token": "bench"})  # fmt: skip
        db_url = engine.url.render_as_string(hide_password=False)
        checkpoint(engine)
        first = run_sync(db_url, start)
        with sessions.begin() as session:
            stored = session.scalar(select(func.count()).select_from(Order)) or 0
        checkpoint(engine)
        resync = run_sync(db_url, None)
        reread = run_sync(db_url, start)
    orders_per_s = first["inserted"] / first["seconds"]
    peak = max(first["rss_mb"], resync["rss_mb"], reread["rss_mb"])
    speedup = first["seconds"] / resync["seconds"]
    print(f"platform orders       {listed:>10,}  (paid, over one day)")
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

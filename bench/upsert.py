"""Batch upsert throughput against a raw COPY of the same rows, in one run on PostgreSQL.

Prints human-readable figures, then as its last line one JSON object:
``{"upsert_rows_per_s": …, "copy_rows_per_s": …, "ratio_vs_copy": …}``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from bench.common import bench_url, scratch_database
from store.canonical import CanonicalItem, CanonicalOrder
from store.channels import create_channel
from store.db import session_factory
from store.upsert import ITEM_COLUMNS, ORDER_COLUMNS, _item_rows, _new_row, upsert_orders

STAGES = ("paid", "paid", "paid", "pending_review", "shipped", "cancelled")


def make_orders(count: int, seed: int = 1) -> list[CanonicalOrder]:
    rng = random.Random(seed)
    start = datetime(2026, 10, 1, tzinfo=UTC)
    orders = []
    for n in range(count):
        paid = start + timedelta(seconds=n * 7 + rng.randint(0, 60))
        items = tuple(
            CanonicalItem(
                sku=f"SKU-{rng.randint(1, 500):04d}",
                quantity=rng.randint(1, 3),
                unit_price=Decimal(rng.randint(990, 49900)) / 100,
            )
            for _ in range(rng.randint(1, 3))
        )
        orders.append(
            CanonicalOrder(
                channel_order_id=f"BENCH{n:09d}",
                stage=rng.choice(STAGES),  # type: ignore[arg-type]
                amount=sum((i.unit_price * i.quantity for i in items), Decimal("0")),
                created_at=paid - timedelta(minutes=2),
                modified_at=paid,
                paid_at=paid,
                payment_method=rng.choice(("alipay", "wechat", "先用后付")),
                warehouse=rng.choice(("SH-01", "HZ-02", "GZ-03")),
                ship_by=paid + timedelta(hours=48),
                buyer_name="张三",
                buyer_phone="13812345678",
                buyer_address="上海市浦东新区世纪大道100号",
                items=items,
            )
        )
    return orders


def batches(orders: Sequence[CanonicalOrder], size: int) -> Iterator[Sequence[CanonicalOrder]]:
    for start in range(0, len(orders), size):
        yield orders[start : start + size]


def time_upsert(
    sessions: sessionmaker[Session], channel: str, orders: Sequence[CanonicalOrder], size: int
) -> float:
    began = time.perf_counter()
    for batch in batches(orders, size):
        with sessions.begin() as session:
            upsert_orders(session, channel, batch)
    return time.perf_counter() - began


def checkpoint(engine: Engine) -> None:
    """Start each timed phase with the same WAL state, so one phase's writes are not flushed
    in the next one's time."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("CHECKPOINT"))


def time_copy(engine: Engine, orders: Sequence[CanonicalOrder], size: int) -> float:
    """The baseline: COPY the same rows (orders and their lines, as the upsert writes them),
    batch by batch, into scratch tables with the same columns and no keys or indexes."""
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS copy_orders, copy_items"))
        connection.execute(text("CREATE TABLE copy_orders (LIKE orders)"))
        connection.execute(text("CREATE TABLE copy_items (LIKE order_items)"))
    checkpoint(engine)
    now = datetime.now(UTC)
    began = time.perf_counter()
    for number, batch in enumerate(batches(orders, size)):
        numbered = list(enumerate(batch, start=number * size + 1))
        with engine.begin() as connection:
            cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy(f"COPY copy_orders ({', '.join(ORDER_COLUMNS)}) FROM STDIN") as copy:
                for n, order in numbered:
                    copy.write_row(_new_row(n, 1, order, now))
            with cursor.copy(f"COPY copy_items ({', '.join(ITEM_COLUMNS)}) FROM STDIN") as copy:
                for row in _item_rows(numbered):
                    copy.write_row(row)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds; medians count")
    parser.add_argument("--quick", action="store_true", help="10k orders, one round")
    args = parser.parse_args()
    count, rounds = (10_000, 1) if args.quick else (args.orders, args.rounds)
    url = bench_url()
    print(f"building {count:,} canonical orders …", flush=True)
    orders = make_orders(count)
    copies, upserts, replays = [], [], []
    with scratch_database(url) as engine:
        sessions = session_factory(engine)
        for round_no in range(1, rounds + 1):
            channel = f"bench-{round_no}"
            with sessions.begin() as session:
                create_channel(session, name=channel, platform="taobao")
            copies.append(time_copy(engine, orders, args.batch))
            checkpoint(engine)
            upserts.append(time_upsert(sessions, channel, orders, args.batch))
            checkpoint(engine)
            replays.append(time_upsert(sessions, channel, orders, args.batch))
            print(
                f"round {round_no}: COPY {count / copies[-1]:>9,.0f} rows/s · "
                f"upsert {count / upserts[-1]:>9,.0f} rows/s · "
                f"replay {count / replays[-1]:>9,.0f} rows/s",
                flush=True,
            )
    copy_s, upsert_s, replay_s = (statistics.median(t) for t in (copies, upserts, replays))
    print(f"COPY baseline     {count / copy_s:>10,.0f} rows/s  (median {copy_s:.2f} s)")
    print(f"upsert (new)      {count / upsert_s:>10,.0f} rows/s  (median {upsert_s:.2f} s)")
    print(f"upsert (replay)   {count / replay_s:>10,.0f} rows/s  (median {replay_s:.2f} s)")
    # Each round's upsert is compared with the COPY measured right before it, so a slow
    # stretch of the machine weighs on both sides of one ratio; the median ratio counts.
    ratio = statistics.median(c / u for c, u in zip(copies, upserts, strict=True))
    result = {
        "upsert_rows_per_s": round(count / upsert_s),
        "copy_rows_per_s": round(count / copy_s),
        "ratio_vs_copy": round(ratio, 3),
    }
    print(f"ratio vs COPY     {ratio:.3f}  (median of the rounds' ratios; target ≥ 0.5)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()

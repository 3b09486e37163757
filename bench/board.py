"""The live board's latency at 100k and at 1M orders on PostgreSQL, and DuckDB computing the
same board from a Parquet export of the same data, in one run.

The store holds about 1,000 orders a day, so 100k orders are ~100 days of history and 1M
orders ~2.7 years: the board must cost the same for both (target: ratio 1M / 100k ≤ 1.5,
p95 ≤ 150 ms at 1M) and beat DuckDB's full recomputation (target: ratio < 1).

Last line: ``{"p95_ms_100k": …, "p95_ms_1m": …, "growth_ratio": …, "duckdb_ratio": …}``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sqlalchemy import Engine, text

from bench.common import bench_url, scratch_database
from bench.generate import generate
from metrics.board import HeatmapCache, board
from metrics.board_document import Board
from metrics.rollups import roll_up
from metrics.spans import STAGE_SPANS
from metrics.window import Scope, preset_window
from store.db import session_factory

ZONE = ZoneInfo("Asia/Shanghai")
END = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)  # a Wednesday, 20:00 in Shanghai
REFRESHES = 20
OPEN = ("pending_review", "paid", "awaiting_pick", "picked", "packed", "on_hold")
ORDER_EXPORT = (
    "id", "channel_id", "warehouse", "stage", "stage_entered_at", "ship_by", "pending_review_at",
    "paid_at", "awaiting_pick_at", "picked_at", "packed_at", "shipped_at", "delivered_at",
    "cancelled_at",
)  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def interleaved(
    small: Callable[[], Any], large: Callable[[], Any], refreshes: int
) -> tuple[list[float], list[float], Any, Any]:
    """Milliseconds of ``refreshes`` calls of each, alternating so that a slow stretch of the
    shared machine weighs on both sides alike (after two warm-ups each), and the last
    results."""
    for _ in range(2):
        small_result, large_result = small(), large()
    small_ms, large_ms = [], []
    for _ in range(refreshes):
        for run, times in ((small, small_ms), (large, large_ms)):
            began = time.perf_counter()
            result = run()
            times.append((time.perf_counter() - began) * 1000)
            if run is small:
                small_result = result
            else:
                large_result = result
    return small_ms, large_ms, small_result, large_result


def orderwatch_board(engine: Engine) -> Callable[[], Board]:
    """The board as the API and the console serve it: with their heatmap cache, which keeps
    the four weeks' heatmaps (from the rollups) for a minute per scope (here, on the bench's
    fixed clock, from the warm-up on; ``cold_board`` times a refresh that computes them)."""
    sessions = session_factory(engine)
    today = preset_window("today", END, ZONE)
    heatmaps = HeatmapCache()

    def refresh() -> Board:
        with sessions() as session:
            return board(session, now=END, window=today, scope=Scope(), heatmaps=heatmaps)

    return refresh


def cold_board(engine: Engine, refreshes: int) -> float:
    """Median milliseconds of a refresh that computes the heatmaps again (once a minute per
    scope on a live console)."""
    sessions = session_factory(engine)
    today = preset_window("today", END, ZONE)
    times = []
    for _ in range(refreshes):
        began = time.perf_counter()
        with sessions() as session:
            board(session, now=END, window=today, scope=Scope())
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def export(engine: Engine, directory: Path) -> tuple[Path, Path]:
    """Orders and hold events as Parquet (UTC timestamps without zone)."""
    paths = []
    for name, query in (
        ("orders", "SELECT " + ", ".join(
            f"{c} AT TIME ZONE 'UTC' AS {c}" if c.endswith(("_at", "ship_by")) else c
            for c in ORDER_EXPORT) + " FROM orders"),
        ("events", "SELECT order_id, to_stage, hold_category, at AT TIME ZONE 'UTC' AS at "
                   "FROM stage_events"),
    ):  # fmt: skip
        csv_path, parquet = directory / f"{name}.csv", directory / f"{name}.parquet"
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            with (
                csv_path.open("wb") as out,
                cursor.copy(  # type: ignore[attr-defined]
                    f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)"
                ) as copy,
            ):
                for chunk in copy:
                    out.write(chunk)
        finally:
            raw.close()
        pq.write_table(pacsv.read_csv(csv_path), parquet)
        csv_path.unlink()
        paths.append(parquet)
    return paths[0], paths[1]


def duckdb_board(orders: Path, events: Path) -> Callable[[], dict[str, Any]]:
    """The same board as ``metrics.board``, recomputed from the Parquet files each time."""
    con = duckdb.connect()
    now = END.replace(tzinfo=None)
    hour = now.replace(minute=0, second=0, microsecond=0)
    local_midnight = (END.astimezone(ZONE).replace(hour=0, minute=0, second=0, microsecond=0)
                      .astimezone(UTC).replace(tzinfo=None))  # fmt: skip
    o, e = f"read_parquet('{orders}')", f"read_parquet('{events}')"
    opened = "('" + "', '".join(OPEN) + "')"
    spans = {
        stage: (span.start, f"coalesce({', '.join(span.ends)})")
        for stage, span in ((s.value, span) for s, span in STAGE_SPANS.items())
    }
    week = hour - timedelta(days=7)
    dwell_sql = " UNION ALL ".join(
        f"SELECT '{stage}' AS stage, count(*) AS n, avg(epoch({end} - {start}) / 3600) AS mean "
        f"FROM {o} WHERE {end} >= TIMESTAMP '{week}' AND {end} >= {start}"
        for stage, (start, end) in spans.items()
    )

    def q(sql: str) -> list[tuple[Any, ...]]:
        return con.execute(sql).fetchall()

    def refresh() -> dict[str, Any]:
        wip = q(f"SELECT stage, count(*), min(stage_entered_at) FROM {o} WHERE stage IN {opened} "
                f"AND stage_entered_at <= TIMESTAMP '{now}' GROUP BY stage")  # fmt: skip
        ages = q(f"SELECT stage, CASE WHEN stage_entered_at > TIMESTAMP '{now}' - INTERVAL 1 HOUR "
                 "THEN 0 WHEN stage_entered_at > TIMESTAMP "
                 f"'{now}' - INTERVAL 2 HOUR THEN 1 ELSE 2 END AS b, count(*) FROM {o} "
                 f"WHERE stage IN {opened} GROUP BY ALL")  # fmt: skip
        breaches = q(
            f"SELECT count_if(stage = 'pending_review' AND stage_entered_at < TIMESTAMP '{now}' "
            f"- INTERVAL 4 HOUR), count_if(stage = 'awaiting_pick' AND stage_entered_at < "
            f"TIMESTAMP '{now}' - INTERVAL 2 HOUR), count_if(stage = 'packed' AND "
            f"stage_entered_at < TIMESTAMP '{now}' - INTERVAL 12 HOUR), count_if(stage IN "
            f"{opened} AND ship_by < TIMESTAMP '{now}') FROM {o}"
        )
        today = q(
            f"SELECT count_if(paid_at >= TIMESTAMP '{local_midnight}'), "
            f"count_if(shipped_at >= TIMESTAMP '{local_midnight}'), "
            f"count_if(shipped_at >= TIMESTAMP '{local_midnight}' AND shipped_at > ship_by), "
            f"avg(epoch(shipped_at - paid_at) / 3600) FILTER (shipped_at >= "
            f"TIMESTAMP '{local_midnight}') FROM {o}"
        )
        last_day = q(
            f"SELECT date_trunc('hour', paid_at) h, count(*) FROM {o} WHERE paid_at >= "
            f"TIMESTAMP '{hour - timedelta(hours=23)}' GROUP BY h UNION ALL SELECT "
            f"date_trunc('hour', shipped_at) h, -count(*) FROM {o} WHERE shipped_at >= "
            f"TIMESTAMP '{hour - timedelta(hours=23)}' GROUP BY h"
        )
        dwell = q(dwell_sql)
        late = q(f"SELECT count_if(shipped_at > ship_by), count_if(ship_by IS NOT NULL), "
                 f"avg(epoch(shipped_at - paid_at) / 3600) FROM {o} "
                 f"WHERE shipped_at >= TIMESTAMP '{week}'")  # fmt: skip
        heat = q(f"SELECT isodow(paid_at + INTERVAL 8 HOUR) - 1, hour(paid_at + INTERVAL 8 HOUR), "
                 f"count(*) FROM {o} WHERE paid_at >= TIMESTAMP '{hour - timedelta(days=28)}' "
                 "GROUP BY ALL")  # fmt: skip
        held = q(f"SELECT coalesce(hold_category, 'uncategorised'), count(*) FROM {e} "
                 f"WHERE to_stage = 'on_hold' AND \"at\" >= TIMESTAMP '{local_midnight}' "
                 f"AND \"at\" <= TIMESTAMP '{now}' GROUP BY ALL")  # fmt: skip
        return {"wip": {s: n for s, n, _m in wip}, "ages": ages, "breaches": breaches[0],
                "today_paid": today[0][0], "today_shipped": today[0][1], "last_day": last_day,
                "dwell": dwell, "late": late, "heat_total": sum(n for *_k, n in heat),
                "held": dict(held)}  # fmt: skip

    return refresh


def agree(ours: Board, theirs: dict[str, Any]) -> bool:
    """The two boards count the same orders (a check that the race is fair)."""
    wip = {w.stage: w.count for w in ours.work_in_progress if w.count}
    return (
        wip == theirs["wip"]
        and ours.kpi("paid").value == theirs["today_paid"]
        and ours.kpi("shipped").value == theirs["today_shipped"]
        and sum(map(sum, ours.heatmaps.intake)) == theirs["heat_total"]
        and ours.exceptions_by_category == theirs["held"]
    )


def analyze(engine: Engine) -> None:
    """Fresh planner statistics, as autovacuum keeps them on a live store."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def stats(times: list[float]) -> tuple[float, float]:
    return statistics.median(times), percentile(times, 0.95)


def build(engine: Engine, orders: int, *, older: int) -> None:
    """The recent ``orders`` (the same in every store), ``older`` orders of history behind
    them, and the rollups as the worker leaves them."""
    began = time.perf_counter()
    made = generate(engine, orders=orders, end=END)
    if older:
        generate(engine, orders=older, end=made.first_paid, now=END, seed=2, first_id=orders + 1)
    with session_factory(engine).begin() as session:
        roll_up(session, now=END)
    analyze(engine)
    print(f"built a store of {orders + older:,} orders (with rollups) in "
          f"{time.perf_counter() - began:.0f} s", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10k and 100k orders, 5 refreshes")
    args = parser.parse_args()
    small, large = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    refreshes = 5 if args.quick else REFRESHES
    url = bench_url()
    with (
        tempfile.TemporaryDirectory() as tmp,
        scratch_database(url) as small_db,
        scratch_database(url) as large_db,
    ):
        build(small_db, small, older=0)
        build(large_db, small, older=large - small)
        ow_small, ow_large, ours_small, ours_large = interleaved(
            orderwatch_board(small_db), orderwatch_board(large_db), refreshes
        )
        cold = {db: cold_board(db, max(3, refreshes // 4)) for db in (small_db, large_db)}
        work = Path(tmp)
        (work / "small").mkdir()
        (work / "large").mkdir()
        duck_small, duck_large, theirs_small, theirs_large = interleaved(
            duckdb_board(*export(small_db, work / "small")),
            duckdb_board(*export(large_db, work / "large")),
            refreshes,
        )
    label = f"{large // 1000}k" if large < 10**6 else "1M"
    for name, ow, duck, same, heat in (
        (f"{small // 1000}k", ow_small, duck_small, agree(ours_small, theirs_small),
         cold[small_db]),
        (label, ow_large, duck_large, agree(ours_large, theirs_large), cold[large_db]),
    ):  # fmt: skip
        (p50, p95), (d50, d95) = stats(ow), stats(duck)
        agreed = "yes" if same else "NO"
        print(f"{name:>5}: board p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  (heatmaps computed "
              f"again: p50 {heat:6.1f} ms)  |  DuckDB over Parquet p50 {d50:6.1f} ms  "
              f"p95 {d95:6.1f} ms  |  same figures: {agreed}")  # fmt: skip
    before = {"p95": stats(ow_small)[1]}
    after = {"p95": stats(ow_large)[1], "duck_p95": stats(duck_large)[1]}
    growth = after["p95"] / before["p95"]
    versus = after["p95"] / after["duck_p95"]
    print(f"growth 1M / 100k (p95) {growth:.2f}  (target ≤ 1.5)")
    print(f"orderwatch / DuckDB (p95 at the larger store) {versus:.3f}  (target < 1)")
    result = {
        "p95_ms_100k": round(before["p95"], 1),
        "p95_ms_1m": round(after["p95"], 1),
        "growth_ratio": round(growth, 3),
        "duckdb_ratio": round(versus, 3),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

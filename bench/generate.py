"""A realistic orderwatch store, written with PostgreSQL COPY: several channels and
warehouses, daily and weekly seasonality, a bottleneck on Wednesday afternoons, holds
(exception interceptions), cancellations, refunds, floor exceptions, cycle counts and missed
orders. About 1,000 orders a day, so N orders are N / 1,000 days of history ending at --end.

    python bench/generate.py --orders 1000000 [--url postgresql+psycopg://…] [--end 2026-11-01]

Importable: ``generate(engine, orders=…, end=…)`` (bench/board.py uses it), and
``generate_open(engine, orders=…, now=…)``: a store of open orders only, as in a flash sale's
backlog, each with the ``next_deadline_at`` the default rules give it (bench/alerts.py).
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text

from bench.common import bench_url
from rules.catalog import LoadedRules
from rules.defaults import DEFAULT_RULES
from rules.sla import OrderClock, deadlines
from store.channels import create_channel
from store.db import make_engine, session_factory
from store.migrate import upgrade

ZONE = ZoneInfo("Asia/Shanghai")
PER_DAY = 1000
CHANNELS = (("tmall-flagship", "tmall", 0.35), ("jd-self", "jd", 0.25), ("pdd-main", "pdd", 0.2),
            ("douyin-live", "douyin", 0.12), ("xhs-main", "xiaohongshu", 0.08))  # fmt: skip
WAREHOUSES = (("SH-01", 0.5), ("HZ-02", 0.3), ("GZ-03", 0.2))
HOLDS = (("out_of_stock", 0.4), ("unclear_address", 0.3), ("customer_refused", 0.1),
         ("risk_review", 0.2))  # fmt: skip
# Share of a day's orders paid in each business hour: a late-morning and an evening peak.
HOURLY = (1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 1.5, 2.5, 3.5, 5, 5.5, 4.5, 4, 4.5, 5, 4.5, 4,
          4.5, 6, 7.5, 8, 6, 3)  # fmt: skip
WEEKLY = (1.0, 0.95, 1.05, 0.95, 1.0, 1.25, 1.2)  # Monday … Sunday
ORDER_COLUMNS = (
    "id", "order_no", "channel_id", "channel_order_id", "stage", "stage_entered_at",
    "hold_category", "held_from_stage", "payment_method", "amount", "warehouse", "ship_by",
    "created_at", "channel_modified_at", "pending_review_at", "paid_at", "awaiting_pick_at",
    "first_picked_at", "picked_at", "packed_at", "shipped_at", "delivered_at", "cancelled_at",
    "on_hold_at", "version", "updated_at",
)  # fmt: skip
FLOW = ("paid_at", "pending_review_at", "awaiting_pick_at", "first_picked_at", "picked_at",
        "packed_at", "shipped_at", "delivered_at")  # fmt: skip


@dataclass
class Generated:
    orders: int
    first_paid: datetime
    last_paid: datetime
    seconds: float


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]


def _minutes(rng: random.Random, median: float, spread: float = 0.6) -> timedelta:
    return timedelta(minutes=median * math.exp(rng.gauss(0, spread)))


def _bottleneck(moment: datetime) -> float:
    """Wednesday afternoons the pickers are short: waits for a first pick grow fourfold."""
    local = moment.astimezone(ZONE)
    return 4.0 if local.weekday() == 2 and 13 <= local.hour < 18 else 1.0


def _times(rng: random.Random, paid: datetime) -> dict[str, datetime]:
    times = {"paid_at": paid}
    moment = paid
    if rng.random() < 0.05:
        moment = times["pending_review_at"] = paid + timedelta(seconds=5)
        moment += _minutes(rng, 50, 1.0)
    moment = times["awaiting_pick_at"] = moment + _minutes(rng, 3)
    moment = times["first_picked_at"] = moment + _minutes(rng, 35) * _bottleneck(moment)
    moment = times["picked_at"] = moment + _minutes(rng, 8)
    moment = times["packed_at"] = moment + _minutes(rng, 12)
    moment = times["shipped_at"] = moment + _minutes(rng, 150, 0.8)
    times["delivered_at"] = moment + _minutes(rng, 60 * 40, 0.4)
    return times


def _order_row(rng: random.Random, number: int, paid: datetime, end: datetime,
               channels: dict[str, int]) -> tuple[tuple[object, ...], str | None]:  # fmt: skip
    """One order's row as of ``end`` and its hold category, if it was held."""
    times = _times(rng, paid)
    hold = None
    if rng.random() < 0.04:  # held on the floor, released later
        hold = _pick(rng, HOLDS)
        extra = _minutes(rng, 120)
        for name in ("first_picked_at", "picked_at", "packed_at", "shipped_at", "delivered_at"):
            times[name] += extra
        times["on_hold_at"] = times["awaiting_pick_at"] + timedelta(minutes=1)
    if rng.random() < 0.02:
        times = {k: v for k, v in times.items() if k in ("paid_at", "awaiting_pick_at")}
        times["cancelled_at"] = paid + _minutes(rng, 30)
    reached = {k: v for k, v in times.items() if v <= end}
    stage = _stage(reached)
    entered = reached.get(f"{stage}_at", paid)
    channel = rng.choices(list(channels), [c[2] for c in CHANNELS])[0]
    warehouse = _pick(rng, WAREHOUSES)
    ship_by = paid + timedelta(hours=rng.choice((24, 24, 48)))
    amount = f"{rng.randint(990, 59900) / 100:.2f}"
    held = stage == "on_hold"
    row = (
        number, f"OW{number:010d}", channels[channel], f"{channel[:3].upper()}{number:011d}",
        stage, entered, hold if held else None, "awaiting_pick" if held else None,
        rng.choice(("alipay", "wechat", "先用后付")), amount, warehouse, ship_by,
        paid - timedelta(minutes=2), max(reached.values()),
        *(reached.get(c) for c in ("pending_review_at", "paid_at", "awaiting_pick_at",
                                    "first_picked_at", "picked_at", "packed_at", "shipped_at",
                                    "delivered_at", "cancelled_at", "on_hold_at")),
        1, end,
    )  # fmt: skip
    return row, hold if "on_hold_at" in reached else None


def _stage(reached: dict[str, datetime]) -> str:
    if "cancelled_at" in reached:
        return "cancelled"
    if "on_hold_at" in reached and "first_picked_at" not in reached:
        return "on_hold"
    for column in reversed(FLOW):
        if column in reached:
            stage = column.removesuffix("_at")
            return "awaiting_pick" if stage == "first_picked" else stage
    return "paid"


def paid_times(rng: random.Random, count: int, end: datetime) -> Iterator[datetime]:
    """``count`` payment times, oldest first, ``PER_DAY`` a day on average before ``end``,
    shaped by the hour of day and the day of week."""
    days = max(1, math.ceil(count / PER_DAY))
    last_day = end.astimezone(ZONE).replace(hour=0, minute=0, second=0, microsecond=0)
    starts = [last_day - timedelta(days=days - d) for d in range(days + 1)]
    # the last day only has the hours before ``end``
    hourly = [list(HOURLY) for _ in starts]
    hourly[-1] = [w if h < end.astimezone(ZONE).hour else 0.0 for h, w in enumerate(HOURLY)]
    if not sum(hourly[-1]):  # ``end`` is a midnight: the day before is the last
        starts, hourly = starts[:-1], hourly[:-1]
    pairs = zip(starts, hourly, strict=True)
    weights = [WEEKLY[start.weekday()] * sum(hours) for start, hours in pairs]
    made = 0
    for day, start in enumerate(starts):
        share = count * weights[day] / sum(weights)
        n = count - made if day == len(starts) - 1 else min(count - made, round(share))
        if n <= 0:
            continue
        hours = rng.choices(range(24), hourly[day], k=n)
        moments = sorted(start + timedelta(hours=h, seconds=rng.uniform(0, 3600)) for h in hours)
        for moment in moments:
            yield min(moment.astimezone(UTC), end - timedelta(seconds=1))
        made += n


def generate(engine: Engine, *, orders: int, end: datetime, now: datetime | None = None,
             seed: int = 1, first_id: int = 1) -> Generated:  # fmt: skip
    """Add ``orders`` orders paid before ``end`` (ids from ``first_id``), as they stand at
    ``now`` (default ``end``), with their lines, stage events, tickets, floor exceptions,
    counts and missed orders."""
    began = time.perf_counter()
    now = now or end
    rng = random.Random(seed)
    channels = _channels(engine)
    holds: list[tuple[int, datetime, str]] = []
    first = last = end
    with engine.begin() as connection:
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY orders ({', '.join(ORDER_COLUMNS)}) FROM STDIN") as copy:
            for offset, paid in enumerate(paid_times(rng, orders, end)):
                number = first_id + offset
                row, hold = _order_row(rng, number, paid, now, channels)
                copy.write_row(row)
                if hold is not None:
                    holds.append((number, paid, hold))
                first, last = (paid, paid) if offset == 0 else (first, paid)
        _write_holds(cursor, holds, now)
    last_id = first_id + orders - 1
    with engine.begin() as connection:
        for statement in _derived(first_id, last_id):
            connection.execute(text(statement))
        _floor_facts(connection, rng, first, last, channels)
        connection.execute(text(f"SELECT setval('order_no_seq', {last_id})"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    return Generated(orders, first, last, time.perf_counter() - began)


def _channels(engine: Engine) -> dict[str, int]:
    sessions = session_factory(engine)
    with sessions.begin() as session:
        rows = session.execute(text("SELECT name, id FROM channels"))
        known = {name: channel_id for name, channel_id in rows}
        for name, platform, _share in CHANNELS:
            if name not in known:
                known[name] = create_channel(session, name=name, platform=platform).id
        if not session.execute(text("SELECT 1 FROM skus LIMIT 1")).first():
            session.execute(text("INSERT INTO skus (code, safety_threshold) "
                                 "SELECT 'SKU-' || lpad(n::text, 4, '0'), 5 "
                                 "FROM generate_series(1, 500) n"))  # fmt: skip
    return {name: known[name] for name, _p, _s in CHANNELS}


def _write_holds(cursor: object, holds: list[tuple[int, datetime, str]], end: datetime) -> None:
    columns = "order_id, from_stage, to_stage, at, source, actor, hold_category, recorded_at"
    with cursor.copy(f"COPY stage_events ({columns}) FROM STDIN") as copy:  # type: ignore[attr-defined]
        for order_id, paid, category in holds:
            held = paid + timedelta(minutes=5)
            copy.write_row((order_id, "awaiting_pick", "on_hold", held, "handheld", "pda",
                            category, held))  # fmt: skip
            released = held + timedelta(hours=2)
            if released <= end:
                copy.write_row((order_id, "on_hold", "awaiting_pick", released, "console",
                                "supervisor", None, released))  # fmt: skip


def _derived(first_id: int, last_id: int) -> list[str]:
    """Set-based SQL for what follows from the orders: lines, moves, refunds."""
    ids = f"id BETWEEN {first_id} AND {last_id}"
    moves = (("paid", "pending_review", "pending_review_at", "rule"),
             ("paid", "awaiting_pick", "awaiting_pick_at", "rule"),
             ("awaiting_pick", "picked", "picked_at", "handheld"),
             ("picked", "packed", "packed_at", "handheld"),
             ("packed", "shipped", "shipped_at", "handheld"),
             ("shipped", "delivered", "delivered_at", "channel"),
             ("paid", "cancelled", "cancelled_at", "channel"))  # fmt: skip
    statements = [
        *_lines(ids),
        *(
            "INSERT INTO stage_events (order_id, from_stage, to_stage, at, source, recorded_at) "
            f"SELECT id, '{src}', '{dst}', {col}, '{who}', {col} FROM orders "
            f"WHERE {ids} AND {col} IS NOT NULL"
            for src, dst, col, who in moves
        ),
        "INSERT INTO tickets (ticket_no, order_id, kind, status, amount, created_at, updated_at, "
        "closed_at) SELECT 'TK' || id, id, CASE WHEN id % 3 = 0 THEN 'return' ELSE 'refund' END, "
        "CASE WHEN shipped_at + interval '5 days' < now() THEN 'closed' ELSE 'open' END, amount, "
        "shipped_at + interval '1 day', shipped_at + interval '1 day', "
        "shipped_at + interval '1 day' + (id % 97) * interval '1 hour' FROM orders "
        f"WHERE {ids} AND shipped_at IS NOT NULL AND id % 50 = 7",
    ]
    return statements


def _lines(ids: str) -> list[str]:
    """One or two lines per order of ``ids`` (an SQL condition), over 500 SKUs."""
    return [
        "INSERT INTO order_items (order_id, line_no, sku, quantity, unit_price, picked_quantity) "
        f"SELECT id, 1, 'SKU-' || lpad((id % 500 + 1)::text, 4, '0'), 1, amount, 0 FROM orders "
        f"WHERE {ids}",
        "INSERT INTO order_items (order_id, line_no, sku, quantity, unit_price, picked_quantity) "
        f"SELECT id, 2, 'SKU-' || lpad((id * 7 % 500 + 1)::text, 4, '0'), 1, 9.90, 0 FROM orders "
        f"WHERE {ids} AND id % 3 = 0",
    ]


# Open stages of a backlog: share, and how long ago (hours, at most) orders entered them. Each
# range keeps the stage's SLA (rules.defaults) at least an hour ahead of ``now``; picked and
# held orders have no stage SLA and a ship-by promise a day or more ahead.
OPEN_MIX = (("pending_review", 0.05, 3.0), ("awaiting_pick", 0.45, 1.0), ("picked", 0.2, 10.0),
            ("packed", 0.2, 11.0), ("on_hold", 0.1, 10.0))  # fmt: skip
OPEN_COLUMNS = (*ORDER_COLUMNS, "next_deadline_at")


def _open_row(rng: random.Random, number: int, now: datetime, channels: dict[str, int],
              loaded: LoadedRules) -> tuple[object, ...]:  # fmt: skip
    stage = rng.choices([m[0] for m in OPEN_MIX], [m[1] for m in OPEN_MIX])[0]
    within = next(m[2] for m in OPEN_MIX if m[0] == stage)
    entered = now - timedelta(hours=rng.uniform(0, within))
    paid = entered - timedelta(minutes=rng.uniform(1, 60 if stage == "pending_review" else 600))
    paid = max(paid, now - timedelta(hours=20))
    times = {"paid_at": paid}
    if stage == "pending_review":
        times["pending_review_at"] = entered
    else:
        times["awaiting_pick_at"] = min(paid + timedelta(minutes=3), entered)
    if stage == "picked":
        times["first_picked_at"] = times["picked_at"] = entered
    if stage == "packed":
        picked = entered - (entered - times["awaiting_pick_at"]) / 2
        times["first_picked_at"] = times["picked_at"] = picked
        times["packed_at"] = entered
    if stage == "on_hold":
        times["on_hold_at"] = entered
    name = rng.choices(list(channels), [c[2] for c in CHANNELS])[0]
    warehouse = _pick(rng, WAREHOUSES)
    ship_by = paid + timedelta(hours=48)
    clock = OrderClock(stage, entered, name, warehouse, paid, ship_by)
    due = deadlines(clock, loaded, ZONE)[0].due_at
    held = stage == "on_hold"
    return (
        number, f"OW{number:010d}", channels[name], f"{name[:3].upper()}{number:011d}", stage,
        entered, _pick(rng, HOLDS) if held else None, "awaiting_pick" if held else None,
        rng.choice(("alipay", "wechat", "先用后付")), f"{rng.randint(990, 59900) / 100:.2f}",
        warehouse, ship_by, paid - timedelta(minutes=2), entered,
        *(times.get(c) for c in ("pending_review_at", "paid_at", "awaiting_pick_at",
                                 "first_picked_at", "picked_at", "packed_at")),
        None, None, None, times.get("on_hold_at"), 1, now, due,
    )  # fmt: skip


def generate_open(engine: Engine, *, orders: int, now: datetime, seed: int = 1,
                  first_id: int = 1) -> Generated:  # fmt: skip
    """Add ``orders`` open orders (ids from ``first_id``) paid in the 20 hours before ``now``,
    spread over the open stages (``OPEN_MIX``), channels and warehouses, with their lines and
    ``next_deadline_at`` (the default rules' earliest deadline, at least an hour ahead)."""
    began = time.perf_counter()
    rng = random.Random(seed)
    channels = _channels(engine)
    loaded = LoadedRules(DEFAULT_RULES)
    with engine.begin() as connection:
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY orders ({', '.join(OPEN_COLUMNS)}) FROM STDIN") as copy:
            for number in range(first_id, first_id + orders):
                copy.write_row(_open_row(rng, number, now, channels, loaded))
    last_id = first_id + orders - 1
    with engine.begin() as connection:
        for statement in _lines(f"id BETWEEN {first_id} AND {last_id}"):
            connection.execute(text(statement))
        connection.execute(text(f"SELECT setval('order_no_seq', {last_id})"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    return Generated(orders, now - timedelta(hours=20), now, time.perf_counter() - began)


def _floor_facts(connection: object, rng: random.Random, first: datetime, end: datetime,
                 channels: dict[str, int]) -> None:  # fmt: skip
    """Refused scans, cycle counts and missed orders: a handful a day."""
    days = (end - first).days + 1
    exceptions: list[dict[str, object]] = []
    counts: list[dict[str, object]] = []
    missed: list[dict[str, object]] = []
    for day in range(days):
        start = first + timedelta(days=day)
        for _ in range(rng.randint(2, 12)):
            exceptions.append({"code": rng.choice(("sku_not_on_order", "pack_before_pick",
                                                    "order_on_hold")),
                               "warehouse": _pick(rng, WAREHOUSES),
                               "at": start + timedelta(minutes=rng.randint(0, 1439))})  # fmt: skip
        for _ in range(20):
            expected = rng.randint(0, 200)
            counted = expected if rng.random() < 0.9 else max(0, expected + rng.randint(-3, 3))
            counts.append({"sku": f"SKU-{rng.randint(1, 500):04d}", "warehouse":
                           _pick(rng, WAREHOUSES), "counted": counted, "expected": expected,
                           "at": start + timedelta(minutes=rng.randint(0, 1439))})  # fmt: skip
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            missed.append({"channel": rng.choice(list(channels.values())),
                           "id": f"MISSED-{day}-{len(missed)}",
                           "at": start + timedelta(minutes=rng.randint(0, 1439))})  # fmt: skip
    execute = connection.execute  # type: ignore[attr-defined]
    if exceptions:
        execute(text("INSERT INTO warehouse_exceptions (code, message, warehouse, at) "
                     "VALUES (:code, 'refused scan', :warehouse, :at)"), exceptions)  # fmt: skip
    if counts:
        execute(text("INSERT INTO inventory_counts (sku, warehouse, counted, expected, "
                     "counted_at, counted_by, recorded_at) VALUES (:sku, :warehouse, :counted, "
                     ":expected, :at, 'counter', :at)"), counts)  # fmt: skip
    if missed:
        execute(text("INSERT INTO missed_orders (channel_id, channel_order_id, found_at) "
                     "VALUES (:channel, :id, :at)"), missed)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--url", default=bench_url())
    parser.add_argument("--end", default=None, help="UTC end of the history (default: now)")
    args = parser.parse_args()
    end = datetime.fromisoformat(args.end).replace(tzinfo=UTC) if args.end else datetime.now(UTC)
    engine = make_engine(args.url)
    upgrade(engine)
    with engine.connect() as connection:
        first_id = int(connection.scalar(text("SELECT COALESCE(MAX(id), 0) FROM orders")) or 0) + 1
    made = generate(engine, orders=args.orders, end=end, first_id=first_id)
    print(f"{made.orders:,} orders paid {made.first_paid:%Y-%m-%d} … {made.last_paid:%Y-%m-%d} "
          f"in {made.seconds:.1f} s ({made.orders / made.seconds:,.0f} orders/s)")  # fmt: skip


if __name__ == "__main__":
    main()

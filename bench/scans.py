"""Handheld scan throughput over HTTP against the same store work done directly, in one run.

Starts the real app (``orderwatch serve``: uvicorn on loopback, its default worker process per
core) in a subprocess against a scratch PostgreSQL database pre-loaded with released orders,
then drives scans from a separate client process (asyncio, one lean keep-alive HTTP/1.1
connection per handheld):

(a) batches of 100 scans from 4 concurrent handhelds;
(b) single scans from 32 concurrent handhelds (one token each), with p50/p99 latency;

and, in this process, (c) the same batches applied by ``store.scans.apply_scans`` directly,
with the same concurrency. Each order gets its full floor flow: a pick per line, pack, pickup.

Prints human-readable figures, then as its last line one JSON object:
``{"batched_scans_per_s": …, "single_rps": …, "single_p99_ms": …, "http_overhead_ratio": …}``
where ``http_overhead_ratio`` = direct scans/s ÷ batched HTTP scans/s (1.0: HTTP costs
nothing; 2.0: the API takes twice the time of the store work alone).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import statistics
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from bench.common import bench_url, scratch_database, server
from orderwatch.settings import Settings
from store.canonical import CanonicalItem, CanonicalOrder
from store.channels import create_channel
from store.db import session_factory
from store.inventory import receive_stock
from store.people import create_token
from store.scans import ScanInput, ScanKind, apply_scans
from store.stages import Stage
from store.upsert import upsert_orders

WAREHOUSE = "SH-01"
SKUS = [f"SKU-{n:04d}" for n in range(1, 501)]
BATCH = 100
BATCH_CLIENTS = 4
SINGLE_CLIENTS = 32
START = datetime(2026, 10, 1, tzinfo=UTC)

Scan = dict[str, Any]


# --- the store ------------------------------------------------------------------------------


def preload(sessions: sessionmaker[Session], engine: Engine, count: int) -> list[list[Scan]]:
    """``count`` released orders with stock reserved; returns each order's scans in order."""
    rng = random.Random(4)
    with sessions.begin() as session:
        create_channel(session, name="bench", platform="taobao")
        receive_stock(
            session,
            receipt_id="bench",
            warehouse=WAREHOUSE,
            lines=dict.fromkeys(SKUS, 1_000_000),
            received_by="bench",
        )
    orders = [_order(n, rng) for n in range(count)]
    for start in range(0, count, 10_000):
        with sessions.begin() as session:
            upsert_orders(session, "bench", orders[start : start + 10_000])
    _release_all(engine)
    with engine.connect() as connection:
        numbers: dict[str, str] = dict(
            connection.execute(text("SELECT channel_order_id, order_no FROM orders")).all()
        )
    return [_flow(numbers[o.channel_order_id], o) for o in orders]


def _order(n: int, rng: random.Random) -> CanonicalOrder:
    paid = START + timedelta(seconds=n * 3)
    items = tuple(
        CanonicalItem(sku=sku, quantity=rng.randint(1, 2), unit_price=Decimal("19.90"))
        for sku in rng.sample(SKUS, rng.randint(1, 3))
    )
    return CanonicalOrder(
        channel_order_id=f"B{n:09d}",
        stage=Stage.PAID,
        amount=sum((i.unit_price * i.quantity for i in items), Decimal("0")),
        created_at=paid - timedelta(minutes=2),
        modified_at=paid,
        paid_at=paid,
        warehouse=WAREHOUSE,
        ship_by=paid + timedelta(hours=48),
        items=items,
    )


def _release_all(engine: Engine) -> None:
    """What ``ingest.release`` does order by order, set-based, so loading 50k orders takes
    seconds: reserve every line, then move every order to awaiting pick."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO reservations (order_id, line_no, sku, warehouse, quantity, "
                "reserved_at) SELECT i.order_id, i.line_no, i.sku, o.warehouse, i.quantity, now() "
                "FROM order_items i JOIN orders o ON o.id = i.order_id"
            )
        )
        connection.execute(
            text(
                "UPDATE inventory SET reserved = r.total FROM (SELECT sku, sum(quantity) AS total "
                "FROM reservations GROUP BY sku) r WHERE inventory.sku = r.sku"
            )
        )
        connection.execute(
            text(
                "UPDATE orders SET stage = 'awaiting_pick', awaiting_pick_at = paid_at, "
                "stage_entered_at = paid_at, version = version + 1"
            )
        )
        connection.execute(text("ANALYZE"))


def _flow(order_no: str, order: CanonicalOrder) -> list[Scan]:
    scans: list[Scan] = [
        {"kind": "pick", "order_no": order_no, "sku": item.sku, "quantity": item.quantity}
        for item in order.items
    ]
    scans.append({"kind": "pack", "order_no": order_no, "weight_kg": "0.850"})
    scans.append({"kind": "pickup", "order_no": order_no, "carrier": "SF", "waybill": order_no})
    for n, scan in enumerate(scans):
        scan["scan_id"] = f"{order_no}-{n}"
        scan["at"] = (START + timedelta(days=1, seconds=n)).isoformat()
    return scans


def checkpoint(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("CHECKPOINT"))


def tokens(sessions: sessionmaker[Session], count: int) -> list[str]:
    with sessions.begin() as session:
        return [
            create_token(session, name=f"pda-{n:02d}", scopes=["scans"]).secret
            for n in range(count)
        ]


# --- the workload ---------------------------------------------------------------------------


def batches(flows: Sequence[list[Scan]], size: int) -> list[list[Scan]]:
    """Whole order flows packed into batches of about ``size`` scans, in scanning order."""
    out: list[list[Scan]] = [[]]
    for flow in flows:
        if len(out[-1]) + len(flow) > size:
            out.append([])
        out[-1].extend(flow)
    return [batch for batch in out if batch]


def _first_scans(flows: Sequence[list[Scan]], limit: int) -> list[list[Scan]]:
    """Whole order flows holding about ``limit`` scans; a handheld sends one flow's scans in
    order, one request each."""
    taken: list[list[Scan]] = []
    for flow in flows:
        if sum(map(len, taken)) >= limit:
            break
        taken.append(flow)
    return taken


def deal(items: Sequence[Any], hands: int) -> list[list[Any]]:
    return [list(items[n::hands]) for n in range(hands)]


def direct(sessions: sessionmaker[Session], work: list[list[Scan]], clients: int) -> float:
    """The same batches through ``apply_scans`` in this process, ``clients`` at a time."""

    def run(mine: list[list[Scan]]) -> None:
        for batch in mine:
            with sessions.begin() as session:
                apply_scans(session, [_input(scan) for scan in batch], device="direct")

    threads = [threading.Thread(target=run, args=(hand,)) for hand in deal(work, clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began


def _input(scan: Scan) -> ScanInput:
    weight = scan.get("weight_kg")
    return ScanInput(
        scan_id=scan["scan_id"],
        kind=ScanKind(scan["kind"]),
        order_no=scan["order_no"],
        at=datetime.fromisoformat(scan["at"]),
        sku=scan.get("sku"),
        quantity=scan.get("quantity"),
        weight_kg=Decimal(weight) if weight else None,
        carrier=scan.get("carrier"),
        waybill=scan.get("waybill"),
    )


# --- the client process ---------------------------------------------------------------------


def client_main(base: str, secrets: list[str], job: str, work: list[Any], out: Any) -> None:
    """Runs in its own process: sends ``work`` and reports (seconds, latencies, failures)."""
    out.send(asyncio.run(_drive(base, secrets, job, work)))


async def _drive(
    base: str, secrets: list[str], job: str, work: list[Any]
) -> tuple[float, list[float], int, int]:
    hands = deal(work, len(secrets))
    latencies: list[float] = []
    failures = retries = 0
    address = httpx.URL(base)

    async def handheld(secret: str, mine: list[Any]) -> None:
        nonlocal failures, retries
        connection = _Connection(str(address.host), int(address.port or 80), secret)
        bodies = mine if job == "batch" else [scan for flow in mine for scan in flow]
        try:
            for body in bodies:
                payload = json.dumps({"scans": body} if job == "batch" else body).encode()
                sent = time.perf_counter()
                status, answer = await connection.post("/api/v1/scans", payload)
                latencies.append(time.perf_counter() - sent)
                failures += status != 200 or _refused(json.loads(answer))
        finally:
            retries += connection.retries
            connection.close()

    began = time.perf_counter()
    await asyncio.gather(*(handheld(s, m) for s, m in zip(secrets, hands, strict=True)))
    return time.perf_counter() - began, latencies, failures, retries


class _Connection:
    """One handheld's keep-alive HTTP/1.1 connection, just enough for POSTing JSON to our own
    server. The load generator shares two cores with the server it measures, so it must cost
    far less per request than the server does: httpx spent about as much CPU as the server."""

    def __init__(self, host: str, port: int, secret: str) -> None:
        self.host, self.port = host, port
        self.head = (
            f"Host: {host}:{port}\r\nAuthorization: Bearer {secret}\r\n"
            "Content-Type: application/json\r\nContent-Length: "
        ).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.retries = 0

    async def post(self, path: str, payload: bytes) -> tuple[int, bytes]:
        # A handheld resends on a dropped connection; scans are idempotent, so a resent
        # scan that had been applied is answered "duplicate".
        request = b"POST %s HTTP/1.1\r\n%s%d\r\n\r\n%s" % (
            path.encode(),
            self.head,
            len(payload),
            payload,
        )
        for attempt in range(4):
            try:
                return await self._exchange(request)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt == 3:
                    raise
                self.retries += 1
        raise AssertionError("unreachable")

    async def _exchange(self, request: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        fields = dict(
            line.split(b":", 1) for line in head.lower().split(b"\r\n")[1:] if b":" in line
        )
        body = await self.reader.readexactly(int(fields[b"content-length"]))
        if fields.get(b"connection", b"").strip() == b"close":
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _refused(body: dict[str, Any]) -> int:
    if "results" in body:
        return int(body["refused"])
    return int(body.get("status") == "refused")


def drive(base: str, secrets: list[str], job: str, work: list[Any]) -> tuple[float, list[float]]:
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=client_main, args=(base, secrets, job, work, sender))
    process.start()
    sender.close()  # so a client that dies ends recv() with EOFError instead of a hang
    try:
        seconds, latencies, failures, retries = receiver.recv()
    except EOFError:
        raise SystemExit(f"the {job} client process died (exit code {process.exitcode})") from None
    process.join()
    if failures:
        raise SystemExit(f"{failures} {job} request(s) or scans were not accepted")
    if retries:
        print(f"  ({retries} request(s) resent after a dropped connection)")
    return seconds, latencies


# --- the server -----------------------------------------------------------------------------


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=50_000, help="released orders to preload")
    parser.add_argument("--quick", action="store_true", help="5k orders, shorter phases")
    args = parser.parse_args()
    count = 5_000 if args.quick else args.orders
    with scratch_database(bench_url()) as engine:
        database_url = engine.url.render_as_string(hide_password=False)
        sessions = session_factory(engine)
        began = time.perf_counter()
        flows = preload(sessions, engine, count)
        print(f"preloaded {count:,} released orders in {time.perf_counter() - began:.1f} s")
        secrets = tokens(sessions, SINGLE_CLIENTS)
        # Disjoint orders per phase: 30 % direct, 30 % batched over HTTP, the rest single.
        third = int(count * 0.3)
        direct_work = batches(flows[:third], BATCH)
        http_work = batches(flows[third : 2 * third], BATCH)
        singles = _first_scans(flows[2 * third :], 4_000 if args.quick else 12_000)
        direct_scans = sum(map(len, direct_work))
        http_scans = sum(map(len, http_work))

        checkpoint(engine)
        direct_s = direct(sessions, direct_work, BATCH_CLIENTS)
        direct_rate = direct_scans / direct_s
        print(f"direct (no HTTP)  {direct_rate:>9,.0f} scans/s  ({direct_scans:,} scans)")
        print(f"server: orderwatch serve with {Settings().web_workers} worker process(es)")
        with server(database_url) as base:
            checkpoint(engine)
            batch_s, batch_lat = drive(base, secrets[:BATCH_CLIENTS], "batch", http_work)
            batch_rate = http_scans / batch_s
            print(
                f"batched HTTP      {batch_rate:>9,.0f} scans/s  ({http_scans:,} scans, "
                f"p50 {_ms(batch_lat, 50):.1f} ms, p99 {_ms(batch_lat, 99):.1f} ms per batch)"
            )
            checkpoint(engine)
            single_s, single_lat = drive(base, secrets, "single", singles)
            single_count = len(single_lat)
            single_rate = single_count / single_s
            print(
                f"single HTTP       {single_rate:>9,.0f} requests/s  ({single_count:,} scans, "
                f"{SINGLE_CLIENTS} clients, p50 {_ms(single_lat, 50):.1f} ms, "
                f"p99 {_ms(single_lat, 99):.1f} ms)"
            )
    ratio = direct_rate / batch_rate
    print(
        f"HTTP overhead     {ratio:.2f}× the direct store work "
        f"(the API keeps {1 / ratio:.0%} of the direct rate)"
    )
    print("targets: batched ≥ 3,000 scans/s; single ≥ 400 requests/s with p99 ≤ 50 ms")
    result = {
        "batched_scans_per_s": round(batch_rate),
        "single_rps": round(single_rate),
        "single_p99_ms": round(_ms(single_lat, 99), 1),
        "http_overhead_ratio": round(ratio, 3),
    }
    print(json.dumps(result))


def _ms(latencies: list[float], percentile: int) -> float:
    if len(latencies) < 2:
        return latencies[0] * 1000 if latencies else 0.0
    return statistics.quantiles(latencies, n=100)[percentile - 1] * 1000


if __name__ == "__main__":
    main()

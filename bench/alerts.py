"""The alerts pipeline end to end on PostgreSQL with 10k and with 1M open orders, and
Prometheus Alertmanager grouping the same burst of alerts, in one run.

1. **Deadline to webhook.** Each store holds open orders (``bench.generate.generate_open``:
   a flash sale's backlog, every deadline at least an hour ahead) and the real
   ``orderwatch worker`` runs against it (its periodic jobs, the alerts engine and the outbox
   deliverer, as deployed). Probe orders come due one every ``SPACING_S``; each is its own
   group (``group_by = ["order_no"]``, ``group_wait = 0``) and so its own signed webhook. The
   loopback receiver notes when each arrives: p50/p99 of arrival − deadline (target p99 ≤ 1 s).
2. **Alertmanager.** 1,000 orders come due at one instant; with ``group_wait`` /
   ``group_interval`` as Alertmanager's defaults (30 s / 5 min), the time until the one grouped
   message arrives. Then Debian's ``prometheus-alertmanager`` (installed with apt-get when
   missing), on loopback with the same grouping and a webhook receiver, is sent 1,000 alerts at
   one instant through its API: the time until its grouped message arrives. Ratio orderwatch /
   Alertmanager, the median over rounds (target ≤ 1).
3. **The timer's cost per wake-up.** With the workers stopped, ``alerts.engine.wake_up`` (one
   wake-up, the worker's own code) is timed on both stores at chosen instants, alternating:
   a wake-up at a deadline (one order due: found through the index, checked, alerted, routed,
   grouped, written to the outbox) and an idle one. Ratio 1M / 10k of the medians of the
   deadline wake-ups (target ≤ 1.5).

Last line: ``{"p99_s_10k": …, "p99_s_1m": …, "tick_cost_ratio": …, "vs_alertmanager_ratio": …}``
(``--quick``: 10k and 100k orders, fewer probes, ``group_wait`` 5 s, one round; the larger
store's figure still goes by ``p99_s_1m``).
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import structlog
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from alerts.config import AlertsSection, ReceiverConfig, RouteConfig, apply_alerts
from alerts.engine import TimerState, wake_up
from alerts.notifiers.webhook import webhook_id
from alerts.notify import NotifySettings
from bench.board import percentile
from bench.common import bench_url, free_port, orderwatch, scratch_database
from bench.generate import CHANNELS, generate_open
from metrics.rollups import roll_up
from rules.review import current_rules
from rules.sla import refresh_changed_deadlines, refresh_deadlines
from store.canonical import CanonicalOrder
from store.channels import create_channel
from store.db import session_factory
from store.history import set_stage_times
from store.models import Alert, AlertDelivery, AlertGroup, Order
from store.transitions import move_order
from store.upsert import upsert_orders

ZONE = ZoneInfo("Asia/Shanghai")
SECRET = "whsec_" + base64.b64encode(b"orderwatch-bench-secret-32bytes!").decode()
SETTINGS = NotifySettings(
    zone=ZONE, secret_key=uuid.uuid4().hex, public_url="http://127.0.0.1:8050"
)
CHANNEL = CHANNELS[0][0]
SPACING_S = 0.2
"""Probes come due this far apart: five deadlines a second, each a wake-up of the timer."""
LEAD_S = 8.0
"""The first probe is due this long after the probes are written (the engine, asleep for at
most 5 s, reads the new earliest deadline on its next wake-up)."""
BURST = 1000
AM_BINARY = "prometheus-alertmanager"


@dataclass(frozen=True)
class Plan:
    small: int
    large: int
    probes: int
    group_wait_s: int
    group_interval_s: int
    rounds: int
    wakes: int


FULL = Plan(10_000, 1_000_000, 300, 30, 300, 3, 40)
QUICK = Plan(10_000, 100_000, 40, 5, 60, 1, 15)


# --- the loopback receiver ------------------------------------------------------------------


@dataclass
class Arrival:
    path: str
    msg_id: str
    at: datetime
    body: dict[str, Any]


@dataclass
class Receiver:
    """Notes the arrival time of every POST (orderwatch on /hook, Alertmanager on /am)."""

    arrivals: list[Arrival] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, found: Callable[[list[Arrival]], bool], timeout_s: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: found(self.arrivals), timeout_s)


@contextmanager
def receiving() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            at = datetime.now(UTC)
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            self.send_response(204)
            self.end_headers()
            arrival = Arrival(self.path, self.headers.get("webhook-id", ""), at, json.loads(body))
            with receiver.changed:
                receiver.arrivals.append(arrival)
                receiver.changed.notify_all()

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


# --- the store ------------------------------------------------------------------------------


def build(engine: Engine, orders: int, hook: str, plan: Plan) -> None:
    """Open orders on channels the worker does not pull (the bench has no platform to pull
    from), and the routing: the bursts grouped as usual, every probe a group of its own."""
    began = time.perf_counter()
    sessions = session_factory(engine)
    with sessions.begin() as session:
        for name, _platform, _share in CHANNELS:
            create_channel(session, name=name, platform="import")
    generate_open(engine, orders=orders, now=datetime.now(UTC))
    with sessions.begin() as session:  # the deadlines and rollups as a running worker leaves them
        refresh_changed_deadlines(session, current_rules(session), zone=ZONE, now=_now())
        roll_up(session, now=_now())
    bursts = tuple(f"BURST-{n}" for n in range(1, plan.rounds + 2))
    routes = (
        RouteConfig(name="burst", match={"kind": ("sla_breach",), "warehouse": bursts},
                    group_wait=plan.group_wait_s, group_interval=plan.group_interval_s,
                    levels=(("hook",),)),
        RouteConfig(name="probes", match={"kind": ("sla_breach",)}, group_by=("order_no",),
                    group_wait=0, group_interval=60, levels=(("hook",),)),
    )  # fmt: skip
    receiver = ReceiverConfig(
        name="hook", kind="webhook", settings={"base_url": f"{hook}/hook", "secret": SECRET}
    )
    with sessions.begin() as session:
        apply_alerts(session, AlertsSection(receivers=(receiver,), routes=routes), author="bench")
    print(f"built a store of {orders:,} open orders in {time.perf_counter() - began:.0f} s",
          flush=True)  # fmt: skip


def _now() -> datetime:
    return datetime.now(UTC)


def due_orders(
    sessions: sessionmaker[Session],
    offsets_s: Sequence[float],
    *,
    lead_s: float,
    prefix: str,
    warehouse: str,
) -> tuple[list[int], list[datetime]]:
    """Orders in 待拣货 coming due ``lead_s`` + each of ``offsets_s`` seconds after they are
    written (they entered the stage two hours, the default SLA, before that), with their
    deadlines set; returns their ids and deadlines. Written first with placeholder times and
    then timed, so that a slow write does not eat into the lead."""
    stamp = f"{prefix}{time.time_ns() % 10**9}"
    now = _now()
    orders = [
        CanonicalOrder(
            channel_order_id=f"{stamp}-{n}", stage="paid", amount=Decimal("99.00"),
            created_at=now - timedelta(minutes=5), modified_at=now, paid_at=now,
            warehouse=warehouse,
        )
        for n in range(len(offsets_s))
    ]  # fmt: skip
    with sessions.begin() as session:
        upsert_orders(session, CHANNEL, orders)
        query = select(Order.id, Order.order_no, Order.channel_order_id).where(
            Order.channel_order_id.in_([o.channel_order_id for o in orders])
        )
        rows = {cid: (oid, no) for oid, no, cid in session.execute(query)}
        for order in orders:
            move_order(session, order_no=rows[order.channel_order_id][1], to="awaiting_pick",
                       source="rule", at=now)  # fmt: skip
    written = _now()
    dues = [written + timedelta(seconds=lead_s + offset) for offset in offsets_s]
    times = [
        (o.channel_order_id, {"paid_at": due - timedelta(hours=2, minutes=1),
                              "awaiting_pick_at": due - timedelta(hours=2)})
        for o, due in zip(orders, dues, strict=True)
    ]  # fmt: skip
    with sessions.begin() as session:
        set_stage_times(session, CHANNEL, times)
        ids = [rows[o.channel_order_id][0] for o in orders]
        refresh_deadlines(session, current_rules(session), zone=ZONE, order_ids=ids)
    return ids, dues


def deadlines_of(sessions: sessionmaker[Session], order_ids: Sequence[int]) -> dict[str, datetime]:
    """``webhook-id`` → the deadline behind it, for the first notifications of these orders'
    groups."""
    with sessions() as session:
        rows = session.execute(
            select(AlertDelivery.idempotency_key, AlertDelivery.due_at)
            .join(AlertGroup, AlertGroup.id == AlertDelivery.group_id)
            .join(Alert, Alert.group_id == AlertGroup.id)
            .where(Alert.order_id.in_(order_ids), AlertDelivery.event == "firing")
        )
        return {webhook_id(key): due for key, due in rows if due is not None}


# --- 1. deadline to webhook -----------------------------------------------------------------


def latencies(engine: Engine, receiver: Receiver, probes: int) -> list[float]:
    """Seconds from deadline to arrival of each probe's webhook, with the worker running."""
    sessions = session_factory(engine)
    url = engine.url.render_as_string(hide_password=False)
    with orderwatch("worker", url, {"ORDERWATCH_PUBLIC_URL": SETTINGS.public_url}) as process:
        # Warm-up: ten probes, to know the worker's engine runs before the measured ones.
        _probe_run(sessions, receiver, 10, process)
        return _probe_run(sessions, receiver, probes, process)


def _probe_run(
    sessions: sessionmaker[Session],
    receiver: Receiver,
    count: int,
    process: subprocess.Popen[bytes],
) -> list[float]:
    offsets = [n * SPACING_S for n in range(count)]
    ids, _dues = due_orders(sessions, offsets, lead_s=LEAD_S, prefix="P", warehouse="SH-01")
    timeout = LEAD_S + count * SPACING_S + 60

    def arrived(arrivals: list[Arrival]) -> bool:
        if process.poll() is not None:
            raise SystemExit(f"orderwatch worker exited with {process.returncode}")
        wanted = deadlines_of(sessions, ids)
        return len(wanted) == count and wanted.keys() <= {a.msg_id for a in arrivals}

    if not _poll(lambda: arrived(receiver.arrivals), timeout):
        raise SystemExit(f"not every probe's webhook arrived within {timeout:.0f} s")
    wanted = deadlines_of(sessions, ids)
    at = {a.msg_id: a.at for a in receiver.arrivals if a.msg_id in wanted}
    return sorted((at[msg] - due).total_seconds() for msg, due in wanted.items())


def _poll(condition: Callable[[], bool], timeout_s: float, every_s: float = 0.5) -> bool:
    """Whether ``condition`` came true within ``timeout_s`` (looked at every ``every_s``)."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(every_s)
    return condition()


# --- 2. a burst of 1,000: orderwatch and Alertmanager ---------------------------------------


def orderwatch_burst(engine: Engine, receiver: Receiver, warehouse: str) -> float:
    """Seconds from the deadline of 1,000 orders to the arrival of their grouped message."""
    sessions = session_factory(engine)
    _ids, dues = due_orders(sessions, [0.0] * BURST, lead_s=LEAD_S, prefix="B", warehouse=warehouse)
    due = dues[0]
    title = f"{BURST} 单在 {warehouse} 待拣货"

    def grouped(arrivals: list[Arrival]) -> bool:
        return any(a.path == "/hook" and a.body["data"]["title"].startswith(title)
                   for a in arrivals)  # fmt: skip

    if not receiver.wait_for(grouped, LEAD_S + 130):
        raise SystemExit(f"orderwatch's grouped message for {warehouse} did not arrive")
    arrival = next(a for a in receiver.arrivals if grouped([a]))
    return (arrival.at - due).total_seconds()


def alertmanager_binary() -> str:
    """Debian's Alertmanager, installed with apt-get when missing."""
    found = shutil.which(AM_BINARY)
    if found:
        return found
    print(f"installing {AM_BINARY} with apt-get …", flush=True)
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", AM_BINARY]):
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    found = shutil.which(AM_BINARY)
    if not found:
        raise SystemExit(f"{AM_BINARY} is not on PATH after installing it")
    return found


@contextmanager
def alertmanager(hook: str, plan: Plan) -> Iterator[str]:
    """Alertmanager on a loopback port with the bench's grouping and one webhook receiver."""
    config = f"""
route:
  receiver: hook
  group_by: [alertname, warehouse, stage]
  group_wait: {plan.group_wait_s}s
  group_interval: {plan.group_interval_s}s
  repeat_interval: 4h
receivers:
  - name: hook
    webhook_configs:
      - url: {hook}/am
        send_resolved: false
"""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="bench-am-") as tmp:
        path = Path(tmp) / "alertmanager.yml"
        path.write_text(config)
        command = [
            alertmanager_binary(),
            f"--config.file={path}",
            f"--storage.path={tmp}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",  # one instance: no gossip, no peer wait
        ]
        log = (Path(tmp) / "log").open("wb")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            if not _poll(lambda: _ready(f"{base}/-/ready", process), 30, 0.1):
                raise SystemExit("Alertmanager did not become ready")
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.close()


def _ready(url: str, process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        raise SystemExit(f"Alertmanager exited with {process.returncode}")
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def alertmanager_burst(base: str, receiver: Receiver, warehouse: str) -> float:
    """Seconds from the instant 1,000 alerts are due (and posted) to the grouped message."""
    due = datetime.now(UTC) + timedelta(seconds=2)
    alerts = [
        {"labels": {"alertname": "sla_breach", "warehouse": warehouse, "stage": "awaiting_pick",
                    "order_no": f"OW{n:010d}"},
         "annotations": {"summary": "待拣货 超过 2 小时"},
         "startsAt": due.isoformat(), "endsAt": (due + timedelta(hours=1)).isoformat()}
        for n in range(BURST)
    ]  # fmt: skip
    body = json.dumps(alerts)
    with httpx.Client() as client:
        time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
        answer = client.post(f"{base}/api/v2/alerts", content=body,
                             headers={"content-type": "application/json"})  # fmt: skip
        answer.raise_for_status()

    def grouped(arrivals: list[Arrival]) -> bool:
        return any(a.path == "/am" and a.body["groupLabels"].get("warehouse") == warehouse
                   for a in arrivals)  # fmt: skip

    if not receiver.wait_for(grouped, 130):
        raise SystemExit(f"Alertmanager's grouped message for {warehouse} did not arrive")
    arrival = next(a for a in receiver.arrivals if grouped([a]))
    if len(arrival.body["alerts"]) != BURST:
        raise SystemExit(f"Alertmanager grouped {len(arrival.body['alerts'])} alerts, not {BURST}")
    return (arrival.at - due).total_seconds()


# --- 3. the timer's cost per wake-up --------------------------------------------------------


@dataclass
class Timed:
    """One store's engine, timed at instants the bench picks."""

    sessions: sessionmaker[Session]
    state: TimerState
    due: list[float] = field(default_factory=list)
    idle: list[float] = field(default_factory=list)

    def wake(self, now: datetime, into: list[float]) -> None:
        began = time.perf_counter()
        wake_up(self.sessions, SETTINGS, self.state, now)
        into.append((time.perf_counter() - began) * 1000)


def tick_costs(engines: Sequence[Engine], wakes: int) -> list[Timed]:
    """Milliseconds of deadline and idle wake-ups on each store, alternating between them."""
    offsets = [float(n) for n in range(wakes + 2)]
    timed, dues = [], []
    for engine in engines:
        sessions = session_factory(engine)
        # Five minutes ahead (the bench wakes the engine at chosen times, no clock runs out).
        _ids, mine = due_orders(sessions, offsets, lead_s=300, prefix="T", warehouse="SH-01")
        dues.append(mine)
        before = mine[0] - timedelta(seconds=1)
        # As the running engine leaves it: everything up to just before looked at already.
        state = TimerState(watermark=before, last_full_sweep=before, last_resolve_sweep=before,
                           last_tick=before)  # fmt: skip
        timed.append(Timed(sessions, state))
    for n in range(len(offsets)):
        for one, mine in zip(timed, dues, strict=True):
            # The first two wake-ups of each store warm its connection and caches.
            one.wake(mine[n] + timedelta(milliseconds=1), one.due if n >= 2 else [])
        for one, mine in zip(timed, dues, strict=True):
            one.wake(mine[n] + timedelta(milliseconds=500), one.idle if n >= 2 else [])
    return timed


# --- the run --------------------------------------------------------------------------------


def load() -> str:
    """The machine's 1-minute load average (2 cores, shared with other work)."""
    return f"{os.getloadavg()[0]:.1f}"


def label(size: int) -> str:
    return f"{size // 1000}k" if size < 10**6 else f"{size // 10**6}M"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10k and 100k orders, one round")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    # The engine's own log lines (one per notification) would drown the figures.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    url = bench_url()
    alertmanager_binary()  # before anything is built: a missing package is found at once
    with (
        receiving() as (receiver, hook),
        scratch_database(url) as small_db,
        scratch_database(url) as large_db,
    ):
        build(small_db, plan.small, hook, plan)
        build(large_db, plan.large, hook, plan)
        p99 = {}
        for size, engine in ((plan.small, small_db), (plan.large, large_db)):
            measured = latencies(engine, receiver, plan.probes)
            p50, p99[size] = statistics.median(measured), percentile(measured, 0.99)
            print(f"{label(size):>5} open orders: deadline → webhook p50 {p50:.3f} s  "
                  f"p99 {p99[size]:.3f} s  max {max(measured):.3f} s  ({len(measured)} probes, "
                  f"one every {SPACING_S} s; target p99 ≤ 1 s; load average {load()})",
                  flush=True)  # fmt: skip
        ratios = []
        small_url = small_db.url.render_as_string(hide_password=False)
        env = {"ORDERWATCH_PUBLIC_URL": SETTINGS.public_url}
        with alertmanager(hook, plan) as am, orderwatch("worker", small_url, env):
            for round_no in range(1, plan.rounds + 1):
                warehouse = f"BURST-{round_no}"
                ours = orderwatch_burst(small_db, receiver, warehouse)
                theirs = alertmanager_burst(am, receiver, warehouse)
                ratios.append(ours / theirs)
                print(f"burst of {BURST:,} due together (group_wait {plan.group_wait_s} s), "
                      f"round {round_no}: orderwatch {ours:.3f} s  Alertmanager {theirs:.3f} s  "
                      f"ratio {ours / theirs:.4f}; load average {load()}", flush=True)  # fmt: skip
        small, large = tick_costs((small_db, large_db), plan.wakes)
    versus = statistics.median(ratios)
    print(f"orderwatch / Alertmanager {versus:.4f}  (median of {len(ratios)} rounds; target ≤ 1)")
    costs = {}
    for size, timed in ((plan.small, small), (plan.large, large)):
        costs[size] = statistics.median(timed.due)
        print(f"{label(size):>5} open orders: timer wake-up at a deadline p50 {costs[size]:.1f} ms "
              f"(p90 {percentile(timed.due, 0.9):.1f}), idle p50 "
              f"{statistics.median(timed.idle):.1f} ms ({len(timed.due)} each)")  # fmt: skip
    cost_ratio = costs[plan.large] / costs[plan.small]
    print(f"wake-up cost {label(plan.large)} / {label(plan.small)} {cost_ratio:.2f}  "
          f"(target ≤ 1.5)")  # fmt: skip
    result = {
        "p99_s_10k": round(p99[plan.small], 3),
        "p99_s_1m": round(p99[plan.large], 3),
        "tick_cost_ratio": round(cost_ratio, 3),
        "vs_alertmanager_ratio": round(versus, 4),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""The metrics of a few hundred random orders against a plain-Python computation of the same
definitions (percentile_cont written out by hand), on SQLite and PostgreSQL."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from metrics.report import metrics_document
from metrics.rollups import rebuild
from metrics.sql import percentile_cont
from metrics.window import Scope, parse_window
from store.models import MetricHourly
from tests.metrics.fixtures import SHANGHAI, Spec, load, local

WINDOW = parse_window("2025-03-03", "2025-03-09", SHANGHAI)
FLOW = ("paid_at", "awaiting_pick_at", "picked_at", "packed_at", "shipped_at")


def by_hand(values: list[float], q: float) -> float:
    """percentile_cont from its definition, independent of the code under test."""
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    below = ordered[math.floor(rank)]
    above = ordered[math.ceil(rank)]
    return below + (above - below) * (rank - math.floor(rank))


def random_specs(count: int, seed: int = 7) -> list[Spec]:
    rng = random.Random(seed)
    specs = []
    for n in range(count):
        moment = local("03-02 20:00") + timedelta(minutes=rng.randint(0, 8 * 24 * 60))
        times: dict[str, datetime] = {}
        steps = rng.randint(1, len(FLOW))
        for column in FLOW[:steps]:
            times[column] = moment
            moment += timedelta(minutes=rng.randint(1, 600))
        if rng.random() < 0.05 and "packed_at" in times:  # a backwards time
            times["packed_at"] = times["picked_at"] - timedelta(minutes=5)
        stage = FLOW[steps - 1].removesuffix("_at")
        ship_by = times["paid_at"] + timedelta(hours=rng.choice((6, 12, 24)))
        specs.append(Spec(f"R{n}", stage, times, ship_by=ship_by))
    return specs


def in_window(moment: datetime | None) -> bool:
    return moment is not None and WINDOW.start <= moment < WINDOW.end


def hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600


def test_random_orders_match_python(sessions: sessionmaker[Session]) -> None:
    specs = random_specs(300)
    load(sessions, specs)
    with sessions() as session:
        doc = metrics_document(session, window=WINDOW, scope=Scope(), now=local("03-12 00:00"))

    shipped = [s for s in specs if in_window(s.times.get("shipped_at"))]
    processing = [hours(s.times["paid_at"], s.times["shipped_at"]) for s in shipped]
    for q, key in ((0.5, "p50"), (0.9, "p90"), (0.99, "p99")):
        assert getattr(doc.processing_time_hours, key) == pytest.approx(
            by_hand(processing, q), abs=1e-3
        )
        assert percentile_cont(sorted(processing), q) == pytest.approx(by_hand(processing, q))

    picked = [s for s in specs if in_window(s.times.get("packed_at")) and "picked_at" in s.times]
    dwell = [hours(s.times["picked_at"], s.times["packed_at"]) for s in picked]
    kept = [d for d in dwell if d >= 0]
    picked_dwell = doc.stage_dwell_hours["picked"]
    assert picked_dwell.count == len(kept)
    assert picked_dwell.negative_left_out == len(dwell) - len(kept) > 0
    assert picked_dwell.p90 == pytest.approx(by_hand(kept, 0.9), abs=1e-3)

    heat = [[0] * 24 for _ in range(7)]
    for s in specs:
        if in_window(s.times["paid_at"]):
            paid = s.times["paid_at"].astimezone(SHANGHAI)
            heat[paid.weekday()][paid.hour] += 1
    assert doc.intake_heatmap == heat
    assert doc.orders_total == sum(map(sum, heat))

    promised = [s for s in shipped if s.ship_by is not None]
    late = [s for s in promised if s.times["shipped_at"] > s.ship_by]  # type: ignore[operator]
    assert doc.late_shipments.count == len(late)
    assert doc.late_shipments.share == round(len(late) / len(promised), 6)


def test_random_rollups_match_python(sessions: sessionmaker[Session]) -> None:
    specs = random_specs(300, seed=11)
    load(sessions, specs)
    with sessions.begin() as session:
        rebuild(session, WINDOW.start - timedelta(days=2), WINDOW.end + timedelta(days=2))
    with sessions() as session:
        rows = session.query(MetricHourly).all()

    exits = sum(r.exited for r in rows if r.stage == "awaiting_pick")
    dwell = sum(r.dwell_hours_sum for r in rows if r.stage == "awaiting_pick")
    expected = [
        hours(s.times["awaiting_pick_at"], s.times["picked_at"])
        for s in specs
        if "picked_at" in s.times
    ]
    assert exits == len(expected)
    assert dwell == pytest.approx(sum(expected), abs=1e-2)
    assert sum(r.entered for r in rows if r.stage == "paid") == len(specs)

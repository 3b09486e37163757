"""Hourly rollups: they agree with the raw metrics, follow new data incrementally, and a
rebuild picks up corrections; the board reads them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from metrics.board import board
from metrics.report import metrics_document
from metrics.rollups import rebuild, refresh_rollups, roll_up
from metrics.window import Scope, Window, parse_window
from store.history import set_stage_times
from store.models import MetricHourly, Order
from store.transitions import move_order
from store.upsert import upsert_orders
from tests.factories import canonical
from tests.metrics.fixtures import SHANGHAI, Spec, load, local
from tests.metrics.test_report import SPECS, _floor_facts

NOW = local("03-05 21:00")
WEEK = parse_window("2025-03-03", "2025-03-09", SHANGHAI)
TODAY = parse_window("2025-03-05", "2025-03-05", SHANGHAI)


def totals(session: Session, window: Window, stage: str) -> dict[str, float]:
    """Rollup measures of ``stage`` summed over ``window``."""
    columns = ("entered", "exited", "dwell_hours_sum", "late", "promised",
               "processing_hours_sum", "processed")  # fmt: skip
    row = session.execute(
        select(*(func.coalesce(func.sum(getattr(MetricHourly, c)), 0) for c in columns)).where(
            MetricHourly.stage == stage,
            MetricHourly.hour >= window.start,
            MetricHourly.hour < window.end,
        )
    ).one()
    return dict(zip(columns, (float(v) for v in row), strict=True))


@pytest.fixture
def week(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    load(sessions, SPECS)
    with sessions.begin() as session:
        _floor_facts(session)
    return sessions


def test_rollups_agree_with_the_raw_metrics(week: sessionmaker[Session]) -> None:
    after_the_week = local("03-10 10:00")
    with week.begin() as session:
        first = roll_up(session, now=after_the_week)
    with week() as session:
        doc = metrics_document(session, window=WEEK, scope=Scope(), now=after_the_week)
        paid, shipped = totals(session, WEEK, "paid"), totals(session, WEEK, "shipped")
        for stage in ("paid", "awaiting_pick", "picked", "packed"):
            rolled = totals(session, WEEK, stage)
            raw = doc.stage_dwell_hours[stage]
            assert rolled["exited"] == raw.count
            assert rolled["dwell_hours_sum"] / rolled["exited"] == pytest.approx(raw.mean, abs=1e-3)

    assert first.first_run
    assert paid["entered"] == doc.orders_total == 6
    assert shipped["entered"] == 3
    assert (shipped["late"], shipped["promised"]) == (1, 3)
    assert shipped["processing_hours_sum"] / shipped["processed"] == pytest.approx(
        doc.processing_time_hours.mean, abs=1e-3
    )


def test_incremental_runs_follow_new_orders_moves_and_backdated_events(
    week: sessionmaker[Session],
) -> None:
    with week.begin() as session:
        roll_up(session, now=NOW)
    later = NOW + timedelta(minutes=20)
    with week.begin() as session:
        # a new order now, an order that arrives late with a payment from Monday, a move now
        upsert_orders(session, "tmall-main", [
            canonical("G", paid_at=later, modified_at=later, created_at=later),
            canonical("H", paid_at=local("03-03 08:10"), modified_at=later,
                      created_at=local("03-03 08:00")),
        ])  # fmt: skip
        order = _order_no(session, "D")
        move_order(session, order_no=order, to="picked", source="handheld", at=later)
    with week.begin() as session:
        run = roll_up(session, now=later + timedelta(seconds=5))
    with week() as session:
        paid = totals(session, WEEK, "paid")
        monday = totals(session, parse_window("2025-03-03", "2025-03-03", SHANGHAI), "paid")
        picked = totals(session, WEEK, "awaiting_pick")

    assert not run.first_run
    assert paid["entered"] == 7  # A B D E, then G and H (F pays tomorrow)
    assert monday["entered"] == 2
    assert picked["exited"] == 4  # D left awaiting pick


def test_rebuild_picks_up_a_correction_without_a_move(week: sessionmaker[Session]) -> None:
    with week.begin() as session:
        roll_up(session, now=NOW)
        set_stage_times(session, "jd-main", [("C", {"shipped_at": local("03-03 12:00")})])
    with week.begin() as session:
        roll_up(session, now=NOW + timedelta(seconds=5))
    with week() as session:
        stale = totals(session, WEEK, "shipped")["processing_hours_sum"]
    with week.begin() as session:
        rebuild(session, WEEK.start, WEEK.end)
    with week() as session:
        fresh = totals(session, WEEK, "shipped")["processing_hours_sum"]

    # the incremental run recomputes the hours the order has times in now, not the hour its
    # old shipment time left behind; the rebuild does
    assert stale != pytest.approx(12.0, abs=1e-3)
    assert fresh == pytest.approx(12.0, abs=1e-3)


def test_rebuild_is_idempotent(week: sessionmaker[Session]) -> None:
    with week.begin() as session:
        rebuild(session, WEEK.start, WEEK.end)
        once = session.execute(select(MetricHourly).order_by(MetricHourly.hour)).scalars().all()
        snapshot = [(r.hour, r.stage, r.entered, r.exited) for r in once]
    with week.begin() as session:
        rebuild(session, WEEK.start, WEEK.end)
        twice = session.execute(select(MetricHourly).order_by(MetricHourly.hour)).scalars().all()
        assert [(r.hour, r.stage, r.entered, r.exited) for r in twice] == snapshot


def test_board_reads_rollups_and_open_orders(week: sessionmaker[Session]) -> None:
    with week.begin() as session:
        roll_up(session, now=NOW)
    with week() as session:
        live = board(session, now=NOW, window=TODAY, scope=Scope())

    assert (live.kpi("paid").value, live.kpi("shipped").value) == (3, 2)
    assert live.kpi("late_share").value == 0.5
    assert live.window.end == NOW  # today is cut at now
    assert live.stage("awaiting_pick").count == 1
    assert live.stage("awaiting_pick").oldest_age_hours == 6.0
    assert live.sla_open_breaches["awaiting_pick_over_2h"] == 1
    hours = {h.hour: (h.paid, h.shipped) for h in live.throughput}
    assert hours["2025-03-05T14:00"] == (2, 0)
    assert hours["2025-03-05T20:00"] == (0, 1)
    assert live.heatmaps.intake[2][14] == 2
    assert live.heatmaps.busiest[0].label_en == "Wednesday 14:00–15:00"
    assert live.exceptions_by_category == {"out_of_stock": 1}


def _order_no(session: Session, channel_order_id: str) -> str:
    found = session.scalar(select(Order.order_no).where(Order.channel_order_id == channel_order_id))
    assert found is not None
    return found


def test_board_before_any_rollup_reads_the_orders_themselves(sessions: sessionmaker[Session]) -> None:
    load(sessions, [Spec("Z", "paid", {"paid_at": local("03-05 10:00")})])
    with sessions() as session:
        live = board(session, now=NOW, window=TODAY, scope=Scope())
    assert live.rollup_as_of is None
    assert live.stage("paid").count == 1
    assert live.kpi("paid").value == 1  # hours no rollup has finished are read from the orders


def test_worker_job_runs_in_its_own_transaction(week: sessionmaker[Session]) -> None:
    first, second = refresh_rollups(week), refresh_rollups(week)
    with week() as session:
        paid = totals(session, WEEK, "paid")
    assert (first.first_run, second.first_run) == (True, False)
    assert paid["entered"] == 6

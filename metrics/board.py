"""The live board: hourly rollups for what happened, open orders for what is waiting.

Its cost follows the rollup rows of the last four weeks and the work in progress, never the
length of the history: the same whether the store holds one week or three years.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from metrics.flow import busiest
from metrics.rollups import HOUR, ROLLUP, floor_hour
from metrics.sla import SlaLimits, open_breaches, share
from metrics.sql import Sql
from metrics.window import Scope
from metrics.wip import age_distribution
from store.models import MetricHourly, MetricRollupState, Order, StageEvent
from store.stages import OPEN_STAGES, Stage

HEATMAP_DAYS = 28
TREND_DAYS = 7


@dataclass
class Sums:
    """Rollup measures added up over some hours."""

    entered: int = 0
    exited: int = 0
    dwell: float = 0.0
    late: int = 0
    promised: int = 0
    processing: float = 0.0
    processed: int = 0


MEASURES = (
    MetricHourly.entered,
    MetricHourly.exited,
    MetricHourly.dwell_hours_sum,
    MetricHourly.late,
    MetricHourly.promised,
    MetricHourly.processing_hours_sum,
    MetricHourly.processed,
)


def _rollup_rows(scope: Scope, *where: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    found = list(where)
    if scope.channel_id is not None:
        found.append(MetricHourly.channel_id == scope.channel_id)
    if scope.warehouse is not None:
        found.append(MetricHourly.warehouse == scope.warehouse)
    return found


def _sums(row: Any) -> Sums:
    entered, exited, dwell, late, promised, processing, processed = tuple(row)
    return Sums(
        int(entered or 0), int(exited or 0), float(dwell or 0), int(late or 0),
        int(promised or 0), float(processing or 0), int(processed or 0),
    )  # fmt: skip


def stage_totals(session: Session, scope: Scope, since: datetime) -> dict[str, Sums]:
    """Rollup measures per stage over the hours from ``since``: a handful of rows, summed in
    the database."""
    query = (
        select(MetricHourly.stage, *(func.sum(m) for m in MEASURES))
        .where(*_rollup_rows(scope, MetricHourly.hour >= since))
        .group_by(MetricHourly.stage)
    )
    return {str(row[0]): _sums(row[1:]) for row in session.execute(query)}


def hourly_entries(
    session: Session, scope: Scope, since: datetime, stages: tuple[Stage, ...]
) -> dict[tuple[datetime, str], int]:
    """Orders entering ``stages`` per UTC hour from ``since``."""
    query = (
        select(MetricHourly.stage, MetricHourly.hour, func.sum(MetricHourly.entered))
        .where(
            *_rollup_rows(
                scope,
                MetricHourly.stage.in_([s.value for s in stages]),
                MetricHourly.hour >= since,
            )
        )
        .group_by(MetricHourly.stage, MetricHourly.hour)
    )
    return {(floor_hour(hour), str(stage)): int(n) for stage, hour, n in session.execute(query)}


def board(
    session: Session,
    *,
    now: datetime,
    zone: ZoneInfo,
    scope: Scope | None = None,
    limits: SlaLimits | None = None,
) -> dict[str, Any]:
    """The console's live board as one document."""
    scope = scope or Scope()
    state = session.get(MetricRollupState, ROLLUP)
    midnight = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    week = stage_totals(session, scope, floor_hour(now) - timedelta(days=TREND_DAYS))
    return {
        "as_of": now.astimezone(zone).isoformat(),
        "rollup_as_of": None if state is None else state.last_run_at.astimezone(zone).isoformat(),
        "scope": scope.describe(),
        **_work_in_progress(session, now, scope, limits or SlaLimits()),
        "today": _today(stage_totals(session, scope, midnight)),
        "throughput_24h": _last_day(session, scope, now, zone),
        **_last_week(week),
        **_heatmap(session, scope, now, zone),
        "exceptions_24h": _exceptions(session, now, scope),
    }


def _work_in_progress(
    session: Session, now: datetime, scope: Scope, limits: SlaLimits
) -> dict[str, Any]:
    rows = session.execute(
        select(Order.stage, func.count(), func.min(Order.stage_entered_at))
        .where(
            Order.stage.in_([s.value for s in OPEN_STAGES]),
            Order.stage_entered_at <= now,
            *scope.orders(),
        )
        .group_by(Order.stage)
    ).all()
    found = {stage: (int(n), oldest) for stage, n, oldest in rows}
    wip = {}
    for stage in OPEN_STAGES:
        count, oldest = found.get(stage.value, (0, None))
        age = None if oldest is None else round((now - oldest).total_seconds() / 3600, 4)
        wip[stage.value] = {"count": count, "oldest_age_hours": age}
    breaches = open_breaches(Sql(session, ZoneInfo("UTC")), now, limits, scope)
    return {
        "work_in_progress": wip,
        "wip_age": age_distribution(session, now=now, where=scope.orders()),
        "sla_open_breaches": breaches,
        "sla_open_breaches_total": sum(breaches.values()),
    }


def _today(totals: dict[str, Sums]) -> dict[str, Any]:
    paid = totals.get(Stage.PAID.value, Sums())
    shipped = totals.get(Stage.SHIPPED.value, Sums())
    return {
        "paid": paid.entered,
        "shipped": shipped.entered,
        "late_shipments": shipped.late,
        "late_share": share(shipped.late, shipped.promised),
        "processing_time_mean_hours": _mean(shipped.processing, shipped.processed),
    }


def _last_day(
    session: Session, scope: Scope, now: datetime, zone: ZoneInfo
) -> list[dict[str, Any]]:
    first = floor_hour(now) - 23 * HOUR
    entries = hourly_entries(session, scope, first, (Stage.PAID, Stage.SHIPPED))
    series = []
    for n in range(24):
        hour = first + n * HOUR
        series.append(
            {
                "hour": hour.astimezone(zone).strftime("%Y-%m-%dT%H:00"),
                "paid": entries.get((hour, Stage.PAID.value), 0),
                "shipped": entries.get((hour, Stage.SHIPPED.value), 0),
            }
        )
    return series


def _last_week(totals: dict[str, Sums]) -> dict[str, Any]:
    dwell = {}
    for stage in (Stage.PENDING_REVIEW, Stage.PAID, Stage.AWAITING_PICK, Stage.PICKED,
                  Stage.PACKED, Stage.SHIPPED):  # fmt: skip
        sums = totals.get(stage.value, Sums())
        dwell[stage.value] = {"exited": sums.exited, "mean": _mean(sums.dwell, sums.exited)}
    shipped = totals.get(Stage.SHIPPED.value, Sums())
    return {
        "dwell_mean_hours_7d": dwell,
        "processing_time_mean_hours_7d": _mean(shipped.processing, shipped.processed),
        "late_shipments_7d": {
            "count": shipped.late,
            "share": share(shipped.late, shipped.promised),
        },
    }


def _heatmap(session: Session, scope: Scope, now: datetime, zone: ZoneInfo) -> dict[str, Any]:
    since = floor_hour(now) - timedelta(days=HEATMAP_DAYS)
    cells = [[0] * 24 for _ in range(7)]
    for (hour, _stage), entered in hourly_entries(session, scope, since, (Stage.PAID,)).items():
        local = hour.astimezone(zone)
        cells[local.weekday()][local.hour] += entered
    return {"intake_heatmap_28d": cells, "busiest_intake_28d": busiest(cells)}


def _exceptions(session: Session, now: datetime, scope: Scope) -> dict[str, int]:
    category = func.coalesce(StageEvent.hold_category, "uncategorised")
    where = [
        StageEvent.to_stage == Stage.ON_HOLD.value,
        StageEvent.at >= now - timedelta(days=1),
        StageEvent.at <= now,
    ]
    if scope.orders():
        where.append(StageEvent.order_id.in_(select(Order.id).where(*scope.orders())))
    query = select(category, func.count()).where(*where).group_by(category)
    return {str(code): int(n) for code, n in session.execute(query)}


def _mean(total: float, count: int) -> float | None:
    return None if count == 0 else round(total / count, 4)

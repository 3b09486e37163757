"""The metrics document: every KPI for one window and scope, with stable keys.

``orderwatch metrics --json`` prints it and ``GET /api/v1/metrics`` serves it; its shape is
``metrics.documents.MetricsDocument`` (the README's table describes each key). Durations are
hours unless the key says days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from metrics import flow, kpis, sla
from metrics.documents import (
    BusiestCell,
    DelayCell,
    InventoryCounts,
    ManualIntervention,
    MetricsDocument,
    MissedOrders,
    ScopeNames,
    SlaBreaches,
    WorstDelay,
    ZonedPeriod,
)
from metrics.flow import Durations
from metrics.sla import SlaLimits
from metrics.sql import Sql, Stats
from metrics.window import Scope, Window
from metrics.wip import age_distribution, orders_by_stage
from store.stages import Stage

SCHEMA_VERSION = 1


def metrics_document(
    session: Session,
    *,
    window: Window,
    scope: Scope,
    now: datetime,
    limits: SlaLimits | None = None,
) -> MetricsDocument:
    """Every metric of ``window`` for ``scope``; "now" figures (work in progress, open
    breaches) are as of ``now``."""
    sql = Sql(session, window.zone)
    counts = orders_by_stage(session, now=now, where=scope.orders())
    moved = flow.throughput(sql, window, scope)
    dwell = flow.stage_dwell(sql, window, scope)
    intake = flow.intake_heatmap(sql, window, scope)
    delay = _delay(sql, window, scope, dwell)
    held = kpis.interceptions(sql, window, scope)
    missed = kpis.missed_orders(sql, window, scope)
    stock = kpis.inventory_accuracy(sql, window, scope)
    manual = kpis.manual_intervention(sql, window, scope)
    busiest = flow.busiest(intake)
    return MetricsDocument(
        schema_version=SCHEMA_VERSION,
        window=ZonedPeriod(
            from_=window.start.astimezone(window.zone),
            to=window.end.astimezone(window.zone),
            timezone=window.zone.key,
        ),
        scope=ScopeNames.model_validate(scope.describe()),
        as_of=now.astimezone(window.zone),
        orders_by_stage={entry.stage: entry.count for entry in counts},
        wip_oldest_hours={
            entry.stage: _r(entry.oldest_age_hours(now)) for entry in counts if entry.is_open
        },
        wip_age=age_distribution(session, now=now, where=scope.orders()),
        throughput_per_hour=moved.per_hour,
        throughput_per_day=moved.per_day,
        processing_time_hours=flow.processing_hours(sql, window, scope).distribution(),
        stage_dwell_hours={stage.value: d.distribution() for stage, d in dwell.items()},
        warehouse_nodes_hours={
            name: d.distribution() for name, d in flow.warehouse_nodes(sql, window, scope).items()
        },
        intake_heatmap=intake,
        busiest_intake=None if busiest is None else BusiestCell.model_validate(busiest),
        delay_stage=None if delay.stage is None else delay.stage.value,
        delay_heatmap=delay.mean,
        delay_heatmap_p90=delay.p90,
        worst_delay=delay.worst(),
        worst_delay_cells=delay.cells,
        late_shipments=sla.late_shipments(sql, window, scope),
        sla_breaches=_sla_breaches(sql, window, scope, now, limits or SlaLimits()),
        orders_total=manual.orders,
        exceptions_by_category=held.by_category,
        exceptions_per_day=held.per_day,
        warehouse_exceptions_by_code=kpis.floor_exceptions(sql, window, scope),
        missed_orders_per_day=missed.per_day,
        missed_orders=MissedOrders(total=missed.total, mean_per_day=missed.mean_per_day),
        inventory_accuracy=stock.share,
        inventory_counts=InventoryCounts(counted=stock.counted, matched=stock.matched),
        manual_intervention_share=manual.share,
        manual_intervention=ManualIntervention(orders=manual.orders, touched=manual.touched),
        refund_cycle_days=kpis.refund_cycle(sql, window, scope),
        weekly_trends=kpis.weekly_trends(sql, window, scope),
    )


@dataclass(frozen=True, slots=True)
class Delay:
    """Dwell in the slowest stage by the weekday × hour orders entered it."""

    stage: Stage | None
    mean: list[list[float | None]]
    p90: list[list[float | None]]
    cells: list[DelayCell]
    """The slowest cells, worst first."""

    def worst(self) -> WorstDelay | None:
        if not self.cells or self.stage is None:
            return None
        return WorstDelay(**self.cells[0].model_dump(), stage=self.stage.value)


def _delay(sql: Sql, window: Window, scope: Scope, dwell: dict[Stage, Durations]) -> Delay:
    stage = flow.slowest_stage(dwell)
    cells: dict[tuple[int, int], Stats] = {}
    if stage is not None:
        cells = flow.delay_cells(sql, stage, window, scope)
    mean, p90 = flow.grid(), flow.grid()
    for (day, hour), stats in cells.items():
        mean[day][hour], p90[day][hour] = _r(stats.mean), _r(stats.p90)
    return Delay(stage, mean, p90, flow.worst_cells(cells))


def _sla_breaches(
    sql: Sql, window: Window, scope: Scope, now: datetime, limits: SlaLimits
) -> SlaBreaches:
    open_now = sla.open_breaches(sql, now, limits, scope)
    in_window = sla.window_breaches(sql, window, limits, scope)
    return SlaBreaches(
        limits_hours={
            name: limit.total_seconds() / 3600
            for name, (_stage, limit) in limits.policies().items()
        },
        open_now=open_now,
        open_now_total=sum(open_now.values()),
        in_window=in_window,
        in_window_total=sum(in_window.values()),
    )


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)

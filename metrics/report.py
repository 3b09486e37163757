"""The metrics document: every KPI for one window and scope, with stable keys.

``orderwatch metrics --json`` prints it and ``GET /api/v1/metrics`` serves it; the README
documents each key. Durations are hours unless the key says days.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from metrics import flow, kpis, sla
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
) -> dict[str, Any]:
    """Every metric of ``window`` for ``scope``; "now" figures (work in progress, open
    breaches) are as of ``now``."""
    sql = Sql(session, window.zone)
    limits = limits or SlaLimits()
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "window": {
            "from": window.start.astimezone(window.zone).isoformat(),
            "to": window.end.astimezone(window.zone).isoformat(),
            "timezone": window.zone.key,
        },
        "scope": scope.describe(),
        "as_of": now.astimezone(window.zone).isoformat(),
    }
    document |= _now_figures(session, now, scope, window)
    document |= _flow_figures(sql, window, scope)
    document |= _sla_figures(sql, window, scope, now, limits)
    document |= _kpi_figures(sql, window, scope)
    return document


def _now_figures(session: Session, now: datetime, scope: Scope, window: Window) -> dict[str, Any]:
    counts = orders_by_stage(session, now=now, where=scope.orders())
    return {
        "orders_by_stage": {entry.stage: entry.count for entry in counts},
        "wip_oldest_hours": {
            entry.stage: _r(entry.oldest_age_hours(now)) for entry in counts if entry.is_open
        },
        "wip_age": age_distribution(session, now=now, where=scope.orders()),
    }


def _flow_figures(sql: Sql, window: Window, scope: Scope) -> dict[str, Any]:
    moved = flow.throughput(sql, window, scope)
    dwell = flow.stage_dwell(sql, window, scope)
    intake = flow.intake_heatmap(sql, window, scope)
    return {
        "throughput_per_hour": moved["per_hour"],
        "throughput_per_day": moved["per_day"],
        "processing_time_hours": flow.processing_hours(sql, window, scope).as_dict(),
        "stage_dwell_hours": {stage.value: d.as_dict() for stage, d in dwell.items()},
        "warehouse_nodes_hours": {
            name: d.as_dict() for name, d in flow.warehouse_nodes(sql, window, scope).items()
        },
        "intake_heatmap": intake,
        "busiest_intake": flow.busiest(intake),
        **_delay(sql, window, scope, dwell),
    }


def _delay(sql: Sql, window: Window, scope: Scope, dwell: dict[Stage, Durations]) -> dict[str, Any]:
    stage = flow.slowest_stage(dwell)
    cells: dict[tuple[int, int], Stats] = {}
    if stage is not None:
        cells = flow.delay_cells(sql, stage, window, scope)
    mean, p90 = flow.grid(), flow.grid()
    for (day, hour), stats in cells.items():
        mean[day][hour], p90[day][hour] = _r(stats.mean), _r(stats.p90)
    worst = flow.worst_cells(cells)
    return {
        "delay_stage": None if stage is None else stage.value,
        "delay_heatmap": mean,
        "delay_heatmap_p90": p90,
        "worst_delay": {**worst[0], "stage": stage.value} if worst and stage else None,
        "worst_delay_cells": worst,
    }


def _sla_figures(
    sql: Sql, window: Window, scope: Scope, now: datetime, limits: SlaLimits
) -> dict[str, Any]:
    open_now = sla.open_breaches(sql, now, limits, scope)
    in_window = sla.window_breaches(sql, window, limits, scope)
    return {
        "late_shipments": sla.late_shipments(sql, window, scope),
        "sla_breaches": {
            "limits_hours": {
                name: limit.total_seconds() / 3600
                for name, (_stage, limit) in limits.policies().items()
            },
            "open_now": open_now,
            "open_now_total": sum(open_now.values()),
            "in_window": in_window,
            "in_window_total": sum(in_window.values()),
        },
    }


def _kpi_figures(sql: Sql, window: Window, scope: Scope) -> dict[str, Any]:
    held = kpis.interceptions(sql, window, scope)
    missed = kpis.missed_orders(sql, window, scope)
    stock = kpis.inventory_accuracy(sql, window, scope)
    manual = kpis.manual_intervention(sql, window, scope)
    return {
        "orders_total": manual["orders"],
        "exceptions_by_category": held["by_category"],
        "exceptions_per_day": held["per_day"],
        "warehouse_exceptions_by_code": kpis.floor_exceptions(sql, window, scope),
        "missed_orders_per_day": missed["per_day"],
        "missed_orders": {"total": missed["total"], "mean_per_day": missed["mean_per_day"]},
        "inventory_accuracy": stock["share"],
        "inventory_counts": {"counted": stock["counted"], "matched": stock["matched"]},
        "manual_intervention_share": manual["share"],
        "manual_intervention": {"orders": manual["orders"], "touched": manual["touched"]},
        "refund_cycle_days": kpis.refund_cycle(sql, window, scope),
        "weekly_trends": kpis.weekly_trends(sql, window, scope),
    }


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)

"""The live board: hourly rollups for what happened, open orders for what is waiting.

Its cost follows the rollup rows of the window and of the last four weeks, the orders of the
current hour and the work in progress, never the length of the history: the same whether the
store holds one week or three years. The current hour is read from the orders themselves (the
rollup of an hour is only final once it is over), so a change shows on the next refresh.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from metrics import kpis
from metrics.board_document import (
    Board,
    BoardScope,
    BoardWindow,
    Cell,
    ChannelHealth,
    Heatmaps,
    HourFlow,
    Kpi,
    NodeTimes,
    NowFigures,
    StageWork,
    WindowFigures,
)
from metrics.flow import cell_name, processing_hours, warehouse_nodes
from metrics.rollups import HOUR, OVERLAP, ROLLUP, facts, floor_hour
from metrics.sla import SlaLimits, open_breaches, share, window_breaches
from metrics.spans import DELAY_STAGES
from metrics.sql import Sql
from metrics.window import Scope, Window
from metrics.wip import age_distribution
from store.channels import sync_lag
from store.models import (
    Channel,
    InventoryCount,
    MetricHourly,
    MetricRollupState,
    MissedOrder,
    Order,
    QuarantinedOrder,
    StageEvent,
    WarehouseException,
)
from store.stages import OPEN_STAGES, Stage

WEEK = timedelta(days=7)
HEATMAP_DAYS = 28
TOP_CELLS = 3


@dataclass
class Sums:
    """Rollup measures added up over some hours."""

    entered: int = 0
    exited: int = 0
    dwell: float = 0.0
    late: int = 0
    promised: int = 0

    def add(self, other: Sums) -> None:
        self.entered += other.entered
        self.exited += other.exited
        self.dwell += other.dwell
        self.late += other.late
        self.promised += other.promised


Hourly = dict[tuple[datetime, str], Sums]
"""Measures per (UTC hour, stage)."""


@dataclass(frozen=True, slots=True)
class Period:
    """A window with what its KPIs and the charts share: the rollups' flows and the holds."""

    window: Window
    flows: Hourly
    held: dict[str, int]


def _sums(entered: Any, exited: Any, dwell: Any, late: Any, promised: Any) -> Sums:
    return Sums(int(entered or 0), int(exited or 0), float(dwell or 0), int(late or 0),
                int(promised or 0))  # fmt: skip


MEASURES = ("entered", "exited", "dwell_hours_sum", "late", "promised")


def _measures(columns: Any) -> list[ColumnElement[Any]]:
    """The sums of ``Sums``'s measures, from a table's or a subquery's column collection."""
    return [func.sum(columns[name]) for name in MEASURES]


def rolled_up_to(session: Session) -> datetime | None:
    """The hour from which the rollups may still be incomplete: the last run's hour, less the
    overlap every run recomputes (``None`` before the first run: nothing is rolled up)."""
    state = session.get(MetricRollupState, ROLLUP)
    return None if state is None else floor_hour(state.last_run_at - OVERLAP)


def hourly(
    session: Session, scope: Scope, start: datetime, end: datetime, rolled: datetime | None
) -> Hourly:
    """Measures per UTC hour and stage of ``[start, end)``: whole hours the rollups are final
    for (before ``rolled``, and before ``end``'s hour) from them, the rest from the orders
    themselves, up to ``end`` (with the worker running, that is the current hour)."""
    frontier = min(floor_hour(end), rolled or floor_hour(start))
    found: Hourly = {}
    if frontier > floor_hour(start):
        summed = (
            select(MetricHourly.hour, MetricHourly.stage, *_measures(MetricHourly.__table__.c))
            .where(
                MetricHourly.hour >= floor_hour(start),
                MetricHourly.hour < frontier,
                *scope.rows(channel_id=MetricHourly.channel_id, warehouse=MetricHourly.warehouse),
            )
            .group_by(MetricHourly.hour, MetricHourly.stage)
        )
        for hour, stage, *measures in session.execute(summed):
            found[(floor_hour(hour), str(stage))] = _sums(*measures)
    if end > frontier:
        live = facts(session, max(start, frontier), end)
        query = (
            select(live.c.hour, live.c.stage, *_measures(live.c))
            .where(*scope.rows(channel_id=live.c.channel_id, warehouse=live.c.warehouse))
            .group_by(live.c.hour, live.c.stage)
        )
        for hour, stage, *measures in session.execute(query):
            found[(floor_hour(hour), str(stage))] = _sums(*measures)
    return found


def per_stage(flows: Hourly) -> dict[str, Sums]:
    totals: dict[str, Sums] = defaultdict(Sums)
    for (_hour, stage), sums in flows.items():
        totals[stage].add(sums)
    return totals


def board(
    session: Session,
    *,
    now: datetime,
    window: Window,
    scope: Scope,
    limits: SlaLimits | None = None,
    heatmaps: HeatmapCache | None = None,
) -> Board:
    """The live board for ``window`` (cut at ``now``) and ``scope``; ``heatmaps`` lets repeated
    refreshes share the four weeks' heatmaps."""
    return Board(
        scope=BoardScope(channels=list(scope.channels), warehouses=list(scope.warehouses)),
        **dict(window_figures(session, now=now, window=window, scope=scope, limits=limits)),
        **dict(now_figures(session, now=now, zone=window.zone, scope=scope, limits=limits,
                           heatmaps=heatmaps)),
    )  # fmt: skip


def window_figures(
    session: Session,
    *,
    now: datetime,
    window: Window,
    scope: Scope,
    limits: SlaLimits | None = None,
) -> WindowFigures:
    """The board's figures for ``window`` (cut at ``now``) against a week earlier."""
    limits = limits or SlaLimits()
    zone = window.zone
    current = Window(window.start, min(window.end, now), zone) if window.start < now else window
    previous = current.shifted(-WEEK)
    sql = Sql(session, zone)
    rolled = rolled_up_to(session)
    this, last = (
        Period(w, hourly(session, scope, w.start, w.end, rolled),
               kpis.interceptions(sql, w, scope).by_category)
        for w in (current, previous)
    )  # fmt: skip
    nows = {
        "sla_breaches": sum(open_breaches(sql, now, limits, scope).values()),
        "holds": _count_open(session, now, scope, Stage.ON_HOLD),
    }
    return WindowFigures(
        window=BoardWindow(
            start=current.start.astimezone(zone),
            end=current.end.astimezone(zone),
            previous_start=previous.start.astimezone(zone),
            previous_end=previous.end.astimezone(zone),
        ),
        kpis=_kpis(sql, this, last, scope, limits, nows),
        throughput=_throughput(this.flows, last.flows, current),
        warehouse_nodes=[
            NodeTimes(node=name, count=d.stats.count, p50=_r(d.stats.p50), p90=_r(d.stats.p90))
            for name, d in warehouse_nodes(sql, current, scope).items()
        ],
        exceptions_by_category=this.held,
        refused_scans_by_code=kpis.floor_exceptions(sql, current, scope),
    )


def now_figures(
    session: Session,
    *,
    now: datetime,
    zone: ZoneInfo,
    scope: Scope,
    limits: SlaLimits | None = None,
    heatmaps: HeatmapCache | None = None,
) -> NowFigures:
    """Work in progress, open breaches, the four weeks' heatmaps and channel health."""
    state = session.get(MetricRollupState, ROLLUP)
    return NowFigures(
        as_of=now.astimezone(zone),
        rollup_as_of=None if state is None else state.last_run_at.astimezone(zone),
        work_in_progress=_work_in_progress(session, now, scope),
        sla_open_breaches=open_breaches(Sql(session, zone), now, limits or SlaLimits(), scope),
        heatmaps=_heatmaps(session, scope, now, zone, heatmaps),
        channels=channel_health(session, now, scope),
    )


def _count_open(session: Session, now: datetime, scope: Scope, stage: Stage) -> int:
    query = select(func.count()).where(
        Order.stage == stage.value, Order.stage_entered_at <= now, *scope.orders()
    )
    return int(session.scalar(query) or 0)


def _kpis(
    sql: Sql,
    current: Period,
    previous: Period,
    scope: Scope,
    limits: SlaLimits,
    nows: dict[str, int],
) -> list[Kpi]:
    this, last = (_figures(sql, period, scope, limits) for period in (current, previous))
    return [
        Kpi(key=key, value=this[key], previous=last[key], change_pct=_change(this[key], last[key]),
            better=better, unit=unit, now=nows.get(key))
        for key, better, unit in KPI_CARDS
    ]  # fmt: skip


KPI_CARDS: tuple[tuple[str, Any, Any], ...] = (
    ("paid", "higher", "count"),
    ("shipped", "higher", "count"),
    ("processing_p50", "lower", "hours"),
    ("processing_p90", "lower", "hours"),
    ("late_share", "lower", "share"),
    ("sla_breaches", "lower", "count"),
    ("holds", "lower", "count"),
    ("missed_orders", "lower", "count"),
    ("inventory_accuracy", "higher", "share"),
    ("manual_share", "lower", "share"),
)
"""The board's cards in display order: key, which way is better, unit."""


def _figures(sql: Sql, period: Period, scope: Scope, limits: SlaLimits) -> dict[str, float | None]:
    window, stages = period.window, per_stage(period.flows)
    paid, shipped = stages[Stage.PAID.value], stages[Stage.SHIPPED.value]
    processing = processing_hours(sql, window, scope).stats
    return {
        "paid": paid.entered,
        "shipped": shipped.entered,
        "processing_p50": _r(processing.p50),
        "processing_p90": _r(processing.p90),
        "late_share": share(shipped.late, shipped.promised),
        "sla_breaches": sum(window_breaches(sql, window, limits, scope).values()),
        "holds": sum(period.held.values()),
        "missed_orders": kpis.missed_orders(sql, window, scope).total,
        "inventory_accuracy": kpis.inventory_accuracy(sql, window, scope).share,
        "manual_share": kpis.manual_intervention(sql, window, scope).share,
    }


def _change(value: float | None, previous: float | None) -> float | None:
    if value is None or previous is None or previous == 0:
        return None
    return round((value - previous) / previous * 100, 1)


def _work_in_progress(session: Session, now: datetime, scope: Scope) -> list[StageWork]:
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
    ages = age_distribution(session, now=now, where=scope.orders())
    work = []
    for stage in OPEN_STAGES:
        count, oldest = found.get(stage.value, (0, None))
        age = None if oldest is None else _r((now - oldest).total_seconds() / 3600)
        work.append(StageWork(stage=stage.value, count=count, oldest_age_hours=age,
                              age=ages[stage.value]))  # fmt: skip
    return work


def _throughput(flows: Hourly, before: Hourly, window: Window) -> list[HourFlow]:
    series = []
    hour = floor_hour(window.start)
    while hour < window.end:
        earlier = hour - WEEK
        series.append(
            HourFlow(
                hour=hour.astimezone(window.zone).strftime("%Y-%m-%dT%H:00"),
                paid=_entered(flows, hour, Stage.PAID),
                shipped=_entered(flows, hour, Stage.SHIPPED),
                paid_last_week=_entered(before, earlier, Stage.PAID),
                shipped_last_week=_entered(before, earlier, Stage.SHIPPED),
            )
        )
        hour += HOUR
    return series


def _entered(flows: Hourly, hour: datetime, stage: Stage) -> int:
    sums = flows.get((hour, stage.value))
    return 0 if sums is None else sums.entered


HEATMAP_TTL = timedelta(minutes=1)


class HeatmapCache:
    """Heatmaps a process may reuse. They end at the last whole hour, so within an hour only
    that hour's final rollup run (seconds after it ends) can still change them: each is kept
    for a minute per scope and hour, and then computed again from four weeks of rollups."""

    def __init__(self) -> None:
        self._kept: dict[tuple[Scope, str, datetime], tuple[datetime, Heatmaps]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[Scope, str, datetime], now: datetime) -> Heatmaps | None:
        with self._lock:
            found = self._kept.get(key)
        return found[1] if found is not None and now - found[0] < HEATMAP_TTL else None

    def put(self, key: tuple[Scope, str, datetime], now: datetime, maps: Heatmaps) -> None:
        with self._lock:
            for old in [k for k in self._kept if k[2] < key[2]]:
                del self._kept[old]
            self._kept[key] = (now, maps)


def _heatmaps(
    session: Session, scope: Scope, now: datetime, zone: ZoneInfo, cache: HeatmapCache | None
) -> Heatmaps:
    key = (scope, zone.key, floor_hour(now))
    found = None if cache is None else cache.get(key, now)
    if found is None:
        found = _compute_heatmaps(session, scope, now, zone)
        if cache is not None:
            cache.put(key, now, found)
    return found


def _compute_heatmaps(session: Session, scope: Scope, now: datetime, zone: ZoneInfo) -> Heatmaps:
    cells = _week_cells(session, scope, floor_hour(now) - timedelta(days=HEATMAP_DAYS), now, zone)
    intake = [[0] * 24 for _ in range(7)]
    for (day, hour_of_day), sums in cells.get(Stage.PAID.value, {}).items():
        intake[day][hour_of_day] = sums.entered
    slowest = _slowest(cells)
    delay: list[list[float | None]] = [[None] * 24 for _ in range(7)]
    for (day, hour_of_day), sums in cells.get(slowest or "", {}).items():
        delay[day][hour_of_day] = _r(sums.dwell / sums.exited) if sums.exited else None
    return Heatmaps(
        days=HEATMAP_DAYS,
        intake=intake,
        delay_stage=slowest,
        delay=delay,
        busiest=_top(((d, h, float(n)) for d, row in enumerate(intake) for h, n in enumerate(row))),
        worst=_top((d, h, v) for d, row in enumerate(delay) for h, v in enumerate(row) if v),
    )


Cells = dict[str, dict[tuple[int, int], Sums]]
"""Measures per stage and (weekday, business hour)."""


def _week_cells(
    session: Session, scope: Scope, since: datetime, now: datetime, zone: ZoneInfo
) -> Cells:
    """Whole rollup hours from ``since`` to the current hour, summed in the database per stage
    and business-zone weekday × hour (a few hundred rows, whatever the store's size)."""
    sql = Sql(session, zone)
    local = sql.local(MetricHourly.hour, since, now)
    weekday, hour = sql.weekday(local), sql.hour_of_day(local)
    query = (
        select(MetricHourly.stage, weekday, hour, *_measures(MetricHourly.__table__.c))
        .where(
            MetricHourly.hour >= since,
            MetricHourly.hour < floor_hour(now),
            *scope.rows(channel_id=MetricHourly.channel_id, warehouse=MetricHourly.warehouse),
        )
        .group_by(MetricHourly.stage, weekday, hour)
    )
    cells: Cells = defaultdict(dict)
    for stage, day, hour_of_day, *measures in session.execute(query):
        cells[str(stage)][(int(day), int(hour_of_day))] = _sums(*measures)
    return cells


def _slowest(dwell: Cells) -> str | None:
    """The seller-side stage with the highest mean dwell over the heatmap's weeks."""
    means = {}
    for stage in DELAY_STAGES:
        total = Sums()
        for sums in dwell.get(stage.value, {}).values():
            total.add(sums)
        if total.exited:
            means[stage.value] = total.dwell / total.exited
    return max(means, key=lambda s: means[s]) if means else None


def _top(cells: Any) -> list[Cell]:
    ranked = sorted((c for c in cells if c[2] > 0), key=lambda c: (-c[2], c[0], c[1]))
    return [Cell(**_named(day, hour), value=value) for day, hour, value in ranked[:TOP_CELLS]]


def _named(day: int, hour: int) -> dict[str, Any]:
    name = cell_name(day, hour)
    return {key: name[key] for key in ("weekday", "hour", "label_zh", "label_en")}


def channel_health(session: Session, now: datetime, scope: Scope) -> list[ChannelHealth]:
    """Every channel in the scope: its last good pull, lag, failures and quarantine."""
    waiting = dict(
        session.execute(
            select(QuarantinedOrder.channel_id, func.count())
            .where(QuarantinedOrder.resolved_at.is_(None), QuarantinedOrder.dismissed_at.is_(None))
            .group_by(QuarantinedOrder.channel_id)
        ).all()
    )
    query = select(Channel).where(*scope.rows(channel_id=Channel.id)).order_by(Channel.name)
    return [
        _health(channel, now, int(waiting.get(channel.id, 0))) for channel in session.scalars(query)
    ]


def _health(channel: Channel, now: datetime, quarantined: int) -> ChannelHealth:
    since = channel.last_success_at
    return ChannelHealth(
        name=channel.name,
        platform=channel.platform,
        last_success_at=since,
        lag_minutes=None if since is None else _r((now - since).total_seconds() / 60),
        consecutive_failures=channel.consecutive_failures,
        last_error=channel.last_error,
        quarantined=quarantined,
        stale=sync_lag(channel, now) is not None,
    )


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def board_version(session: Session) -> str:
    """Changes whenever something the board shows may have changed: the newest row of each
    table it reads (each an index's last entry) and the channels' latest pull."""
    newest = [
        select(func.max(column)).scalar_subquery()
        for column in (
            Order.id,
            StageEvent.id,
            WarehouseException.id,
            MissedOrder.id,
            InventoryCount.id,
            QuarantinedOrder.id,
            Channel.last_attempt_at,
            QuarantinedOrder.dismissed_at,
        )
    ]
    return "/".join(str(value) for value in session.execute(select(*newest)).one())

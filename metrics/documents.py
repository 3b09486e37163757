"""The metrics document's shape, part by part: what ``orderwatch metrics --json`` prints and
``GET /api/v1/metrics`` serves (its OpenAPI schema is these models).

Each part is built by the function that computes it (``metrics.flow``, ``metrics.sla``,
``metrics.kpis``) and assembled in ``metrics.report``. Durations are hours unless the field says
days; times are ISO 8601 in the business time zone.
"""

from __future__ import annotations

from pydantic import Field

from metrics.sql import Stats
from store.documents import Document, IsoTime


class Period(Document):
    """A half-open stretch of time."""

    from_: IsoTime = Field(alias="from")
    """Start (included)."""
    to: IsoTime
    """End (excluded)."""


class ZonedPeriod(Period):
    """The window a document covers, and the zone its days and hours are bucketed in."""

    timezone: str
    """IANA name of ``ORDERWATCH_TIMEZONE``."""


class ScopeNames(Document):
    """Which orders count; null for all."""

    channel: str | None
    """Channel name(s), comma-separated."""
    warehouse: str | None
    """Warehouse code(s), comma-separated."""


class HourThroughput(Document):
    hour: str
    """Business-zone hour, ``YYYY-MM-DDTHH:00``."""
    paid: int
    """Orders paid in the hour."""
    shipped: int
    """Orders shipped in the hour."""


class DayThroughput(Document):
    day: str
    """Business day, ``YYYY-MM-DD``."""
    paid: int
    shipped: int


class Distribution(Document):
    """Durations of the spans that ended in the window (``percentile_cont`` percentiles)."""

    count: int
    mean: float | None
    p50: float | None
    p90: float | None
    p99: float | None
    negative_left_out: int
    """Backwards durations (timestamps going backwards in imported data), not counted."""

    @classmethod
    def of(cls, stats: Stats, negative: int) -> Distribution:
        """The distribution of ``stats``, rounded to four digits."""
        return cls(
            count=stats.count,
            mean=_round(stats.mean),
            p50=_round(stats.p50),
            p90=_round(stats.p90),
            p99=_round(stats.p99),
            negative_left_out=negative,
        )


class Cell(Document):
    """One weekday × hour cell of a heatmap, named in both languages."""

    weekday: int
    """Monday = 0."""
    hour: int
    """Hour of the day, 0–23."""
    label_zh: str
    """e.g. 周三 14:00–15:00."""
    label_en: str
    """e.g. Wednesday 14:00–15:00."""


class BusiestCell(Cell):
    orders: int
    """Orders paid in the cell."""


class DelayCell(Cell):
    orders: int
    """Orders that entered ``delay_stage`` in the cell."""
    mean_hours: float
    p90_hours: float | None


class WorstDelay(DelayCell):
    stage: str
    """The stage the dwell is in (``delay_stage``)."""


class LateShipments(Document):
    """Orders shipped in the window after their ship-by promise (超时发货)."""

    count: int
    shipped_with_promise: int
    """Orders shipped in the window that had a ship-by promise."""
    share: float | None
    """``count`` / ``shipped_with_promise``."""


class SlaBreaches(Document):
    """By policy: pending review > 4 h, awaiting pick > 2 h, packed > 12 h, past ship-by."""

    limits_hours: dict[str, float]
    """Each stage policy's limit."""
    open_now: dict[str, int]
    """Open orders over their limit as of ``as_of``."""
    open_now_total: int
    in_window: dict[str, int]
    """Breaches that happened in the window."""
    in_window_total: int


class DayExceptions(Document):
    day: str
    by_category: dict[str, int]
    """Holds (异常拦截) that day by category."""


class DayCount(Document):
    day: str
    count: int


class MissedOrders(Document):
    """Orders reconciliation found that the incremental sync had missed (日均漏单数)."""

    total: int
    mean_per_day: float


class InventoryCounts(Document):
    counted: int
    """SKUs counted in the window (a SKU counted twice by its latest count)."""
    matched: int
    """Of those, the ones whose system stock matched the count."""


class ManualIntervention(Document):
    orders: int
    """Orders paid in the window."""
    touched: int
    """Of those, the ones a person moved or acted on."""


class WeekProcessing(Document):
    p50: float | None
    mean: float | None


class WeekLateShipments(Document):
    count: int
    share: float | None


class WeekTrend(Document):
    """One business week (Monday start) of the article's trend lines."""

    week: str
    """The week's Monday, ``YYYY-MM-DD``."""
    processing_time_hours: WeekProcessing
    """Paid → shipped of the orders shipped that week."""
    shipped: int
    late_shipments: WeekLateShipments
    manual_intervention_share: float | None
    """Of the orders paid that week."""


class MetricsDocument(Document):
    """Every KPI of one window and scope; "now" figures are as of ``as_of``. A duration counts
    in the window it ends in."""

    schema_version: int
    window: ZonedPeriod
    scope: ScopeNames
    as_of: IsoTime
    orders_by_stage: dict[str, int]
    """Orders in each stage now."""
    wip_oldest_hours: dict[str, float | None]
    """Per open stage: how long its longest-waiting order has been in it."""
    wip_age: dict[str, dict[str, int]]
    """Per open stage: open orders by age bucket (``under_1h`` … ``over_3d``)."""
    throughput_per_hour: list[HourThroughput]
    """Every hour of the window, empty ones included."""
    throughput_per_day: list[DayThroughput]
    """Every day of the window, empty ones included."""
    processing_time_hours: Distribution
    """Paid → shipped (订单处理时效)."""
    stage_dwell_hours: dict[str, Distribution]
    """Time in each stage (``shipped`` = carrier transit)."""
    warehouse_nodes_hours: dict[str, Distribution]
    """The warehouse board's nodes: ``to_first_pick``, ``first_pick_to_packed``,
    ``packed_to_pickup``, ``awaiting_pick_to_pickup``."""
    intake_heatmap: list[list[int]]
    """7 × 24 (Monday = 0): orders paid."""
    busiest_intake: BusiestCell | None
    """The intake cell with the most orders paid."""
    delay_stage: str | None
    """The seller's stage with the highest mean dwell: the delay heatmaps' stage."""
    delay_heatmap: list[list[float | None]]
    """7 × 24: mean dwell in ``delay_stage`` by the hour orders entered it."""
    delay_heatmap_p90: list[list[float | None]]
    """7 × 24: p90 dwell in ``delay_stage`` by the hour orders entered it."""
    worst_delay: WorstDelay | None
    """The slowest delay cell (瓶颈时段)."""
    worst_delay_cells: list[DelayCell]
    """The slowest delay cells, worst first."""
    late_shipments: LateShipments
    sla_breaches: SlaBreaches
    orders_total: int
    """Orders paid in the window."""
    exceptions_by_category: dict[str, int]
    """Holds by cause, most first."""
    exceptions_per_day: list[DayExceptions]
    warehouse_exceptions_by_code: dict[str, int]
    """Refused scans and floor problems by code."""
    missed_orders_per_day: list[DayCount]
    missed_orders: MissedOrders
    inventory_accuracy: float | None
    """Share of counted SKUs whose latest count matched (库存准确率)."""
    inventory_counts: InventoryCounts
    manual_intervention_share: float | None
    """Orders a person moved or acted on / all (人工干预占比)."""
    manual_intervention: ManualIntervention
    refund_cycle_days: Distribution
    """Days from opening to closing of the refund and return tickets closed in the window."""
    weekly_trends: list[WeekTrend]
    """The article's trend lines."""


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)

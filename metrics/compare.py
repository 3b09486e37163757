"""Period comparison, shaped like the article's before/after table:
metric | before | after | change % — with which direction is better for each metric."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from metrics.documents import MetricsDocument, Period, ScopeNames
from metrics.report import metrics_document
from metrics.window import Scope, Window
from store.documents import Document

Better = Literal["higher", "lower"] | None


def _shipped_per_day(doc: MetricsDocument) -> float | None:
    days = doc.throughput_per_day
    return sum(d.shipped for d in days) / len(days) if days else None


def _interceptions_per_100(doc: MetricsDocument) -> float | None:
    orders = doc.orders_total
    return None if not orders else 100 * sum(doc.exceptions_by_category.values()) / orders


COMPARED: tuple[tuple[str, str, str, Callable[[MetricsDocument], float | None], Better], ...] = (
    ("orders_total", "订单量", "orders paid", lambda d: d.orders_total, None),
    ("shipped_per_day", "日均出库", "shipped per day", _shipped_per_day, "higher"),
    ("processing_time_hours_p50", "订单处理时效 p50 (h)", "processing time p50 (h)",
     lambda d: d.processing_time_hours.p50, "lower"),
    ("processing_time_hours_mean", "订单处理时效 平均 (h)", "processing time mean (h)",
     lambda d: d.processing_time_hours.mean, "lower"),
    ("late_shipment_share", "超时发货率", "late shipment share",
     lambda d: d.late_shipments.share, "lower"),
    ("sla_breaches", "SLA 超时次数", "SLA breaches", lambda d: d.sla_breaches.in_window_total,
     "lower"),
    ("missed_orders_per_day", "日均漏单", "missed orders per day",
     lambda d: d.missed_orders.mean_per_day, "lower"),
    ("inventory_accuracy", "库存准确率", "inventory accuracy", lambda d: d.inventory_accuracy,
     "higher"),
    ("manual_intervention_share", "人工介入率", "manual intervention share",
     lambda d: d.manual_intervention_share, "lower"),
    ("refund_cycle_days", "退款周期 (天)", "refund cycle (days)",
     lambda d: d.refund_cycle_days.mean, "lower"),
    ("interceptions_per_100_orders", "每百单异常拦截", "interceptions per 100 orders",
     _interceptions_per_100, "lower"),
)  # fmt: skip
"""Metric key, labels (zh, en), how to read it from a metrics document, which way is better."""


class ComparedMetric(Document):
    """One row of the table."""

    metric: str
    """Stable key of the metric (``orders_total``, ``shipped_per_day``, …)."""
    label_zh: str
    label_en: str
    before: float | None
    after: float | None
    change_pct: float | None
    """Relative change in percent; null when ``before`` is zero or either side is unknown."""
    better: Better
    """Which way the metric improves; null for a neutral one."""
    improved: bool | None
    """Whether the change went the better way; null when unchanged, unknown or neutral."""


class Comparison(Document):
    """Both periods' metrics side by side (``orderwatch metrics compare``)."""

    before: Period
    after: Period
    scope: ScopeNames
    rows: list[ComparedMetric]


def compare_rows(before: MetricsDocument, after: MetricsDocument) -> list[ComparedMetric]:
    """The table for two metrics documents."""
    rows = []
    for key, zh, en, read, better in COMPARED:
        old, new = _num(read(before)), _num(read(after))
        change = None if old in (None, 0) or new is None else round(100 * (new - old) / old, 2)
        improved = None
        if better is not None and old is not None and new is not None and new != old:
            improved = (new > old) == (better == "higher")
        rows.append(
            ComparedMetric(
                metric=key,
                label_zh=zh,
                label_en=en,
                before=old,
                after=new,
                change_pct=change,
                better=better,
                improved=improved,
            )
        )
    return rows


def _num(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def compare_periods(
    session: Session, *, before: Window, after: Window, scope: Scope, now: datetime
) -> Comparison:
    """Both periods' metrics side by side, as one document."""
    old = metrics_document(session, window=before, scope=scope, now=now)
    new = metrics_document(session, window=after, scope=scope, now=now)
    return Comparison(
        before=_period(old),
        after=_period(new),
        scope=ScopeNames.model_validate(scope.describe()),
        rows=compare_rows(old, new),
    )


def _period(doc: MetricsDocument) -> Period:
    return Period(from_=doc.window.from_, to=doc.window.to)

"""Prometheus metrics of the alerts engine, read from the store when scraped.

The engine and the deliverers run in worker processes and ``/metrics`` is served by the web
processes, so the figures come from the tables every process writes, not from one process's
memory: alerts fired (by kind and severity), notifications sent, failed attempts and dead
letters per receiver, the deadline-to-delivery latency of every first notification of an
alert, and the outbox depth.
"""

from __future__ import annotations

from collections.abc import Iterator

import structlog
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import case, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from store.models import Alert, AlertDelivery

log = structlog.get_logger(__name__)

LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0)


class AlertsCollector(Collector):
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def collect(self) -> Iterator[Metric]:
        try:
            with self.sessions() as session:
                yield from _metrics(session)
        except SQLAlchemyError as error:  # the store is down: /metrics still answers
            log.warning("alerts.metrics_unavailable", error=str(error).splitlines()[0])


def _metrics(session: Session) -> list[Metric]:
    fired = CounterMetricFamily(
        "orderwatch_alerts_fired",
        "Alerts raised, by kind and severity",
        labels=["kind", "severity"],
    )
    for kind, severity, count in session.execute(
        select(Alert.kind, Alert.severity, func.count()).group_by(Alert.kind, Alert.severity)
    ):
        fired.add_metric([kind, severity], count)
    return [fired, *_deliveries(session), _latency(session)]


def _deliveries(session: Session) -> list[Metric]:
    labels = ["receiver"]
    sent = CounterMetricFamily(
        "orderwatch_notifications_sent", "Notifications delivered, per receiver", labels=labels
    )
    failed = CounterMetricFamily(
        "orderwatch_notifications_failed", "Failed delivery attempts, per receiver", labels=labels
    )
    dead = GaugeMetricFamily(
        "orderwatch_notifications_dead", "Dead letters waiting to be re-sent", labels=labels
    )
    depth = GaugeMetricFamily("orderwatch_alert_outbox_depth", "Notifications not yet sent")
    d = AlertDelivery
    query = select(
        d.target,
        func.sum(case((d.status == "sent", 1), else_=0)),
        func.sum(d.failures),
        func.sum(case((d.status == "dead", 1), else_=0)),
        func.sum(case((d.status == "pending", 1), else_=0)),
    ).group_by(d.target)
    pending = 0
    for receiver, n_sent, n_failed, n_dead, n_pending in session.execute(query):
        sent.add_metric([receiver], int(n_sent or 0))
        failed.add_metric([receiver], int(n_failed or 0))
        dead.add_metric([receiver], int(n_dead or 0))
        pending += int(n_pending or 0)
    depth.add_metric([], pending)
    return [sent, failed, dead, depth]


def _latency(session: Session) -> Metric:
    latency = AlertDelivery.latency_s
    columns = [func.sum(case((latency <= bound, 1), else_=0)) for bound in LATENCY_BUCKETS]
    row = session.execute(
        select(func.count(latency), func.coalesce(func.sum(latency), 0.0), *columns)
    ).one()
    count, total, *cumulative = row
    buckets = [(str(b), int(n or 0)) for b, n in zip(LATENCY_BUCKETS, cumulative, strict=True)]
    return HistogramMetricFamily(
        "orderwatch_alert_deadline_to_delivery_seconds",
        "From the deadline (or the raising) of the alerts a notification first told of to its"
        " delivery",
        buckets=[*buckets, ("+Inf", int(count))],
        sum_value=float(total),
    )

"""The labels every stage of the pipeline reads: routes, group keys, silences and inhibitions
all match on the same names."""

from __future__ import annotations

from collections.abc import Mapping, Set
from datetime import datetime
from typing import Any, Protocol

MATCH_LABELS = ("kind", "severity", "channel", "warehouse", "stage")
"""What a route may match on."""
GROUP_LABELS = (*MATCH_LABELS, "sku", "order_no", "deadline")
"""What a route may group by and a silence may match on."""
KINDS = (
    "sla_breach",
    "stock_low",
    "channel_stale",
    "channel_failing",
    "orders_quarantined",
    "writeback_failed",
    "flow_health",
    "backlog_growth",
    "after_sales_sla",
)
"""Alert kinds the sources raise (each has a template in ``alerts.notifiers.templates``)."""
SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}


class AlertFacts(Protocol):
    """What messages, labels and the worst-first order read of an alert (an ``Alert`` row
    of the ORM or a ``Member``)."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def dedupe_key(self) -> str: ...
    @property
    def details(self) -> dict[str, Any]: ...
    @property
    def labels(self) -> dict[str, Any]: ...
    @property
    def opened_at(self) -> datetime: ...
    @property
    def last_seen_at(self) -> datetime: ...


def labels_of(alert: AlertFacts) -> dict[str, str]:
    """The alert's labels with its kind and severity."""
    return {**alert.labels, "kind": alert.kind, "severity": alert.severity}


def matches_any(matchers: Mapping[str, Set[str]], labels: Mapping[str, str]) -> bool:
    """Every matcher's label has one of its accepted values (no matchers: everything)."""
    return all(labels.get(name) in accepted for name, accepted in matchers.items())


def matches_exactly(matchers: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """Every matcher's label has exactly its value (a silence's matchers)."""
    return all(labels.get(name) == value for name, value in matchers.items())


def worst_first(alert: AlertFacts) -> tuple[int, float, int]:
    """Sort key: most severe first, then the longest-standing (an SLA breach opens at its
    deadline, so the most overdue order comes first)."""
    return (-SEVERITY_RANK.get(alert.severity, 0), alert.opened_at.timestamp(), alert.id)

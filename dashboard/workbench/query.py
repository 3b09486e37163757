"""The workbench's filters as the URL carries them (``/orders?stage=awaiting_pick&sla=breached``)
and as the store's worklist takes them.

Lists are comma-separated, so a link from the board stays short and readable. What the URL
says is kept as given: a value the store cannot match (an unknown channel) is refused by the
worklist with a reason the page shows, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from store.worklist import SORTABLE, SortKey, WorkFilter

LISTS = ("stage", "channel", "warehouse", "sla", "hold", "picker")
NUMBERS = ("min_age", "max_age")
TEXTS = ("order_no",)
Filters = dict[str, Any]
"""``{"stage": [...], ..., "min_age": 2.0, "order_no": "OW00"}``: what the page's inputs hold."""


def from_query(query: Mapping[str, Any]) -> Filters:
    """The filters a URL's query parameters name; a number that is not one stays text, so the
    worklist can say what is wrong with it."""
    filters: Filters = {}
    for key in LISTS:
        filters[key] = [v.strip() for v in str(query.get(key) or "").split(",") if v.strip()]
    for key in NUMBERS:
        filters[key] = number(query.get(key))
    for key in TEXTS:
        filters[key] = str(query.get(key) or "").strip() or None
    return filters


def number(value: Any) -> float | str | None:
    """A number of hours as a filter holds it: ``None`` when empty, the text when not one."""
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def to_query(filters: Filters) -> str:
    """The query string for ``filters`` (empty values left out), ``?`` included when any."""
    pairs = [(key, ",".join(filters[key])) for key in LISTS if filters.get(key)]
    pairs += [(key, _plain(filters[key])) for key in (*NUMBERS, *TEXTS) if filters.get(key)]
    return "?" + urlencode(pairs) if pairs else ""


def _plain(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


class BadFilter(ValueError):
    """A filter value of the wrong kind (an age that is not a number)."""


def to_work_filter(filters: Filters) -> WorkFilter:
    def hours(key: str) -> float | None:
        value = filters.get(key)
        if value is None or isinstance(value, int | float):
            return None if value is None else float(value)
        raise BadFilter(f"{key} {value!r} is not a number of hours")

    def values(key: str) -> tuple[str, ...]:
        return tuple(str(v) for v in filters.get(key) or ())

    return WorkFilter(
        stages=values("stage"),
        channels=values("channel"),
        warehouses=values("warehouse"),
        sla=values("sla"),
        hold_categories=values("hold"),
        pickers=values("picker"),
        min_age_h=hours("min_age"),
        max_age_h=hours("max_age"),
        order_no=filters.get("order_no") or None,
    )


def is_filtered(filters: Filters) -> bool:
    return any(filters.get(key) not in (None, "", []) for key in (*LISTS, *NUMBERS, *TEXTS))


def sort_keys(sort_model: list[dict[str, Any]] | None) -> list[SortKey]:
    """AG Grid's ``sortModel`` (``[{"colId": "stage_entered_at", "sort": "desc"}]``) for the
    columns the worklist can sort on."""
    return [
        SortKey(str(item["colId"]), descending=item.get("sort") == "desc")
        for item in sort_model or ()
        if item.get("colId") in SORTABLE
    ]

"""Worklist rows as the grid and the exports show them, and the grid's columns."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dashboard.formatting import duration, moment, number
from dashboard.i18n import stage_label, t
from rules.stuck import summarize
from store.worklist import WorkRow

COLUMNS: tuple[tuple[str, str | None, int], ...] = (
    # (field shown, column the worklist sorts it by, width in pixels)
    ("order_no", "order_no", 140),
    ("stage", "stage", 100),
    ("channel", "channel", 120),
    ("warehouse", "warehouse", 90),
    ("assignee", "assignee", 100),
    ("age", "stage_entered_at", 120),
    ("sla", "next_deadline_at", 130),
    ("deadline", None, 120),  # the SLA column sorts by the same deadline
    ("hold", "hold_category", 100),
    ("amount", "amount", 100),
    ("summary", None, 420),
)
EXPORTED = tuple(field for field, _sort, _width in COLUMNS)


def grid_row(
    row: WorkRow, now: datetime, zone: ZoneInfo, lang: str, holds: dict[str, tuple[str, str]]
) -> dict[str, Any]:
    """One row for the grid: what people read, plus what an action sends back as "seen"."""
    state = row.sla_state(now)
    return {
        "order_no": row.order_no,
        "order_link": f"[{row.order_no}](/orders/{row.order_no})",
        "stage_code": row.stage,
        "stage": stage_label(row.stage, lang),
        "channel": row.channel,
        "warehouse": row.warehouse or "",
        "assignee": row.assignee or "",
        "assignee_seen": row.assignee,
        "age": duration(now - row.stage_entered_at, lang),
        "sla_state": state.value,
        "sla": t(f"sla.{state.value}", lang),
        "deadline": moment(row.next_deadline_at, zone, lang) if row.next_deadline_at else "",
        "hold": _hold_label(row.hold_category, holds, lang),
        "amount": number(float(row.amount), lang, digits=2),
        "summary": summarize(row, now).text(lang, duration),
    }


def _hold_label(code: str | None, holds: dict[str, tuple[str, str]], lang: str) -> str:
    if code is None:
        return ""
    zh, en = holds.get(code, (code, code))
    return en if lang == "en" else zh


def column_defs(lang: str) -> list[dict[str, Any]]:
    defs: list[dict[str, Any]] = []
    for field, sort_by, width in COLUMNS:
        column: dict[str, Any] = {
            "field": field,
            "headerName": t(f"orders.col.{field}", lang),
            "minWidth": width,
            "flex": 1,
            "sortable": sort_by is not None,
            "tooltipField": field if field == "summary" else None,
        }
        if sort_by is not None:
            column["colId"] = sort_by
        if field == "order_no":  # a link to the order's page; the exports keep the number
            column.update(field="order_link", cellRenderer="markdown")
        if field == "sla":
            column["cellClassRules"] = {
                "orders-sla-breached": "params.data && params.data.sla_state == 'breached'",
                "orders-sla-due": "params.data && params.data.sla_state == 'due_soon'",
            }
        defs.append({k: v for k, v in column.items() if v is not None})
    return defs

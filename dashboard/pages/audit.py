"""The audit log (审计日志): every action people took, newest first, over the whole log.

AG Grid's infinite row model asks for a page at a time as the user scrolls; each is one
``store.audit.audit_page`` query on the log's time index (by actor or action on their own
indexes), so the first page costs the same at a hundred entries or ten million. Filters:
actor, action, entity and time. Each entry links to its order, rule version or channel, and
shows the fields its before/after changed; a click shows them as a table. The filtered log
exports to CSV or Excel.
"""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import dash
import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import Input, Output, State, callback, clientside_callback, ctx, dcc, html
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from dashboard import auditlog
from dashboard.context import app_config, store_sessions
from dashboard.i18n import audit_action_label, lang_of, t
from dashboard.shell import LANG_STORE
from dashboard.workbench.export import MAX_EXPORT, csv_bytes, xlsx_bytes
from store.audit import MAX_PAGE, AuditFilter, audit_page, audit_vocabulary
from store.models import utcnow

dash.register_page(__name__, path="/audit", title="orderwatch · audit log")  # type: ignore[no-untyped-call]

GRID = "audit-grid"
FILTERS = "audit-filters"
KEYS = ("actors", "actions", "entity_type", "entity_id", "days")


def layout(**query: Any) -> dmc.Stack:
    chosen = {
        "actors": [a for a in str(query.get("actor") or "").split(",") if a],
        "actions": [a for a in str(query.get("action") or "").split(",") if a],
        "entity_type": query.get("entity_type") or None,
        "entity_id": query.get("entity_id") or "",
        "days": [None, None],
    }
    filters = dmc.Group(
        [
            dmc.TagsInput(id="audit-f-actors", value=chosen["actors"], w=200),
            dmc.MultiSelect(id="audit-f-actions", value=chosen["actions"], data=chosen["actions"],
                            searchable=True, clearable=True, w=260),
            dmc.Select(id="audit-f-entity_type", value=chosen["entity_type"], clearable=True,
                       data=[chosen["entity_type"]] if chosen["entity_type"] else [], w=170),
            dmc.TextInput(id="audit-f-entity_id", value=chosen["entity_id"], w=170),
            dmc.DatePickerInput(id="audit-f-days", type="range", value=chosen["days"], w=240,
                                valueFormat="YYYY-MM-DD",
                                clearable=True, allowSingleDateInRange=True),
            dmc.Button(id="audit-clear", variant="subtle"),
            dmc.Group([dmc.Button(id="audit-export-csv", variant="default", size="xs"),
                       dmc.Button(id="audit-export-xlsx", variant="default", size="xs")],
                      gap="xs", ml="auto"),
        ],
        align="flex-end",
    )  # fmt: skip
    return dmc.Stack(
        [
            dcc.Store(id=FILTERS, data=chosen),
            dcc.Store(id="audit-purged"),
            dcc.Download(id="audit-download"),
            dmc.Stack([dmc.Title(id="audit-title", order=2),
                       dmc.Text(id="audit-intro", c="dimmed", maw=760)], gap=0),
            filters,
            dmc.Group([dmc.Text(id="audit-count", fw=600)]),
            html.Div(id="audit-message", role="status"),
            dag.AgGrid(
                id=GRID,
                rowModelType="infinite",
                columnDefs=[],
                defaultColDef={"resizable": True, "sortable": False},
                getRowId="params.data.id",
                dashGridOptions={
                    "rowSelection": {"mode": "singleRow", "checkboxes": False,
                                     "enableClickSelection": True},
                    "cacheBlockSize": 100,
                    "maxBlocksInCache": 50,
                    "tooltipShowDelay": 300,
                },
                style={"height": "56vh", "width": "100%"},
            ),
            dmc.Card(html.Div(id="audit-detail"), id="audit-detail-card"),
        ],
        gap="sm",
    )  # fmt: skip


@callback(
    Output("audit-title", "children"),
    Output("audit-intro", "children"),
    *(Output(f"audit-f-{key}", "label") for key in KEYS),
    Output("audit-f-actions", "data"),
    Output("audit-f-entity_type", "data"),
    Output("audit-clear", "children"),
    Output("audit-export-csv", "children"),
    Output("audit-export-xlsx", "children"),
    Output(GRID, "columnDefs"),
    Output("audit-detail", "children"),
    Input(LANG_STORE, "data"),
    State(FILTERS, "data"),
)
async def translate(lang_data: Any, filters: dict[str, Any]) -> tuple[Any, ...]:
    lang = lang_of(lang_data)
    actions, types = await run_in_threadpool(_vocabulary, store_sessions())
    actions = sorted({*actions, *(filters.get("actions") or ())})
    if filters.get("entity_type") and filters["entity_type"] not in types:
        types.append(filters["entity_type"])
    return (
        t("audit.title", lang), t("audit.intro", lang),
        *(t(f"audit.filter.{key}", lang) for key in KEYS),
        [{"value": a, "label": audit_action_label(a, lang)} for a in actions],
        [{"value": k, "label": _type_label(k, lang)} for k in types],
        t("orders.filter.clear", lang),
        t("orders.export.csv", lang), t("orders.export.xlsx", lang),
        columns(lang),
        dmc.Text(t("audit.pick", lang), c="dimmed", size="sm"),
    )  # fmt: skip


def _vocabulary(sessions: sessionmaker[Session]) -> tuple[list[str], list[str]]:
    with sessions() as session:
        return audit_vocabulary(session)


def _type_label(kind: str, lang: str) -> str:
    label = t(f"audit.entity.{kind}", lang)
    return kind if label.startswith("audit.entity.") else label


def columns(lang: str) -> list[dict[str, Any]]:
    widths = {"at": 170, "actor": 120, "action": 190, "entity": 220}
    defs: list[dict[str, Any]] = [
        {"field": name, "headerName": t(f"audit.col.{name}", lang), "width": width}
        for name, width in widths.items()
    ]
    defs[3] |= {"cellRenderer": "markdown", "tooltipField": "entity_text"}
    defs.append({"field": "changes", "headerName": t("audit.col.changes", lang), "flex": 1,
                 "tooltipField": "changes", "minWidth": 300})  # fmt: skip
    return defs


@callback(
    Output(FILTERS, "data"),
    *(Input(f"audit-f-{key}", "value") for key in KEYS),
    prevent_initial_call=True,
)
def collect(*values: Any) -> dict[str, Any]:
    return dict(zip(KEYS, values, strict=True))


@callback(
    *(Output(f"audit-f-{key}", "value") for key in KEYS),
    Input("audit-clear", "n_clicks"),
    prevent_initial_call=True,
)
def clear(_clicks: int | None) -> tuple[Any, ...]:
    return ([], [], None, "", [None, None])


clientside_callback(
    """function(filters) {
        const api = window.dash_ag_grid && window.dash_ag_grid.getApi("audit-grid");
        if (api) { api.purgeInfiniteCache(); }
        return Date.now();
    }""",
    Output("audit-purged", "data"),
    Input(FILTERS, "data"),
    Input(LANG_STORE, "data"),
    prevent_initial_call=True,
)


@callback(
    Output(GRID, "getRowsResponse"),
    Output("audit-count", "children"),
    Output("audit-message", "children"),
    Input(GRID, "getRowsRequest"),
    State(FILTERS, "data"),
    State(LANG_STORE, "data"),
    prevent_initial_call=True,
)
async def rows(
    request: dict[str, Any] | None, filters: dict[str, Any], lang_data: Any
) -> tuple[Any, ...]:
    if not request:
        raise PreventUpdate
    lang = lang_of(lang_data)
    start = int(request.get("startRow") or 0)
    end = int(request.get("endRow") or start + 100)
    zone = app_config().zone
    try:
        where = auditlog.audit_filter(filters or {}, zone)
    except ValueError as exc:
        problem = dmc.Alert(t("audit.bad_filter", lang, reason=exc), color="red")
        return {"rowData": [], "rowCount": 0}, "", problem
    found, total = await run_in_threadpool(
        _page, store_sessions(), where, start, max(end - start, 1), zone, lang
    )
    count = t("audit.count", lang, n=f"{total:,}")
    empty = None
    if not total:
        key = "audit.empty.filtered" if _filtered(filters) else "audit.empty"
        empty = dmc.Alert(t(key, lang), color="gray", id="audit-empty")
    return {"rowData": found, "rowCount": total}, count, empty


def _filtered(filters: dict[str, Any] | None) -> bool:
    return any(v for key, v in (filters or {}).items() if key != "days") or any(
        (filters or {}).get("days") or ()
    )


def _page(
    sessions: sessionmaker[Session],
    where: AuditFilter,
    offset: int,
    limit: int,
    zone: ZoneInfo,
    lang: str,
) -> tuple[list[dict[str, Any]], int]:
    with sessions() as session:
        page = audit_page(session, where, offset=offset, limit=limit)
        channels = auditlog.owners(session, page.entries)
        return [auditlog.grid_row(e, channels, zone, lang) for e in page.entries], page.total


@callback(
    Output("audit-detail", "children", allow_duplicate=True),
    Input(GRID, "selectedRows"),
    State(LANG_STORE, "data"),
    prevent_initial_call=True,
)
def detail(selected: list[dict[str, Any]] | None, lang: Any) -> Any:
    if not selected:
        return dmc.Text(t("audit.pick", lang), c="dimmed", size="sm")
    row = selected[0]
    head = dmc.Group(
        [
            dmc.Text(f"{row['at']} · {row['actor']} · {row['action']}", fw=600),
            dmc.Anchor(row["entity_text"], href=row["link"], id="audit-detail-link")
            if row.get("link")
            else dmc.Text(row["entity_text"]),
        ],
        gap="md",
    )
    if not row.get("diff"):
        return dmc.Stack([head, dmc.Text(t("audit.no_changes", lang), c="dimmed", size="sm")])
    table = dmc.Table(
        data={
            "head": [t(f"audit.diff.{c}", lang) for c in ("field", "before", "after")],
            "body": row["diff"],
        },
        striped=True,
        id="audit-diff",
    )
    return dmc.Stack([head, table], gap="xs")


@callback(
    Output("audit-download", "data"),
    Output("audit-message", "children", allow_duplicate=True),
    Input("audit-export-csv", "n_clicks"),
    Input("audit-export-xlsx", "n_clicks"),
    State(FILTERS, "data"),
    State(LANG_STORE, "data"),
    prevent_initial_call=True,
)
async def export(_csv: Any, _xlsx: Any, filters: dict[str, Any], lang_data: Any) -> Any:
    lang = lang_of(lang_data)
    kind = "xlsx" if ctx.triggered_id == "audit-export-xlsx" else "csv"
    zone = app_config().zone
    where = auditlog.audit_filter(filters or {}, zone)
    found = await run_in_threadpool(_everything, store_sessions(), where, zone, lang)
    if found is None:
        too_many = dmc.Alert(t("audit.export.too_many", lang, n=f"{MAX_EXPORT:,}"),
                             color="orange")  # fmt: skip
        return dash.no_update, too_many
    header = [t(f"audit.col.{c}", lang) for c in auditlog.COLUMNS]
    body = auditlog.export_rows(found)
    content = (
        xlsx_bytes([(t("audit.title", lang), header, body)])
        if kind == "xlsx"
        else csv_bytes(header, body)
    )
    name = f"orderwatch-audit-{utcnow():%Y%m%d-%H%M}.{kind}"
    return {"content": base64.b64encode(content).decode(), "filename": name, "base64": True}, None


def _everything(
    sessions: sessionmaker[Session], where: AuditFilter, zone: ZoneInfo, lang: str
) -> list[dict[str, Any]] | None:
    """Every matching entry, newest first; ``None`` when more than an export holds. Entries
    written meanwhile are left out (they would shift the pages)."""
    now = utcnow()
    where = replace(where, until=min(where.until or now, now))
    found: list[dict[str, Any]] = []
    while True:
        rows, total = _page(sessions, where, len(found), MAX_PAGE, zone, lang)
        if total > MAX_EXPORT:
            return None
        found += rows
        if not rows or len(found) >= total:
            return found

"""Stuck-order workbench (异常/超时订单): every open order, most urgent first, and the actions
that unblock them.

The grid uses AG Grid's infinite row model: it asks for rows ``startRow``–``endRow`` as the
user scrolls, and each request is one page of ``store.worklist`` (indexed, so the page costs the
same at a thousand or a million orders). The filters live in the URL, so a link from the board
(``/orders?stage=awaiting_pick&sla=breached``) opens this view. Actions go through
``rules.order_actions.act_on_orders``, the function the REST API calls.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

import dash
import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html
from dash.exceptions import PreventUpdate
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from dashboard.auth import current_user
from dashboard.context import app_config, store_sessions
from dashboard.i18n import lang_of, stage_label, t
from dashboard.shell import LANG_STORE
from dashboard.workbench import query
from dashboard.workbench.acting import (
    ACTIONS,
    ActionDialog,
    HoldChoice,
    hold_categories,
    hold_options,
    may_act,
    take_action,
    toast,
)
from dashboard.workbench.export import MAX_EXPORT, to_csv, to_xlsx
from dashboard.workbench.outcome import summary
from dashboard.workbench.rows import column_defs, grid_row
from rules.order_actions import Seen
from store.errors import DomainError
from store.models import Channel, utcnow
from store.stages import OPEN_STAGES
from store.worklist import (
    MAX_PAGE,
    SlaState,
    SortKey,
    WorkFilter,
    WorkPage,
    WorkRow,
    worklist,
)

dash.register_page(__name__, path="/orders", title="orderwatch · stuck orders")  # type: ignore[no-untyped-call]

GRID = "orders-grid"
FILTERS = "orders-filters"
REFRESH = "orders-refresh"
DIALOG = ActionDialog("orders")
# Filter inputs: (key in the URL, component, property holding the value).
MULTI = ("stage", "channel", "sla", "hold")
TAGS = ("warehouse", "picker")
NUMBERS = ("min_age", "max_age")


def layout(**url_query: Any) -> html.Section:
    filters = query.from_query(url_query)
    user = current_user()
    acting = may_act(user)
    return html.Section(
        [
            dcc.Store(id=FILTERS, data=filters),
            dcc.Store(id=REFRESH, data=0),
            dcc.Store(id="orders-url-search", data=query.to_query(filters)),
            dcc.Store(id="orders-url-synced"),
            dcc.Download(id="orders-download"),
            html.H2(id="orders-title", style={"marginTop": 0}),
            dmc.Text(id="orders-intro", c="dimmed", mb="sm"),
            _filter_bar(filters),
            html.Div(id="orders-message", role="status"),
            _toolbar(acting),
            dag.AgGrid(
                id=GRID,
                rowModelType="infinite",
                columnDefs=[],
                defaultColDef={"resizable": True, "sortable": False},
                getRowId="params.data.order_no",
                dashGridOptions={
                    "rowSelection": {
                        "mode": "multiRow",
                        "checkboxes": acting,
                        "headerCheckbox": False,
                        "enableClickSelection": False,
                    },
                    "cacheBlockSize": 100,
                    "maxBlocksInCache": 50,
                    "tooltipShowDelay": 300,
                },
                style={"height": "62vh", "width": "100%"},
            ),
            DIALOG.layout(),
        ],
        id="orders-page",
    )


def _filter_bar(filters: query.Filters) -> dmc.Stack:
    multi = [
        dmc.MultiSelect(
            id=f"orders-f-{key}",
            value=list(filters[key]),
            data=[{"value": v, "label": v} for v in filters[key]],
            clearable=True,
            searchable=True,
            w=200,
        )
        for key in MULTI
    ]
    tags = [dmc.TagsInput(id=f"orders-f-{key}", value=list(filters[key]), w=180) for key in TAGS]
    numbers = [
        dmc.NumberInput(
            id=f"orders-f-{key}",
            value=filters[key] if isinstance(filters[key], float) else "",
            min=0,
            w=150,
        )
        for key in NUMBERS
    ]
    order_no = dmc.TextInput(id="orders-f-order_no", value=filters["order_no"] or "", w=170)
    clear = dmc.Button(id="orders-clear", variant="subtle", mt="lg")
    return dmc.Stack(
        [dmc.Group([*multi], gap="sm"), dmc.Group([*tags, *numbers, order_no, clear], gap="sm")],
        gap="xs",
        mb="sm",
    )


def _toolbar(acting: bool) -> dmc.Group:
    actions = [
        dmc.Button(
            id={"role": "orders-action", "action": action},
            disabled=True,
            variant="light",
            color="red" if action == "reject" else "blue",
            size="xs",
        )
        for action in ACTIONS
    ]
    exports = [
        dmc.Button(id=f"orders-export-{kind}", variant="default", size="xs")
        for kind in ("csv", "xlsx")
    ]
    viewer = dmc.Text(id="orders-viewer-hint", c="dimmed", size="sm")
    return dmc.Group(
        [
            dmc.Text(id="orders-count", fw=600),
            dmc.Text(id="orders-selected", c="dimmed", size="sm"),
            *(actions if acting else [viewer]),
            dmc.Group(exports, gap="xs", ml="auto"),
        ],
        gap="xs",
        mb="xs",
    )


# ---- labels and options, in the chosen language ------------------------------------------


@callback(
    Output("orders-title", "children"),
    Output("orders-intro", "children"),
    *(Output(f"orders-f-{key}", "label") for key in (*MULTI, *TAGS, *NUMBERS, "order_no")),
    *(Output(f"orders-f-{key}", "data") for key in MULTI),
    Output("orders-clear", "children"),
    Output({"role": "orders-action", "action": ALL}, "children"),
    Output("orders-export-csv", "children"),
    Output("orders-export-xlsx", "children"),
    *DIALOG.label_outputs(),
    Output(GRID, "columnDefs"),
    Input(LANG_STORE, "data"),
    State(FILTERS, "data"),
)
async def translate(lang_data: Any, filters: query.Filters) -> tuple[Any, ...]:
    lang = lang_of(lang_data)
    channels, holds = await run_in_threadpool(_choices, store_sessions())
    options = {
        "stage": [{"value": s.value, "label": stage_label(s.value, lang)} for s in OPEN_STAGES],
        "channel": [{"value": name, "label": name} for name in channels],
        "sla": [{"value": s.value, "label": t(f"sla.{s.value}", lang)} for s in SlaState],
        "hold": hold_options(holds, lang),
    }
    for key in MULTI:  # a value the URL named but the store does not know stays visible
        known = {o["value"] for o in options[key]}
        options[key] += [{"value": v, "label": v} for v in filters.get(key) or () if v not in known]
    return (
        t("orders.title", lang),
        t("orders.intro", lang),
        *(t(f"orders.filter.{key}", lang) for key in (*MULTI, *TAGS, *NUMBERS, "order_no")),
        *(options[key] for key in MULTI),
        t("orders.filter.clear", lang),
        [t(f"orders.action.{action}", lang) for action in _shown_actions()],
        t("orders.export.csv", lang),
        t("orders.export.xlsx", lang),
        *DIALOG.labels(lang, holds),
        column_defs(lang),
    )


def _shown_actions() -> tuple[str, ...]:
    return ACTIONS if may_act(current_user()) else ()


def _choices(sessions: sessionmaker[Session]) -> tuple[list[str], list[HoldChoice]]:
    with sessions() as session:
        channels = list(session.scalars(select(Channel.name).order_by(Channel.name)))
    return channels, hold_categories(sessions)


@callback(Output("orders-viewer-hint", "children"), Input(LANG_STORE, "data"))
def viewer_hint(lang: Any) -> str:
    return t("orders.not_allowed", lang)


# ---- filters: inputs → store → URL and grid ----------------------------------------------


@callback(
    Output(FILTERS, "data"),
    *(Input(f"orders-f-{key}", "value") for key in (*MULTI, *TAGS, *NUMBERS, "order_no")),
    prevent_initial_call=True,
)
def collect_filters(*values: Any) -> query.Filters:
    keys = (*MULTI, *TAGS, *NUMBERS, "order_no")
    filters = dict(zip(keys, values, strict=True))
    for key in NUMBERS:  # a value that is no number stays as sent: the grid names it
        filters[key] = query.number(filters[key])
    order_no = filters["order_no"]
    filters["order_no"] = (order_no.strip() or None) if isinstance(order_no, str) else None
    return filters


@callback(
    *(Output(f"orders-f-{key}", "value") for key in (*MULTI, *TAGS, *NUMBERS, "order_no")),
    Input("orders-clear", "n_clicks"),
    prevent_initial_call=True,
)
def clear_filters(_clicks: int) -> tuple[Any, ...]:
    return ([],) * (len(MULTI) + len(TAGS)) + ("",) * len(NUMBERS) + ("",)


clientside_callback(
    """function(search, refresh, lang) {
        if (window.location.search !== search) {
            window.history.replaceState(null, "", window.location.pathname + search);
        }
        const api = window.dash_ag_grid && window.dash_ag_grid.getApi("orders-grid");
        if (api) {
            const trigger = (window.dash_clientside.callback_context.triggered[0] || {}).prop_id;
            if (trigger === "orders-refresh.data") { api.refreshInfiniteCache(); }
            else { api.purgeInfiniteCache(); }
        }
        return search;
    }""",
    Output("orders-url-synced", "data"),
    Input("orders-url-search", "data"),
    Input(REFRESH, "data"),
    Input(LANG_STORE, "data"),
    prevent_initial_call=True,
)


@callback(Output("orders-url-search", "data"), Input(FILTERS, "data"), prevent_initial_call=True)
def url_search(filters: query.Filters) -> str:
    return query.to_query(filters)


# ---- the grid's pages --------------------------------------------------------------------


@callback(
    Output(GRID, "getRowsResponse"),
    Output("orders-count", "children"),
    Output("orders-message", "children"),
    Input(GRID, "getRowsRequest"),
    State(FILTERS, "data"),
    State(LANG_STORE, "data"),
    prevent_initial_call=True,
)
async def rows(
    request: dict[str, Any] | None, filters: query.Filters, lang_data: Any
) -> tuple[Any, ...]:
    if not request:
        raise PreventUpdate
    lang = lang_of(lang_data)
    start = int(request.get("startRow") or 0)
    end = int(request.get("endRow") or start + 100)
    sort = query.sort_keys(request.get("sortModel"))
    try:
        work = query.to_work_filter(filters)
        page, now = await run_in_threadpool(
            _page, store_sessions(), work, sort, start, max(end - start, 1)
        )
    except (DomainError, query.BadFilter) as exc:
        empty = {"rowData": [], "rowCount": 0}
        return empty, "", _alert("orders.bad_filter", lang, reason=str(exc), color="red")
    holds = await run_in_threadpool(_hold_labels, store_sessions())
    zone = app_config().zone
    data = [grid_row(row, now, zone, lang, holds) for row in page.rows]
    count = t("orders.count", lang, n=f"{page.total:,}")
    return {"rowData": data, "rowCount": page.total}, count, _empty_state(page, filters, lang)


def _page(
    sessions: sessionmaker[Session], work: WorkFilter, sort: list[SortKey], offset: int, limit: int
) -> tuple[WorkPage, datetime]:
    now = utcnow()
    with sessions() as session:
        return worklist(session, work, now=now, sort=sort, offset=offset, limit=limit), now


def _hold_labels(sessions: sessionmaker[Session]) -> dict[str, tuple[str, str]]:
    return {code: (zh, en) for code, zh, en in hold_categories(sessions)}


def _empty_state(page: WorkPage, filters: query.Filters, lang: str) -> Any:
    if page.total:
        return None
    if query.is_filtered(filters):
        return dmc.Alert(t("orders.empty.filtered", lang), color="gray", id="orders-empty")
    return dmc.Alert(
        t("orders.empty.body", lang),
        title=t("orders.empty.title", lang),
        color="green",
        id="orders-empty",
    )


def _alert(key: str, lang: str, *, color: str, **values: str) -> dmc.Alert:
    return dmc.Alert(t(key, lang, **values), color=color, id="orders-alert")


# ---- selection and actions ---------------------------------------------------------------


@callback(
    Output("orders-selected", "children"),
    Output({"role": "orders-action", "action": ALL}, "disabled"),
    Input(GRID, "selectedRows"),
    State(LANG_STORE, "data"),
)
def selection(selected: list[dict[str, Any]] | None, lang: Any) -> tuple[str, list[bool]]:
    count = len(selected or ())
    shown = _shown_actions()
    text = t("orders.selected", lang, n=count) if count else ""
    return text, [count == 0] * len(shown)


@callback(
    *DIALOG.open_outputs(),
    Input({"role": "orders-action", "action": ALL}, "n_clicks"),
    Input("orders-dialog-cancel", "n_clicks"),
    State(GRID, "selectedRows"),
    State(LANG_STORE, "data"),
    prevent_initial_call=True,
)
def open_dialog(
    _clicks: list[int | None], _cancel: int | None, selected: list[Any] | None, lang: Any
) -> tuple[Any, ...]:
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(_clicks) or not selected:
        return DIALOG.closed()
    action = str(trigger["action"])
    name = t(f"orders.action.{action}", lang)
    body = t("orders.modal.body", lang, n=len(selected), action=name)
    return DIALOG.opened(action, body, lang)


@callback(
    *DIALOG.confirming(
        REFRESH, outputs=[Output(GRID, "deselectAll")], states=[State(GRID, "selectedRows")]
    ),
    prevent_initial_call=True,
)
async def confirm(
    _clicks: int | None,
    action: str | None,
    picker: str | None,
    category: str | None,
    note: str | None,
    selected: list[dict[str, Any]] | None,
    refreshed: int | None,
    lang_data: Any,
) -> tuple[Any, ...]:
    lang = lang_of(lang_data)
    if not _clicks or action not in ACTIONS or not selected:
        raise PreventUpdate  # a dialog drawn or closed, not an action asked for
    try:
        result = await take_action(action, [_seen(row) for row in selected], picker, category, note)
    except DomainError as exc:
        failed = t("orders.failed", lang, reason=exc.message)
        return dash.no_update, True, failed, dash.no_update, dash.no_update
    message = summary(action, result, lang)
    shown = toast("orders-result", message, lang, refused=bool(result.refused))
    return shown, False, "", (refreshed or 0) + 1, True


def _seen(row: dict[str, Any]) -> Seen:
    return Seen(str(row["order_no"]), str(row["stage_code"]), row.get("assignee_seen"))


# ---- export ------------------------------------------------------------------------------


@callback(
    Output("orders-download", "data"),
    Output("orders-message", "children", allow_duplicate=True),
    Input("orders-export-csv", "n_clicks"),
    Input("orders-export-xlsx", "n_clicks"),
    State(FILTERS, "data"),
    State(GRID, "getRowsRequest"),
    State(LANG_STORE, "data"),
    prevent_initial_call=True,
)
async def export(
    _csv: int | None,
    _xlsx: int | None,
    filters: query.Filters,
    request: dict[str, Any] | None,
    lang_data: Any,
) -> tuple[Any, Any]:
    lang = lang_of(lang_data)
    kind = "xlsx" if ctx.triggered_id == "orders-export-xlsx" else "csv"
    sort = query.sort_keys((request or {}).get("sortModel"))
    try:
        work = query.to_work_filter(filters)
        found, now = await run_in_threadpool(_export_rows, store_sessions(), work, sort)
    except (DomainError, query.BadFilter) as exc:
        return dash.no_update, _alert("orders.bad_filter", lang, reason=str(exc), color="red")
    if found is None:
        too_many = _alert("orders.export.too_many", lang, n=f"{MAX_EXPORT:,}", color="orange")
        return dash.no_update, too_many
    holds = await run_in_threadpool(_hold_labels, store_sessions())
    data = [grid_row(row, now, app_config().zone, lang, holds) for row in found]
    name = f"orderwatch-stuck-orders-{now:%Y%m%d-%H%M}.{kind}"
    content = to_xlsx(data, lang) if kind == "xlsx" else to_csv(data, lang)
    return {
        "content": base64.b64encode(content).decode(),
        "filename": name,
        "base64": True,
    }, dash.no_update


def _export_rows(
    sessions: sessionmaker[Session], work: WorkFilter, sort: list[SortKey]
) -> tuple[list[WorkRow] | None, datetime]:
    """Every row matching ``work``, a page at a time in one snapshot of time; ``None`` when
    there are more than an export holds."""
    now = utcnow()
    found: list[WorkRow] = []
    with sessions() as session:
        while True:
            page = worklist(session, work, now=now, sort=sort, offset=len(found), limit=MAX_PAGE)
            if page.total > MAX_EXPORT:
                return None, now
            found += page.rows
            if not page.rows or len(found) >= page.total:
                return found, now

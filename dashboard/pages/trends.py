"""Comparison and trends (前后对比与趋势): the article's before/after table for two periods
and a channel/warehouse scope — the same ``metrics.compare.compare_periods`` as
``orderwatch metrics compare`` — each change coloured by whether it improved; the article's
trend lines per week (processing time, manual intervention share, late shipments) and
throughput over both periods; both exported to CSV or Excel. The periods and scope are kept
in the URL (``/trends?before=2026-10-01..2026-10-31&after=2026-11-01..2026-11-30``)."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, callback, clientside_callback, ctx, dcc, html
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from dashboard import trends
from dashboard.board_charts import CONFIG
from dashboard.context import app_config, store_sessions
from dashboard.i18n import lang_of, t
from dashboard.shell import LANG_STORE, SCHEME_STORE
from metrics.window import known_warehouses
from store.channels import list_channels
from store.errors import DomainError
from store.models import utcnow

dash.register_page(__name__, path="/trends", title="orderwatch · trends")  # type: ignore[no-untyped-call]

PICKERS = ("before", "after")


def layout(**query: Any) -> dmc.Stack:
    before, after = trends.default_periods(utcnow(), app_config().zone)
    asked = {name: trends.period_of(query.get(name)) for name in PICKERS}
    chosen = {"before": list(asked["before"] or before), "after": list(asked["after"] or after)}
    scope = {key: [v for v in str(query.get(key) or "").split(",") if v]
             for key in ("channel", "warehouse")}  # fmt: skip
    filters = dmc.Group(
        [
            *(dmc.DatePickerInput(id=f"trends-{name}", type="range", value=chosen[name], w=230,
                                  valueFormat="YYYY-MM-DD", allowSingleDateInRange=True)
              for name in PICKERS),
            dmc.MultiSelect(id="trends-channel", value=scope["channel"], data=scope["channel"],
                            clearable=True, searchable=True, w=220),
            dmc.MultiSelect(id="trends-warehouse", value=scope["warehouse"],
                            data=scope["warehouse"], clearable=True, searchable=True, w=200),
            dmc.Group([dmc.Button(id="trends-export-csv", variant="default", size="xs"),
                       dmc.Button(id="trends-export-xlsx", variant="default", size="xs")],
                      gap="xs", ml="auto"),
        ],
        align="flex-end",
    )  # fmt: skip
    graphs = [
        dmc.Card([dmc.Text(id=f"trends-{name}-title", fw=600, mb="xs"),
                  dcc.Graph(id=f"trends-{name}", config=CONFIG)])
        for name in trends.CHARTS
    ]  # fmt: skip
    loading = dmc.Stack([dmc.Skeleton(height=24) for _ in range(8)], gap="xs")
    return dmc.Stack(
        [
            dcc.Download(id="trends-download"),
            dcc.Store(id="trends-url"),
            dcc.Store(id="trends-url-synced"),
            dmc.Stack([dmc.Title(id="trends-title", order=2),
                       dmc.Text(id="trends-intro", c="dimmed", maw=760)], gap=0),
            filters,
            html.Div(id="trends-message", role="status"),
            dmc.Card([dmc.Text(id="trends-table-title", fw=600, mb="xs"),
                      html.Div(loading, id="trends-table-view")]),
            dmc.SimpleGrid(graphs, cols={"base": 1, "md": 2}),
        ],
        gap="md",
    )  # fmt: skip


@callback(
    Output("trends-title", "children"),
    Output("trends-intro", "children"),
    *(Output(f"trends-{name}", "label") for name in (*PICKERS, "channel", "warehouse")),
    Output("trends-channel", "placeholder"),
    Output("trends-warehouse", "placeholder"),
    Output("trends-export-csv", "children"),
    Output("trends-export-xlsx", "children"),
    Output("trends-table-title", "children"),
    *(Output(f"trends-{name}-title", "children") for name in trends.CHARTS),
    Output("trends-channel", "data"),
    Output("trends-warehouse", "data"),
    Input(LANG_STORE, "data"),
    State("trends-channel", "value"),
    State("trends-warehouse", "value"),
)
async def translate(lang: Any, channels: list[str], warehouses: list[str]) -> tuple[Any, ...]:
    known_channels, known_warehouses_ = await run_in_threadpool(_choices, store_sessions())
    return (
        t("trends.title", lang), t("trends.intro", lang),
        t("trends.before", lang), t("trends.after", lang),
        t("board.channels", lang), t("board.warehouses", lang),
        t("board.all", lang), t("board.all", lang),
        t("orders.export.csv", lang), t("orders.export.xlsx", lang),
        t("trends.table", lang),
        *(t(f"trends.chart.{name}", lang) for name in trends.CHARTS),
        # A value the URL named but the store does not know stays, so the message names it.
        sorted({*known_channels, *(channels or ())}),
        sorted({*known_warehouses_, *(warehouses or ())}),
    )  # fmt: skip


def _choices(sessions: sessionmaker[Session]) -> tuple[list[str], list[str]]:
    with sessions() as session:
        return [c.name for c in list_channels(session)], known_warehouses(session)


SHOW_INPUTS = (
    Input("trends-before", "value"),
    Input("trends-after", "value"),
    Input("trends-channel", "value"),
    Input("trends-warehouse", "value"),
)


@callback(
    Output("trends-table-view", "children"),
    *(Output(f"trends-{name}", "figure") for name in trends.CHARTS),
    Output("trends-message", "children"),
    Output("trends-url", "data"),
    *SHOW_INPUTS,
    Input(LANG_STORE, "data"),
    Input(SCHEME_STORE, "data"),
)
async def show(
    before: Any, after: Any, channels: Any, warehouses: Any, lang_data: Any, scheme: Any
) -> tuple[Any, ...]:
    lang = lang_of(lang_data)
    periods = trends.period_of(before), trends.period_of(after)
    if periods[0] is None or periods[1] is None:
        raise PreventUpdate  # a range half chosen
    try:
        table, weeks = await run_in_threadpool(
            trends.compared, store_sessions(), periods[0], periods[1], list(channels or ()),
            list(warehouses or ()), app_config().zone, utcnow(),
        )  # fmt: skip
    except DomainError as exc:
        problem = dmc.Alert(t("trends.bad", lang, reason=exc.message), color="red",
                            id="trends-problem")  # fmt: skip
        return dash.no_update, *(dash.no_update,) * len(trends.CHARTS), problem, dash.no_update
    figures = trends.charts(weeks, lang, str(scheme))
    empty = None
    if not any(row.before or row.after for row in table.rows):
        empty = dmc.Alert(t("trends.empty", lang), color="gray", id="trends-empty")
    url = "?" + urlencode({"before": "..".join(periods[0]), "after": "..".join(periods[1]),
                           **{key: ",".join(value) for key, value in
                              (("channel", channels or ()), ("warehouse", warehouses or ()))
                              if value}})  # fmt: skip
    return (trends.table(table.rows, lang), *(figures[n] for n in trends.CHARTS), empty, url)


clientside_callback(
    """function(search) {
        if (search && window.location.search !== search) {
            window.history.replaceState(null, "", window.location.pathname + search);
        }
        return search;
    }""",
    Output("trends-url-synced", "data"),
    Input("trends-url", "data"),
    prevent_initial_call=True,
)


@callback(
    Output("trends-download", "data"),
    Input("trends-export-csv", "n_clicks"),
    Input("trends-export-xlsx", "n_clicks"),
    *(State(i.component_id, i.component_property) for i in SHOW_INPUTS),
    State(LANG_STORE, "data"),
    prevent_initial_call=True,
)
async def export(
    _csv: Any, _xlsx: Any, before: Any, after: Any, channels: Any, warehouses: Any, lang: Any
) -> dict[str, Any]:
    kind = "xlsx" if ctx.triggered_id == "trends-export-xlsx" else "csv"
    periods = trends.period_of(before), trends.period_of(after)
    if periods[0] is None or periods[1] is None:
        raise PreventUpdate
    try:
        table, weeks = await run_in_threadpool(
            trends.compared, store_sessions(), periods[0], periods[1], list(channels or ()),
            list(warehouses or ()), app_config().zone, utcnow(),
        )  # fmt: skip
    except DomainError:
        raise PreventUpdate from None  # the page says what is wrong with the filters
    content = trends.export(table, weeks, kind, lang_of(lang))
    name = f"orderwatch-compare-{periods[1][0]}-{periods[1][1]}.{kind}"
    return {"content": base64.b64encode(content).decode(), "filename": name, "base64": True}

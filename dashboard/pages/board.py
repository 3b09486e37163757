"""The live board (看板): KPI cards against the same window last week, work in progress by age,
throughput, warehouse nodes, bottleneck heatmaps, exceptions and channel health — filtered by
channel, warehouse and time range (kept in the URL) and refreshed when the store changes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import (
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    dcc,
    html,
    no_update,
)
from plotly.graph_objects import Figure
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from dashboard import board_charts as charts
from dashboard.board_filters import CUSTOM, RANGES, BoardFilters, from_query
from dashboard.board_widgets import channel_strip, kpi_grid
from dashboard.context import app_config, store_sessions
from dashboard.formatting import moment
from dashboard.i18n import lang_of, t
from dashboard.shell import LANG_STORE, SCHEME_STORE
from metrics.board import board, board_version
from metrics.board_document import Board
from metrics.window import board_window, known_warehouses, resolve_scope
from store.channels import list_channels
from store.errors import DomainError
from store.floor import hold_category_labels
from store.scans import REFUSALS

dash.register_page(__name__, path="/", title="orderwatch")  # type: ignore[no-untyped-call]

POLL_MS = 2_000
"""How often an open board asks whether the store changed (a handful of index lookups)."""
CHARTS = ("wip", "throughput", "nodes", "intake", "delay", "exceptions", "refused")


def layout(**query: Any) -> dmc.Stack:
    """The frame, with the filters the URL names; the refresh callback fills the rest."""
    chosen = from_query(query)
    return dmc.Stack(
        [
            dcc.Location(id="board-url", refresh=False),
            dcc.Location(id="board-go", refresh="callback-nav"),
            dcc.Store(id="board-version"),
            dcc.Store(id="board-heartbeat"),
            dcc.Interval(id="board-tick", interval=POLL_MS),
            _heading(),
            _filters(chosen),
            dmc.Alert(
                id="board-problem",
                color="red",
                hide=True,
                children=[
                    html.Span(id="board-problem-detail"),
                    " ",
                    dmc.Anchor(id="board-problem-reset", href="/"),
                ],
            ),
            dmc.Card(
                [
                    dmc.Title(id="board-empty-title", order=3),
                    dmc.Text(id="board-empty-body", c="dimmed"),
                ],
                id="board-empty",
                display="none",
            ),
            dmc.Stack(_content(), id="board-content", gap="md"),
            html.Div(id="board-rendered", hidden=True),
        ],
        gap="md",
    )


def _heading() -> dmc.Group:
    status = dmc.Group(
        [
            dmc.Badge(id="board-stale", color="orange", variant="filled", display="none"),
            dmc.Text(id="board-updated", c="dimmed", size="sm"),
        ],
        gap="xs",
    )
    titles = dmc.Stack(
        [dmc.Title(id="board-title", order=2), dmc.Text(id="board-subtitle", c="dimmed")], gap=0
    )
    return dmc.Group([titles, status], justify="space-between", align="flex-end")


def _filters(chosen: BoardFilters) -> dmc.Group:
    custom = chosen.range == CUSTOM
    dates = [chosen.start, chosen.end] if custom else [None, None]
    return dmc.Group(
        [
            dmc.MultiSelect(id="board-channels", value=list(chosen.channels), data=[],
                            clearable=True, searchable=True, w=260),
            dmc.MultiSelect(id="board-warehouses", value=list(chosen.warehouses), data=[],
                            clearable=True, searchable=True, w=220),
            dmc.SegmentedControl(id="board-range", value=chosen.range,
                                 data=[{"label": r, "value": r} for r in RANGES]),
            dmc.DatePickerInput(id="board-dates", type="range", value=dates, w=260,
                                display="block" if custom else "none"),
        ],
        align="flex-end",
    )  # fmt: skip


def _card(name: str, body: Any) -> dmc.Card:
    return dmc.Card([dmc.Text(id=f"board-{name}-title", fw=600, mb="xs"), body])


def _graph(name: str) -> dcc.Graph:
    return dcc.Graph(id=f"board-{name}", config=charts.CONFIG)


def _captioned(name: str) -> dmc.Stack:
    caption = dmc.Text(id=f"board-{name}-caption", size="xs", c="dimmed")
    return dmc.Stack([caption, _graph(name)], gap=0)


def _content() -> list[Any]:
    return [
        dmc.SimpleGrid(id="board-kpis", cols={"base": 2, "sm": 3, "lg": 5}, spacing="sm"),
        _card(
            "wip",
            dmc.Stack([dmc.Text(id="board-wip-hint", size="xs", c="dimmed"), _graph("wip")], gap=0),
        ),
        dmc.SimpleGrid(
            [_card("throughput", _graph("throughput")), _card("nodes", _graph("nodes"))],
            cols={"base": 1, "md": 2},
        ),
        dmc.SimpleGrid(
            [_card("intake", _captioned("intake")), _card("delay", _captioned("delay"))],
            cols={"base": 1, "md": 2},
        ),
        dmc.SimpleGrid(
            [_card("exceptions", _graph("exceptions")), _card("refused", _graph("refused"))],
            cols={"base": 1, "md": 2},
        ),
        _card("channels", html.Div(id="board-channel-strip")),
    ]


@callback(
    Output("board-title", "children"),
    Output("board-subtitle", "children"),
    Output("board-channels", "label"),
    Output("board-channels", "placeholder"),
    Output("board-warehouses", "label"),
    Output("board-warehouses", "placeholder"),
    Output("board-range", "data"),
    Output("board-dates", "label"),
    Output("board-wip-hint", "children"),
    Output("board-empty-title", "children"),
    Output("board-empty-body", "children"),
    Output("board-problem", "title"),
    Output("board-problem-reset", "children"),
    Output("board-stale", "children"),
    *(Output(f"board-{name}-title", "children") for name in (*CHARTS[:4], *CHARTS[5:])),
    Output("board-channels-title", "children"),
    Input(LANG_STORE, "data"),
)
def translate(lang: Any) -> tuple[Any, ...]:
    ranges = [{"label": t(f"range.{r}", lang), "value": r} for r in RANGES]
    keys = ("chart.wip", "chart.throughput", "chart.nodes", "chart.intake", "chart.exceptions",
            "chart.refused", "channels.title")  # fmt: skip
    return (
        t("board.title", lang), t("board.subtitle", lang),
        t("board.channels", lang), t("board.all", lang),
        t("board.warehouses", lang), t("board.all", lang),
        ranges, t("board.dates", lang), t("chart.wip.hint", lang),
        t("board.empty.title", lang), t("board.empty.body", lang),
        t("board.filters_invalid", lang), t("board.filters_reset", lang), t("board.stale", lang),
        *(t(key, lang) for key in keys),
    )  # fmt: skip


@callback(
    Output("board-channels", "data"),
    Output("board-warehouses", "data"),
    Input(LANG_STORE, "data"),
)
async def filter_choices(_lang: Any) -> tuple[list[str], list[str]]:
    return await run_in_threadpool(_choices, store_sessions())


def _choices(sessions: sessionmaker[Session]) -> tuple[list[str], list[str]]:
    with sessions() as session:
        return [c.name for c in list_channels(session)], known_warehouses(session)


@callback(
    Output("board-url", "search"),
    Output("board-dates", "display"),
    Input("board-channels", "value"),
    Input("board-warehouses", "value"),
    Input("board-range", "value"),
    Input("board-dates", "value"),
    prevent_initial_call=True,
)
def keep_in_url(channels: Any, warehouses: Any, chosen: Any, dates: Any) -> tuple[str, str]:
    """Every filter change goes into the URL; the board follows the URL."""
    start, end = (dates or [None, None]) if chosen == CUSTOM else (None, None)
    filters = BoardFilters(tuple(channels or ()), tuple(warehouses or ()), str(chosen),
                           start and str(start)[:10], end and str(end)[:10])  # fmt: skip
    return filters.query(), "block" if chosen == CUSTOM else "none"


Drawn = tuple[Board, dict[str, tuple[str, str]]]
"""A board and the hold categories' labels its charts need, read in one trip to the store."""


@callback(
    Output("board-kpis", "children"),
    *(Output(f"board-{name}", "figure") for name in CHARTS),
    Output("board-delay-title", "children"),
    Output("board-intake-caption", "children"),
    Output("board-delay-caption", "children"),
    Output("board-channel-strip", "children"),
    Output("board-updated", "children"),
    Output("board-rendered", "children"),
    Output("board-problem", "hide"),
    Output("board-problem-detail", "children"),
    Output("board-content", "display"),
    Output("board-empty", "display"),
    Input("board-url", "search"),
    Input("board-version", "data"),
    Input(LANG_STORE, "data"),
    Input(SCHEME_STORE, "data"),
)
async def refresh(search: Any, _version: Any, lang_data: Any, scheme: Any) -> tuple[Any, ...]:
    lang, filters = lang_of(lang_data), from_query(search)
    zone = app_config().zone
    # Dash's FastAPI backend runs callbacks on the event loop: the store is read in a worker
    # thread so one slow refresh never stalls every other request of the process.
    try:
        drawn = await run_in_threadpool(read_board, store_sessions(), filters, zone)
    except DomainError as problem:
        return (*[no_update] * (len(CHARTS) + 7), False, str(problem), "none", "none")
    found = drawn[0]
    fresh = not found.channels and not any(w.count for w in found.work_in_progress)
    updated = f"{t('board.updated', lang)} {moment(found.as_of, zone, lang, seconds=True)}"
    return (
        kpi_grid(found, lang),
        *_figures(drawn, lang, str(scheme)),
        charts.delay_title(found.heatmaps, lang),
        f"{t('chart.busiest', lang)}: {charts.cell_names(found.heatmaps.busiest, lang)}",
        f"{t('chart.worst', lang)}: {charts.cell_names(found.heatmaps.worst, lang)}",
        channel_strip(found.channels, zone, lang),
        updated,
        found.as_of.isoformat(),
        True,
        "",
        "none" if fresh else "flex",
        "block" if fresh else "none",
    )


def read_board(sessions: sessionmaker[Session], filters: BoardFilters, zone: Any) -> Drawn:
    now = datetime.now(UTC)
    with sessions() as session:
        window = board_window(filters.preset, filters.start, filters.end, now=now, zone=zone)
        scope = resolve_scope(session, channels=filters.channels, warehouses=filters.warehouses)
        found = board(session, now=now, window=window, scope=scope)
        return found, hold_category_labels(session)


def _figures(drawn: Drawn, lang: str, scheme: str) -> tuple[Figure, ...]:
    found, labels = drawn
    pick = 1 if lang == "en" else 0
    holds = {code: names[pick] for code, names in labels.items()}
    # A floor exception is a refused scan or a problem reported on the floor (a hold cause).
    refusals = holds | {code: names[pick] for code, names in REFUSALS.items()}
    maps = found.heatmaps
    return (
        charts.work_in_progress(found.work_in_progress, lang, scheme),
        charts.throughput(found.throughput, lang, scheme),
        charts.warehouse_nodes(found.warehouse_nodes, lang, scheme),
        charts.heatmap(maps.intake, maps.busiest, lang, scheme),
        charts.heatmap(maps.delay, maps.worst, lang, scheme),
        charts.counts(holds, found.exceptions_by_category, scheme, "red"),
        charts.counts(refusals, found.refused_scans_by_code, scheme, "orange"),
    )


@callback(
    Output("board-version", "data"),
    Output("board-heartbeat", "data"),
    Input("board-tick", "n_intervals"),
    State("board-version", "data"),
)
async def poll(_tick: Any, known: Any) -> tuple[Any, float]:
    """Ask the store whether anything the board shows changed; refetch only then."""
    version = await run_in_threadpool(_version, store_sessions())
    beat = datetime.now(UTC).timestamp() * 1000
    return (no_update if version == known else version), beat


def _version(sessions: sessionmaker[Session]) -> str:
    with sessions() as session:
        return board_version(session)


clientside_callback(
    ClientsideFunction(namespace="orderwatch", function_name="staleMarker"),
    Output("board-stale", "display"),
    Input("board-tick", "n_intervals"),
    State("board-heartbeat", "data"),
    State("board-tick", "interval"),
)


@callback(
    Output("board-go", "href"),
    Input("board-wip", "clickData"),
    State("board-url", "search"),
    prevent_initial_call=True,
)
def open_stage(click: Any, search: Any) -> str:
    """A click on a stage's bar opens the workbench on that stage, in the board's scope."""
    stage = click["points"][0]["customdata"]
    scoped = from_query(search).scoped()
    return f"/orders?stage={stage}" + (f"&{scoped[1:]}" if scoped else "")

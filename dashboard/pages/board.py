"""The live board (看板): KPI cards against the same window last week, work in progress by age,
throughput, warehouse nodes, bottleneck heatmaps, exceptions and channel health — filtered by
channel, warehouse and time range (kept in the URL) and refreshed when the store changes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

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
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from typing_extensions import TypedDict

from dashboard import board_charts as charts
from dashboard.board_filters import CUSTOM, RANGES, BoardFilters, from_query
from dashboard.board_widgets import (
    channel_strip,
    kpi_cards,
    kpi_label_outputs,
    kpi_labels,
    kpi_outputs,
    kpi_values,
)
from dashboard.context import app_config, heatmap_cache, store_sessions
from dashboard.formatting import moment
from dashboard.i18n import lang_of, t
from dashboard.shell import LANG_STORE, SCHEME_STORE
from metrics.board import HeatmapCache, board_version, now_figures, window_figures
from metrics.board_document import NowFigures, WindowFigures
from metrics.window import board_window, known_warehouses, resolve_scope
from store.channels import list_channels
from store.errors import DomainError
from store.floor import hold_category_labels
from store.scans import REFUSALS

dash.register_page(__name__, path="/", title="orderwatch")  # type: ignore[no-untyped-call]

POLL_MS = 2_000
"""How often an open board asks whether the store changed (a handful of index lookups)."""
WINDOW_CHARTS = ("throughput", "nodes", "exceptions", "refused")
NOW_CHARTS = ("wip", "intake", "delay")
TITLED = ("wip", "throughput", "nodes", "intake", "exceptions", "refused", "channels")
"""Cards whose title is fixed text (the delay heatmap's names its stage)."""


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
            html.Div(id="board-rendered-window", hidden=True),
            html.Div(id="board-rendered-now", hidden=True),
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


WINDOW_ROWS = ("kpis", "flow", "exceptions")
"""Rows drawn from the time range's figures (redrawn when the range changes)."""
NOW_ROWS = ("wip", "heat", "channels")
"""Rows drawn from what waits now and the last four weeks (the same for any range)."""


def _row(name: str, *cards: Any) -> dmc.SimpleGrid:
    return dmc.SimpleGrid(list(cards), id=f"board-row-{name}", cols={"base": 1, "md": len(cards)})


def _content() -> list[Any]:
    hint = dmc.Text(id="board-wip-hint", size="xs", c="dimmed")
    return [
        dmc.SimpleGrid(kpi_cards(), id="board-row-kpis", cols={"base": 2, "sm": 3, "lg": 5},
                       spacing="sm"),
        _row("wip", _card("wip", dmc.Stack([hint, _graph("wip")], gap=0))),
        _row("flow", _card("throughput", _graph("throughput")), _card("nodes", _graph("nodes"))),
        _row("heat", _card("intake", _captioned("intake")), _card("delay", _captioned("delay"))),
        _row("exceptions", _card("exceptions", _graph("exceptions")),
             _card("refused", _graph("refused"))),
        _row("channels", _card("channels", html.Div(id="board-channel-strip"))),
    ]  # fmt: skip


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
    *(Output(f"board-{name}-title", "children") for name in TITLED),
    *kpi_label_outputs(),
    Input(LANG_STORE, "data"),
)
def translate(lang: Any) -> tuple[Any, ...]:
    ranges = [{"label": t(f"range.{r}", lang), "value": r} for r in RANGES]
    return (
        t("board.title", lang), t("board.subtitle", lang),
        t("board.channels", lang), t("board.all", lang),
        t("board.warehouses", lang), t("board.all", lang),
        ranges, t("board.dates", lang), t("chart.wip.hint", lang),
        t("board.empty.title", lang), t("board.empty.body", lang),
        t("board.filters_invalid", lang), t("board.filters_reset", lang), t("board.stale", lang),
        *(t("channels.title" if name == "channels" else f"chart.{name}", lang) for name in TITLED),
        *kpi_labels(lang),
    )  # fmt: skip


@callback(
    Output("board-channels", "data"),
    Output("board-warehouses", "data"),
    Input(LANG_STORE, "data"),
    State("board-url", "search"),
)
async def filter_choices(_lang: Any, search: str | None) -> tuple[list[str], list[str]]:
    """The known channels and warehouses, plus any the URL names: a select drops a value it
    does not offer, which would silently widen a shared link instead of saying it is wrong."""
    channels, warehouses = await run_in_threadpool(_choices, store_sessions())
    asked = from_query(search)
    return _with(channels, asked.channels), _with(warehouses, asked.warehouses)


def _choices(sessions: sessionmaker[Session]) -> tuple[list[str], list[str]]:
    with sessions() as session:
        return [c.name for c in list_channels(session)], known_warehouses(session)


def _with(known: list[str], asked: tuple[str, ...]) -> list[str]:
    return known + [name for name in asked if name not in known]


def chosen_filters(channels: Any, warehouses: Any, chosen: Any, dates: Any) -> BoardFilters:
    """The filters as the widgets hold them (what is not a list of names, or a pair of
    dates, holds none: a forged request cannot make the board fail)."""
    pair = dates if isinstance(dates, list) and len(dates) == 2 else [None, None]
    start, end = pair if chosen == CUSTOM else (None, None)
    return BoardFilters(_strings(channels), _strings(warehouses), str(chosen),
                        start and str(start)[:10], end and str(end)[:10])  # fmt: skip


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


FILTERS = (
    Input("board-channels", "value"),
    Input("board-warehouses", "value"),
    Input("board-range", "value"),
    Input("board-dates", "value"),
)
REDRAW = (Input("board-version", "data"), Input(LANG_STORE, "data"), Input(SCHEME_STORE, "data"))
"""The board is redrawn when the store changes, and when the language or scheme does."""


def _shown(rows: tuple[str, ...], visible: bool) -> list[str]:
    return ["grid" if visible else "none"] * len(rows)


@callback(
    Output("board-url", "search"),
    Output("board-dates", "display"),
    *kpi_outputs(),
    *(Output(f"board-{name}", "figure") for name in WINDOW_CHARTS),
    Output("board-rendered-window", "children"),
    Output("board-problem", "hide"),
    Output("board-problem-detail", "children"),
    Output("board-empty", "display"),
    *(Output(f"board-row-{name}", "display") for name in WINDOW_ROWS),
    *FILTERS,
    *REDRAW,
)
async def refresh_window(*values: Any) -> tuple[Any, ...]:
    """The range's figures for the filters (which go into the URL, so a link shares the view)."""
    *chosen, _version, lang_data, scheme = values
    filters, lang = chosen_filters(*chosen), lang_of(lang_data)
    url = (filters.query(), "block" if filters.range == CUSTOM else "none")
    try:
        found, holds = await run_in_threadpool(
            read_window, store_sessions(), filters, app_config().zone
        )
    except DomainError as problem:
        unchanged = len(kpi_outputs()) + len(WINDOW_CHARTS) + 1
        hidden = (*[no_update] * unchanged, False, str(problem), "none")
        return (*url, *hidden, *_shown(WINDOW_ROWS, False))
    fresh = holds is None
    names = _names(holds or {}, lang)
    return (
        *url,
        *kpi_values(found, lang),
        charts.throughput(found.throughput, lang, str(scheme)),
        charts.warehouse_nodes(found.warehouse_nodes, lang, str(scheme)),
        charts.counts(names[0], found.exceptions_by_category, lang, str(scheme), "red"),
        charts.counts(names[1], found.refused_scans_by_code, lang, str(scheme), "orange"),
        found.window.end.isoformat(timespec="microseconds") + f"/{_version}",
        True,
        "",
        "block" if fresh else "none",
        *_shown(WINDOW_ROWS, not fresh),
    )


def read_window(
    sessions: sessionmaker[Session], filters: BoardFilters, zone: ZoneInfo
) -> tuple[WindowFigures, dict[str, tuple[str, str]] | None]:
    """The range's figures and the hold causes' labels (``None`` on a fresh install, which has
    no channel yet: the page then explains how to start instead of drawing zeros)."""
    now = datetime.now(UTC)
    with sessions() as session:
        window = board_window(filters.preset, filters.start, filters.end, now=now, zone=zone)
        scope = resolve_scope(session, channels=filters.channels, warehouses=filters.warehouses)
        found = window_figures(session, now=now, window=window, scope=scope)
        labels = hold_category_labels(session) if list_channels(session) else None
        return found, labels


def _names(holds: dict[str, tuple[str, str]], lang: str) -> tuple[dict[str, str], dict[str, str]]:
    """Hold causes, and floor exceptions: a refused scan or a problem reported on the floor
    (whose code is a hold cause)."""
    pick = 1 if lang == "en" else 0
    causes = {code: labels[pick] for code, labels in holds.items()}
    return causes, causes | {code: labels[pick] for code, labels in REFUSALS.items()}


@callback(
    *(Output(f"board-{name}", "figure") for name in NOW_CHARTS),
    Output("board-delay-title", "children"),
    Output("board-intake-caption", "children"),
    Output("board-delay-caption", "children"),
    Output("board-channel-strip", "children"),
    Output("board-updated", "children"),
    Output("board-rendered-now", "children"),
    *(Output(f"board-row-{name}", "display") for name in NOW_ROWS),
    Input("board-channels", "value"),
    Input("board-warehouses", "value"),
    *REDRAW,
)
async def refresh_now(
    channels: Any, warehouses: Any, version: Any, lang_data: Any, scheme: Any
) -> tuple[Any, ...]:
    """What waits now and the four weeks' heatmaps: they follow the scope, not the range."""
    lang, zone = lang_of(lang_data), app_config().zone
    filters = chosen_filters(channels, warehouses, "today", None)
    try:
        found, fresh = await run_in_threadpool(
            read_now, store_sessions(), filters, zone, heatmap_cache()
        )
    except DomainError:  # refresh_window says what is wrong with the filters
        return (*[no_update] * (len(NOW_CHARTS) + 6), *_shown(NOW_ROWS, False))
    maps, drawn = found.heatmaps, str(scheme)
    updated = f"{t('board.updated', lang)} {moment(found.as_of, zone, lang, seconds=True)}"
    return (
        charts.work_in_progress(found.work_in_progress, lang, drawn),
        charts.heatmap(maps.intake, maps.busiest, lang, drawn),
        charts.heatmap(maps.delay, maps.worst, lang, drawn),
        charts.delay_title(maps, lang),
        f"{t('chart.busiest', lang)}: {charts.cell_names(maps.busiest, lang)}",
        f"{t('chart.worst', lang)}: {charts.cell_names(maps.worst, lang)}",
        channel_strip(found.channels, zone, lang),
        updated,
        f"{found.as_of.isoformat()}/{version}",
        *_shown(NOW_ROWS, not fresh),
    )


def read_now(
    sessions: sessionmaker[Session], filters: BoardFilters, zone: ZoneInfo, cache: HeatmapCache
) -> tuple[NowFigures, bool]:
    now = datetime.now(UTC)
    with sessions() as session:
        scope = resolve_scope(session, channels=filters.channels, warehouses=filters.warehouses)
        found = now_figures(session, now=now, zone=zone, scope=scope, heatmaps=cache)
        return found, not found.channels and not any(w.count for w in found.work_in_progress)


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


class _Point(TypedDict):
    customdata: str


class StageClick(TypedDict):
    """Plotly's ``clickData`` of a bar of the work-in-progress chart (its stage code); the
    callback guard checks a request's value against it (pydantic needs typing_extensions'
    TypedDict before Python 3.12)."""

    points: list[_Point]


@callback(
    Output("board-go", "href"),
    Input("board-wip", "clickData"),
    State("board-url", "search"),
    prevent_initial_call=True,
)
def open_stage(click: StageClick | None, search: str | None) -> str:
    """A click on a stage's bar opens the workbench on that stage, in the board's scope."""
    if not click or not click["points"]:
        raise PreventUpdate
    stage = click["points"][0]["customdata"]
    return "/orders?" + urlencode([("stage", stage), *from_query(search).scoped()])

"""Overview (总览): orders in each stage right now and how long the oldest has waited."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dash
import plotly.graph_objects as go
from dash import Input, Output, callback, dcc, html
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from dashboard.app import app_config, store_sessions
from dashboard.i18n import lang_of, stage_label, t
from dashboard.shell import CARD_STYLE, LANG_STORE, THEME
from metrics.wip import StageCount, orders_by_stage, total_orders
from store.stages import Stage

dash.register_page(__name__, path="/", title="orderwatch")  # type: ignore[no-untyped-call]

REFRESH_MS = 10_000
CELL = {"padding": ".4rem 1rem", "borderBottom": "1px solid #e4e7eb", "textAlign": "left"}
NUMBER_CELL = {**CELL, "textAlign": "right"}


def layout(**_query: Any) -> html.Section:
    """An empty frame; the refresh callback fills it on load and every ``REFRESH_MS``."""
    return html.Section(
        [
            html.H2(id="overview-title", style={"marginTop": 0}),
            html.P(id="overview-updated", style={"color": THEME["muted"]}),
            html.Div(
                [html.H3(id="overview-empty-title"), html.P(id="overview-empty-body")],
                id="overview-empty",
                hidden=True,
                style=CARD_STYLE,
            ),
            html.Div(
                [
                    dcc.Graph(id="overview-chart", config={"displayModeBar": False}),
                    html.Table(
                        id="overview-table",
                        style={"borderCollapse": "collapse", "width": "100%", "maxWidth": "640px"},
                    ),
                    html.P(id="overview-done", style={"color": THEME["muted"]}),
                ],
                id="overview-data",
                hidden=True,
                style=CARD_STYLE,
            ),
            dcc.Interval(id="overview-interval", interval=REFRESH_MS),
        ]
    )


@callback(
    Output("overview-title", "children"),
    Output("overview-empty-title", "children"),
    Output("overview-empty-body", "children"),
    Input(LANG_STORE, "data"),
)
def translate(lang: Any) -> tuple[str, str, str]:
    return (
        t("overview.title", lang),
        t("overview.empty.title", lang),
        t("overview.empty.body", lang),
    )


@callback(
    Output("overview-chart", "figure"),
    Output("overview-table", "children"),
    Output("overview-done", "children"),
    Output("overview-updated", "children"),
    Output("overview-data", "hidden"),
    Output("overview-empty", "hidden"),
    Input("overview-interval", "n_intervals"),
    Input(LANG_STORE, "data"),
)
async def refresh(
    _tick: int | None, lang_data: Any
) -> tuple[go.Figure, list[html.Tr], str, str, bool, bool]:
    lang = lang_of(lang_data)
    now = datetime.now(UTC)
    # Dash's FastAPI backend runs callbacks on the event loop: the query goes to a worker
    # thread so one slow refresh never stalls every other request of the process.
    counts = await run_in_threadpool(read_counts, store_sessions(), now)
    updated = f"{t('overview.updated', lang)} {now.astimezone(app_config().zone):%H:%M:%S}"
    has_orders = total_orders(counts) > 0
    work = [entry for entry in counts if entry.is_open]
    return (
        stage_chart(work, lang),
        stage_table(work, lang, now),
        done_line(counts, lang),
        updated,
        not has_orders,
        has_orders,
    )


def read_counts(sessions: sessionmaker[Session], now: datetime) -> list[StageCount]:
    with sessions() as session:
        return orders_by_stage(session, now=now)


def stage_chart(work: list[StageCount], lang: str) -> go.Figure:
    # On-hold orders are exceptions waiting for a person: the one bar drawn in the alert colour.
    colours = [THEME["alert"] if e.stage == Stage.ON_HOLD else THEME["accent"] for e in work]
    figure = go.Figure(
        go.Bar(
            x=[stage_label(entry.stage, lang) for entry in work],
            y=[entry.count for entry in work],
            text=[entry.count for entry in work],
            textposition="outside",
            marker_color=colours,
            cliponaxis=False,
        )
    )
    figure.update_layout(
        height=320,
        margin={"l": 40, "r": 20, "t": 30, "b": 40},
        plot_bgcolor=THEME["card"],
        paper_bgcolor=THEME["card"],
        font={"family": THEME["font"]},
        yaxis={"rangemode": "tozero", "gridcolor": "#e4e7eb"},
    )
    return figure


def stage_table(work: list[StageCount], lang: str, now: datetime) -> list[html.Tr]:
    head = html.Tr(
        [
            html.Th(t("overview.stage", lang), style=CELL),
            html.Th(t("overview.count", lang), style=NUMBER_CELL),
            html.Th(t("overview.oldest", lang), style=NUMBER_CELL),
        ]
    )
    return [head, *(stage_row(entry, lang, now) for entry in work)]


def stage_row(entry: StageCount, lang: str, now: datetime) -> html.Tr:
    age = entry.oldest_age_hours(now)
    return html.Tr(
        [
            html.Td(stage_label(entry.stage, lang), className="stage", style=CELL),
            html.Td(str(entry.count), className="count", style=NUMBER_CELL),
            html.Td("—" if age is None else f"{age:.1f}", className="oldest", style=NUMBER_CELL),
        ],
        id=f"overview-row-{entry.stage}",
    )


def done_line(counts: list[StageCount], lang: str) -> str:
    done = [f"{stage_label(e.stage, lang)} {e.count}" for e in counts if not e.is_open]
    return f"{t('overview.done', lang)} " + " · ".join(done)

"""The alert groups: the list (open ones first, then the recent resolved ones) with its
filters, and the open group's detail: its alerts, linked to their orders, and its delivery
log, with acknowledge, silence and re-send for the roles that may act."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import dash
import dash_mantine_components as dmc
from dash import ALL, Input, Output, callback, ctx, html
from starlette.concurrency import run_in_threadpool

from alerts.views import AlertView, GroupView
from dashboard.alertdesk import reading, rows
from dashboard.alertdesk.frame import (
    ACTION,
    EXPORTS,
    FILTERS,
    GROUP,
    REFRESH,
    TICK,
    action_button,
    may_act,
    viewer_hint,
)
from dashboard.context import app_config, store_sessions
from dashboard.formatting import NONE, moment
from dashboard.grids import empty_state, fit, grid
from dashboard.i18n import lang_of, t
from dashboard.theme import ALERT_STATE, SEVERITY
from store.errors import NotFound

GRID = "alerts-groups-grid"
ITEMS = "alerts-items-grid"
LOG = "alerts-log-grid"


def filter_id(name: str) -> str:
    return f"alerts-f-{name}"


LISTED = tuple(name for name in reading.FILTERS if name != "state")
"""Filters chosen from a list; the state is three chips."""


def layout(filters: reading.Filters, group: int | None) -> dmc.Stack:
    states = dmc.ChipGroup(
        dmc.Group(
            [
                dmc.Chip(state, id=f"alerts-f-state-{state}", value=state, size="sm", color=colour)
                for state, colour in ALERT_STATE.items()
            ],
            gap="xs",
        ),
        id=filter_id("state"),
        multiple=True,
        value=list(filters.get("state") or []),
    )
    bar = [
        dmc.MultiSelect(
            id=filter_id(name),
            value=list(filters.get(name) or []),
            data=[{"value": v, "label": v} for v in filters.get(name) or []],
            clearable=True,
            searchable=True,
            w=180,
        )
        for name in LISTED
    ]
    clear = dmc.Button(id="alerts-f-clear", variant="subtle", size="xs")
    # The group a link opens is the selected row once the rows arrive.
    picked: dict[str, Any] = {"selectedRows": {"ids": [str(group)]}} if group else {}
    return dmc.Stack(
        [
            states,
            dmc.Group([*bar, clear, dmc.Box(EXPORTS.button(GRID), ml="auto")], align="flex-end"),
            html.Div(id="alerts-unrouted"),
            html.Div(id="alerts-groups-empty"),
            grid(GRID, selection="singleRow", **picked),
            _detail(),
        ],
        gap="sm",
    )


def _detail() -> dmc.Card:
    acting = may_act()
    actions = (
        [
            action_button("ack", "detail", color="indigo", variant="filled"),
            action_button("silence", "detail", color="orange"),
        ]
        if acting
        else [viewer_hint("detail")]
    )
    resend = [action_button("resend_group", "detail-log", color="red")] if acting else []
    dead_only = "params.data && params.data.status_code === 'dead'"
    return dmc.Card(
        [
            dmc.Text(id="alerts-detail-hint", c="dimmed"),
            dmc.Stack(
                [
                    dmc.Group(
                        [html.Div(id="alerts-detail-head"), dmc.Group(actions, gap="xs")],
                        justify="space-between",
                        align="flex-start",
                    ),
                    html.Div(id="alerts-detail-facts"),
                    _section("items", [EXPORTS.button(ITEMS)]),
                    grid(ITEMS),
                    _section("log", [*resend, EXPORTS.button(LOG)]),
                    html.Div(id="alerts-log-empty"),
                    grid(LOG, selection="multiRow" if acting else None, selectable=dead_only),
                ],
                id="alerts-detail-body",
                gap="sm",
                style={"display": "none"},
            ),
        ],
        id="alerts-detail",
    )


def _section(name: str, tools: list[Any]) -> dmc.Group:
    title = dmc.Text(id=f"alerts-detail-{name}-title", fw=600)
    return dmc.Group([title, dmc.Group(tools, gap="xs")], justify="space-between", mt="xs")


def register() -> None:
    EXPORTS.register(GRID, partial(rows.export_table, rows.GROUP_COLUMNS), "alert-groups")
    EXPORTS.register(ITEMS, partial(rows.export_table, rows.ITEM_COLUMNS), "alerts")
    EXPORTS.register(LOG, partial(rows.export_table, rows.LOG_COLUMNS), "alert-group-deliveries")

    @callback(
        *(Output(f"alerts-f-state-{state}", "children") for state in reading.GROUP_STATES),
        *(Output(filter_id(name), "label") for name in LISTED),
        Output("alerts-f-clear", "children"),
        Output(GRID, "columnDefs"),
        Output(ITEMS, "columnDefs"),
        Output(LOG, "columnDefs"),
        Output("alerts-detail-hint", "children"),
        Output("alerts-detail-items-title", "children"),
        Output("alerts-detail-log-title", "children"),
        Input("shell-lang", "data"),
    )
    def translate(lang_data: Any) -> tuple[Any, ...]:
        lang = lang_of(lang_data)
        return (
            *(t(f"alerts.state.{state}", lang) for state in reading.GROUP_STATES),
            *(t(f"alerts.filter.{name}", lang) for name in LISTED),
            t("alerts.filter.clear", lang),
            rows.column_defs(rows.GROUP_COLUMNS, lang),
            rows.column_defs(rows.ITEM_COLUMNS, lang),
            rows.column_defs(rows.LOG_COLUMNS, lang),
            t("alerts.detail.hint", lang),
            t("alerts.detail.items", lang),
            t("alerts.detail.log", lang),
        )

    @callback(
        Output(FILTERS, "data"),
        *(Input(filter_id(name), "value") for name in reading.FILTERS),
        prevent_initial_call=True,
    )
    def collect(*values: list[str] | None) -> reading.Filters:
        return {name: list(v or []) for name, v in zip(reading.FILTERS, values, strict=True)}

    @callback(
        *(Output(filter_id(name), "value", allow_duplicate=True) for name in reading.FILTERS),
        Input("alerts-f-clear", "n_clicks"),
        prevent_initial_call=True,
    )
    def clear(_clicks: int | None) -> tuple[list[str], ...]:
        return tuple(list(reading.OPEN_STATES) if n == "state" else [] for n in reading.FILTERS)

    @callback(
        Output(GROUP, "data"),
        Input(GRID, "selectedRows"),
        prevent_initial_call=True,
    )
    def select(selected: Any) -> Any:
        # A filter hiding the open group deselects its row: the detail stays open. (Until
        # the rows arrive, the selection is the ``{"ids": …}`` the layout asked for.)
        if isinstance(selected, list) and selected:
            return int(selected[0]["id"])
        return dash.no_update

    register_list()
    register_detail()


def register_list() -> None:
    @callback(
        Output(GRID, "rowData"),
        Output(GRID, "style"),
        *(Output(filter_id(name), "data") for name in LISTED),
        Output("alerts-groups-empty", "children"),
        Output("alerts-unrouted", "children"),
        Output("alerts-stats", "children"),
        Output("alerts-updated", "children"),
        Output("alerts-tab-groups", "rightSection"),
        Output("alerts-tab-deliveries", "rightSection"),
        Input("shell-lang", "data"),
        Input(TICK, "n_intervals"),
        Input(REFRESH, "data"),
        Input(FILTERS, "data"),
    )
    async def show(lang_data: Any, _tick: Any, _refresh: Any, filters: Any) -> tuple[Any, ...]:
        lang = lang_of(lang_data)
        zone = app_config().zone
        chosen: reading.Filters = filters or {}
        found = await run_in_threadpool(reading.read_overview, store_sessions())
        shown = [g for g in found.groups if reading.matches(g, chosen)]
        data = [rows.group_row(g, found.routes, found.now, zone, lang) for g in shown]
        empty = None if shown else _empty(found, chosen, lang)
        counts = found.counts()
        return (
            data,
            fit(len(data), 10),
            *(_options(found.groups, name, chosen, lang) for name in LISTED),
            empty,
            _unrouted(found.unrouted, lang, zone),
            _stats(found, lang),
            f"{t('board.updated', lang)} {moment(found.now, zone, lang, seconds=True)}",
            _count(counts["firing"] + counts["acknowledged"], ALERT_STATE["firing"]),
            _count(found.dead_letters, "red"),
        )


def _count(value: int, colour: str) -> Any:
    """A tab's count badge; none for nothing."""
    return dmc.Badge(str(value), size="sm", color=colour, circle=True) if value else None


def _options(
    groups: list[GroupView], name: str, chosen: reading.Filters, lang: str
) -> list[dict[str, str]]:
    values = reading.choices(groups, name)
    values += [v for v in chosen.get(name) or [] if v not in values]  # a URL's value stays
    label = name if name in ("kind", "severity") else "plain"
    return [
        {"value": v, "label": rows.label_value(label, v, lang) if label != "plain" else v}
        for v in values
    ]


def _empty(found: reading.Overview, chosen: reading.Filters, lang: str) -> dmc.Alert:
    if reading.is_filtered(chosen):
        return empty_state("alerts.empty.filtered", lang)
    if not found.routes:
        return empty_state("alerts.empty.no_routes", lang, color="orange", titled=True)
    return empty_state("alerts.empty.quiet", lang, color="green", titled=True)


def _unrouted(alerts: list[AlertView], lang: str, zone: ZoneInfo) -> Any:
    """Open alerts nobody is told about: a warning with the worst of them."""
    if not alerts:
        return None
    listed = [
        html.Li(f"{rows.kind_label(a.kind, lang)} · {a.title} · {moment(a.opened_at, zone, lang)}")
        for a in alerts[:5]
    ]
    more = len(alerts) - len(listed)
    if more:
        listed.append(html.Li(t("alerts.unrouted.more", lang, n=more)))
    return dmc.Alert(
        [dmc.Text(t("alerts.unrouted.body", lang), size="sm"), html.Ul(listed)],
        title=t("alerts.unrouted.title", lang, n=len(alerts)),
        color="orange",
        id="alerts-unrouted-alert",
    )


def _stats(found: reading.Overview, lang: str) -> dmc.Group:
    counts = found.counts()
    figures = [
        ("firing", counts["firing"], ALERT_STATE["firing"]),
        ("acknowledged", counts["acknowledged"], ALERT_STATE["acknowledged"]),
        ("unrouted", len(found.unrouted), "orange"),
        ("silences", found.silences, "gray"),
        ("outbox", found.outbox_depth, "gray"),
        ("dead", found.dead_letters, "red"),
    ]
    return dmc.Group([_figure(name, value, colour, lang) for name, value, colour in figures])


def _figure(name: str, value: int, colour: str, lang: str) -> dmc.Paper:
    label = dmc.Text(t(f"alerts.stat.{name}", lang), size="xs", c="dimmed")
    shown = dmc.Text(
        str(value), fw=700, size="xl", c=colour if value else "dimmed", id=f"alerts-stat-{name}"
    )
    return dmc.Paper(dmc.Stack([label, shown], gap=0), px="md", py="xs")


def register_detail() -> None:
    @callback(
        Output("alerts-detail-hint", "style"),
        Output("alerts-detail-body", "style"),
        Output("alerts-detail-head", "children"),
        Output("alerts-detail-facts", "children"),
        Output(ITEMS, "rowData"),
        Output(ITEMS, "style"),
        Output(LOG, "rowData"),
        Output(LOG, "style"),
        Output("alerts-log-empty", "children"),
        Output({"role": ACTION, "action": ALL, "place": "detail"}, "disabled"),
        Input(GROUP, "data"),
        Input("shell-lang", "data"),
        Input(TICK, "n_intervals"),
        Input(REFRESH, "data"),
    )
    async def detail(group_id: Any, lang_data: Any, _tick: Any, _refresh: Any) -> tuple[Any, ...]:
        lang = lang_of(lang_data)
        hidden, shown = {"display": "none"}, {"display": "flex"}
        buttons = [str(o["id"]["action"]) for o in ctx.outputs_list[-1]]
        nothing: tuple[Any, ...] = ([], fit(0), [], fit(0), None)
        if not isinstance(group_id, int):
            return (shown, hidden, None, None, *nothing, [True] * len(buttons))
        try:
            group, routes, now = await run_in_threadpool(
                reading.read_group, store_sessions(), group_id
            )
        except NotFound:
            missing = dmc.Alert(t("alerts.detail.missing", lang, id=group_id), color="red")
            return (hidden, shown, missing, None, *nothing, [True] * len(buttons))
        zone = app_config().zone
        state = reading.group_state(group)
        items = [rows.item_row(a, now, zone, lang) for a in group.alerts]
        log = [rows.delivery_row(d, zone, lang) for d in group.deliveries or []]
        no_log = None if log else dmc.Text(t("alerts.detail.no_log", lang), c="dimmed", size="sm")
        return (
            hidden,
            shown,
            _head(group, state, lang),
            _facts(group, routes, now, zone, lang),
            items,
            fit(len(items), 10),
            log,
            fit(len(log), 8),
            no_log,
            # Acknowledge while nobody has; silence while it is open.
            [state != "firing" if b == "ack" else state == "resolved" for b in buttons],
        )


def _head(group: GroupView, state: str, lang: str) -> dmc.Stack:
    worst = group.severity or (group.alerts[0].severity if group.alerts else "info")
    return dmc.Stack(
        [
            dmc.Group(
                [
                    dmc.Badge(t(f"severity.{worst}", lang), color=SEVERITY.get(worst, "gray")),
                    dmc.Badge(
                        t(f"alerts.state.{state}", lang),
                        color=ALERT_STATE[state],
                        variant="light",
                        id="alerts-detail-state",
                    ),
                    dmc.Text(f"#{group.id}", c="dimmed", size="sm"),
                ],
                gap="xs",
            ),
            dmc.Title(
                group.summary.get(lang) or group.group_key, order=4, id="alerts-detail-title"
            ),
        ],
        gap=4,
    )


def _facts(
    group: GroupView,
    routes: dict[str, reading.RouteFacts],
    now: Any,
    zone: ZoneInfo,
    lang: str,
) -> dmc.SimpleGrid:
    row = rows.group_row(group, routes, now, zone, lang)
    ack = row["ack"] or t("alerts.detail.nobody", lang)
    facts: Sequence[tuple[str, str]] = (
        ("alerts.col.open", str(group.open_alerts)),
        ("alerts.col.since", f"{row['since']} · {row['lasted']}"),
        ("alerts.col.level", row["level"]),
        ("alerts.col.escalates", row["escalates"]),
        ("alerts.col.notified", row["notified"]),
        ("alerts.col.ack", ack),
        ("alerts.col.route", row["route"]),
        ("alerts.col.scope", row["scope"]),
    )
    return dmc.SimpleGrid(
        [
            dmc.Stack(
                [dmc.Text(t(key, lang), size="xs", c="dimmed"), dmc.Text(value or NONE, size="sm")],
                gap=0,
            )
            for key, value in facts
        ],
        cols=4,
        spacing="sm",
        id="alerts-detail-facts-grid",
    )

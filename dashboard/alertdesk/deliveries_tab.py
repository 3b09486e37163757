"""The delivery log: every notification to every receiver, newest first, with each one's
attempts and the provider's last answer; the dead letters (sent up to the retry budget or
refused for good) are selected and re-sent from here."""

from __future__ import annotations

from functools import partial
from typing import Any

import dash_mantine_components as dmc
from dash import ALL, Input, Output, callback, ctx, html
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from alerts import views
from alerts.views import DeliveryView
from dashboard.alertdesk import rows
from dashboard.alertdesk.frame import (
    ACTION,
    EXPORTS,
    REFRESH,
    TICK,
    action_button,
    may_act,
    viewer_hint,
)
from dashboard.alertdesk.groups_tab import LOG
from dashboard.context import app_config, store_sessions
from dashboard.grids import empty_state, fit, grid
from dashboard.i18n import lang_of, t
from dashboard.shell import LANG_STORE

GRID = "alerts-deliveries-grid"
STATUS = "alerts-deliveries-status"
STATUSES = ("all", "dead", "pending", "sent")
SHOWN = 500
"""Deliveries the log lists (the newest); the CLI and the API page further back."""
DEAD_ONLY = "params.data && params.data.status_code === 'dead'"


def layout() -> dmc.Stack:
    acting = may_act()
    tools = (
        [action_button("resend", "deliveries", color="red", disabled=True)]
        if acting
        else [viewer_hint("deliveries")]
    )
    return dmc.Stack(
        [
            dmc.Text(id="alerts-deliveries-intro", c="dimmed", size="sm"),
            dmc.Group(
                [
                    dmc.SegmentedControl(id=STATUS, value="all", data=[], size="xs"),
                    *tools,
                    dmc.Box(EXPORTS.button(GRID), ml="auto"),
                ],
                align="center",
            ),
            html.Div(id="alerts-deliveries-empty"),
            grid(GRID, selection="multiRow" if acting else None, selectable=DEAD_ONLY),
        ],
        gap="sm",
    )


def register() -> None:
    EXPORTS.register(GRID, partial(rows.export_table, rows.DELIVERY_COLUMNS), "alert-deliveries")

    @callback(
        Output(GRID, "columnDefs"),
        Output(STATUS, "data"),
        Output("alerts-deliveries-intro", "children"),
        Input(LANG_STORE, "data"),
    )
    def translate(lang_data: Any) -> tuple[Any, ...]:
        lang = lang_of(lang_data)
        options = [{"value": s, "label": t(f"alerts.deliveries.{s}", lang)} for s in STATUSES]
        return (
            rows.column_defs(rows.DELIVERY_COLUMNS, lang),
            options,
            t("alerts.deliveries.intro", lang),
        )

    @callback(
        Output(GRID, "rowData"),
        Output(GRID, "style"),
        Output("alerts-deliveries-empty", "children"),
        Input(LANG_STORE, "data"),
        Input(TICK, "n_intervals"),
        Input(REFRESH, "data"),
        Input(STATUS, "value"),
    )
    async def show(lang_data: Any, _tick: Any, _refresh: Any, status: Any) -> tuple[Any, ...]:
        lang = lang_of(lang_data)
        chosen = status if status in STATUSES[1:] else None
        found = await run_in_threadpool(read, store_sessions(), chosen)
        zone = app_config().zone
        data = [rows.delivery_row(d, zone, lang) for d in found]
        if data:
            return data, fit(len(data), 14), None
        key = "alerts.deliveries.no_dead" if chosen == "dead" else "alerts.deliveries.none"
        return data, fit(0), empty_state(key, lang, color="green" if chosen == "dead" else "gray")

    # Re-send is offered while dead letters are selected, here and in a group's log (two
    # callbacks of their own names: the callback guard tells callbacks apart by them).
    @callback(
        Output({"role": ACTION, "action": ALL, "place": "deliveries"}, "disabled"),
        Input(GRID, "selectedRows"),
    )
    def selectable_here(selected: list[dict[str, Any]] | None) -> list[bool]:
        return _resend_disabled(selected)

    @callback(
        Output({"role": ACTION, "action": ALL, "place": "detail-log"}, "disabled"),
        Input(LOG, "selectedRows"),
    )
    def selectable_in_log(selected: list[dict[str, Any]] | None) -> list[bool]:
        return _resend_disabled(selected)


def _resend_disabled(selected: list[dict[str, Any]] | None) -> list[bool]:
    dead = [row for row in selected or () if row.get("status_code") == "dead"]
    return [not dead] * len(ctx.outputs_list)


def read(sessions: sessionmaker[Session], status: str | None) -> list[DeliveryView]:
    with sessions() as session:
        return views.deliveries(session, status=status, limit=SHOWN)

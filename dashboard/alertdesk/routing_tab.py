"""Routing: the receivers (settings with their secrets shown only as set, each one's last
delivery) with the test send, the routes in matching order, and for the roles that configure
alerts the editor of the ``[alerts]`` section (``config_editor``)."""

from __future__ import annotations

from typing import Any

import dash
import dash_mantine_components as dmc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from alerts import views
from alerts.outbox import Attempt
from alerts.views import DeliveryView
from dashboard.alertdesk import config_editor, rows
from dashboard.alertdesk.frame import (
    ACTION,
    REFRESH,
    action_button,
    may_act,
    may_configure,
)
from dashboard.confirming import as_allowed
from dashboard.context import app_config, store_sessions
from dashboard.grids import empty_state, fit, grid
from dashboard.i18n import lang_of, t
from dashboard.permissions import CONFIGURE_ALERTS
from dashboard.shell import LANG_STORE, TOASTS
from dashboard.workbench.acting import toast
from rules.config import ConfigError
from store.errors import DomainError

RECEIVERS = "alerts-receivers-grid"
ROUTES = "alerts-routes-grid"
RESULT = "alerts-test-result"
EDITOR = "alerts-config"


def layout() -> dmc.Stack:
    test = [action_button("test", "receivers", disabled=True)] if may_act() else []
    edit = [action_button("edit", "routing", variant="filled")] if may_configure() else []
    hint = dmc.Text(id="alerts-routing-readonly", size="sm", c="dimmed")
    return dmc.Stack(
        [
            dmc.Group([*edit, hint], gap="sm"),
            dmc.Group(
                [dmc.Text(id="alerts-receivers-title", fw=600), dmc.Group(test)],
                justify="space-between",
            ),
            html.Div(id="alerts-receivers-empty"),
            grid(RECEIVERS, selection="singleRow", whole=True),
            html.Div(id=RESULT, role="status"),
            dmc.Text(id="alerts-routes-title", fw=600, mt="sm"),
            html.Div(id="alerts-routes-empty"),
            grid(ROUTES, whole=True),
            _editor(),
        ],
        gap="sm",
    )


def _editor() -> html.Div:
    """The editor (closed and empty for every role: only opening it, role-checked on the
    server, fills it)."""
    body = dmc.Stack(
        [
            dmc.Text(id=f"{EDITOR}-help", size="sm", c="dimmed"),
            dmc.Textarea(
                id=f"{EDITOR}-text", value="", autosize=True, minRows=12, maxRows=20,
                styles={"input": {"fontFamily": "var(--mantine-font-family-monospace)"}},
            ),
            html.Div(id=f"{EDITOR}-result", role="status"),
            dmc.Group(
                [
                    dmc.Button(id=f"{EDITOR}-close", variant="default"),
                    dmc.Button(id=f"{EDITOR}-check", variant="light"),
                    dmc.Button(id=f"{EDITOR}-apply", color="red"),
                ],
                justify="flex-end",
            ),
        ],
        gap="sm",
    )  # fmt: skip
    modal = dmc.Modal(id=f"{EDITOR}-modal", opened=False, size="xl", children=body)
    return html.Div([dcc.Store(id=f"{EDITOR}-made-from"), modal])


def register() -> None:
    @callback(
        Output(RECEIVERS, "columnDefs"),
        Output(ROUTES, "columnDefs"),
        Output("alerts-receivers-title", "children"),
        Output("alerts-routes-title", "children"),
        Input(LANG_STORE, "data"),
    )
    def translate(lang_data: Any) -> tuple[Any, ...]:
        lang = lang_of(lang_data)
        return (
            rows.column_defs(rows.RECEIVER_COLUMNS, lang),
            rows.column_defs(rows.ROUTE_COLUMNS, lang),
            t("alerts.routing.receivers", lang),
            t("alerts.routing.routes", lang),
        )

    @callback(
        Output(RECEIVERS, "rowData"),
        Output(RECEIVERS, "style"),
        Output(ROUTES, "rowData"),
        Output(ROUTES, "style"),
        Output("alerts-receivers-empty", "children"),
        Output("alerts-routes-empty", "children"),
        Input(LANG_STORE, "data"),
        Input(REFRESH, "data"),
    )
    async def show(lang_data: Any, _refresh: Any) -> tuple[Any, ...]:
        lang = lang_of(lang_data)
        receivers, routes, last = await run_in_threadpool(read, store_sessions())
        zone = app_config().zone
        shown = [rows.receiver_row(r, last.get(r["name"]), zone, lang) for r in receivers]
        listed = [rows.route_row(r, n, lang) for n, r in enumerate(routes)]
        return (
            shown,
            fit(len(shown), None),
            listed,
            fit(len(listed), None),
            None if shown else empty_state("alerts.routing.no_receivers", lang, color="orange"),
            None if listed else empty_state("alerts.routing.no_routes", lang, color="orange"),
        )

    @callback(
        Output({"role": ACTION, "action": "test", "place": ALL}, "disabled"),
        Input(RECEIVERS, "selectedRows"),
    )
    def selectable(selected: list[dict[str, Any]] | None) -> list[bool]:
        return [not selected] * len(ctx.outputs_list)

    register_editor()


def read(
    sessions: sessionmaker[Session],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, DeliveryView]]:
    """Receivers (secrets masked), routes, and each receiver's latest delivery."""
    with sessions() as session:
        last: dict[str, DeliveryView] = {}
        for delivery in views.deliveries(session, limit=1000):
            last.setdefault(delivery.receiver, delivery)
        return views.receivers(session), views.routes(session), last


def test_result(receiver: str, attempt: Attempt | None, lang: str) -> dmc.Alert:
    """The provider's answer to a test send, as the CLI's ``alerts test`` prints it."""
    if attempt is None:
        return dmc.Alert(
            t("alerts.test.held", lang, receiver=receiver), color="orange", id=RESULT + "-a"
        )
    answer = attempt.delivery
    outcome = t(f"alerts.test.{attempt.status}", lang)
    details = t(
        "alerts.test.answer",
        lang,
        status=answer.status_code or "—",
        code=answer.provider_code or "—",
    )
    colour = {"sent": "green", "pending": "orange"}.get(attempt.status, "red")
    return dmc.Alert(
        [dmc.Text(details, size="sm"), dmc.Code(answer.detail or "—", block=True)],
        title=f"{receiver}: {outcome}",
        color=colour,
        id=RESULT + "-a",
    )


def register_editor() -> None:
    @callback(
        Output(f"{EDITOR}-modal", "title"),
        Output(f"{EDITOR}-help", "children"),
        Output(f"{EDITOR}-close", "children"),
        Output(f"{EDITOR}-check", "children"),
        Output(f"{EDITOR}-apply", "children"),
        Input(LANG_STORE, "data"),
    )
    def translate(lang_data: Any) -> tuple[str, ...]:
        lang = lang_of(lang_data)
        keys = ("title", "help", "close", "check", "apply")
        return tuple(t(f"alerts.editor.{key}", lang) for key in keys)

    @callback(
        Output("alerts-routing-readonly", "children"),
        Input(LANG_STORE, "data"),
    )
    def readonly(lang_data: Any) -> str:
        key = "alerts.routing.editable" if may_configure() else "alerts.routing.readonly"
        return t(key, lang_of(lang_data))

    @callback(
        Output(f"{EDITOR}-modal", "opened"),
        Output(f"{EDITOR}-text", "value"),
        Output(f"{EDITOR}-made-from", "data"),
        Output(f"{EDITOR}-result", "children"),
        Input({"role": ACTION, "action": "edit", "place": ALL}, "n_clicks"),
        Input(f"{EDITOR}-close", "n_clicks"),
        prevent_initial_call=True,
    )
    async def open_editor(_clicks: Any, _close: int | None) -> tuple[Any, ...]:
        if ctx.triggered_id == f"{EDITOR}-close":
            return False, dash.no_update, dash.no_update, None
        if not ctx.triggered or not ctx.triggered[0]["value"]:
            raise PreventUpdate
        # Even the masked text is for the roles that configure: the settings name endpoints.
        text, made_from = await as_allowed(CONFIGURE_ALERTS, "alerts.configure", _current)
        return True, text, made_from, None

    register_apply()


def register_apply() -> None:
    @callback(
        Output(f"{EDITOR}-result", "children", allow_duplicate=True),
        Output(f"{EDITOR}-modal", "opened", allow_duplicate=True),
        Output(REFRESH, "data", allow_duplicate=True),
        Output(TOASTS, "sendNotifications", allow_duplicate=True),
        Input(f"{EDITOR}-check", "n_clicks"),
        Input(f"{EDITOR}-apply", "n_clicks"),
        State(f"{EDITOR}-text", "value"),
        State(f"{EDITOR}-made-from", "data"),
        State(REFRESH, "data"),
        State(LANG_STORE, "data"),
        prevent_initial_call=True,
    )
    async def check_or_apply(
        _check: Any, _apply: Any, text: Any, made_from: Any, refreshed: Any, lang_data: Any
    ) -> tuple[Any, ...]:
        lang = lang_of(lang_data)
        if not ctx.triggered or not ctx.triggered[0]["value"]:
            raise PreventUpdate
        keep = dash.no_update
        if ctx.triggered_id == f"{EDITOR}-check":
            checked = await as_allowed(
                CONFIGURE_ALERTS, "alerts.configure", _dry_run, str(text or "")
            )
            return _checked(checked, lang), keep, keep, keep
        try:
            changes = await as_allowed(
                CONFIGURE_ALERTS, "alerts.configure", config_editor.apply, str(text or ""),
                str(made_from or ""),
            )  # fmt: skip
        except ConfigError as problems:
            return _problems(problems.problems, lang), keep, keep, keep
        except DomainError as refused:
            return dmc.Alert(refused.message, color="red", id=f"{EDITOR}-refused"), keep, keep, keep
        message = (
            t("alerts.editor.applied", lang, n=len(changes))
            if changes
            else t("alerts.editor.unchanged", lang)
        )
        return (
            None,
            False,
            (refreshed or 0) + 1,
            toast("alerts-config", message, lang, refused=False),
        )


def _current(sessions: sessionmaker[Session], _actor: str) -> tuple[str, str]:
    return config_editor.current(sessions)


def _dry_run(sessions: sessionmaker[Session], _actor: str, text: str) -> config_editor.Checked:
    return config_editor.dry_run(sessions, text)


def _checked(checked: config_editor.Checked, lang: str) -> dmc.Alert:
    if checked.problems:
        return _problems(checked.problems, lang)
    if not checked.changes:
        return dmc.Alert(t("alerts.editor.unchanged", lang), color="gray", id=f"{EDITOR}-ok")
    return dmc.Alert(
        html.Ul([html.Li(change) for change in checked.changes]),
        title=t("alerts.editor.would", lang, n=len(checked.changes)),
        color="blue",
        id=f"{EDITOR}-ok",
    )


def _problems(problems: list[str], lang: str) -> dmc.Alert:
    return dmc.Alert(
        html.Ul([html.Li(problem) for problem in problems]),
        title=t("alerts.editor.problems", lang, n=len(problems)),
        color="red",
        id=f"{EDITOR}-problems",
    )

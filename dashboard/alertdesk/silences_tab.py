"""Silences: the list (what each mutes now, who set it and why) with "end now", and the
silence form, opened empty here or with an open group's labels from its detail."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import ALL, Input, Output, State, callback, ctx, html
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from alerts import views
from alerts.labels import GROUP_LABELS
from alerts.views import SilenceView
from dashboard.alertdesk import acting, rows
from dashboard.alertdesk import silence_form as form
from dashboard.alertdesk.frame import (
    ACTION,
    EXPORTS,
    GROUP,
    REFRESH,
    TICK,
    action_button,
    may_act,
    viewer_hint,
)
from dashboard.context import app_config, store_sessions
from dashboard.formatting import moment
from dashboard.grids import empty_state, fit, grid
from dashboard.i18n import lang_of, t
from dashboard.permissions import ACT_ON_ALERTS, require_role
from dashboard.shell import LANG_STORE, TOASTS
from dashboard.workbench.acting import toast
from store.channels import channel_names as store_channel_names
from store.errors import DomainError
from store.models import utcnow

GRID = "alerts-silences-grid"
ENDED = "alerts-silences-ended"
OPENERS = ("silence", "new_silence")
"""Buttons opening the form: from a group's detail (prefilled), and here (empty)."""


def layout() -> dmc.Stack:
    tools = (
        [
            action_button("new_silence", "silences", color="orange", variant="filled"),
            action_button("expire", "silences", color="red", disabled=True),
        ]
        if may_act()
        else [viewer_hint("silences")]
    )
    return dmc.Stack(
        [
            dmc.Text(id="alerts-silences-intro", c="dimmed", size="sm"),
            dmc.Group(
                [
                    *tools,
                    dmc.Switch(id=ENDED, checked=False, size="sm"),
                    dmc.Box(EXPORTS.button(GRID), ml="auto"),
                ],
                align="center",
            ),
            html.Div(id="alerts-silences-empty"),
            grid(GRID, selection="singleRow"),
            form.layout(),
        ],
        gap="sm",
    )


def register() -> None:
    EXPORTS.register(GRID, partial(rows.export_table, rows.SILENCE_COLUMNS), "alert-silences")

    @callback(
        Output(GRID, "columnDefs"),
        Output(ENDED, "label"),
        Output("alerts-silences-intro", "children"),
        Input(LANG_STORE, "data"),
    )
    def translate(lang_data: Any) -> tuple[Any, ...]:
        lang = lang_of(lang_data)
        return (
            rows.column_defs(rows.SILENCE_COLUMNS, lang),
            t("alerts.silences.ended", lang),
            t("alerts.silences.intro", lang),
        )

    @callback(
        Output(GRID, "rowData"),
        Output(GRID, "style"),
        Output("alerts-silences-empty", "children"),
        Output("alerts-tab-silences", "rightSection"),
        Input(LANG_STORE, "data"),
        Input(TICK, "n_intervals"),
        Input(REFRESH, "data"),
        Input(ENDED, "checked"),
    )
    async def show(lang_data: Any, _tick: Any, _refresh: Any, ended: bool) -> tuple[Any, ...]:
        lang = lang_of(lang_data)
        found, muting, now = await run_in_threadpool(read, store_sessions(), bool(ended))
        zone = app_config().zone
        data = [rows.silence_row(s, n, now, zone, lang) for s, n in zip(found, muting, strict=True)]
        active = sum(1 for s in found if s.active)
        badge = dmc.Badge(str(active), size="sm", color="gray", circle=True) if active else None
        return (
            data,
            fit(len(data)),
            None if data else empty_state("alerts.silences.none", lang),
            badge,
        )

    @callback(
        Output({"role": ACTION, "action": "expire", "place": ALL}, "disabled"),
        Input(GRID, "selectedRows"),
    )
    def selectable(selected: list[dict[str, Any]] | None) -> list[bool]:
        # Only a silence that has not ended can be ended.
        ok = bool(selected) and selected[0].get("state_code") != "ended"  # type: ignore[index]
        return [not ok] * len(ctx.outputs_list)

    register_form()


def read(
    sessions: sessionmaker[Session], include_ended: bool
) -> tuple[list[SilenceView], list[int], datetime]:
    """The silences, newest end first, and how many open alerts each mutes now."""
    now = utcnow()
    with sessions() as session:
        found = views.silences(session, now, include_ended=include_ended)
        matching = views.open_matching(session, [s.matchers if s.active else {} for s in found])
    return found, [len(m) for m in matching], now


def register_form() -> None:
    matcher_values = [Output(form.matcher_id(label), "value") for label in GROUP_LABELS]

    @callback(
        Output(form.fid("modal"), "title"),
        Output(form.fid("help"), "children"),
        *(Output(form.matcher_id(label), "label") for label in GROUP_LABELS),
        *(Output(form.matcher_id(label), "data") for label in form.CHOSEN),
        Output(form.fid("for"), "data"),
        Output(form.fid("for-label"), "children"),
        Output(form.fid("until"), "label"),
        Output(form.fid("reason"), "label"),
        Output(form.fid("reason"), "placeholder"),
        Output(form.fid("cancel"), "children"),
        Output(form.fid("submit"), "children"),
        Input(LANG_STORE, "data"),
    )
    async def translate_form(lang_data: Any) -> tuple[Any, ...]:
        lang = lang_of(lang_data)
        channels = await run_in_threadpool(channel_names, store_sessions())
        zone = app_config().zone
        return (
            t("alerts.silence.title", lang),
            t("alerts.silence.help", lang),
            *(t(f"alerts.label.{label}", lang) for label in GROUP_LABELS),
            *(form.options(label, channels, lang) for label in form.CHOSEN),
            form.span_options(lang),
            t("alerts.silence.for", lang),
            t("alerts.silence.until", lang, zone=zone.key),
            t("alerts.silence.reason", lang),
            t("alerts.silence.reason_hint", lang),
            t("orders.modal.cancel", lang),
            t("alerts.silence.submit", lang),
        )

    @callback(
        Output(form.fid("modal"), "opened"),
        *matcher_values,
        Output(form.fid("for"), "value"),
        Output(form.fid("reason"), "value"),
        *(Output(form.fid(f"{part}"), "error") for part in ("until", "reason")),
        Output(form.fid("matchers-error"), "children"),
        Input({"role": ACTION, "action": ALL, "place": ALL}, "n_clicks"),
        Input(form.fid("cancel"), "n_clicks"),
        State(GROUP, "data"),
        prevent_initial_call=True,
    )
    async def open_form(_clicks: Any, _cancel: Any, group_id: Any) -> tuple[Any, ...]:
        trigger = ctx.triggered_id
        if trigger == form.fid("cancel"):
            return (False, *(dash.no_update,) * (len(GROUP_LABELS) + 5))
        if not isinstance(trigger, dict) or trigger.get("action") not in OPENERS:
            raise PreventUpdate  # another action's button, or buttons drawn
        if not ctx.triggered[0]["value"]:
            raise PreventUpdate
        labels: dict[str, Any] = {}
        if trigger["action"] == "silence" and isinstance(group_id, int):
            labels = await run_in_threadpool(group_labels, store_sessions(), group_id)
        values = [labels.get(label, None if label in form.CHOSEN else "") for label in GROUP_LABELS]
        return (True, *values, form.DEFAULT_SPAN, "", None, None, "")

    register_preview()
    register_submit()


def register_preview() -> None:
    @callback(
        Output(form.fid("until"), "style"),
        Input(form.fid("for"), "value"),
    )
    def until_shown(span: str | None) -> dict[str, str]:
        return {} if span == form.UNTIL else {"display": "none"}

    @callback(
        Output(form.fid("preview"), "children"),
        Output(form.fid("preview"), "color"),
        *(Input(form.matcher_id(label), "value") for label in GROUP_LABELS),
        Input(LANG_STORE, "data"),
        Input(form.fid("modal"), "opened"),
    )
    async def preview(*values: Any) -> tuple[Any, str]:
        *matchers_given, lang_data, _opened = values
        lang = lang_of(lang_data)
        matchers = form.matchers_of(matchers_given)
        if not matchers:
            return t("alerts.silence.preview.none", lang), "gray"
        found = await run_in_threadpool(would_mute, store_sessions(), matchers)
        if not found:
            return t("alerts.silence.preview.nothing", lang), "gray"
        listed = ", ".join(found[:8]) + (" …" if len(found) > 8 else "")
        text = t("alerts.silence.preview.some", lang, n=len(found), items=listed)
        return text, "orange"


def register_submit() -> None:
    @callback(
        Output(TOASTS, "sendNotifications", allow_duplicate=True),
        Output(form.fid("modal"), "opened", allow_duplicate=True),
        Output(REFRESH, "data", allow_duplicate=True),
        Output(form.fid("matchers-error"), "children", allow_duplicate=True),
        Output(form.fid("until"), "error", allow_duplicate=True),
        Output(form.fid("reason"), "error", allow_duplicate=True),
        Input(form.fid("submit"), "n_clicks"),
        *(State(form.matcher_id(label), "value") for label in GROUP_LABELS),
        State(form.fid("for"), "value"),
        State(form.fid("until"), "value"),
        State(form.fid("reason"), "value"),
        State(REFRESH, "data"),
        State(LANG_STORE, "data"),
        prevent_initial_call=True,
    )
    async def submit(clicks: int | None, *values: Any) -> tuple[Any, ...]:
        if not clicks:
            raise PreventUpdate
        *matchers_given, span, until, reason, refreshed, lang_data = values
        user = await require_role(ACT_ON_ALERTS, action="alerts.silence")
        lang = lang_of(lang_data)
        zone = app_config().zone
        matchers = form.matchers_of(matchers_given)
        keep = dash.no_update
        try:
            ask = form.read_form(matchers, span, until, reason, now=utcnow(), zone=zone, lang=lang)
            made = await run_in_threadpool(acting.silence, store_sessions(), user.username, ask)
        except form.FormProblems as problems:
            found = problems.by_field
            return (
                keep,
                keep,
                keep,
                found.get("matchers", ""),
                found.get("until"),
                found.get("reason"),
            )
        except DomainError as refused:
            failed = t("orders.failed", lang, reason=refused.message)
            return keep, keep, keep, failed, None, None
        message = t(
            "alerts.toast.silenced",
            lang,
            id=made,
            matchers=rows.matchers_text(ask.matchers, lang),
            until=moment(ask.ends_at, zone, lang),
        )
        shown = toast("alerts-silenced", message, lang, refused=False)
        return shown, False, (refreshed or 0) + 1, "", None, None


def channel_names(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return store_channel_names(session)


def group_labels(sessions: sessionmaker[Session], group_id: int) -> dict[str, Any]:
    """The labels a group's members share: what a silence of the group matches."""
    with sessions() as session:
        try:
            return {k: str(v) for k, v in views.group(session, group_id, items=0).labels.items()}
        except DomainError:
            return {}


def would_mute(sessions: sessionmaker[Session], matchers: dict[str, str]) -> list[str]:
    """The open alerts the matchers would mute, named by order number or title."""
    with sessions() as session:
        (found,) = views.open_matching(session, [matchers])
    return [str(a.labels.get("order_no") or a.labels.get("sku") or a.title) for a in found]

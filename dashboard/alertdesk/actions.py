"""The alerts page's actions behind the shared confirmation dialog: acknowledge a group, end a
silence, re-send dead letters, send a receiver a test. The dialog says what will happen; the
confirm callback checks the role on the server (``require_role``: a forged call answers 403
and is audited), calls the store and reports in a toast.

What the dialog asks about travels in its ``pending`` store as ``{"action": …, "ids": […]}``;
the store functions check those ids again (a group resolved, a letter re-sent meanwhile)."""

from __future__ import annotations

from typing import Any

import dash
from dash import ALL, Input, Output, State, callback, ctx
from dash.exceptions import PreventUpdate
from starlette.concurrency import run_in_threadpool

from dashboard.alertdesk import acting
from dashboard.alertdesk.deliveries_tab import GRID as DELIVERIES
from dashboard.alertdesk.frame import ACTION, DIALOG, EXPORTS, GROUP, REFRESH, VIEWER
from dashboard.alertdesk.groups_tab import LOG
from dashboard.alertdesk.routing_tab import RECEIVERS, RESULT, test_result
from dashboard.alertdesk.silences_tab import GRID as SILENCES
from dashboard.context import store_sessions
from dashboard.i18n import lang_of, t
from dashboard.permissions import ACT_ON_ALERTS, require_role
from dashboard.shell import LANG_STORE, TOASTS
from dashboard.workbench.acting import toast
from store.errors import DomainError, InvalidInput

CONFIRMED = ("ack", "expire", "resend", "resend_group", "test")
"""The actions the shared dialog confirms (the silence form and the editor are their own)."""


def register() -> None:
    @callback(
        Output({"role": ACTION, "action": ALL, "place": ALL}, "children"),
        Output({"role": VIEWER, "place": ALL}, "children"),
        Output({"role": EXPORTS.role, "grid": ALL}, "children"),
        *DIALOG.label_outputs(),
        Input(LANG_STORE, "data"),
    )
    def translate(lang_data: Any) -> tuple[Any, ...]:
        lang = lang_of(lang_data)
        buttons = [t(f"alerts.action.{o['id']['action']}", lang) for o in ctx.outputs_list[0]]
        hints = [t("alerts.viewer", lang)] * len(ctx.outputs_list[1])
        exports = [t("health.export", lang)] * len(ctx.outputs_list[2])
        return (buttons, hints, exports, *DIALOG.labels(lang, []))

    @callback(
        *DIALOG.open_outputs(),
        Input({"role": ACTION, "action": ALL, "place": ALL}, "n_clicks"),
        Input(DIALOG.id("dialog-cancel"), "n_clicks"),
        State(GROUP, "data"),
        State(SILENCES, "selectedRows"),
        State(DELIVERIES, "selectedRows"),
        State(LOG, "selectedRows"),
        State(RECEIVERS, "selectedRows"),
        State(LANG_STORE, "data"),
        prevent_initial_call=True,
    )
    def open_dialog(
        _clicks: Any,
        _cancel: Any,
        group_id: Any,
        silences: Any,
        letters: Any,
        log: Any,
        receivers: Any,
        lang_data: Any,
    ) -> tuple[Any, ...]:
        lang = lang_of(lang_data)
        trigger = ctx.triggered_id
        if trigger == DIALOG.id("dialog-cancel"):
            return DIALOG.closed()
        clicked = ctx.triggered and ctx.triggered[0]["value"]
        if not isinstance(trigger, dict) or not clicked or trigger["action"] not in CONFIRMED:
            # Buttons drawn again, or one that opens a form of its own: the dialog stays.
            raise PreventUpdate
        action = str(trigger["action"])
        ids, body = _asked(action, group_id, silences, letters, log, receivers, lang)
        if not ids:
            raise PreventUpdate
        note = t("alerts.field.ack_note", lang) if action == "ack" else None
        pending = {"action": action, "ids": ids}
        return DIALOG.asking(pending, t(f"alerts.action.{action}", lang), body, lang, note=note)

    @callback(
        Output(TOASTS, "sendNotifications", allow_duplicate=True),
        Output(DIALOG.id("modal"), "opened", allow_duplicate=True),
        Output(DIALOG.id("dialog-error"), "children", allow_duplicate=True),
        Output(REFRESH, "data", allow_duplicate=True),
        Output(RESULT, "children"),
        Input(DIALOG.id("dialog-confirm"), "n_clicks"),
        State(DIALOG.id("pending"), "data"),
        State(DIALOG.id("dialog-note"), "value"),
        State(REFRESH, "data"),
        State(LANG_STORE, "data"),
        prevent_initial_call=True,
    )
    async def confirm(
        clicks: int | None, pending: Any, note: Any, refreshed: Any, lang_data: Any
    ) -> tuple[Any, ...]:
        lang = lang_of(lang_data)
        if not clicks or not isinstance(pending, dict) or pending.get("action") not in CONFIRMED:
            raise PreventUpdate  # the dialog drawn or closed, not an action asked for
        action = str(pending["action"])
        ids = list(pending.get("ids") or [])
        result = dash.no_update
        try:
            message, refused, result = await _take(action, ids, str(note or "").strip(), lang)
        except DomainError as exc:
            failed = t("orders.failed", lang, reason=exc.message)
            return dash.no_update, True, failed, dash.no_update, dash.no_update
        shown = toast(f"alerts-{action}", message, lang, refused=refused)
        return shown, False, "", (refreshed or 0) + 1, result


def _asked(
    action: str,
    group_id: Any,
    silences: Any,
    letters: Any,
    log: Any,
    receivers: Any,
    lang: str,
) -> tuple[list[Any], str]:
    """What the dialog asks about (ids) and the question it asks."""
    if action == "ack":
        ids = [group_id] if isinstance(group_id, int) else []
        return ids, t("alerts.ask.ack", lang, id=group_id)
    if action == "expire":
        chosen = [row for row in silences or () if row.get("state_code") != "ended"]
        matchers = chosen[0]["matchers"] if chosen else ""
        return [r["id"] for r in chosen[:1]], t(
            "alerts.ask.expire", lang, id=chosen[0]["id"] if chosen else "", matchers=matchers
        )
    if action == "test":
        names = [row["name"] for row in receivers or ()][:1]
        return names, t("alerts.ask.test", lang, receiver=names[0] if names else "")
    rows = letters if action == "resend" else log
    dead = [row["id"] for row in rows or () if row.get("status_code") == "dead"]
    return dead, t("alerts.ask.resend", lang, n=len(dead))


AUDITED_AS = {
    "ack": "alerts.acknowledge",
    "expire": "alerts.unsilence",
    "resend": "alerts.resend",
    "resend_group": "alerts.resend",
    "test": "alerts.test_receiver",
}
"""How a refused action is named in the audit trail (``console.refused``)."""
NOTE_MAX = 500


async def _take(action: str, ids: list[Any], note: str, lang: str) -> tuple[str, bool, Any]:
    """Do ``action`` on ``ids`` as the signed-in user, once the server has checked their role
    (before reading anything the dialog sent, so a forged call is refused whatever it holds):
    the toast's message, whether it is a refusal, and what the test result panel shows
    (``no_update`` for the other actions)."""
    user = await require_role(ACT_ON_ALERTS, action=AUDITED_AS[action])
    sessions, actor = store_sessions(), user.username
    if not ids or not all(isinstance(i, int | str) and str(i).strip() for i in ids):
        raise InvalidInput("the dialog named nothing to act on; close it and choose again")
    if action == "test":
        receiver = str(ids[0])
        attempt = await run_in_threadpool(acting.test_receiver, sessions, actor, receiver)
        shown = test_result(receiver, attempt, lang)
        status = attempt.status if attempt else "held"
        message = t(f"alerts.toast.test_{status}", lang, receiver=receiver)
        return message, status != "sent", shown
    numbers = _numbers(ids)
    if action == "ack":
        if len(note) > NOTE_MAX:
            raise InvalidInput(f"a note is at most {NOTE_MAX} characters")
        done = await run_in_threadpool(acting.acknowledge, sessions, actor, numbers[0], note)
        key = "alerts.toast.acknowledged" if done.now else "alerts.toast.already_acknowledged"
        return t(key, lang, id=done.group_id, by=done.by), not done.now, dash.no_update
    if action == "expire":
        ended = await run_in_threadpool(acting.end_silence, sessions, actor, numbers[0])
        return t("alerts.toast.expired", lang, id=ended), False, dash.no_update
    results = await run_in_threadpool(acting.resend_letters, sessions, actor, numbers)
    refused = [r for r in results if r.refusal]
    message = t("alerts.toast.resent", lang, done=len(results) - len(refused), refused=len(refused))
    if refused:
        message += ("：" if lang != "en" else ": ") + "; ".join(
            f"#{r.id} {r.refusal}" for r in refused[:5]
        )
    return message, bool(refused), dash.no_update


def _numbers(ids: list[Any]) -> list[int]:
    try:
        return [int(i) for i in ids]
    except ValueError:
        raise InvalidInput(f"not an id: {', '.join(map(str, ids))}") from None

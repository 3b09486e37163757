"""The admin page's confirmations through the shared dialog (``ActionDialog``): deactivating
the selected user, with a required reason, and revoking the selected token; and closing
the dialog that showed a secret once, which takes the secret out of the page."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, callback, ctx
from dash.exceptions import PreventUpdate

from dashboard.admindesk import acts
from dashboard.admindesk import form as f
from dashboard.admindesk.frame import DIALOG, REFRESH, TOKENS, USERS, as_admin
from dashboard.admindesk.users_tab import picked
from dashboard.auth import ConsoleUser
from dashboard.confirming import as_user, asking
from dashboard.context import console_sessions
from dashboard.i18n import lang_of, t
from dashboard.shell import LANG_STORE
from dashboard.workbench.acting import toast
from store.errors import DomainError, InvalidInput

CONFIRMED = {"deactivate": USERS, "revoke": TOKENS}
"""The actions the dialog confirms and the grid whose selected row each acts on."""


def register() -> None:
    @callback(
        *DIALOG.label_outputs(),
        Input(LANG_STORE, "data"),
    )
    def translate(lang_data: Any) -> tuple[Any, ...]:
        return DIALOG.labels(lang_of(lang_data), [])

    @callback(
        *DIALOG.open_outputs(),
        Input(f.fid("user-deactivate"), "n_clicks"),
        Input(f.fid("token-revoke"), "n_clicks"),
        Input(DIALOG.id("dialog-cancel"), "n_clicks"),
        State(USERS, "selectedRows"),
        State(TOKENS, "selectedRows"),
        State(LANG_STORE, "data"),
        prevent_initial_call=True,
    )
    def open_dialog(
        _deactivate: Any, _revoke: Any, _cancel: Any, users: Any, tokens: Any, lang: Any
    ) -> tuple[Any, ...]:
        action = (
            str(ctx.triggered_id or "").removeprefix(f.fid("user-")).removeprefix(f.fid("token-"))
        )
        row = picked(users if action == "deactivate" else tokens)
        clicked = bool(ctx.triggered and ctx.triggered[0].get("value"))
        if action not in CONFIRMED or row is None or not clicked:
            return DIALOG.closed()  # cancelled, or nothing selected
        name = str(row.get("username") or row.get("name"))
        pending = {"action": action, "name": name}
        body = t(f"admin.ask.{action}", lang, name=name)
        note = t("admin.ask.deactivate_reason", lang) if action == "deactivate" else None
        title = t(f"admin.action.{action}", lang)
        if note is None:
            return DIALOG.asking(pending, title, body, lang)
        return asking(DIALOG, pending, title, body, lang, note=note)

    @callback(
        *DIALOG.confirming(REFRESH, refresh_shared=True),
        running=DIALOG.busy(),
        prevent_initial_call=True,
    )
    async def confirm(
        clicks: int | None,
        pending: dict[str, Any] | None,
        _picker: str | None,
        _category: str | None,
        note: str | None,
        refreshed: int | None,
        lang_data: Any,
    ) -> tuple[Any, ...]:
        if not clicks:
            raise PreventUpdate
        action = str((pending or {}).get("action"))
        admin = await as_admin(action if action in CONFIRMED else "confirm")
        lang = lang_of(lang_data)
        name = (pending or {}).get("name")
        if action not in CONFIRMED or not isinstance(name, str):
            raise PreventUpdate  # a dialog drawn or closed, not an action asked for
        try:
            message = await _act(admin, action, name, note or "", lang)
        except DomainError as exc:
            words = f.problem(exc, ("reason",), lang)["reason"]
            return dash.no_update, True, words, dash.no_update
        shown = toast("admin-confirmed", message, lang, refused=False)
        return shown, False, "", (refreshed or 0) + 1

    @callback(
        Output(f.fid("once-modal"), "opened"),
        Output(f.fid("once-secret"), "children"),
        Output(f.fid("once-copy"), "value"),
        Input(f.fid("once-close"), "n_clicks"),
        prevent_initial_call=True,
    )
    def close_once(_clicks: Any) -> tuple[bool, str, str]:
        return False, "", ""


async def _act(admin: ConsoleUser, action: str, name: str, reason: str, lang: str) -> str:
    if action == "revoke":
        revoked = await as_user(admin, acts.revoke, name)
        return t("admin.done.revoke" if revoked else "admin.done.already_revoked", lang, name=name)
    if not reason.strip():
        raise InvalidInput("a reason is needed", code="reason_needed")
    changed = await as_user(admin, acts.deactivate, name, reason.strip())
    console_sessions().forget(changed.user_id)
    key = "admin.done.deactivate" if changed.changed else "admin.done.already_inactive"
    return t(key, lang, name=name)

"""API tokens: the grid (filter, sort, CSV; prefixes only, the secrets are not kept) and
creating a token, whose secret is shown once. Revocation goes through the shared dialog
(``dialogs``)."""

from __future__ import annotations

from typing import Any

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, callback, ctx
from dash.exceptions import PreventUpdate

from dashboard.admindesk import acts, reading
from dashboard.admindesk import form as f
from dashboard.admindesk.frame import REFRESH, TOKENS, as_admin
from dashboard.admindesk.listing import Listing
from dashboard.confirming import as_user
from dashboard.i18n import lang_of, t
from dashboard.shell import LANG_STORE, TOASTS
from store.errors import DomainError

LISTING = Listing(
    "tokens", TOKENS, reading.TOKEN_COLUMNS, reading.tokens,
    {f.fid("token-create"): "admin.action.create", f.fid("token-revoke"): "admin.action.revoke"},
)  # fmt: skip


def layout() -> dmc.Stack:
    return LISTING.layout([
        dmc.Button(id=f.fid("token-create"), size="xs"),
        dmc.Button(id=f.fid("token-revoke"), size="xs", variant="light", color="red",
                   disabled=True),
    ])  # fmt: skip


def register() -> None:
    LISTING.register()

    @callback(Output(f.fid("token-revoke"), "disabled"), Input(TOKENS, "selectedRows"))
    def revocable(selected: list[dict[str, Any]] | None) -> bool:
        return not (selected and selected[0].get("state_code") == "live")

    register_create()


def register_create() -> None:
    @callback(
        Output(f.fid("token-modal"), "opened"),
        Output(f.fid("token-name"), "value"),
        Output(f.fid("token-scopes"), "value"),
        Output(f.fid("token-name"), "error"),
        Output(f.fid("token-scopes"), "error"),
        Input(f.fid("token-create"), "n_clicks"),
        Input(f.fid("token-cancel"), "n_clicks"),
        prevent_initial_call=True,
    )
    def open_form(opened: int | None, _cancel: int | None) -> tuple[Any, ...]:
        return ctx.triggered_id == f.fid("token-create") and bool(opened), "", [], None, None

    @callback(
        Output(TOASTS, "sendNotifications", allow_duplicate=True),
        Output(f.fid("token-modal"), "opened", allow_duplicate=True),
        Output(REFRESH, "data", allow_duplicate=True),
        *(Output(f.fid(f"token-{name}"), "error", allow_duplicate=True) for name in f.TOKEN_FIELDS),
        *f.once_outputs(),
        Input(f.fid("token-submit"), "n_clicks"),
        State(f.fid("token-name"), "value"),
        State(f.fid("token-scopes"), "value"),
        State(REFRESH, "data"),
        State(LANG_STORE, "data"),
        running=[(Output(f.fid("token-submit"), "loading"), True, False)],
        prevent_initial_call=True,
    )
    async def submit(
        clicks: int | None,
        name: str | None,
        scopes: list[str] | None,
        refreshed: int | None,
        lang_data: Any,
    ) -> tuple[Any, ...]:
        if not clicks:
            raise PreventUpdate
        admin = await as_admin("create_token")
        lang = lang_of(lang_data)
        wanted = (name or "").strip()
        found = f.missing({"name": wanted}, ("name",), lang)
        if not scopes:  # said beside an empty name too (the store says it alone)
            found["scopes"] = t("admin.error.no_scopes", lang)
        if not found:
            try:
                issued = await as_user(admin, acts.issue_token, wanted, list(scopes or []))
            except DomainError as exc:
                found = f.problem(exc, f.TOKEN_FIELDS, lang, name=wanted)
        if found:
            kept = (dash.no_update,) * (3 + len(f.once_outputs()))
            return (*kept[:3], *f.errors(found, f.TOKEN_FIELDS), *kept[3:])
        listed = ", ".join(issued.scopes)
        once = f.shown_once(
            t("admin.token.once_title", lang),
            t("admin.token.once_body", lang, name=issued.name, scopes=listed),
            issued.secret,
        )
        return dash.no_update, False, (refreshed or 0) + 1, None, None, *once

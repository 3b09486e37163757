"""API tokens: the grid (filter, sort, CSV; prefixes only, the secrets are not kept) and
creating a token, whose secret is shown once. Revocation goes through the shared dialog
(``dialogs``)."""

from __future__ import annotations

from functools import partial
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, callback, ctx, html
from dash.exceptions import PreventUpdate
from starlette.concurrency import run_in_threadpool

from dashboard.admindesk import acts, reading
from dashboard.admindesk import form as f
from dashboard.admindesk.frame import EXPORTS, REFRESH, TOKENS, as_admin
from dashboard.confirming import as_user
from dashboard.context import app_config, store_sessions
from dashboard.grids import empty_state, fit, grid
from dashboard.i18n import lang_of, t
from dashboard.shell import LANG_STORE, TOASTS
from store.errors import DomainError


def layout() -> dmc.Stack:
    loading = dmc.Stack([dmc.Skeleton(height=28) for _ in range(3)], gap="xs")
    buttons = [
        dmc.Button(id=f.fid("token-create"), size="xs"),
        dmc.Button(id=f.fid("token-revoke"), size="xs", variant="light", color="red",
                   disabled=True),
    ]  # fmt: skip
    return dmc.Stack(
        [
            dmc.Text(id=f.fid("tokens-intro"), c="dimmed", size="sm"),
            dmc.Group([*buttons, dmc.Box(EXPORTS.button(TOKENS), ml="auto")], gap="xs"),
            html.Div(loading, id=f.fid("tokens-empty")),
            grid(TOKENS, selection="singleRow"),
        ],
        gap="sm",
    )


def register() -> None:
    EXPORTS.register(TOKENS, partial(reading.export_table, reading.TOKEN_COLUMNS), "api-tokens")

    @callback(
        Output(TOKENS, "columnDefs"),
        Output(f.fid("tokens-intro"), "children"),
        Output(f.fid("token-create"), "children"),
        Output(f.fid("token-revoke"), "children"),
        Input(LANG_STORE, "data"),
    )
    def translate(lang_data: Any) -> tuple[Any, ...]:
        lang = lang_of(lang_data)
        return (
            reading.column_defs(reading.TOKEN_COLUMNS, lang),
            t("admin.tokens.intro", lang),
            t("admin.action.create", lang),
            t("admin.action.revoke", lang),
        )

    @callback(
        Output(TOKENS, "rowData"),
        Output(TOKENS, "style"),
        Output(f.fid("tokens-empty"), "children"),
        Input(LANG_STORE, "data"),
        Input(REFRESH, "data"),
    )
    async def show(lang_data: Any, _refresh: Any) -> tuple[Any, ...]:
        await as_admin("tokens")
        lang = lang_of(lang_data)
        rows = await run_in_threadpool(reading.tokens, store_sessions(), app_config().zone, lang)
        empty = None if rows else empty_state("admin.tokens.none", lang)
        return rows, fit(len(rows), most=15), empty

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
        refreshed: Any,
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
            t("admin.token.once_body", lang).format(name=issued.name, scopes=listed),
            issued.secret,
        )
        return dash.no_update, False, (refreshed or 0) + 1, None, None, *once

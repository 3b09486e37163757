"""Users: the grid (filter, sort, CSV), adding a user, changing a selected user's role and
resetting their password. Deactivation goes through the shared dialog (``dialogs``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, callback, ctx
from dash.exceptions import PreventUpdate

from dashboard.admindesk import acts, reading
from dashboard.admindesk import form as f
from dashboard.admindesk.frame import REFRESH, USERS, as_admin
from dashboard.admindesk.listing import Listing
from dashboard.confirming import as_user
from dashboard.context import console_sessions
from dashboard.i18n import lang_of, role_label, t
from dashboard.shell import LANG_STORE, TOASTS
from dashboard.workbench.acting import toast
from store.errors import DomainError

SELECTED = ("role", "deactivate", "reset")
"""The buttons that act on the selected user."""
ADD_STATES = [State(f.fid(f"add-{name}"), "value") for name in f.ADD_FIELDS]


LISTING = Listing(
    "users", USERS, reading.USER_COLUMNS, reading.users,
    {f.fid("user-add"): "admin.action.add",
     **{f.fid(f"user-{action}"): f"admin.action.{action}" for action in SELECTED}},
)  # fmt: skip


def layout() -> dmc.Stack:
    return LISTING.layout(
        [dmc.Button(id=f.fid("user-add"), size="xs")] + [
            dmc.Button(id=f.fid(f"user-{action}"), size="xs", variant="light", disabled=True,
                       color="red" if action == "deactivate" else "blue")
            for action in SELECTED
        ]
    )  # fmt: skip


def register() -> None:
    LISTING.register()

    @callback(
        *(Output(f.fid(f"user-{action}"), "disabled") for action in SELECTED),
        Input(USERS, "selectedRows"),
    )
    def selectable(selected: list[dict[str, Any]] | None) -> tuple[bool, ...]:
        # A deactivated user keeps their row (and audit trail) but takes no more changes.
        active = bool(selected) and bool(selected[0].get("active_code"))  # type: ignore[index]
        return (not active,) * len(SELECTED)

    register_add()
    register_role()
    register_reset()


def register_add() -> None:
    @callback(
        Output(f.fid("add-modal"), "opened"),
        *(Output(f.fid(f"add-{name}"), "value") for name in f.ADD_FIELDS),
        *(Output(f.fid(f"add-{name}"), "error") for name in f.ADD_FIELDS),
        Input(f.fid("user-add"), "n_clicks"),
        Input(f.fid("add-cancel"), "n_clicks"),
        prevent_initial_call=True,
    )
    def open_form(opened: int | None, _cancel: int | None) -> tuple[Any, ...]:
        shown = ctx.triggered_id == f.fid("user-add") and bool(opened)
        return (shown, "", "", None, "", *(None,) * len(f.ADD_FIELDS))

    @callback(
        Output(TOASTS, "sendNotifications", allow_duplicate=True),
        Output(f.fid("add-modal"), "opened", allow_duplicate=True),
        Output(REFRESH, "data", allow_duplicate=True),
        Output(f.fid("add-password"), "value", allow_duplicate=True),
        *(Output(f.fid(f"add-{name}"), "error", allow_duplicate=True) for name in f.ADD_FIELDS),
        Input(f.fid("add-submit"), "n_clicks"),
        *ADD_STATES,
        State(REFRESH, "data"),
        State(LANG_STORE, "data"),
        running=[(Output(f.fid("add-submit"), "loading"), True, False)],
        prevent_initial_call=True,
    )
    async def submit(
        clicks: int | None,
        username: str | None,
        display_name: str | None,
        role: str | None,
        password: str | None,
        refreshed: int | None,
        lang_data: Any,
    ) -> tuple[Any, ...]:
        if not clicks:
            raise PreventUpdate
        admin = await as_admin("add_user")
        lang = lang_of(lang_data)
        fields = (username, display_name, role, password)
        given = dict(zip(f.ADD_FIELDS, (v or "" for v in fields), strict=True))
        given["username"] = given["username"].strip()
        keep = (dash.no_update,) * 4
        found = f.new_user_problems(given, lang)
        if not found:
            shown = given["display_name"].strip() or None
            try:
                await as_user(admin, acts.add_user, given["username"], shown, given["role"],
                              given["password"])  # fmt: skip
            except DomainError as exc:
                found = f.problem(exc, f.ADD_FIELDS, lang, name=given["username"])
        if found:
            return (*keep, *f.errors(found, f.ADD_FIELDS))
        done = t(
            "admin.add.done", lang, name=given["username"], role=role_label(given["role"], lang)
        )
        cleared = (None,) * len(f.ADD_FIELDS)
        return (toast("admin-added", done, lang, refused=False), False, (refreshed or 0) + 1, "",
                *cleared)  # fmt: skip


def picked(selected: Any) -> dict[str, Any] | None:
    """The selected row of a grid (``selectedRows``), if one is: a row that names its user
    or token (what a forged call sends instead is not one)."""
    if isinstance(selected, list) and selected and isinstance(selected[0], dict):
        row: dict[str, Any] = selected[0]
        if isinstance(row.get("username", row.get("name")), str):
            return row
    return None


def register_opening(form: str, field: str, value: Callable[[dict[str, Any]], Any]) -> None:
    """The button ``user-<form>`` opens the dialog of ``form`` about the selected user (its
    name kept in ``<form>-user``), with ``field`` set to ``value(row)`` and no error; its
    cancel button closes it."""

    @callback(
        Output(f.fid(f"{form}-modal"), "opened"),
        Output(f.fid(f"{form}-user"), "data"),
        Output(f.fid(f"{form}-text"), "children"),
        Output(f.fid(f"{form}-{field}"), "value"),
        Output(f.fid(f"{form}-{field}"), "error"),
        Input(f.fid(f"user-{form}"), "n_clicks"),
        Input(f.fid(f"{form}-cancel"), "n_clicks"),
        State(USERS, "selectedRows"),
        State(LANG_STORE, "data"),
        prevent_initial_call=True,
    )
    def open_form(clicks: int | None, _cancel: int | None, selected: Any, lang: Any) -> Any:
        row = picked(selected)
        if ctx.triggered_id != f.fid(f"user-{form}") or not clicks or row is None:
            return False, None, dash.no_update, dash.no_update, None
        name, role = row.get("username"), row.get("role")
        body = t(f"admin.{form}.body", lang, name=name, role=role)
        return True, name, body, value(row), None


def register_role() -> None:
    register_opening("role", "select", lambda row: row.get("role_code"))

    @callback(
        Output(TOASTS, "sendNotifications", allow_duplicate=True),
        Output(f.fid("role-modal"), "opened", allow_duplicate=True),
        Output(f.fid("role-select"), "error", allow_duplicate=True),
        Output(REFRESH, "data", allow_duplicate=True),
        Input(f.fid("role-submit"), "n_clicks"),
        State(f.fid("role-user"), "data"),
        State(f.fid("role-select"), "value"),
        State(REFRESH, "data"),
        State(LANG_STORE, "data"),
        running=[(Output(f.fid("role-submit"), "loading"), True, False)],
        prevent_initial_call=True,
    )
    async def submit(
        clicks: int | None,
        username: str | None,
        role: str | None,
        refreshed: int | None,
        lang_data: Any,
    ) -> tuple[Any, ...]:
        if not clicks:
            raise PreventUpdate
        admin = await as_admin("change_role")
        lang = lang_of(lang_data)
        if not username:
            raise PreventUpdate  # nobody chosen: the dialog was not opened from a row
        try:
            changed = await as_user(admin, acts.give_role, username, str(role or ""))
        except DomainError as exc:
            return dash.no_update, dash.no_update, f.problem(exc, ("role",), lang)["role"], \
                dash.no_update  # fmt: skip
        console_sessions().forget(changed.user_id)
        key = "admin.role.done" if changed.changed else "admin.role.same"
        done = t(key, lang, name=username, role=role_label(str(role), lang))
        return toast("admin-role", done, lang, refused=False), False, None, (refreshed or 0) + 1


def register_reset() -> None:
    register_opening("reset", "password", lambda _row: "")

    @callback(
        Output(TOASTS, "sendNotifications", allow_duplicate=True),
        Output(f.fid("reset-modal"), "opened", allow_duplicate=True),
        Output(f.fid("reset-password"), "value", allow_duplicate=True),
        Output(f.fid("reset-password"), "error", allow_duplicate=True),
        *f.once_outputs(),
        Input(f.fid("reset-submit"), "n_clicks"),
        State(f.fid("reset-user"), "data"),
        State(f.fid("reset-password"), "value"),
        State(LANG_STORE, "data"),
        running=[(Output(f.fid("reset-submit"), "loading"), True, False)],
        prevent_initial_call=True,
    )
    async def submit(
        clicks: int | None, username: str | None, typed: str | None, lang_data: Any
    ) -> tuple[Any, ...]:
        if not clicks:
            raise PreventUpdate
        admin = await as_admin("reset_password")
        lang = lang_of(lang_data)
        if not username:
            raise PreventUpdate
        untouched = (dash.no_update,) * len(f.once_outputs())
        try:
            reset = await as_user(admin, acts.reset_password, username, typed or "")
        except DomainError as exc:
            error = f.problem(exc, ("password",), lang)["password"]
            return dash.no_update, True, "", error, *untouched
        console_sessions().forget(reset.user_id)
        done = toast("admin-reset", t("admin.reset.done", lang, name=username), lang,
                     refused=False)  # fmt: skip
        if reset.generated is None:
            return done, False, "", None, *untouched
        once = f.shown_once(
            t("admin.reset.once_title", lang),
            t("admin.reset.once_body", lang, name=username),
            reset.generated,
        )
        return done, False, "", None, *once

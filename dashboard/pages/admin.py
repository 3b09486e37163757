"""Users and tokens (用户与令牌, ``/admin``), for admins only: console users (add, change a
role, deactivate with a reason, reset a password — each of the last three ends the user's
sessions) and API tokens (listed with their last use; created with scopes, the secret shown
once; revoked). Everything goes through ``store.people``, the functions the CLI calls, and
is audited with the acting admin as the actor.

Other roles are drawn a message instead and their navigation does not list the page; every
callback checks the role on the server again (``MANAGE_ACCESS``): a forged call answers 403
and leaves a ``console.refused`` entry.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_mantine_components as dmc
from dash import Input, Output, callback, dcc, html

from dashboard.admindesk import dialogs, tokens_tab, users_tab
from dashboard.admindesk import form as f
from dashboard.admindesk.frame import DIALOG, EXPORTS, REFRESH
from dashboard.auth import current_user
from dashboard.i18n import lang_of, t
from dashboard.permissions import MANAGE_ACCESS, may
from dashboard.shell import LANG_STORE

dash.register_page(__name__, path="/admin", title="orderwatch · users and tokens")  # type: ignore[no-untyped-call]

TABS = ("users", "tokens")


def layout(**_query: Any) -> html.Section:
    user = current_user()
    if not may(user, MANAGE_ACCESS):
        return html.Section(denied(lang_of(user.locale if user else None)), id="admin-page")
    tabs = dmc.Tabs(
        [
            dmc.TabsList([dmc.TabsTab(id=f"admin-tab-{name}", value=name) for name in TABS]),
            dmc.TabsPanel(users_tab.layout(), value="users", pt="sm"),
            dmc.TabsPanel(tokens_tab.layout(), value="tokens", pt="sm"),
        ],
        id="admin-tabs",
        value="users",
        keepMounted=True,
    )
    return html.Section(
        [
            dcc.Store(id=REFRESH, data=0),
            EXPORTS.layout(),
            dmc.Stack([dmc.Title(id="admin-title", order=2),
                       dmc.Text(id="admin-intro", c="dimmed", maw=820)], gap=0, mb="sm"),
            tabs,
            DIALOG.layout(),
            *f.layouts(),
        ],
        id="admin-page",
    )  # fmt: skip


def denied(lang: str) -> dmc.Alert:
    """What a role other than admin is drawn; its words follow the language switch."""
    return dmc.Alert(t("admin.denied.body", lang), title=t("admin.denied.title", lang),
                     color="orange", id="admin-denied")  # fmt: skip


@callback(
    Output("admin-denied", "children"),
    Output("admin-denied", "title"),
    Input(LANG_STORE, "data"),
)
def translate_denied(lang_data: Any) -> tuple[str, str]:
    lang = lang_of(lang_data)
    return t("admin.denied.body", lang), t("admin.denied.title", lang)


@callback(
    Output("admin-title", "children"),
    Output("admin-intro", "children"),
    *(Output(f"admin-tab-{name}", "children") for name in TABS),
    Output({"role": EXPORTS.role, "grid": dash.ALL}, "children"),
    *f.label_outputs(),
    Input(LANG_STORE, "data"),
)
def translate(lang_data: Any) -> tuple[Any, ...]:
    lang = lang_of(lang_data)
    exports = [t("health.export", lang)] * len(dash.ctx.outputs_list[len(TABS) + 2])
    return (
        t("admin.title", lang),
        t("admin.intro", lang),
        *(t(f"admin.tab.{name}", lang) for name in TABS),
        exports,
        *f.labels(lang),
    )


users_tab.register()
tokens_tab.register()
dialogs.register()

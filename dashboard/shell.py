"""The console's frame around every page (dash-mantine-components' app shell): the header with
the product name, language switch, light/dark switch and the user menu; the navigation; and
the toast container every page reports its outcomes to."""

from __future__ import annotations

import json
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import ClientsideFunction, Dash, Input, Output, State, ctx, dcc, html

from dashboard.auth import ConsoleUser, current_user
from dashboard.i18n import DEFAULT_LANG, LANGUAGES, Lang, lang_of, role_label, t
from dashboard.permissions import MANAGE_ACCESS, may
from dashboard.theme import MANTINE_THEME

LANG_STORE = "shell-lang"
"""Chosen language, kept in the browser's local storage: every page reads it."""
LANG_SWITCH = "shell-lang-switch"
SCHEME_STORE = "shell-scheme"
"""Chosen colour scheme (light, dark), kept in local storage: charts read it for their template."""
SCHEME_TOGGLE = "shell-scheme-toggle"
TOASTS = "shell-toasts"
"""The notification container: callbacks send ``[{"action": "show", ...}]`` to
``sendNotifications`` (with ``allow_duplicate=True``)."""

LOGOUT_FORM = "shell-logout-form"
NAV = (("board", "/"), ("orders", "/orders"), ("alerts", "/alerts"), ("health", "/health"),
       ("rules", "/rules"), ("channels", "/channels"), ("trends", "/trends"),
       ("audit", "/audit"))  # fmt: skip
"""The console's pages in the order the navigation lists them: (name, path); the link's text is
the translation of ``nav.<name>``."""
ADMIN_NAV = ("admin", "/admin")
"""Users and tokens: last in the navigation, and only in an admin's (``MANAGE_ACCESS``)."""
HEADER_HEIGHT = 56
NAVBAR_WIDTH = 200


def index_string(template: str) -> str:
    """Dash's HTML page template, marked as Chinese so the browser picks CJK glyphs first."""
    return template.replace("<html>", '<html lang="zh-CN">', 1)


def create_layout() -> dmc.MantineProvider:
    """The app layout; a function because it shows whoever the request belongs to."""
    user = current_user()
    lang: Lang = lang_of(user.locale) if user else DEFAULT_LANG
    shell = dmc.AppShell(
        [
            dmc.AppShellHeader(create_header(user, lang), px="md"),
            dmc.AppShellNavbar(create_navigation(lang, user), p="xs"),
            dmc.AppShellMain(dash.page_container),
        ],
        header={"height": HEADER_HEIGHT},
        navbar={"width": NAVBAR_WIDTH, "breakpoint": "sm"},
        padding="md",
    )
    return dmc.MantineProvider(
        [
            # The user's locale is the default; a choice already stored in the browser wins.
            dcc.Store(id=LANG_STORE, storage_type="local", data=lang),
            dcc.Store(id=SCHEME_STORE, storage_type="local", data="light"),
            dmc.NotificationContainer(id=TOASTS, position="top-right", autoClose=6000),
            # Signing out is a POST (see dashboard.auth): the user menu's item submits this
            # form, which lives outside the menu because a closed menu is not in the page.
            html.Form(id=LOGOUT_FORM, method="post", action="/logout", style={"display": "none"}),
            shell,
        ],
        id="shell-provider",
        theme=MANTINE_THEME,
        forceColorScheme="light",
    )


def create_header(user: ConsoleUser | None, lang: Lang) -> dmc.Group:
    brand = dmc.Group(
        [
            dmc.Text("orderwatch", fw=700, size="lg"),
            dmc.Text(t("app.tagline", lang), id="shell-tagline", c="dimmed", size="sm",
                     visibleFrom="sm"),
        ],
        gap="sm",
    )  # fmt: skip
    switch = dmc.SegmentedControl(
        id=LANG_SWITCH,
        data=[{"label": name, "value": code} for code, name in LANGUAGES.items()],
        value=lang,
        size="xs",
    )
    scheme = dmc.Button(
        t("shell.to_dark", lang), id=SCHEME_TOGGLE, variant="default", size="xs", n_clicks=0
    )
    return dmc.Group(
        [brand, dmc.Group([switch, scheme, create_user_menu(user, lang)], gap="sm")],
        justify="space-between",
        h="100%",
    )


def create_user_menu(user: ConsoleUser | None, lang: Lang) -> dmc.Menu:
    name = user.shown_name if user else ""
    role = role_label(user.role, lang) if user else ""
    return dmc.Menu(
        [
            dmc.MenuTarget(
                dmc.Button(
                    [html.Span(name, id="shell-user"), dmc.Badge(role, id="shell-role", ml="xs",
                                                                 variant="light")],
                    id="shell-user-button",
                    variant="subtle",
                    size="xs",
                )
            ),
            dmc.MenuDropdown(
                [dmc.MenuItem(t("shell.logout", lang), id="shell-logout", n_clicks=0)]
            ),
        ],
        position="bottom-end",
    )  # fmt: skip


def create_navigation(lang: Lang, user: ConsoleUser | None) -> dmc.Stack:
    shown = (*NAV, ADMIN_NAV) if may(user, MANAGE_ACCESS) else NAV
    return dmc.Stack(
        [
            dmc.NavLink(label=t(f"nav.{name}", lang), href=path, id=f"shell-nav-{name}")
            for name, path in shown
        ],
        gap=2,
    )


def register_callbacks(app: Dash) -> None:
    """Attach the shell's callbacks to ``app``.

    Registered per app rather than with ``dash.callback`` at import: this module is imported
    once per process, and Dash hands the global callbacks to the first app that serves.
    """
    app.callback(
        Output(LANG_STORE, "data"),
        Output(LANG_SWITCH, "value"),
        Input(LANG_STORE, "data"),
        Input(LANG_SWITCH, "value"),
    )(sync_language)
    app.callback(
        Output("shell-tagline", "children"),
        Output("shell-logout", "children"),
        *(Output(f"shell-nav-{name}", "label") for name, _path in NAV),
        Input(LANG_STORE, "data"),
    )(translate_header)
    # The admin link has callbacks of its own: on a page drawn without it they do not run.
    app.callback(
        Output(f"shell-nav-{ADMIN_NAV[0]}", "label"),
        Input(LANG_STORE, "data"),
    )(translate_admin_link)
    app.callback(
        Output("shell-role", "children"),
        Input(LANG_STORE, "data"),
    )(translate_role)
    # Pure browser work (no store, no user): done in the page, instantly.
    app.clientside_callback(  # type: ignore[no-untyped-call]
        ClientsideFunction(namespace="orderwatch", function_name="toggleScheme"),
        Output(SCHEME_STORE, "data"),
        Input(SCHEME_TOGGLE, "n_clicks"),
        State(SCHEME_STORE, "data"),
    )
    app.clientside_callback(  # type: ignore[no-untyped-call]
        ClientsideFunction(namespace="orderwatch", function_name="applyScheme"),
        Output("shell-provider", "forceColorScheme"),
        Input(SCHEME_STORE, "data"),
    )
    app.callback(
        Output(SCHEME_TOGGLE, "children"),
        Input(SCHEME_STORE, "data"),
        Input(LANG_STORE, "data"),
    )(scheme_label)
    app.clientside_callback(  # type: ignore[no-untyped-call]
        ClientsideFunction(namespace="orderwatch", function_name="signOut"),
        Output(LOGOUT_FORM, "title"),
        Input("shell-logout", "n_clicks"),
        prevent_initial_call=True,
    )
    paths = json.dumps([path for _name, path in NAV])
    app.clientside_callback(  # type: ignore[no-untyped-call]
        f"(pathname) => window.orderwatch.activeLinks({paths}, pathname)",
        *(Output(f"shell-nav-{name}", "active") for name, _path in NAV),
        Input("_pages_location", "pathname"),
    )
    app.clientside_callback(  # type: ignore[no-untyped-call]
        f"(pathname) => pathname === {json.dumps(ADMIN_NAV[1])}",
        Output(f"shell-nav-{ADMIN_NAV[0]}", "active"),
        Input("_pages_location", "pathname"),
    )


def sync_language(stored: Any, chosen: Any) -> tuple[Lang, Lang]:
    """Keep the switch and the stored choice equal; a click on the switch decides."""
    lang = lang_of(chosen if ctx.triggered_id == LANG_SWITCH else stored)
    return lang, lang


def translate_header(lang: Any) -> tuple[str, ...]:
    return (
        t("app.tagline", lang),
        t("shell.logout", lang),
        *(t(f"nav.{name}", lang) for name, _path in NAV),
    )


def translate_admin_link(lang: Any) -> str:
    return t(f"nav.{ADMIN_NAV[0]}", lang)


def scheme_label(scheme: Any, lang: Any) -> str:
    """The switch names the scheme it goes to."""
    return t("shell.to_light" if scheme == "dark" else "shell.to_dark", lang)


def translate_role(lang: Any) -> str:
    user = current_user()
    return role_label(user.role, lang) if user else ""

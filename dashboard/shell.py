"""The console's frame around every page: header with product name, language switch, the
signed-in user and a sign-out link."""

from __future__ import annotations

from typing import Any

import dash
from dash import Dash, Input, Output, ctx, dcc, html

from dashboard.auth import ConsoleUser, current_user
from dashboard.i18n import DEFAULT_LANG, LANGUAGES, Lang, lang_of, t

LANG_STORE = "shell-lang"
"""Chosen language, kept in the browser's local storage: every page reads it."""
LANG_SWITCH = "shell-lang-switch"

THEME: dict[str, str] = {
    "font": 'system-ui, "PingFang SC", "Microsoft YaHei", sans-serif',
    "ink": "#1f2933",
    "muted": "#616e7c",
    "page": "#f4f6f8",
    "header": "#102a43",
    "accent": "#1c64f2",
    "alert": "#d64545",
    "card": "#ffffff",
}
"""The console's colours and font in one place; pages take theirs from here."""

CARD_STYLE: dict[str, str] = {
    "background": THEME["card"],
    "borderRadius": "8px",
    "padding": "1rem 1.5rem",
    "boxShadow": "0 1px 4px rgba(0, 0, 0, .08)",
    "marginBottom": "1rem",
}


# The one rule inline styles cannot reach: the page's own margin around the shell.
PAGE_CSS = "<style>body { margin: 0; }</style>"


def index_string(template: str) -> str:
    """Dash's HTML page template with the console's base style added."""
    return template.replace("{%css%}", "{%css%}\n" + PAGE_CSS)


def create_layout() -> html.Div:
    """The app layout; a function because it shows whoever the request belongs to."""
    user = current_user()
    lang: Lang = lang_of(user.locale) if user else DEFAULT_LANG
    return html.Div(
        [
            # The user's locale is the default; a choice already stored in the browser wins.
            dcc.Store(id=LANG_STORE, storage_type="local", data=lang),
            create_header(user, lang),
            html.Main(dash.page_container, style={"padding": "1.5rem", "maxWidth": "1100px"}),
        ],
        style={
            "fontFamily": THEME["font"],
            "color": THEME["ink"],
            "background": THEME["page"],
            "minHeight": "100vh",
        },
    )


NAV = (("overview", "/"), ("orders", "/orders"), ("health", "/health"))
"""The console's pages in the order the header lists them: (name, path); the link's text is
the translation of ``nav.<name>``."""


def create_header(user: ConsoleUser | None, lang: Lang) -> html.Header:
    link = {"color": "#fff", "marginLeft": "1.5rem", "textDecoration": "none"}
    brand = html.Div(
        [
            html.Span("orderwatch", style={"fontWeight": "700", "fontSize": "1.25rem"}),
            html.Span(
                t("app.tagline", lang),
                id="shell-tagline",
                style={"marginLeft": ".75rem", "opacity": ".75"},
            ),
            *(
                dcc.Link(t(f"nav.{name}", lang), href=path, id=f"shell-nav-{name}", style=link)
                for name, path in NAV
            ),
        ]
    )
    return html.Header(
        [brand, create_user_menu(user, lang)],
        style={
            "display": "flex",
            "justifyContent": "space-between",
            "alignItems": "center",
            "padding": ".75rem 1.5rem",
            "background": THEME["header"],
            "color": "#fff",
        },
    )


def create_user_menu(user: ConsoleUser | None, lang: Lang) -> html.Div:
    switch = dcc.RadioItems(
        id=LANG_SWITCH,
        options=[{"label": name, "value": code} for code, name in LANGUAGES.items()],
        value=lang,
        inline=True,
        labelStyle={"marginRight": ".75rem", "cursor": "pointer", "color": "#fff"},
    )
    link_style = {"color": "#fff", "marginLeft": "1rem"}
    return html.Div(
        [
            switch,
            html.Span(
                user.shown_name if user else "", id="shell-user", style={"marginLeft": "1rem"}
            ),
            html.A(t("shell.logout", lang), id="shell-logout", href="/logout", style=link_style),
        ],
        style={"display": "flex", "alignItems": "center"},
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
        *(Output(f"shell-nav-{name}", "children") for name, _path in NAV),
        Input(LANG_STORE, "data"),
    )(translate_header)


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

"""Channels (渠道): every sales channel's platform, shop and health in words, each linking to
its own page (``/channels/<name>``) for its actions and quarantine; admins add a channel
here with the platform's own credential fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from dashboard.auth import current_user
from dashboard.channeldesk import form
from dashboard.channeldesk.reading import ChannelView, channel_views
from dashboard.channeldesk.words import health_sentence, state
from dashboard.confirming import as_allowed
from dashboard.context import app_config, store_sessions
from dashboard.formatting import moment, number
from dashboard.i18n import lang_of, t
from dashboard.permissions import ADD_CHANNELS, may
from dashboard.shell import LANG_STORE, TOASTS
from dashboard.workbench.acting import toast
from store.channels import register_channel
from store.errors import DomainError
from store.models import utcnow

dash.register_page(__name__, path="/channels", title="orderwatch · channels")  # type: ignore[no-untyped-call]

REFRESH_MS = 15_000
"""How often an open list redraws the channels' health."""
COLUMNS = ("name", "platform", "shop", "state", "health", "last_sync", "failures", "quarantined")


def layout(**_query: Any) -> dmc.Stack:
    adding = may(current_user(), ADD_CHANNELS)
    add = [dmc.Button(id="channels-add", n_clicks=0)] if adding else []
    return dmc.Stack(
        [
            dcc.Interval(id="channels-tick", interval=REFRESH_MS),
            dcc.Store(id="channels-refresh", data=0),
            dmc.Group(
                [
                    dmc.Stack([dmc.Title(id="channels-title", order=2),
                               dmc.Text(id="channels-intro", c="dimmed", maw=760)], gap=0),
                    dmc.Group(add),
                ],
                justify="space-between",
                align="flex-end",
            ),
            dmc.Card(html.Div(_loading(), id="channels-list")),
            form.layout() if adding else html.Div(),
        ],
        gap="md",
    )  # fmt: skip


def _loading() -> dmc.Stack:
    return dmc.Stack([dmc.Skeleton(height=28) for _ in range(4)], gap="xs", id="channels-loading")


@callback(
    Output("channels-title", "children"),
    Output("channels-intro", "children"),
    Input(LANG_STORE, "data"),
)
def translate(lang: Any) -> tuple[str, str]:
    return t("channels.page.title", lang), t("channels.page.intro", lang)


@callback(
    Output("channels-list", "children"),
    Input(LANG_STORE, "data"),
    Input("channels-tick", "n_intervals"),
    Input("channels-refresh", "data"),
)
async def show(lang_data: Any, _tick: int | None, _refreshed: int | None) -> Any:
    lang = lang_of(lang_data)
    now = utcnow()
    views = await run_in_threadpool(channel_views, store_sessions(), now)
    if not views:
        adding = may(current_user(), ADD_CHANNELS)
        body = t("channels.page.empty_admin" if adding else "channels.page.empty", lang)
        return dmc.Alert(body, title=t("channels.page.empty_title", lang), color="gray",
                         id="channels-empty")  # fmt: skip
    return channel_table(views, now, lang)


def channel_table(views: list[ChannelView], now: datetime, lang: str) -> html.Div:
    zone = app_config().zone
    head = dmc.TableThead(dmc.TableTr([dmc.TableTh(t(f"channels.col.{c}", lang)) for c in COLUMNS]))
    rows = [_row(view, now, zone, lang) for view in views]
    table = dmc.Table([head, dmc.TableTbody(rows)], striped=True, highlightOnHover=True)
    return html.Div(table, id="channels-table")


def _row(view: ChannelView, now: datetime, zone: Any, lang: str) -> dmc.TableTr:
    health = view.health
    key, colour = state(view)
    last = moment(health.last_success_at, zone, lang) if health.last_success_at else "—"
    cells = [
        dmc.Anchor(health.name, href=f"/channels/{health.name}", fw=600),
        health.platform,
        view.shop_id or "—",
        dmc.Badge(t(key, lang), color=colour, variant="light"),
        dmc.Text(health_sentence(view, now, zone, lang), size="sm", maw=420),
        last,
        number(health.consecutive_failures, lang),
        number(health.quarantined, lang),
    ]
    return dmc.TableTr([dmc.TableTd(cell) for cell in cells], id=f"channels-row-{health.name}")


# ---- adding a channel (admins) -----------------------------------------------------------


@callback(*form.label_outputs(), Input(LANG_STORE, "data"))
def form_labels(lang: Any) -> tuple[Any, ...]:
    return form.labels(lang_of(lang))


@callback(Output("channels-add", "children"), Input(LANG_STORE, "data"))
def add_label(lang: Any) -> str:
    return t("channel.add.open", lang)


@callback(
    *form.credential_outputs(),
    Input(form.fid("platform"), "value"),
    Input(LANG_STORE, "data"),
)
def credential_fields(platform: str | None, lang: Any) -> tuple[Any, ...]:
    return form.credential_fields(platform, lang_of(lang))


@callback(
    Output(form.fid("modal"), "opened"),
    Input("channels-add", "n_clicks"),
    Input(form.fid("cancel"), "n_clicks"),
    prevent_initial_call=True,
)
def open_form(opened: int | None, _cancel: int | None) -> bool:
    return dash.ctx.triggered_id == "channels-add" and bool(opened)


@callback(
    Output(TOASTS, "sendNotifications", allow_duplicate=True),
    Output(form.fid("modal"), "opened", allow_duplicate=True),
    Output(form.fid("error"), "children"),
    Output("channels-refresh", "data"),
    *form.value_outputs(),
    Input(form.fid("submit"), "n_clicks"),
    *form.states(),
    State("channels-refresh", "data"),
    State(LANG_STORE, "data"),
    prevent_initial_call=True,
)
async def add_channel(clicks: int | None, *values: Any) -> tuple[Any, ...]:
    if not clicks:
        raise PreventUpdate
    *fields, refreshed, lang_data = values
    lang = lang_of(lang_data)
    wanted, problem = form.read(tuple(fields), lang)
    # The secrets leave the browser once: the form forgets them whatever happens next.
    kept = tuple(fields[: len(form.FIELDS)])
    forget = (*kept, "", "", "")
    if wanted is None:
        return dash.no_update, True, problem, dash.no_update, *forget
    try:
        await as_allowed(ADD_CHANNELS, "channels.add", _register, wanted)
    except DomainError as exc:
        failed = t("channel.add.failed", lang, reason=exc.message)
        return dash.no_update, True, failed, dash.no_update, *forget
    done = t("channel.add.done", lang, name=wanted["name"])
    shown = toast("channels-added", done, lang, refused=False)
    return shown, False, "", (refreshed or 0) + 1, *form.cleared()


def _register(sessions: sessionmaker[Session], actor: str, wanted: dict[str, Any]) -> None:
    with sessions.begin() as session:
        register_channel(session, actor=actor, **wanted)

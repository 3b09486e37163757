"""One channel (``/channels/<name>``): its health in words, "sync now", pause and resume of
its pulls, its credentials (secrets only as "set"), reconciliation's missed orders per day,
the listings paused in force, and its quarantine — each unreadable order with its error and
its payload (buyer data masked), to retry now or dismiss with a reason.

Every action goes through the workbench's confirmation dialog and is checked on the server
(``ACT_ON_CHANNELS``); a forged call answers 403 and is audited. What the action does is the
same ingest or store function the CLI and the worker call (``dashboard.channeldesk.acts``).
"""

from __future__ import annotations

from typing import Any

import dash
import dash_mantine_components as dmc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate
from starlette.concurrency import run_in_threadpool

from dashboard.auth import current_user
from dashboard.channeldesk import acts, sections
from dashboard.channeldesk.reading import channel_detail
from dashboard.confirming import as_allowed, asking
from dashboard.context import app_config, store_sessions
from dashboard.i18n import lang_of, t
from dashboard.permissions import ACT_ON_CHANNELS, may
from dashboard.shell import LANG_STORE, SCHEME_STORE
from dashboard.workbench.acting import ActionDialog, toast
from store.errors import DomainError
from store.models import utcnow

dash.register_page(  # type: ignore[no-untyped-call]
    __name__, path_template="/channels/<name>", title="orderwatch · channel"
)

NAME = "channel-name"
REFRESH = "channel-refresh"
DIALOG = ActionDialog("channel")
REFRESH_MS = 15_000


def layout(name: str = "", **_query: Any) -> html.Section:
    loading = dmc.Stack([dmc.Skeleton(height=36), dmc.Skeleton(height=120),
                         dmc.Skeleton(height=120)], gap="md", id="channel-loading")  # fmt: skip
    return html.Section(
        [
            dcc.Store(id=NAME, data=name),
            dcc.Store(id=REFRESH, data=0),
            dcc.Interval(id="channel-tick", interval=REFRESH_MS),
            dmc.Anchor(id="channel-back", href="/channels", size="sm"),
            html.Div(loading, id="channel-view", style={"marginTop": 8}),
            DIALOG.layout(),
        ],
        id="channel-page",
    )


@callback(
    Output("channel-view", "children"),
    Output("channel-back", "children"),
    *DIALOG.label_outputs(),
    Input(LANG_STORE, "data"),
    Input(SCHEME_STORE, "data"),
    Input(REFRESH, "data"),
    Input("channel-tick", "n_intervals"),
    State(NAME, "data"),
)
async def show(
    lang_data: Any, scheme: Any, _refreshed: int | None, _tick: int | None, name: str
) -> tuple[Any, ...]:
    lang = lang_of(lang_data)
    zone, now = app_config().zone, utcnow()
    detail = await run_in_threadpool(channel_detail, store_sessions(), name, now, zone)
    back = "← " + t("channels.page.title", lang)
    labels = DIALOG.labels(lang, [])
    if detail is None:
        unknown = dmc.Alert(t("channel.unknown", lang, name=name), color="red",
                            id="channel-unknown")  # fmt: skip
        return unknown, back, *labels
    acting = may(current_user(), ACT_ON_CHANNELS)
    view = dmc.Stack(
        [
            sections.head(detail, acting, lang),
            sections.health(detail, now, zone, lang),
            sections.quarantine(detail, acting, zone, lang),
            dmc.SimpleGrid(
                [sections.reconciliation(detail, lang, str(scheme)),
                 sections.listings(detail, zone, lang)],
                cols={"base": 1, "md": 2},
            ),
            sections.credentials(detail, lang),
        ],
        gap="md",
    )  # fmt: skip
    return view, back, *labels


@callback(
    *DIALOG.open_outputs(),
    Input({"role": "channel-action", "action": ALL}, "n_clicks"),
    Input({"role": "channel-q-action", "action": ALL, "entry": ALL}, "n_clicks"),
    Input(DIALOG.id("dialog-cancel"), "n_clicks"),
    State(NAME, "data"),
    State(LANG_STORE, "data"),
    prevent_initial_call=True,
)
def open_dialog(
    _channel: list[int | None], _entries: list[int | None], _cancel: int | None, name: str,
    lang: Any,
) -> tuple[Any, ...]:  # fmt: skip
    trigger = ctx.triggered_id
    clicked = bool(ctx.triggered and ctx.triggered[0].get("value"))
    if not isinstance(trigger, dict) or not clicked:
        return DIALOG.closed()  # cancelled, or the buttons drawn again
    action = str(trigger["action"])
    entry = trigger.get("entry")
    pending = {"action": action, "entry": entry}
    body = t(f"channel.ask.{action}", lang, name=name, entry=entry)
    note = t("channel.dismiss.reason" if action == "dismiss" else "channel.note", lang)
    return asking(DIALOG, pending, t(f"channel.action.{action}", lang), body, lang, note=note)


@callback(
    *DIALOG.confirming(REFRESH, states=[State(NAME, "data")]),
    running=DIALOG.busy(),
    prevent_initial_call=True,
)
async def confirm(
    clicks: int | None,
    pending: dict[str, Any] | None,
    _picker: str | None,
    _category: str | None,
    note: str | None,
    name: str,
    refreshed: int | None,
    lang_data: Any,
) -> tuple[Any, ...]:
    lang = lang_of(lang_data)
    if not clicks or not isinstance(pending, dict):
        raise PreventUpdate  # a dialog drawn or closed, not an action asked for
    action, entry = str(pending.get("action")), pending.get("entry")
    try:
        message, refused = await _run(action, name, entry, note or "", lang)
    except DomainError as exc:
        failed = t("orders.failed", lang, reason=exc.message)
        return dash.no_update, True, failed, dash.no_update
    shown = toast("channel-result", message, lang, refused=refused)
    return shown, False, "", (refreshed or 0) + 1


async def _run(action: str, name: str, entry: Any, note: str, lang: str) -> acts.Told:
    """The role check and the action; an unknown action is refused like a forged one."""
    allowed = ACT_ON_CHANNELS
    audited = f"channels.{action}"
    if action == "sync":
        return await as_allowed(allowed, audited, acts.sync, name, lang)
    if action == "pause":
        return await as_allowed(allowed, audited, acts.pause, name, note, lang)
    if action == "resume":
        return await as_allowed(allowed, audited, acts.resume, name, note, lang)
    if action in ("retry", "dismiss") and isinstance(entry, int):
        if action == "retry":
            return await as_allowed(allowed, audited, acts.retry, name, entry, lang)
        return await as_allowed(allowed, audited, acts.dismiss_entry, name, entry, note, lang)
    raise PreventUpdate

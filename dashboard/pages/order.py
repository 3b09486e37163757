"""One order (``/orders/<order_no>``): where it stands, why it is stuck (the full explain
answer), its lines, its timeline, its floor times, its audit trail, and the actions that
unblock it.

The actions are the workbench's (``dashboard.workbench.acting``): the same dialog, the same
server-side role check, the same ``act_on_orders`` call with the order as this page showed it,
so an order someone changed meanwhile is refused with the reason and the page redrawn.
Buyer name, phone and address are masked; roles in ``REVEAL_BUYER`` may reveal them, and
each reveal is audited. The clear values only ever leave the server in the answer to that
reveal, never in the page drawn for anyone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import dash
import dash_mantine_components as dmc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker
from starlette.concurrency import run_in_threadpool

from dashboard.auth import ConsoleUser, current_user
from dashboard.context import app_config, store_sessions
from dashboard.formatting import duration, moment
from dashboard.i18n import audit_action_label, lang_of, source_label, stage_label, t
from dashboard.permissions import REVEAL_BUYER, require_role
from dashboard.shell import LANG_STORE
from dashboard.workbench.acting import (
    ACTIONS,
    ActionDialog,
    hold_categories,
    may_act,
    take_action,
    toast,
)
from dashboard.workbench.outcome import one_order
from ingest.reveal import reveal_buyer_data
from rules.explain import explain_order
from rules.order_actions import Seen, offered_actions
from store.audit import audit_trail
from store.errors import DomainError
from store.models import Order, utcnow
from store.orders import order_document
from store.privacy import ENCRYPTED, Buyer
from store.stages import Source

dash.register_page(  # type: ignore[no-untyped-call]
    __name__, path_template="/orders/<order_no>", title="orderwatch · order"
)

ORDER = "order-no"
SEEN = "order-seen"
"""The order's stage and picker as the page shows them: what an action checks it against."""
REFRESH = "order-refresh"
DIALOG = ActionDialog("order")
PEOPLES_CHANGES = frozenset({"order.assigned", "order.reassigned", "order.noted"})
"""Audit entries that change no stage but belong on the timeline beside the stage moves."""


class Entry(NamedTuple):
    """One audit entry, read out of its session (a named tuple: Dash runs page modules
    outside ``sys.modules``, where a dataclass cannot be made)."""

    at: datetime
    actor: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def layout(order_no: str = "", **_query: Any) -> html.Section:
    return html.Section(
        [
            dcc.Store(id=ORDER, data=order_no),
            dcc.Store(id=SEEN),
            dcc.Store(id=REFRESH, data=0),
            dmc.Stack([html.Div(id="order-view"), html.Div(id="order-audit-view")], gap="md"),
            DIALOG.layout(),
        ],
        id="order-page",
    )


@callback(
    Output("order-view", "children"),
    Output("order-audit-view", "children"),
    Output(SEEN, "data"),
    *DIALOG.label_outputs(),
    Input(LANG_STORE, "data"),
    Input(REFRESH, "data"),
    State(ORDER, "data"),
)
async def show(lang_data: Any, _refreshed: int | None, order_no: str) -> tuple[Any, ...]:
    lang = lang_of(lang_data)
    zone = app_config().zone
    found = await run_in_threadpool(read_order, store_sessions(), order_no, zone)
    holds = await run_in_threadpool(hold_categories, store_sessions())
    labels = DIALOG.labels(lang, holds)
    if found is None:
        unknown = dmc.Alert(
            [t("order.unknown", lang, order=order_no), " ", dcc.Link(
                t("order.back", lang), href="/orders"
            )],
            color="red",
            id="order-unknown",
        )  # fmt: skip
        return unknown, None, None, *labels
    document, explained, trail = found
    user = current_user()
    view = dmc.Stack(
        [
            _head(document, user, lang),
            _explain(explained, lang, zone),
            _facts(document, user, lang, zone),
            _table(
                "order.lines", _lines(document), ("sku", "name", "qty", "picked", "price"), lang
            ),
            _table("order.timeline", _timeline(explained, trail, lang, zone), _TIMELINE, lang),
            *_writebacks(document, lang, zone),
        ],
        gap="md",
    )
    seen = {"stage": document["stage"], "assignee": document["assignee"]}
    return view, _audit(trail, lang, zone), seen, *labels


def read_order(
    sessions: sessionmaker[Session], order_no: str, zone: ZoneInfo
) -> tuple[dict[str, Any], dict[str, Any], list[Entry]] | None:
    with sessions() as session:
        order = session.scalar(
            select(Order).options(selectinload(Order.items)).where(Order.order_no == order_no)
        )
        if order is None:
            return None
        explained = explain_order(session, order_no, now=utcnow(), zone=zone).model_dump(
            mode="json", by_alias=True
        )
        return order_document(session, order), explained, _trail(session, order_no)


def _trail(session: Session, order_no: str) -> list[Entry]:
    return [
        Entry(entry.at, entry.actor, entry.action, entry.before, entry.after)
        for entry in audit_trail(session, entity_type="order", entity_id=order_no)
    ]


def _head(document: dict[str, Any], user: ConsoleUser | None, lang: str) -> dmc.Group:
    return dmc.Group(
        [
            html.H2(document["order_no"], style={"margin": 0}, id="order-title"),
            dmc.Badge(stage_label(document["stage"], lang), size="lg", id="order-stage"),
            dmc.Text(document["channel"], c="dimmed"),
            _actions(document["stage"], user, lang),
        ],
        gap="md",
    )


def _actions(stage: str, user: ConsoleUser | None, lang: str) -> Any:
    """The buttons for the actions that fit the order's stage, for roles that may act; the
    confirm callback checks the role again on the server."""
    if not may_act(user):
        return dmc.Text(t("orders.not_allowed", lang), c="dimmed", size="sm", id="order-view-only")
    buttons = [
        dmc.Button(
            t(f"orders.action.{kind.value}", lang),
            id={"role": "order-action", "action": kind.value},
            variant="light",
            color="red" if kind.value == "reject" else "blue",
            size="xs",
        )
        for kind in offered_actions(stage)
    ]
    return dmc.Group(buttons, gap="xs", ml="auto", id="order-actions")


def _explain(explained: dict[str, Any], lang: str, zone: ZoneInfo) -> dmc.Card:
    zh = lang != "en"
    deadlines = [
        dmc.Text(
            f"{d['name']} v{d['version']}: "
            + moment(datetime.fromisoformat(d["due_at"]), zone, lang)
            + " · "
            + t(
                "order.over" if d["overdue"] else "order.left",
                lang,
                span=duration(abs(d["overrun_s"]) / 3600, lang),
            ),
            size="sm",
        )
        for d in explained["deadlines"]
    ]
    risk = explained.get("risk")
    rule = (
        f"{risk['rule']} v{risk['version']} ({'; '.join(risk['matched'])})"
        if risk and risk.get("rule")
        else None
    )
    return dmc.Card(
        [
            dmc.Text(t("order.why", lang), fw=600),
            dmc.Text(explained["summary"]["zh" if zh else "en"], id="order-explain"),
            *([dmc.Text(f"{t('order.rule', lang)}: {rule}", size="sm")] if rule else []),
            *deadlines,
            dmc.Text(
                f"{t('order.unblock', lang)}: {', '.join(explained['can_unblock']) or '—'}",
                size="sm",
                c="dimmed",
            ),
        ],
        withBorder=True,
    )


def _facts(
    document: dict[str, Any], user: ConsoleUser | None, lang: str, zone: ZoneInfo
) -> dmc.Card:
    times = document["stage_times"]
    floor = ("awaiting_pick", "first_picked", "packed", "shipped")
    rows = [
        (t("order.amount", lang), f"¥{document['amount']} · {document['payment_method'] or '—'}"),
        (t("orders.col.warehouse", lang), document["warehouse"] or "—"),
        (t("orders.col.assignee", lang), document["assignee"] or "—"),
        (t("order.ship_by", lang), _when(document["ship_by"], zone, lang)),
        *((t(f"order.floor.{name}", lang), _when(times.get(name), zone, lang)) for name in floor),
    ]
    reveal = (
        [dmc.Button(t("order.reveal", lang), id="order-reveal", variant="subtle", size="xs")]
        if user is not None and user.role in REVEAL_BUYER
        else []
    )
    buyer = dmc.Group(
        [html.Div(_buyer(document["buyer"], lang, revealed=False), id="order-buyer"), *reveal],
        gap="md",
        align="flex-end",
    )
    facts = [dmc.Stack([dmc.Text(k, size="xs", c="dimmed"), dmc.Text(v)], gap=0) for k, v in rows]
    return dmc.Card(
        dmc.Stack([dmc.SimpleGrid(facts, cols=3), dmc.Divider(), buyer], gap="sm"),
        withBorder=True,
    )


def _buyer(buyer: Buyer, lang: str, *, revealed: bool) -> dmc.Stack:
    label = t("order.buyer.revealed" if revealed else "order.buyer", lang)
    return dmc.Stack(
        [
            dmc.Text(label, size="xs", c="orange" if revealed else "dimmed"),
            dmc.Text(" · ".join(_field(v, lang) for v in buyer.values()), id="order-buyer-value"),
        ],
        gap=0,
    )


def _field(value: str | None, lang: str) -> str:
    """A buyer field as shown: a field the platform sent encrypted says so in the language
    (an address whose region is known shows it, and the encrypted rest in brackets)."""
    word, shown = t("order.buyer.encrypted", lang), value or "—"
    region = shown.removesuffix(f" · {ENCRYPTED}")
    if region != shown:
        return f"{region}（{word}）" if lang == "zh" else f"{region} ({word})"
    return word if shown == ENCRYPTED else shown


def _when(value: str | None, zone: ZoneInfo, lang: str) -> str:
    return moment(datetime.fromisoformat(value), zone, lang) if value else "—"


def _lines(document: dict[str, Any]) -> list[list[Any]]:
    return [
        [i["sku"], i["name"] or "", i["quantity"], i["picked_quantity"], i["unit_price"]]
        for i in document["items"]
    ]


_TIMELINE = ("at", "move", "source", "actor", "note")
_WRITEBACK = ("call", "status", "carrier", "waybill", "attempts", "when", "error")


def _writebacks(document: dict[str, Any], lang: str, zone: ZoneInfo) -> list[dmc.Card]:
    """What orderwatch owes the platform for this order (the shipment confirmation) and how it
    went, so a refused confirmation is seen where people look at the order; none before the
    carrier's pickup."""
    rows = [
        [
            t(f"order.writeback.{w['kind']}", lang),
            t(f"order.writeback.{w['status']}", lang),
            w["carrier"] + (f" ({w['sent_carrier']})" if w["sent_carrier"] else ""),
            w["waybill"],
            w["attempts"],
            _when(w["done_at"] or w["next_attempt_at"], zone, lang),
            " · ".join(filter(None, (w["error_code"], w["platform_code"], w["last_error"]))),
        ]
        for w in document["channel_writebacks"]
    ]
    return [_table("order.writebacks", rows, _WRITEBACK, lang)] if rows else []


def _timeline(
    explained: dict[str, Any], trail: list[Entry], lang: str, zone: ZoneInfo
) -> list[list[Any]]:
    """Every stage move, and between them what people changed without moving the order
    (a picker assigned, a note), in the order it happened."""
    moves = [
        (
            datetime.fromisoformat(e["at"]),
            f"{stage_label(e['from'], lang) if e['from'] else '—'} → {stage_label(e['to'], lang)}",
            source_label(e["source"], lang),
            e["actor"] or "",
            e["note"] or e["hold_category"] or "",
        )
        for e in explained["timeline"]
    ]
    changes = [_change(entry, lang) for entry in trail if entry.action in PEOPLES_CHANGES]
    ordered = sorted([*moves, *changes], key=lambda row: row[0])
    return [[moment(at, zone, lang), *rest] for at, *rest in ordered]


def _change(entry: Entry, lang: str) -> tuple[datetime, str, str, str, str]:
    after = entry.after or {}
    if entry.action == "order.noted":
        return (
            entry.at,
            t("order.change.note", lang),
            source_label(after.get("source", ""), lang),
            entry.actor,
            after["note"],
        )
    nobody = t("order.change.nobody", lang)
    before = (entry.before or {}).get("assignee") or nobody
    move = t("order.change.picker", lang, before=before, after=after["assignee"] or nobody)
    return entry.at, move, "", entry.actor, ""


def _audit(trail: list[Entry], lang: str, zone: ZoneInfo) -> dmc.Card:
    body = [[moment(e.at, zone, lang), e.actor, audit_action_label(e.action, lang)] for e in trail]
    return _table("order.audit", body, ("at", "actor", "action"), lang)


def _table(title: str, body: list[list[Any]], columns: tuple[str, ...], lang: str) -> dmc.Card:
    head = [t(f"order.col.{column}", lang) for column in columns]
    name = title.replace(".", "-")
    return dmc.Card(
        [
            dmc.Text(t(title, lang), fw=600, mb="xs"),
            dmc.Table(data={"head": head, "body": body}, striped=True, id=name)
            if body
            else dmc.Text("—", c="dimmed", id=name),
        ],
        withBorder=True,
    )


# ---- acting on the order -----------------------------------------------------------------


@callback(
    *DIALOG.open_outputs(),
    Input({"role": "order-action", "action": ALL}, "n_clicks"),
    Input(DIALOG.id("dialog-cancel"), "n_clicks"),
    State(ORDER, "data"),
    State(LANG_STORE, "data"),
    prevent_initial_call=True,
)
def open_dialog(
    clicks: list[int | None], _cancel: int | None, order_no: str, lang: Any
) -> tuple[Any, ...]:
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(clicks):
        return DIALOG.closed()  # cancelled, or the buttons drawn again
    action = str(trigger["action"])
    name = t(f"orders.action.{action}", lang)
    return DIALOG.opened(action, t("order.modal.body", lang, order=order_no, action=name), lang)


@callback(
    *DIALOG.confirming(REFRESH, states=[State(ORDER, "data"), State(SEEN, "data")]),
    prevent_initial_call=True,
)
async def confirm(
    clicks: int | None,
    action: str | None,
    picker: str | None,
    category: str | None,
    note: str | None,
    order_no: str,
    seen: dict[str, Any] | None,
    refreshed: int | None,
    lang_data: Any,
) -> tuple[Any, ...]:
    lang = lang_of(lang_data)
    if not clicks or action not in ACTIONS or not seen:
        raise PreventUpdate  # a dialog drawn or closed, not an action asked for
    shown = Seen(order_no, str(seen["stage"]), seen.get("assignee"))
    try:
        result = await take_action(action, [shown], picker, category, note)
    except DomainError as exc:
        failed = t("orders.failed", lang, reason=exc.message)
        return dash.no_update, True, failed, dash.no_update
    (outcome,) = result.outcomes
    message = one_order(action, outcome, lang)
    # Redrawn either way: a refused order shows as it is now, an applied one its new entry.
    return (
        toast("order-result", message, lang, refused=not outcome.applied),
        False,
        "",
        (refreshed or 0) + 1,
    )


# ---- revealing the buyer -----------------------------------------------------------------


@callback(
    Output("order-buyer", "children"),
    Output("order-reveal", "disabled"),
    Output("order-audit-view", "children", allow_duplicate=True),
    Input("order-reveal", "n_clicks"),
    State(ORDER, "data"),
    State(LANG_STORE, "data"),
    prevent_initial_call=True,
)
async def reveal(clicks: int | None, order_no: str, lang_data: Any) -> tuple[Any, ...]:
    if not clicks:
        raise PreventUpdate  # the button drawn, not clicked
    user = await require_role(REVEAL_BUYER, action="order.reveal_buyer")
    lang = lang_of(lang_data)
    try:
        buyer, trail = await run_in_threadpool(_reveal, store_sessions(), order_no, user.username)
    except DomainError as exc:
        problem = dmc.Text(t("order.reveal_failed", lang, reason=exc.message), c="red")
        return problem, False, dash.no_update
    shown = _buyer(buyer, lang, revealed=True)
    return shown, True, _audit(trail, lang, app_config().zone)


def _reveal(
    sessions: sessionmaker[Session], order_no: str, actor: str
) -> tuple[Buyer, list[Entry]]:
    # fields the platform encrypted are decrypted by its own call (audited first)
    source = Source.CONSOLE.value
    buyer = reveal_buyer_data(sessions, order_no=order_no, actor=actor, source=source)
    with sessions.begin() as session:
        return buyer, _trail(session, order_no)

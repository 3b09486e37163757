"""One order (``/orders/<order_no>``): where it stands, why it is stuck (the full explain
answer), its lines, its timeline, its floor times and its audit trail.

Buyer name, phone and address are shown masked. Acting on the order happens on the workbench
(``/orders?order_no=…``), so there is one place with the confirmation and the per-order result.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, callback, dcc, html
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker
from starlette.concurrency import run_in_threadpool

from dashboard.context import app_config, store_sessions
from dashboard.formatting import duration, moment
from dashboard.i18n import lang_of, stage_label, t
from dashboard.shell import LANG_STORE
from rules.explain import explain_order
from store.audit import audit_trail
from store.models import Order, utcnow
from store.orders import order_document

dash.register_page(  # type: ignore[no-untyped-call]
    __name__, path_template="/orders/<order_no>", title="orderwatch · order"
)

ORDER = "order-no"


def layout(order_no: str = "", **_query: Any) -> html.Section:
    return html.Section(
        [dcc.Store(id=ORDER, data=order_no), html.Div(id="order-view")], id="order-page"
    )


@callback(Output("order-view", "children"), Input(LANG_STORE, "data"), State(ORDER, "data"))
async def show(lang_data: Any, order_no: str) -> Any:
    lang = lang_of(lang_data)
    zone = app_config().zone
    found = await run_in_threadpool(read_order, store_sessions(), order_no, zone)
    if found is None:
        return dmc.Alert(
            [t("order.unknown", lang).format(order=order_no), " ", dcc.Link(
                t("order.back", lang), href="/orders"
            )],
            color="red",
            id="order-unknown",
        )  # fmt: skip
    document, explained, audit = found
    return dmc.Stack(
        [
            _head(document, lang),
            _explain(explained, lang, zone),
            _facts(document, lang, zone),
            _table(
                "order.lines", _lines(document), ("sku", "name", "qty", "picked", "price"), lang
            ),
            _table("order.timeline", _timeline(explained, lang, zone), _TIMELINE, lang),
            _table("order.audit", _audit(audit, zone, lang), ("at", "actor", "action"), lang),
        ],
        gap="md",
    )


def read_order(
    sessions: sessionmaker[Session], order_no: str, zone: ZoneInfo
) -> tuple[dict[str, Any], dict[str, Any], list[tuple[datetime, str, str]]] | None:
    with sessions() as session:
        order = session.scalar(
            select(Order).options(selectinload(Order.items)).where(Order.order_no == order_no)
        )
        if order is None:
            return None
        explained = explain_order(session, order_no, now=utcnow(), zone=zone).model_dump(
            mode="json", by_alias=True
        )
        trail = audit_trail(session, entity_type="order", entity_id=order_no)
        return (
            order_document(session, order),
            explained,
            [(entry.at, entry.actor, entry.action) for entry in trail],
        )


def _head(document: dict[str, Any], lang: str) -> dmc.Group:
    return dmc.Group(
        [
            html.H2(document["order_no"], style={"margin": 0}, id="order-title"),
            dmc.Badge(stage_label(document["stage"], lang), size="lg", id="order-stage"),
            dmc.Text(document["channel"], c="dimmed"),
            dcc.Link(
                t("order.act", lang),
                href=f"/orders?order_no={document['order_no']}",
                id="order-act",
            ),
        ],
        gap="md",
    )


def _explain(explained: dict[str, Any], lang: str, zone: ZoneInfo) -> dmc.Card:
    zh = lang != "en"
    deadlines = [
        dmc.Text(
            f"{d['name']} v{d['version']}: "
            + moment(datetime.fromisoformat(d["due_at"]), zone, lang)
            + " · "
            + (t("order.over", lang) if d["overdue"] else t("order.left", lang)).format(
                span=duration(abs(d["overrun_s"]) / 3600, lang)
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


def _facts(document: dict[str, Any], lang: str, zone: ZoneInfo) -> dmc.Card:
    times = document["stage_times"]
    floor = ("awaiting_pick", "first_picked", "packed", "shipped")
    rows = [
        (t("order.amount", lang), f"¥{document['amount']} · {document['payment_method'] or '—'}"),
        (t("orders.col.warehouse", lang), document["warehouse"] or "—"),
        (t("orders.col.assignee", lang), document["assignee"] or "—"),
        (t("order.ship_by", lang), _when(document["ship_by"], zone, lang)),
        (t("order.buyer", lang), " · ".join(v or "—" for v in document["buyer"].values())),
        *((t(f"order.floor.{name}", lang), _when(times.get(name), zone, lang)) for name in floor),
    ]
    return dmc.Card(
        dmc.SimpleGrid(
            [dmc.Stack([dmc.Text(k, size="xs", c="dimmed"), dmc.Text(v)], gap=0) for k, v in rows],
            cols=3,
        ),
        withBorder=True,
    )


def _when(value: str | None, zone: ZoneInfo, lang: str) -> str:
    return moment(datetime.fromisoformat(value), zone, lang) if value else "—"


def _lines(document: dict[str, Any]) -> list[list[Any]]:
    return [
        [i["sku"], i["name"] or "", i["quantity"], i["picked_quantity"], i["unit_price"]]
        for i in document["items"]
    ]


_TIMELINE = ("at", "move", "source", "actor", "note")


def _timeline(explained: dict[str, Any], lang: str, zone: ZoneInfo) -> list[list[Any]]:
    return [
        [
            _when(e["at"], zone, lang),
            f"{stage_label(e['from'], lang) if e['from'] else '—'} → {stage_label(e['to'], lang)}",
            e["source"],
            e["actor"] or "",
            e["note"] or e["hold_category"] or "",
        ]
        for e in explained["timeline"]
    ]


def _audit(trail: list[tuple[datetime, str, str]], zone: ZoneInfo, lang: str) -> list[list[Any]]:
    return [[moment(at, zone, lang), actor, action] for at, actor, action in trail]


def _table(title: str, body: list[list[Any]], columns: tuple[str, ...], lang: str) -> dmc.Card:
    head = [t(f"order.col.{column}", lang) for column in columns]
    return dmc.Card(
        [
            dmc.Text(t(title, lang), fw=600, mb="xs"),
            dmc.Table(data={"head": head, "body": body}, striped=True, id=title.replace(".", "-"))
            if body
            else dmc.Text("—", c="dimmed"),
        ],
        withBorder=True,
    )

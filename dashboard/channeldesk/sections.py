"""The cards of one channel's page, drawn from ``ChannelDetail`` in the chosen language:
health and actions, credentials (secrets only as "set"), reconciliation's missed orders per
day, the listings paused in force and the quarantine with each order's error and payload."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import dash_mantine_components as dmc
from dash import dcc

from dashboard.board_charts import CONFIG, Figure
from dashboard.channeldesk.reading import ChannelDetail, QuarantineEntry
from dashboard.channeldesk.words import health_sentence, interval, masked_payload, state
from dashboard.formatting import duration, moment, number
from dashboard.i18n import t
from dashboard.theme import BAD, HEX, chart_layout

CHANNEL_ACTIONS = ("sync", "pause", "resume")
ENTRY_ACTIONS = ("retry", "dismiss")


def head(detail: ChannelDetail, acting: bool, lang: str) -> dmc.Group:
    view = detail.view
    key, colour = state(view)
    paused = view.paused_at is not None
    shown = ("resume",) if paused else ("sync", "pause")
    buttons = [
        dmc.Button(t(f"channel.action.{action}", lang), variant="light", size="xs",
                   id={"role": "channel-action", "action": action})
        for action in shown
    ]  # fmt: skip
    hint = dmc.Text(t("channel.not_allowed", lang), c="dimmed", size="sm", id="channel-view-only")
    return dmc.Group(
        [
            dmc.Title(view.health.name, order=2, id="channel-title"),
            dmc.Badge(view.health.platform, variant="outline"),
            dmc.Badge(t(key, lang), color=colour, variant="light", id="channel-state"),
            dmc.Group(buttons if acting else [hint], gap="xs", ml="auto", id="channel-actions"),
        ],
        gap="md",
    )


def health(detail: ChannelDetail, now: datetime, zone: ZoneInfo, lang: str) -> dmc.Card:
    view, h = detail.view, detail.view.health
    facts = [
        (t("channels.col.shop", lang), view.shop_id or "—"),
        (t("channels.last_sync", lang),
         moment(h.last_success_at, zone, lang) if h.last_success_at else t("channels.never", lang)),
        (t("channels.lag", lang), duration((h.lag_minutes or 0) / 60, lang)
         if h.lag_minutes is not None else "—"),
        (t("channels.failures", lang), number(h.consecutive_failures, lang)),
        (t("channels.quarantined", lang), number(h.quarantined, lang)),
        (t("channel.interval", lang), interval(view.sync_interval_s, lang)),
        (t("channel.add.base_url", lang), detail.base_url or t("channel.default_url", lang)),
        (t("channel.add.default_warehouse", lang), detail.default_warehouse or "—"),
    ]  # fmt: skip
    return _card(
        "channel.health",
        [
            dmc.Text(health_sentence(view, now, zone, lang), id="channel-health-words"),
            dmc.SimpleGrid([_fact(k, v) for k, v in facts], cols={"base": 2, "md": 4}),
        ],
        lang,
    )


def credentials(detail: ChannelDetail, lang: str) -> dmc.Card:
    if not detail.credentials:
        return _card("channel.credentials", [_none(lang)], lang)
    items = [
        _fact(c.label, c.shown if c.shown else t(
            "channel.cred.set" if c.is_set else "channel.cred.unset", lang))
        for c in detail.credentials
    ]  # fmt: skip
    note = dmc.Text(t("channel.add.secret_note", lang), size="xs", c="dimmed")
    return _card("channel.credentials", [dmc.SimpleGrid(items, cols=3), note], lang)


def reconciliation(detail: ChannelDetail, lang: str, scheme: str) -> dmc.Card:
    days = [day.isoformat() for day, _n in detail.missed_per_day]
    counts = [n for _day, n in detail.missed_per_day]
    total = sum(counts)
    summary = t("channel.missed.summary", lang, n=total, days=len(days))
    figure: Figure = {
        "data": [{"type": "bar", "x": days, "y": counts, "marker": {"color": HEX[BAD]},
                  "name": t("kpi.missed_orders", lang)}],
        "layout": chart_layout(scheme, height=200, xaxis={"type": "date", "tickformat": "%m-%d"},
                               yaxis={"rangemode": "tozero", "dtick": 1 if total < 10 else None}),
    }  # fmt: skip
    body: list[Any] = [dmc.Text(summary, size="sm", id="channel-missed-summary")]
    if total:
        body.append(dcc.Graph(figure=figure, config=CONFIG, id="channel-missed"))
    return _card("channel.missed", body, lang)


def listings(detail: ChannelDetail, zone: ZoneInfo, lang: str) -> dmc.Card:
    if not detail.listings_paused:
        return _card("channel.listings", [dmc.Text(t("channel.listings.none", lang), c="dimmed",
                                                   size="sm")], lang)  # fmt: skip
    columns = ("sku", "listing", "why", "since")
    rows = [
        [p.sku, p.listing_id, p.reason or "—", moment(p.since, zone, lang) if p.since else "—"]
        for p in detail.listings_paused
    ]
    return _card("channel.listings", [_table(columns, rows, lang, "channel-listings")], lang)


def quarantine(detail: ChannelDetail, acting: bool, zone: ZoneInfo, lang: str) -> dmc.Card:
    entries = detail.quarantine
    if not entries:
        empty = dmc.Text(t("channel.quarantine.none", lang), c="dimmed", size="sm",
                         id="channel-quarantine-empty")  # fmt: skip
        return _card("channel.quarantine", [empty], lang)
    intro = dmc.Text(t("channel.quarantine.intro", lang, n=detail.view.health.quarantined),
                     size="sm", c="dimmed")  # fmt: skip
    items = [_entry(entry, acting, zone, lang) for entry in entries]
    accordion = dmc.Accordion(
        items, multiple=True, variant="separated", id="channel-quarantine-list"
    )
    return _card("channel.quarantine", [intro, accordion], lang)


def _entry(entry: QuarantineEntry, acting: bool, zone: ZoneInfo, lang: str) -> Any:
    title = f"#{entry.id} · {entry.channel_order_id or t('channel.quarantine.no_id', lang)}"
    meta = t(
        "channel.quarantine.meta",
        lang,
        first=moment(entry.first_seen_at, zone, lang),
        last=moment(entry.last_tried_at, zone, lang),
        n=entry.attempts,
    )
    buttons = [
        dmc.Button(t(f"channel.action.{action}", lang), size="xs",
                   variant="light", color="red" if action == "dismiss" else "blue",
                   id={"role": "channel-q-action", "action": action, "entry": entry.id})
        for action in ENTRY_ACTIONS
    ] if acting else []  # fmt: skip
    return dmc.AccordionItem(
        [
            dmc.AccordionControl(
                dmc.Stack([dmc.Text(title, fw=600, size="sm"),
                           dmc.Text(entry.reason, c=BAD, size="sm")], gap=0)
            ),
            dmc.AccordionPanel(
                dmc.Stack(
                    [
                        dmc.Group([dmc.Text(meta, size="xs", c="dimmed"),
                                   dmc.Group(buttons, gap="xs")], justify="space-between"),
                        dmc.Text(t("channel.quarantine.payload", lang), size="xs", c="dimmed"),
                        dmc.Code(masked_payload(entry.payload), block=True,
                                 id=f"channel-payload-{entry.id}"),
                    ],
                    gap="xs",
                )
            ),
        ],
        value=str(entry.id),
        id=f"channel-entry-{entry.id}",
    )  # fmt: skip


def _card(title: str, body: list[Any], lang: str) -> dmc.Card:
    return dmc.Card([dmc.Text(t(title, lang), fw=600, mb="xs"), *body],
                    id=title.replace(".", "-"))  # fmt: skip


def _fact(label: str, value: str) -> dmc.Stack:
    return dmc.Stack([dmc.Text(label, size="xs", c="dimmed"), dmc.Text(value, size="sm")], gap=0)


def _none(lang: str) -> dmc.Text:
    return dmc.Text(t("channel.cred.none", lang), c="dimmed", size="sm")


def _table(columns: tuple[str, ...], rows: list[list[Any]], lang: str, name: str) -> dmc.Table:
    head = [t(f"channel.col.{c}", lang) for c in columns]
    return dmc.Table(data={"head": head, "body": rows}, striped=True, id=name)

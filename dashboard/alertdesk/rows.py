"""The alerts page's tables: one row per group, alert, delivery and silence as the grids show
them (and their CSV exports write them), and each grid's columns.

A row holds what people read in the chosen language, plus the codes (``*_code``) and times
(``*_at``, ISO in UTC) the grid colours and sorts by: a time shown as "14:05" or "12-03 09:30"
would sort as text otherwise.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from alerts.labels import GROUP_LABELS
from alerts.views import AlertView, DeliveryView, GroupView, SilenceView
from dashboard.alertdesk.reading import RouteFacts, escalates_at, group_state
from dashboard.formatting import NONE, duration, moment
from dashboard.i18n import stage_label, t
from dashboard.theme import ALERT_STATE, DELIVERY, HEX, SEVERITY

Row = dict[str, Any]
ColumnSpec = tuple[str, int, str | None]
"""(field, minimum width in pixels, the field it sorts by when not itself)."""


def kind_label(kind: str, lang: str) -> str:
    key = f"alerts.kind.{kind}"
    text = t(key, lang)
    return kind if text == key else text


def label_value(name: str, value: Any, lang: str) -> str:
    """A label's value as people read it: stages, kinds and severities translated."""
    if name == "stage":
        return stage_label(str(value), lang)
    if name == "kind":
        return kind_label(str(value), lang)
    if name == "severity":
        return t(f"severity.{value}", lang)
    return str(value)


def matchers_text(matchers: dict[str, Any], lang: str) -> str:
    """``仓库=SH-01，环节=待拣货`` / ``Warehouse=SH-01, Stage=Awaiting pick``; a route's
    list of accepted values as ``a|b``."""
    ordered = sorted(matchers.items(), key=lambda kv: _label_rank(kv[0]))
    parts = [
        f"{t(f'alerts.label.{k}', lang)}="
        + "|".join(label_value(k, v, lang) for v in (vs if isinstance(vs, list | tuple) else [vs]))
        for k, vs in ordered
    ]
    return ("，" if lang != "en" else ", ").join(parts)


def _label_rank(name: str) -> int:
    return GROUP_LABELS.index(name) if name in GROUP_LABELS else len(GROUP_LABELS)


def span(seconds: float | None, lang: str) -> str:
    """A configured interval: seconds under a minute, else hours and minutes."""
    if seconds is None:
        return NONE
    if seconds < 60:
        return f"{seconds:g} 秒" if lang != "en" else f"{seconds:g} s"
    return duration(timedelta(seconds=seconds), lang)


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


# ---- groups ---------------------------------------------------------------------------------


def group_row(
    group: GroupView, routes: dict[str, RouteFacts], now: datetime, zone: ZoneInfo, lang: str
) -> Row:
    state = group_state(group)
    route = routes.get(group.route or "")
    ended = group.resolved_at or now
    scope = [
        label_value(name, group.labels[name], lang)
        for name in GROUP_LABELS
        if group.labels.get(name) and name not in ("kind", "severity")
    ]
    worst = group.severity or (group.alerts[0].severity if group.alerts else "info")
    escalation = escalates_at(group, routes)
    # Since when it is a problem: the first member's opening (an SLA breach opens at its
    # deadline), not when the engine filed the group.
    since = min((a.opened_at for a in group.alerts), default=group.created_at)
    return {
        "rid": str(group.id),
        "id": group.id,
        "severity_code": worst,
        "severity": t(f"severity.{worst}", lang),
        "state_code": state,
        "state": t(f"alerts.state.{state}", lang),
        "summary": group.summary.get(lang, "") or group.group_key,
        "kind": kind_label(group.alerts[0].kind, lang) if group.alerts else NONE,
        "scope": " · ".join(scope) or NONE,
        "open": group.open_alerts,
        "since": moment(since, zone, lang),
        "since_at": _iso(since),
        "lasted": duration(ended - since, lang),
        "lasted_s": (ended - since).total_seconds(),
        "level": level_text(group.escalation_level, route, lang),
        "escalates": moment(escalation, zone, lang) if escalation else NONE,
        "notified": (
            moment(group.last_notified_at, zone, lang)
            if group.last_notified_at
            else t("alerts.not_notified", lang)
        ),
        "notified_at": _iso(group.last_notified_at),
        "ack": _acknowledged(group, zone, lang),
        "route": group.route or NONE,
    }


def level_text(level: int, route: RouteFacts | None, lang: str) -> str:
    """``第 1 级 / 共 2 级`` (levels count from 1 for people, from 0 in the store)."""
    if route is None:
        return t("alerts.level.one", lang, n=level + 1)
    return t("alerts.level.of", lang, n=level + 1, of=route.levels)


def _acknowledged(group: GroupView, zone: ZoneInfo, lang: str) -> str:
    if group.acknowledged_at is None:
        return ""
    return f"{group.acknowledged_by} · {moment(group.acknowledged_at, zone, lang)}"


GROUP_COLUMNS: tuple[ColumnSpec, ...] = (
    ("id", 70, None),
    ("severity", 80, None),
    ("state", 150, None),
    ("summary", 320, None),
    ("kind", 110, None),
    ("scope", 140, None),
    ("open", 80, None),
    ("since", 120, "since_at"),
    ("lasted", 110, "lasted_s"),
    ("level", 140, None),
    ("escalates", 110, None),
    ("notified", 110, "notified_at"),
    ("ack", 150, None),
    ("route", 110, None),
)


# ---- one group's alerts ---------------------------------------------------------------------


def item_row(alert: AlertView, now: datetime, zone: ZoneInfo, lang: str) -> Row:
    order_no = alert.labels.get("order_no") or alert.details.get("order_no")
    subject = order_no or alert.labels.get("sku") or alert.labels.get("channel") or NONE
    ended = alert.resolved_at or now
    return {
        "rid": str(alert.id),
        "id": alert.id,
        "subject": str(subject),
        "subject_link": f"[{order_no}](/orders/{order_no})" if order_no else str(subject),
        "summary": item_summary(alert, now, lang),
        "rule": _rule(alert),
        "severity_code": alert.severity,
        "severity": t(f"severity.{alert.severity}", lang),
        "status_code": alert.status,
        "status": t(f"alerts.alert_status.{alert.status}", lang),
        "warehouse": str(alert.labels.get("warehouse") or NONE),
        "channel": str(alert.labels.get("channel") or NONE),
        "since": moment(alert.opened_at, zone, lang),
        "since_at": _iso(alert.opened_at),
        "lasted": duration(ended - alert.opened_at, lang),
        "lasted_s": (ended - alert.opened_at).total_seconds(),
        "muted": muted_text(alert.muted_by, lang),
    }


def _rule(alert: AlertView) -> str:
    """The rule (and its version) that decided the alert, where the source names one."""
    rule, version = alert.details.get("rule"), alert.details.get("rule_version")
    if not rule:
        return ""
    return f"{rule} v{version}" if version is not None else str(rule)


def item_summary(alert: AlertView, now: datetime, lang: str) -> str:
    """What is wrong, in the reader's language: the sources write their titles in English."""
    details = alert.details
    if alert.kind == "sla_breach":
        over = duration((alert.resolved_at or now) - alert.opened_at, lang)
        stage = stage_label(str(details.get("stage", "")), lang)
        key = "alerts.item.ship_by" if details.get("deadline") == "ship_by" else "alerts.item.sla"
        return t(key, lang, stage=stage, over=over)
    if alert.kind == "stock_low":
        return t(
            "alerts.item.stock",
            lang,
            available=details.get("available", "?"),
            threshold=details.get("threshold", "?"),
        )
    if alert.kind == "orders_quarantined":
        return t(
            "alerts.item.quarantine",
            lang,
            count=details.get("count", "?"),
            reason=details.get("reason", ""),
        )
    localized = details.get(lang)  # flow health findings carry both languages
    return str(localized) if isinstance(localized, str) and localized else alert.title


def muted_text(muted_by: str | None, lang: str) -> str:
    """``静默 #3`` / ``被告警 #12 抑制``: why the last notification left the alert out."""
    if not muted_by:
        return ""
    kind, _, ref = muted_by.partition(":")
    key = "alerts.muted.silence" if kind == "silence" else "alerts.muted.inhibited"
    return t(key, lang, id=ref)


ITEM_COLUMNS: tuple[ColumnSpec, ...] = (
    ("subject", 140, None),
    ("summary", 280, None),
    ("rule", 190, None),
    ("severity", 80, None),
    ("status", 90, None),
    ("warehouse", 90, None),
    ("channel", 120, None),
    ("since", 120, "since_at"),
    ("lasted", 110, "lasted_s"),
    ("muted", 130, None),
)


# ---- deliveries -----------------------------------------------------------------------------


def delivery_row(delivery: DeliveryView, zone: ZoneInfo, lang: str) -> Row:
    said = (delivery.provider_answer or "")[:300]
    status = f"HTTP {delivery.provider_status}" if delivery.provider_status else ""
    answer = [
        "" if said.startswith(status) else status,  # notifiers often begin with the status
        delivery.provider_code or "",
        said,
    ]
    pending = delivery.status == "pending"
    return {
        "rid": str(delivery.id),
        "id": delivery.id,
        "group": delivery.group_id or "",
        "created": moment(delivery.created_at, zone, lang, seconds=True),
        "created_at": _iso(delivery.created_at),
        "event": t(f"alerts.event.{delivery.event}", lang),
        "receiver": delivery.receiver,
        "provider": provider_label(delivery.kind, lang),
        "status_code": delivery.status,
        "status": t(f"alerts.delivery.{delivery.status}", lang),
        "attempts": delivery.attempts,
        "next": moment(delivery.next_attempt_at, zone, lang, seconds=True) if pending else "",
        "sent": moment(delivery.sent_at, zone, lang, seconds=True) if delivery.sent_at else "",
        "answer": " · ".join(part for part in answer if part),
        "title": delivery.title,
    }


def provider_label(kind: str, lang: str) -> str:
    key = f"alerts.provider.{kind}"
    text = t(key, lang)
    return kind if text == key else text


LOG_COLUMNS: tuple[ColumnSpec, ...] = (
    ("created", 100, "created_at"),
    ("event", 90, None),
    ("receiver", 120, None),
    ("status", 80, None),
    ("attempts", 70, None),
    ("next", 90, None),
    ("sent", 90, None),
    ("answer", 300, None),
)
"""One group's delivery log (the group and its title are the detail's own)."""
DELIVERY_COLUMNS: tuple[ColumnSpec, ...] = (
    ("id", 70, None),
    ("created", 100, "created_at"),
    ("group", 70, None),
    ("event", 90, None),
    ("receiver", 120, None),
    ("provider", 110, None),
    ("status", 80, None),
    ("attempts", 70, None),
    ("next", 90, None),
    ("sent", 90, None),
    ("answer", 280, None),
    ("title", 240, None),
)


# ---- silences -------------------------------------------------------------------------------


def silence_row(silence: SilenceView, muting: int, now: datetime, zone: ZoneInfo, lang: str) -> Row:
    state = "active" if silence.active else "ended" if silence.ends_at <= now else "pending"
    return {
        "rid": str(silence.id),
        "id": silence.id,
        "matchers": matchers_text(silence.matchers, lang),
        "state_code": state,
        "state": t(f"alerts.silence_state.{state}", lang),
        "starts": moment(silence.starts_at, zone, lang),
        "ends": moment(silence.ends_at, zone, lang),
        "ends_at": _iso(silence.ends_at),
        "left": duration(silence.ends_at - now, lang) if silence.ends_at > now else NONE,
        "muting": muting,
        "author": silence.author,
        "reason": silence.reason,
    }


SILENCE_COLUMNS: tuple[ColumnSpec, ...] = (
    ("id", 70, None),
    ("matchers", 240, None),
    ("state", 90, None),
    ("starts", 100, None),
    ("ends", 100, "ends_at"),
    ("left", 100, None),
    ("muting", 90, None),
    ("author", 100, None),
    ("reason", 260, None),
)


# ---- columns --------------------------------------------------------------------------------

WIDE = frozenset({"summary", "answer", "reason", "title"})
WRAPPED = frozenset({"settings", "last_answer", "match", "group_by", "timing", "levels", "hours"})
"""Configuration read whole: these columns wrap rather than cut their text."""
WRAPPED_STYLE = {"lineHeight": "20px", "paddingTop": "10px", "paddingBottom": "10px"}
HIDDEN = {"kind", "scope", "route"}
"""Group columns the headline and the detail already say: hidden (the column menu shows them)
but exported."""
LINKS = {"subject": "subject_link"}
"""Columns drawn as a link (markdown) to another page; the export keeps the plain value."""


def column_defs(columns: tuple[ColumnSpec, ...], lang: str) -> list[dict[str, Any]]:
    defs = []
    for field, width, sort_by in columns:
        header = t(f"alerts.col.{field}", lang)
        column: dict[str, Any] = {
            "field": LINKS.get(field, field),
            "colId": field,
            "headerName": header,
            "minWidth": max(width, header_px(header)),
            "flex": 3 if field in WIDE else 1,
            "tooltipField": field if field in WIDE else None,
        }
        if field in LINKS:
            column["cellRenderer"] = "markdown"
        if field in WRAPPED:  # lines at text height, not each at the row's height
            column.update(wrapText=True, autoHeight=True, flex=2, cellStyle=WRAPPED_STYLE)
        if field in HIDDEN and columns is GROUP_COLUMNS:
            column["hide"] = True
        if sort_by is not None:
            column["comparator"] = {"function": _by(sort_by)}
        if field == "severity":
            column["cellStyle"] = _coloured("severity_code", SEVERITY)
        elif field == "state" and columns is GROUP_COLUMNS:
            column["cellStyle"] = _coloured("state_code", ALERT_STATE)
        elif field == "status" and columns in (DELIVERY_COLUMNS, LOG_COLUMNS):
            column["cellStyle"] = _coloured("status_code", DELIVERY)
        if field in ("open", "attempts", "muting", "id", "group"):
            column["filter"] = "agNumberColumnFilter"
        defs.append({k: v for k, v in column.items() if v is not None})
    return defs


def header_px(header: str) -> int:
    """Wide enough for the header and its sort and filter icons: CJK characters take about
    twice the width of Latin ones."""
    text = sum(14 if ord(ch) > 0x2E80 else 7.5 for ch in header)
    return int(text) + 56


def _by(key: str) -> str:
    """An AG Grid comparator ordering rows by the row field ``key`` instead of the text."""
    a, b = f"nodeA.data.{key}", f"nodeB.data.{key}"
    return f"({a} < {b}) ? -1 : (({a} > {b}) ? 1 : 0)"


def _coloured(code_field: str, colours: dict[str, str]) -> dict[str, Any]:
    return {
        "styleConditions": [
            {
                "condition": f"params.data && params.data.{code_field} === '{code}'",
                "style": {"color": HEX[colour], "fontWeight": 600},
            }
            for code, colour in colours.items()
            if colour != "gray"
        ]
    }


def export_table(
    columns: tuple[ColumnSpec, ...], rows: list[Row], lang: str
) -> tuple[list[str], list[list[Any]]]:
    """A grid's rows (as filtered and sorted on screen) as the header and cells of a file."""
    header = [t(f"alerts.col.{field}", lang) for field, _w, _s in columns]
    return header, [[row.get(field, "") for field, _w, _s in columns] for row in rows]


# ---- receivers and routes -------------------------------------------------------------------

MASKED = "**********"
"""How ``alerts.views.receivers`` shows a secret; the grid shows that it is set, no more."""


def receiver_row(
    receiver: dict[str, Any], last: DeliveryView | None, zone: ZoneInfo, lang: str
) -> Row:
    kept = t("alerts.secret_set", lang)
    settings = [
        f"{key}={kept if value == MASKED else value}"
        for key, value in receiver["settings"].items()
        if value not in (None, "", {}, [])
    ]
    return {
        "rid": receiver["name"],
        "name": receiver["name"],
        "provider": provider_label(receiver["kind"], lang),
        "lang": "中文" if receiver["lang"] == "zh" else "English",
        "enabled": t("alerts.yes" if receiver["enabled"] else "alerts.no", lang),
        "rate": (
            t("alerts.per_minute", lang, n=receiver["rate_limit_per_min"])
            if receiver["rate_limit_per_min"]
            else NONE
        ),
        "settings": " · ".join(settings),
        "last": _last(last, zone, lang),
        "last_code": last.status if last else "",
        "last_answer": (last.provider_answer or "")[:300] if last else "",
    }


def _last(delivery: DeliveryView | None, zone: ZoneInfo, lang: str) -> str:
    if delivery is None:
        return t("alerts.never_sent", lang)
    when = moment(delivery.sent_at or delivery.created_at, zone, lang)
    return f"{t(f'alerts.delivery.{delivery.status}', lang)} · {when}"


RECEIVER_COLUMNS: tuple[ColumnSpec, ...] = (
    ("name", 130, None),
    ("provider", 150, None),
    ("lang", 80, None),
    ("enabled", 70, None),
    ("rate", 90, None),
    ("settings", 300, None),
    ("last", 140, None),
    ("last_answer", 220, None),
)

WEEKDAYS = {"zh": "一二三四五六日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


def route_row(route: dict[str, Any], position: int, lang: str) -> Row:
    levels = [" + ".join(names) for names in route["levels"]]
    return {
        "rid": route["name"],
        "position": position + 1,
        "name": route["name"],
        "match": matchers_text(route["match"], lang) or t("alerts.everything", lang),
        "group_by": ", ".join(t(f"alerts.label.{name}", lang) for name in route["group_by"]),
        "timing": t(
            "alerts.timing",
            lang,
            wait=span(route["group_wait"], lang),
            interval=span(route["group_interval"], lang),
            repeat=span(route["repeat_interval"], lang),
        ),
        "levels": " → ".join(f"{n}. {names}" for n, names in enumerate(levels, start=1)),
        "escalate": span(route["escalate_after"], lang) if route["escalate_after"] else NONE,
        "on_call": ", ".join(route["on_call"]) or NONE,
        "hours": business_hours(route["business_hours"], lang),
        "resolved": t("alerts.yes" if route["send_resolved"] else "alerts.no", lang),
    }


def business_hours(hours: dict[str, Any] | None, lang: str) -> str:
    """``周一至周五 09:00–18:00`` / ``Mon–Fri 09:00–18:00``; ``全天`` without hours."""
    if not hours:
        return t("alerts.always", lang)
    days = sorted(int(d) for d in hours["days"])
    names = WEEKDAYS["en" if lang == "en" else "zh"]

    def day(n: int) -> str:
        return str(names[n - 1]) if lang == "en" else f"周{names[n - 1]}"

    contiguous = days == list(range(days[0], days[-1] + 1)) and len(days) > 2
    shown = (
        f"{day(days[0])}{'–' if lang == 'en' else '至'}{day(days[-1])}"
        if contiguous
        else ("、" if lang != "en" else ", ").join(day(d) for d in days)
    )
    return f"{shown} {str(hours['start'])[:5]}–{str(hours['end'])[:5]}"


ROUTE_COLUMNS: tuple[ColumnSpec, ...] = (
    ("position", 60, None),
    ("name", 120, None),
    ("match", 220, None),
    ("group_by", 140, None),
    ("timing", 240, None),
    ("levels", 220, None),
    ("escalate", 90, None),
    ("on_call", 110, None),
    ("hours", 160, None),
    ("resolved", 80, None),
)

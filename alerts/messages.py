"""One message per group: the facts each alert kind's template needs, from the group's alerts
(worst first), in 简体中文 or English.

An SLA group reads "37 单在 SH-01 待拣货 超过 2 小时 / 最久 3 小时 12 分：OW…, OW…": the count,
the longest time in the stage and the worst orders. Other kinds name their worst item and how
many more there are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from alerts.labels import AlertFacts
from alerts.notifiers.base import Message
from alerts.notifiers.templates import compose
from store.stages import STAGE_LABELS

LISTED = 10
"""Items a message names; the rest are counted."""

Facts = dict[str, str]
FactsOf = Callable[[Sequence[AlertFacts], str, datetime, ZoneInfo], Facts]


def duration(span: timedelta, lang: str) -> str:
    """``3 小时 12 分`` / ``3 h 12 min``: days, hours and minutes, the two largest shown."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    units = ("天", "小时", "分") if lang == "zh" else ("d", "h", "min")
    parts = [f"{n} {u}" for n, u in zip((days, hours, mins), units, strict=True) if n]
    return " ".join(parts[:2]) or ("不到 1 分" if lang == "zh" else "under 1 min")


def stage_label(code: str | None, lang: str) -> str:
    known = {stage.value: labels for stage, labels in STAGE_LABELS.items()}
    if code not in known:
        return code or "—"
    zh, en = known[code]
    return zh if lang == "zh" else en


def listing(names: Sequence[str], total: int, lang: str) -> str:
    """``A, B, C`` and, when there are more than shown, how many in all."""
    shown = ", ".join(names[:LISTED])
    if total <= LISTED:
        return shown
    return f"{shown} 等 {total} 项" if lang == "zh" else f"{shown} and {total - LISTED} more"


def _since(alert: AlertFacts) -> datetime:
    value = alert.details.get("since")
    return datetime.fromisoformat(value) if isinstance(value, str) else alert.opened_at


def _threshold(alert: AlertFacts, lang: str) -> str:
    limit = alert.details.get("limit_s")
    if isinstance(limit, int | float):
        return duration(timedelta(seconds=limit), lang)
    return "承诺发货时间" if lang == "zh" else "the ship-by promise"


def sla_facts(alerts: Sequence[AlertFacts], lang: str, now: datetime, zone: ZoneInfo) -> Facts:
    worst = alerts[0]
    longest = max(now - _since(alert) for alert in alerts)
    return {
        "count": str(len(alerts)),
        "warehouse": worst.labels.get("warehouse") or "—",
        "stage": stage_label(worst.labels.get("stage"), lang),
        "threshold": _threshold(worst, lang),
        "longest": duration(longest, lang),
        "orders": listing([str(a.details.get("order_no", "")) for a in alerts], len(alerts), lang),
    }


def stock_facts(alerts: Sequence[AlertFacts], lang: str, now: datetime, zone: ZoneInfo) -> Facts:
    worst = alerts[0]
    everywhere = "全部仓库" if lang == "zh" else "all warehouses"
    return {
        "sku": listing([a.labels.get("sku", "") for a in alerts], len(alerts), lang),
        "warehouse": worst.labels.get("warehouse") or everywhere,
        "available": str(worst.details.get("available", "")),
        "threshold": str(worst.details.get("threshold", "")),
    }


def stale_facts(alerts: Sequence[AlertFacts], lang: str, now: datetime, zone: ZoneInfo) -> Facts:
    worst = alerts[0]
    lag = timedelta(seconds=int(worst.details.get("lag_s", 0)))
    last = worst.last_seen_at - lag
    return {
        "channel": listing([a.labels.get("channel", "") for a in alerts], len(alerts), lang),
        "since": duration(lag, lang),
        "last_sync": last.astimezone(zone).strftime("%m-%d %H:%M"),
    }


def failing_facts(alerts: Sequence[AlertFacts], lang: str, now: datetime, zone: ZoneInfo) -> Facts:
    worst = alerts[0]
    error = str(worst.details.get("last_error") or worst.title)
    failures = worst.details.get("consecutive_failures")
    if isinstance(failures, int):
        error = (
            f"连续 {failures} 次失败：{error}"
            if lang == "zh"
            else (f"{failures} failed pulls in a row: {error}")
        )
    return {"channel": worst.labels.get("channel", ""), "error": error}


def quarantine_facts(
    alerts: Sequence[AlertFacts], lang: str, now: datetime, zone: ZoneInfo
) -> Facts:
    worst = alerts[0]
    return {
        "count": str(sum(int(a.details.get("count", 1)) for a in alerts)),
        "channel": listing([a.labels.get("channel", "") for a in alerts], len(alerts), lang),
        "reason": str(worst.details.get("reason", "")),
    }


def finding_facts(alerts: Sequence[AlertFacts], lang: str, now: datetime, zone: ZoneInfo) -> Facts:
    messages = [str(a.details.get(lang) or a.title) for a in alerts]
    more = listing(messages[1:], len(messages) - 1, lang) if len(messages) > 1 else ""
    return {"finding": messages[0], "details": more or str(alerts[0].details.get("cause", ""))}


def after_sales_facts(
    alerts: Sequence[AlertFacts], lang: str, now: datetime, zone: ZoneInfo
) -> Facts:
    """``3 个售后单超过 1 天 未处理 / 最久 2 天 4 小时：TK…``."""
    tickets = [str(a.details.get("ticket_no", a.dedupe_key)) for a in alerts]
    return {
        "count": str(len(alerts)),
        "threshold": _threshold(alerts[0], lang),
        "longest": duration(max(now - _since(alert) for alert in alerts), lang),
        "tickets": listing(tickets, len(tickets), lang),
    }


def backlog_facts(alerts: Sequence[AlertFacts], lang: str, now: datetime, zone: ZoneInfo) -> Facts:
    """``SH-01 待拣货 积压 180 单，高于平常 / 这个时段通常为 60–75 单``; other stages or
    warehouses in the group are named after it."""
    worst = max(alerts, key=lambda a: int(a.details.get("count", 0)))
    low, high = worst.details.get("usual_low", ""), worst.details.get("usual_high", "")
    usual = str(low) if low == high else f"{low}–{high}"
    others = [a for a in alerts if a is not worst]
    if others:
        named = [f"{a.labels.get('warehouse', '—')} {stage_label(a.labels.get('stage'), lang)}"
                 for a in others]  # fmt: skip
        usual += ("；另有 " if lang == "zh" else "; also ") + listing(named, len(named), lang)
    return {
        "warehouse": worst.labels.get("warehouse") or "—",
        "stage": stage_label(worst.labels.get("stage"), lang),
        "count": str(worst.details.get("count", "")),
        "usual": usual,
    }


FACTS: dict[str, FactsOf] = {
    "sla_breach": sla_facts,
    "stock_low": stock_facts,
    "channel_stale": stale_facts,
    "channel_failing": failing_facts,
    "orders_quarantined": quarantine_facts,
    "writeback_failed": quarantine_facts,
    "flow_health": finding_facts,
    "after_sales_sla": after_sales_facts,
    "backlog_growth": backlog_facts,
}


def group_message(
    alerts: Sequence[AlertFacts],
    *,
    idempotency_key: str,
    lang: str,
    now: datetime,
    zone: ZoneInfo,
    url: str | None,
    resolved: bool = False,
) -> Message:
    """The message about ``alerts`` (worst first): composed for the worst alert's kind; alerts
    of other kinds in the same group are counted at the end."""
    kind = alerts[0].kind
    same = [a for a in alerts if a.kind == kind]
    facts_of = FACTS.get(kind, finding_facts)
    message = compose(
        idempotency_key=idempotency_key,
        kind=kind,
        severity=alerts[0].severity,
        lang=lang,
        facts=facts_of(same, lang, now, zone),
        url=url,
        resolved=resolved,
    )
    others = len(alerts) - len(same)
    if not others:
        return message
    note = f"另有 {others} 条其他告警" if lang == "zh" else f"and {others} other alerts"
    return replace(message, text=f"{message.text}\n{note}")

"""Message text per alert kind in 简体中文 and English, and the labels notifiers print.

``compose`` turns an alert group's facts into a ``Message``: the robots and webhooks send its
title and text; the SMS providers that only send approved templates fill their variables from
its ``params`` (the facts, plus ``title``, ``severity`` and ``kind`` labels). A fact a template
needs and the caller did not give is a ``TemplateError`` naming it, never a blank in a message.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

from alerts.notifiers.base import Message
from store.errors import InvalidInput
from store.wording import say

LANGS = ("zh", "en")


class TemplateError(InvalidInput):
    code = "template_error"


@dataclass(frozen=True)
class Template:
    title: str
    text: str


# kind -> lang -> template; placeholders are the facts the alerts engine passes.
TEMPLATES: dict[str, dict[str, Template]] = {
    "sla_breach": {
        "zh": Template(
            "{count} 单在 {warehouse} {stage} 超过 {threshold}",
            "最久 {longest}：{orders}",
        ),
        "en": Template(
            "{count:order|orders} in {stage} at {warehouse} for over {threshold}",
            "Longest {longest}: {orders}",
        ),
    },
    "after_sales_sla": {
        "zh": Template("{count} 个售后单超过 {threshold} 未处理", "最久 {longest}：{tickets}"),
        "en": Template(
            "{count:after-sales ticket|after-sales tickets} untouched for over {threshold}",
            "Longest {longest}: {tickets}",
        ),
    },
    "stock_low": {
        "zh": Template(
            "{sku} 在 {warehouse} 低于安全库存", "可用 {available}，安全库存 {threshold}"
        ),
        "en": Template(
            "{sku} below safety stock at {warehouse}",
            "Available {available}, safety stock {threshold}",
        ),
    },
    "channel_stale": {
        "zh": Template("渠道 {channel} 已 {since} 未同步", "最后一次成功同步：{last_sync}"),
        "en": Template(
            "Channel {channel} has not synced for {since}", "Last good sync: {last_sync}"
        ),
    },
    "channel_failing": {
        "zh": Template("渠道 {channel} 同步失败", "{error}"),
        "en": Template("Channel {channel} is failing to sync", "{error}"),
    },
    "orders_quarantined": {
        "zh": Template("{count} 单被隔离（{channel}）", "原因：{reason}"),
        "en": Template("{count:order|orders} quarantined ({channel})", "Reason: {reason}"),
    },
    "writeback_failed": {
        "zh": Template("{count} 单发货回传失败（{channel}）", "原因：{reason}"),
        "en": Template("{count} shipment confirmations failed ({channel})", "Reason: {reason}"),
    },
    "flow_health": {
        "zh": Template("流程健康检查：{finding}", "{details}"),
        "en": Template("Flow health: {finding}", "{details}"),
    },
    "backlog_growth": {
        "zh": Template(
            "{warehouse} {stage} 积压 {count} 单，高于平常", "这个时段通常为 {usual} 单"
        ),
        "en": Template(
            "{count:order|orders} backed up in {stage} at {warehouse}",
            "Usual for this hour of the week: {usual}",
        ),
    },
    "test": {
        "zh": Template("orderwatch 测试通知", "接收方 {receiver} 配置正确，可以收到告警。"),
        "en": Template(
            "orderwatch test notification", "Receiver {receiver} is set up and receives alerts."
        ),
    },
}

LABELS: dict[str, dict[str, str]] = {
    "critical": {"zh": "严重", "en": "Critical"},
    "warning": {"zh": "警告", "en": "Warning"},
    "info": {"zh": "提示", "en": "Info"},
    "resolved": {"zh": "已恢复", "en": "Resolved"},
    "open": {"zh": "查看", "en": "Open"},
}

BASE_PARAMS = ("title", "severity", "kind")


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


PARAMS: frozenset[str] = frozenset(BASE_PARAMS).union(
    *(fields(t.title) | fields(t.text) for langs in TEMPLATES.values() for t in langs.values())
)
"""Every name a ``Message.params`` may carry: what SMS template variables can refer to."""


def plain(message: Message) -> str:
    """Title, text and link on their own lines: the body of text-only channels."""
    return "\n".join(part for part in (message.title, message.text, message.url) if part)


def label(key: str, lang: str) -> str:
    """The word for ``key`` (a severity, "resolved", "open") in ``lang``; the key if unknown."""
    return LABELS.get(key, {}).get(lang, key)


def compose(
    *,
    idempotency_key: str,
    kind: str,
    severity: str,
    lang: str,
    facts: Mapping[str, str],
    url: str | None,
    resolved: bool = False,
) -> Message:
    """The ``Message`` for ``kind`` in ``lang`` filled with ``facts``."""
    if lang not in LANGS:
        raise TemplateError(f"unknown language {lang!r} (known: {', '.join(LANGS)})")
    template = TEMPLATES.get(kind, {}).get(lang)
    if template is None:
        raise TemplateError(f"no template for alert kind {kind!r}")
    missing = sorted((fields(template.title) | fields(template.text)) - set(facts))
    if missing:
        raise TemplateError(f"template {kind} ({lang}) needs {', '.join(missing)}")
    title = say(template.title, facts)
    if resolved:
        title = label("resolved", lang) + ("：" if lang == "zh" else ": ") + title
    params = {**facts, "title": title, "severity": label(severity, lang), "kind": kind}
    return Message(
        idempotency_key=idempotency_key,
        kind=kind,
        severity=severity,
        title=title,
        text=say(template.text, facts),
        lang=lang,
        url=url,
        params=params,
    )

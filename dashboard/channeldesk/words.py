"""A channel's health in a sentence of the chosen language ("3 分钟前同步成功" / "No good sync
for 2 h 5 min, 4 failed pulls in a row: Invalid Signature"), its state's colour, and a
quarantined order's raw payload pretty-printed with the buyer's data masked."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dashboard.channeldesk.reading import ChannelView
from dashboard.formatting import duration, moment
from dashboard.i18n import t
from dashboard.theme import BAD, GOOD, NEUTRAL, STALE
from store.privacy import mask_address, mask_name, mask_phone


def state(view: ChannelView) -> tuple[str, str]:
    """(i18n key of the state, its colour)."""
    health = view.health
    if view.paused_at is not None:
        return "channel.state.paused", NEUTRAL
    if health.stale:
        return "channels.stale", BAD
    if health.consecutive_failures:
        return "channel.state.failing", STALE
    if health.last_success_at is None:
        return "channels.never", NEUTRAL
    return "channels.ok", GOOD


def health_sentence(view: ChannelView, now: datetime, zone: ZoneInfo, lang: str) -> str:
    health = view.health
    if view.paused_at is not None:
        key = "channel.words.paused_why" if view.pause_reason else "channel.words.paused"
        return t(
            key,
            lang,
            who=view.paused_by or "—",
            when=moment(view.paused_at, zone, lang),
            why=view.pause_reason or "",
        )
    if health.last_success_at is None:
        head = t("channel.words.never", lang)
    elif now - health.last_success_at < timedelta(minutes=1):
        head = t("channel.words.just_now", lang)
    else:
        ago = duration((now - health.last_success_at).total_seconds() / 3600, lang)
        head = t("channel.words.synced", lang, ago=ago)
    if health.consecutive_failures:
        failed = t("channel.words.failures", lang, n=health.consecutive_failures)
        error = t("channel.words.error", lang, error=health.last_error or "—")
        return f"{head}{_sep(lang)}{failed}{_sep(lang)}{error}"
    if health.quarantined:
        waiting = t("channel.words.quarantined", lang, n=health.quarantined)
        return f"{head}{_sep(lang)}{waiting}"
    return head


def interval(seconds: int, lang: str) -> str:
    """A pull interval: seconds when under a minute (the demo pulls every 30 s)."""
    if seconds < 60:
        return f"{seconds} s" if lang == "en" else f"{seconds} 秒"
    return duration(seconds / 3600, lang)


def _sep(lang: str) -> str:
    return "; " if lang == "en" else "；"


PHONE_KEYS = ("mobile", "phone", "tel")
ADDRESS_KEYS = ("address", "addr")
NAME_KEYS = ("receiver", "buyer", "consignee", "contact", "customer", "nick")


def masked_payload(payload: Any) -> str:
    """The payload as indented JSON, every buyer name, phone and address masked (the raw
    order is kept as the platform sent it, buyer data included)."""
    return json.dumps(_mask(payload, ""), ensure_ascii=False, indent=2, sort_keys=True)


def _mask(value: Any, key: str) -> Any:
    if isinstance(value, dict):
        return {k: _mask(v, str(k).lower()) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(item, key) for item in value]
    if not isinstance(value, str) or not value:
        return value
    if any(part in key for part in PHONE_KEYS):
        return mask_phone(value)
    if any(part in key for part in ADDRESS_KEYS):
        return mask_address(value)
    if any(part in key for part in NAME_KEYS) and ("name" in key or "nick" in key):
        return mask_name(value)
    return value

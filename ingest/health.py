"""Channel staleness: a channel that stopped syncing raises an alert, and the alert resolves
itself when the channel syncs again. A failing channel is never switched off (the worker keeps
retrying with capped backoff); this is how a person learns that it is failing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.alerts import raise_alert, resolve_alert
from store.channels import sync_lag
from store.models import Channel

CRITICAL_AFTER = timedelta(hours=2)
"""Orders from a channel this stale are probably shipping late already."""


@dataclass
class StalenessReport:
    stale: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)


def check_channel_staleness(session: Session, *, now: datetime) -> StalenessReport:
    """Raise (or refresh) an alert per stale channel and resolve those of recovered ones."""
    report = StalenessReport()
    for channel in session.scalars(select(Channel).order_by(Channel.name)):
        key = f"channel_stale:{channel.name}"
        # A channel a person paused is not failing: its page says who paused it and why.
        lag = None if channel.paused_at is not None else sync_lag(channel, now)
        if lag is None:
            if resolve_alert(session, key, now):
                report.recovered.append(channel.name)
            continue
        report.stale.append(channel.name)
        raise_alert(
            session,
            kind="channel_stale",
            key=key,
            severity="critical" if lag >= CRITICAL_AFTER else "warning",
            title=_title_en(channel, lag),
            details={
                "zh": _title_zh(channel, lag),
                "en": _title_en(channel, lag),
                "channel": channel.name,
                "lag_s": int(lag.total_seconds()),
                "last_error": channel.last_error,
                "consecutive_failures": channel.consecutive_failures,
            },
            now=now,
        )
    return report


def _hours(lag: timedelta) -> str:
    return f"{lag.total_seconds() / 3600:.1f}"


def _title_en(channel: Channel, lag: timedelta) -> str:
    reason = f": {channel.last_error}" if channel.last_error else ""
    return (
        f"channel {channel.name} has not synced for {_hours(lag)} h "
        f"({channel.consecutive_failures} failed pulls){reason}"
    )


def _title_zh(channel: Channel, lag: timedelta) -> str:
    reason = f"：{channel.last_error}" if channel.last_error else ""
    return (
        f"渠道 {channel.name} 已 {_hours(lag)} 小时未同步成功"
        f"（连续失败 {channel.consecutive_failures} 次）{reason}"
    )

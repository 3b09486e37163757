"""Channel health alerts. A channel that stopped syncing raises ``channel_stale``; one whose
pulls keep failing raises ``channel_failing`` with the platform's last error (an expired
session or a wrong secret needs a person, and says which); each resolves itself when the
channel syncs again. A failing channel is never switched off (the worker keeps retrying with
capped backoff); this is how a person learns that it is failing.

Failing comes first: the third failed pull in a row raises it, at the worker's usual schedule
one interval before staleness does (three missed intervals), and it names the cause.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.alerts import AlertSpec, raise_alert, raise_alerts, resolve_alert, resolve_alerts
from store.channels import sync_lag
from store.models import Alert, Channel

CRITICAL_AFTER = timedelta(hours=2)
"""Orders from a channel this stale are probably shipping late already."""
FAILING_AFTER = 3
"""Failed pulls in a row before a channel counts as failing: one or two are a platform's
hiccup that the next pull usually gets past."""
FAILING_CRITICAL_AFTER = 6
"""By then the backoff has stretched the retries to hours apart."""


@dataclass
class StalenessReport:
    stale: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)


@dataclass
class FailingReport:
    failing: list[str] = field(default_factory=list)
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


def check_channel_failures(session: Session, *, now: datetime) -> FailingReport:
    """Raise (or refresh) a ``channel_failing`` alert per channel with ``FAILING_AFTER`` or
    more failed pulls in a row, and resolve those of channels that synced since."""
    specs = [
        _failing(channel)
        for channel in session.scalars(
            select(Channel)
            .where(Channel.consecutive_failures >= FAILING_AFTER)
            .order_by(Channel.name)
        )
    ]
    raise_alerts(session, specs, now)
    query = select(Alert.dedupe_key).where(
        Alert.kind == "channel_failing", Alert.status != "resolved"
    )
    gone = resolve_alerts(session, set(session.scalars(query)) - {s.key for s in specs}, now)
    return FailingReport(
        failing=[spec.details["channel"] for spec in specs],
        recovered=sorted(str(alert.details["channel"]) for alert in gone),
    )


def _failing(channel: Channel) -> AlertSpec:
    failures = channel.consecutive_failures
    error = channel.last_error or "unknown error"
    return AlertSpec(
        kind="channel_failing",
        key=f"channel_failing:{channel.name}",
        severity="critical" if failures >= FAILING_CRITICAL_AFTER else "warning",
        title=f"channel {channel.name}: {failures} failed pulls in a row: {error}",
        details={
            "zh": f"渠道 {channel.name} 连续 {failures} 次同步失败：{error}",
            "en": f"channel {channel.name}: {failures} failed pulls in a row: {error}",
            "channel": channel.name,
            "consecutive_failures": failures,
            "last_error": error,
            "last_attempt_at": _iso(channel.last_attempt_at),
            "last_success_at": _iso(channel.last_success_at),
        },
        labels={"channel": channel.name},
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None

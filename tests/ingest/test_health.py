"""A channel that stops syncing raises one alert, refreshed while it stays stale and resolved
when it syncs again."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ingest.health import check_channel_staleness
from store.channels import get_channel
from store.models import Alert
from tests.factories import T0, add_channel


def _alerts(sessions: sessionmaker[Session]) -> list[tuple[str, str, str]]:
    with sessions() as session:
        rows = session.scalars(select(Alert).order_by(Alert.id))
        return [(a.dedupe_key, a.severity, a.status) for a in rows]


def _synced(sessions: sessionmaker[Session], at: datetime, *, error: str | None = None) -> None:
    with sessions.begin() as session:
        channel = get_channel(session, "tmall-main")
        channel.last_success_at = at
        channel.last_error, channel.consecutive_failures = error, 0 if error is None else 7


def test_stale_channel_alert_folds_escalates_and_resolves(sessions: sessionmaker[Session]) -> None:
    add_channel(sessions)
    _synced(sessions, T0, error="isv.invalid-signature: wrong secret")
    with sessions.begin() as session:  # five minutes later: not stale yet
        assert check_channel_staleness(session, now=T0 + timedelta(minutes=5)).stale == []
    for minutes in (20, 40):  # stale twice: one alert, refreshed
        with sessions.begin() as session:
            report = check_channel_staleness(session, now=T0 + timedelta(minutes=minutes))
            assert report.stale == ["tmall-main"]
    assert _alerts(sessions) == [("channel_stale:tmall-main", "warning", "firing")]
    with sessions.begin() as session:
        check_channel_staleness(session, now=T0 + timedelta(hours=3))
        alert = session.scalar(select(Alert))
        assert alert is not None
        assert alert.severity == "critical"
        assert alert.details["zh"].startswith("渠道 tmall-main 已 3.0 小时未同步成功")
        assert alert.details["last_error"] == "isv.invalid-signature: wrong secret"
    _synced(sessions, T0 + timedelta(hours=3, minutes=1))
    with sessions.begin() as session:
        report = check_channel_staleness(session, now=T0 + timedelta(hours=3, minutes=2))
        assert (report.stale, report.recovered) == ([], ["tmall-main"])
    assert _alerts(sessions) == [("channel_stale:tmall-main", "critical", "resolved")]

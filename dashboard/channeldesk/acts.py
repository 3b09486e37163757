"""What a channel page's confirmed action does, as ``dashboard.confirming.as_allowed`` runs
it (``work(sessions, actor, …)`` in a thread, after the role check): the same ingest and
store functions the CLI and the worker call, each audited there. Each returns the toast's
text and whether it reports a refusal."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from dashboard.i18n import t
from ingest.jobs import sync_now
from ingest.quarantine import dismiss
from ingest.quarantine_retry import retry_quarantined
from store.channels import owning_channels, pause_channel, resume_channel
from store.errors import InvalidInput
from store.models import utcnow

Told = tuple[str, bool]
"""(message, refused)."""


def sync(sessions: sessionmaker[Session], actor: str, channel: str, lang: str) -> Told:
    report = sync_now(sessions, channel, actor=actor)
    if report is None:
        return t("channel.done.sync_busy", lang, name=channel), True
    if not report.ok:
        return t("channel.done.sync_failed", lang, name=channel, error=report.error), True
    return t("channel.done.sync", lang,
        name=channel, read=report.received, new=report.inserted, updated=report.updated,
        quarantined=report.quarantined, recovered=report.recovered,
    ), False  # fmt: skip


def pause(sessions: sessionmaker[Session], actor: str, channel: str, note: str, lang: str) -> Told:
    with sessions.begin() as session:
        pause_channel(session, channel, actor=actor, reason=note, at=utcnow())
    return t("channel.done.pause", lang, name=channel), False


def resume(sessions: sessionmaker[Session], actor: str, channel: str, note: str, lang: str) -> Told:
    with sessions.begin() as session:
        resume_channel(session, channel, actor=actor, note=note, at=utcnow())
    return t("channel.done.resume", lang, name=channel), False


def retry(sessions: sessionmaker[Session], actor: str, channel: str, entry: int, lang: str) -> Told:
    _check_entry(sessions, channel, entry)
    outcome = retry_quarantined(sessions, entry, actor=actor)
    if outcome.busy:
        return t("channel.done.retry_busy", lang, entry=entry), True
    if outcome.resolved:
        return t("channel.done.retry", lang, entry=entry), False
    return t("channel.done.retry_kept", lang, entry=entry, reason=outcome.reason), True


def dismiss_entry(
    sessions: sessionmaker[Session], actor: str, channel: str, entry: int, reason: str, lang: str
) -> Told:
    if not reason.strip():
        raise InvalidInput(t("channel.dismiss.reason_needed", lang))
    _check_entry(sessions, channel, entry)
    with sessions.begin() as session:
        dismiss(session, entry, actor=actor, at=utcnow(), reason=reason)
    return t("channel.done.dismiss", lang, entry=entry), False


def _check_entry(sessions: sessionmaker[Session], channel: str, entry: int) -> None:
    """The entry belongs to the page's channel: a forged call cannot reach another's."""
    with sessions() as session:
        owner = owning_channels(session, "quarantined_order", [entry]).get(entry)
    if owner != channel:
        raise InvalidInput(f"no quarantined order #{entry} on channel {channel!r}")

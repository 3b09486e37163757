"""Scheduled ingest work: the per-channel sync as the worker runs it.

A channel is synced by one process at a time (``ingest.locks``). A failing channel is never
switched off: it is tried again on its schedule with a capped backoff, and its health columns
(``last_success_at``, ``last_error``, ``consecutive_failures``) tell the board and the alerts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from ingest.channels import CONNECTORS
from ingest.channels.base import Clock, utcnow
from ingest.locks import try_lock
from ingest.sync import SyncOptions, SyncReport, sync_channel
from store.audit import write_audit
from store.channels import get_channel
from store.errors import Conflict, InvalidInput
from store.models import Channel

MAX_BACKOFF = timedelta(minutes=30)
NOT_SYNCED = frozenset({"import"})
"""Platforms whose channels have no open API to pull (history imports)."""


def backoff(interval_s: int, failures: int) -> timedelta:
    """How long after a failed attempt the next one waits: the next tick after one failure,
    then doubling, never more than ``MAX_BACKOFF``."""
    if failures <= 0:
        return timedelta(0)
    return min(timedelta(seconds=interval_s * (2 ** (failures - 1) - 1)), MAX_BACKOFF)


def syncable_channels(sessions: sessionmaker[Session]) -> list[tuple[int, str, int]]:
    """``(id, name, sync_interval_s)`` of every channel the worker pulls (not the paused)."""
    with sessions.begin() as session:
        rows = session.execute(
            select(Channel.id, Channel.name, Channel.sync_interval_s, Channel.platform)
            .where(Channel.paused_at.is_(None))  # a person paused its pulls
            .order_by(Channel.name)
        ).all()
    return [(r.id, r.name, r.sync_interval_s) for r in rows if r.platform not in NOT_SYNCED]


def run_channel_sync(
    sessions: sessionmaker[Session],
    channel_id: int,
    channel: str,
    *,
    clock: Clock = utcnow,
    client: httpx.Client | None = None,
    options: SyncOptions | None = None,
    now: bool = False,
) -> SyncReport | None:
    """Sync ``channel`` unless another process is syncing it, a person paused it or its
    backoff is not over (``now``: a person asked, the backoff does not apply); ``None`` when
    skipped."""
    engine = sessions.kw["bind"]
    assert isinstance(engine, Engine)
    with try_lock(engine, channel_id) as taken:
        if not taken or _skipped(sessions, channel_id, clock(), backoff_applies=not now):
            return None
        return sync_channel(sessions, channel, clock=clock, client=client, options=options)


def _skipped(
    sessions: sessionmaker[Session], channel_id: int, now: datetime, *, backoff_applies: bool
) -> bool:
    with sessions.begin() as session:
        row = session.get(Channel, channel_id)
        if row is not None and row.paused_at is not None:
            return True
        if row is None or row.platform not in CONNECTORS or row.last_attempt_at is None:
            return False
        wait = backoff(row.sync_interval_s, row.consecutive_failures)
        return backoff_applies and now - row.last_attempt_at < wait


def sync_now(
    sessions: sessionmaker[Session],
    channel: str,
    *,
    actor: str,
    client: httpx.Client | None = None,
    clock: Clock = utcnow,
) -> SyncReport | None:
    """A person's "sync now" (audited): the sync runs at once, past the backoff; ``None`` when
    another process is syncing the channel at this moment. A paused or unpullable channel is
    refused with the reason."""
    with sessions.begin() as session:
        row = get_channel(session, channel)
        if row.platform in NOT_SYNCED or row.platform not in CONNECTORS:
            raise InvalidInput(f"channel {channel!r} on {row.platform!r} has no pull to run")
        if row.paused_at is not None:
            raise Conflict(f"channel {channel!r} is paused (by {row.paused_by}); resume it first")
        channel_id = row.id
        write_audit(
            session, actor=actor, action="channel.sync_requested", entity_type="channel",
            entity_id=channel,
        )  # fmt: skip
    return run_channel_sync(sessions, channel_id, channel, clock=clock, client=client, now=True)

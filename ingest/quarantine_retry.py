"""A person's "retry now" on one quarantined order: fetch it from the platform again (or read
its kept payload again when the platform's id could not be read) and store it if it parses
now; otherwise it stays in quarantine with the newer reason. Every sync does the same for the
whole quarantine; this is one entry, at once, audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ingest.channels import config_of
from ingest.channels.base import ChannelError, Clock, utcnow
from ingest.locks import try_lock
from ingest.quarantine import quarantine, resolve
from ingest.retry import RetryPolicy
from ingest.sync import guarded_connector, map_orders
from store.audit import write_audit
from store.errors import Conflict, InvalidInput
from store.models import Channel, QuarantinedOrder
from store.upsert import upsert_orders


@dataclass(frozen=True, slots=True)
class RetryOutcome:
    resolved: bool
    """The order parsed and is in the store now."""
    reason: str | None
    """Why it is still in quarantine."""
    busy: bool = False
    """A sync of the channel was running: it retries the quarantine itself, nothing was done."""


def retry_quarantined(
    sessions: sessionmaker[Session],
    entry_id: int,
    *,
    actor: str,
    client: httpx.Client | None = None,
    clock: Clock = utcnow,
    policy: RetryPolicy | None = None,
) -> RetryOutcome:
    """Try quarantined order ``entry_id`` again now, under its channel's sync lock."""
    with sessions.begin() as session:
        entry = _open_entry(session, entry_id)
        channel = session.get(Channel, entry.channel_id)
        assert channel is not None  # the entry's foreign key
        name, channel_id, config = channel.name, channel.id, config_of(channel)
        order_id, payload = entry.channel_order_id, dict(entry.payload)
    engine = sessions.kw["bind"]
    assert isinstance(engine, Engine)
    http = client or httpx.Client(timeout=15.0)
    try:
        with try_lock(engine, channel_id) as taken:
            if not taken:
                return RetryOutcome(resolved=False, reason=None, busy=True)
            connector = guarded_connector(
                config, http, clock=clock, policy=policy or RetryPolicy(attempts=2)
            )
            try:
                raw = connector.fetch_order(order_id) if order_id else payload
            except ChannelError as exc:
                outcome = RetryOutcome(False, f"fetching it again failed: {exc.message}")
                _record(sessions, entry_id, actor, outcome)
                return outcome
            mapped = map_orders(connector, [raw])
            now = clock()
            with sessions.begin() as session:
                if mapped.orders:
                    upsert_orders(session, name, mapped.orders)
                if mapped.bad:
                    _raw, bad_id, reason = mapped.bad[0]
                    quarantine(session, channel_id=channel_id, channel_order_id=bad_id or order_id,
                               payload=raw, reason=reason, at=now)  # fmt: skip
                    outcome = RetryOutcome(False, reason)
                else:
                    resolve(session, channel_id, mapped.readable or [order_id or ""], now)
                    _close(session, entry_id, now)
                    outcome = RetryOutcome(True, None)
                _audit(session, entry_id, actor, outcome)
            return outcome
    finally:
        if client is None:
            http.close()


def _open_entry(session: Session, entry_id: int) -> QuarantinedOrder:
    entry = session.get(QuarantinedOrder, entry_id)
    if entry is None:
        raise InvalidInput(f"no quarantined order #{entry_id}")
    if entry.resolved_at is not None or entry.dismissed_at is not None:
        raise Conflict(f"quarantined order #{entry_id} is closed already")
    return entry


def _close(session: Session, entry_id: int, now: datetime) -> None:
    """An entry without a platform id is closed here: ``resolve`` finds entries by that id."""
    entry = session.get(QuarantinedOrder, entry_id)
    if entry is not None and entry.resolved_at is None:
        entry.resolved_at = now


def _record(
    sessions: sessionmaker[Session], entry_id: int, actor: str, outcome: RetryOutcome
) -> None:
    with sessions.begin() as session:
        _audit(session, entry_id, actor, outcome)


def _audit(session: Session, entry_id: int, actor: str, outcome: RetryOutcome) -> None:
    write_audit(
        session, actor=actor, action="quarantine.retried", entity_type="quarantined_order",
        entity_id=str(entry_id), after={"resolved": outcome.resolved, "reason": outcome.reason},
    )  # fmt: skip

"""Quarantine: platform orders that could not be read, kept with the raw payload and the reason
until a later sync reads them or a person dismisses them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ingest.channels.base import RawOrder
from store.audit import write_audit
from store.errors import Conflict, NotFound
from store.models import QuarantinedOrder

OPEN = (QuarantinedOrder.resolved_at.is_(None), QuarantinedOrder.dismissed_at.is_(None))


def quarantine(
    session: Session,
    *,
    channel_id: int,
    channel_order_id: str | None,
    payload: RawOrder,
    reason: str,
    at: datetime,
) -> None:
    """Keep ``payload``; an order already in quarantine gets the newer payload and reason."""
    held = None
    if channel_order_id is not None:
        held = session.scalar(
            select(QuarantinedOrder).where(
                QuarantinedOrder.channel_id == channel_id,
                QuarantinedOrder.channel_order_id == channel_order_id,
                *OPEN,
            )
        )
    if held is None:
        session.add(
            QuarantinedOrder(
                channel_id=channel_id,
                channel_order_id=channel_order_id,
                payload=_storable(payload),
                reason=reason,
                first_seen_at=at,
                last_tried_at=at,
            )
        )
        return
    held.payload, held.reason = _storable(payload), reason
    held.attempts += 1
    held.last_tried_at = at


def open_quarantine(session: Session, channel_id: int, *, limit: int) -> list[QuarantinedOrder]:
    return list(
        session.scalars(
            select(QuarantinedOrder)
            .where(QuarantinedOrder.channel_id == channel_id, *OPEN)
            .order_by(QuarantinedOrder.id)
            .limit(limit)
        )
    )


def count_open(session: Session, channel_id: int) -> int:
    query = select(func.count()).where(QuarantinedOrder.channel_id == channel_id, *OPEN)
    return session.scalar(query) or 0


def resolve(session: Session, channel_id: int, order_ids: Iterable[str], at: datetime) -> int:
    """Close the open entries of orders that have now been read; returns how many."""
    ids = list(order_ids)
    if not ids:
        return 0
    result = session.execute(
        update(QuarantinedOrder)
        .where(
            QuarantinedOrder.channel_id == channel_id,
            QuarantinedOrder.channel_order_id.in_(ids),
            *OPEN,
        )
        .values(resolved_at=at)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def dismiss(
    session: Session, entry_id: int, *, actor: str, at: datetime, reason: str | None = None
) -> QuarantinedOrder:
    """A person decides the order will never be read, saying why; audited."""
    entry = session.get(QuarantinedOrder, entry_id)
    if entry is None:
        raise NotFound("quarantine_entry", f"no quarantined order #{entry_id}")
    if entry.resolved_at is not None or entry.dismissed_at is not None:
        raise Conflict(f"quarantined order #{entry_id} is closed already")
    entry.dismissed_at, entry.dismissed_by = at, actor
    write_audit(
        session,
        actor=actor,
        action="quarantine.dismissed",
        entity_type="quarantined_order",
        entity_id=str(entry_id),
        before={"reason": entry.reason, "channel_order_id": entry.channel_order_id},
        after={"dismissed_because": (reason or "").strip() or None},
    )
    return entry


def _storable(payload: RawOrder) -> dict[str, Any]:
    """JSON-safe copy (platform payloads are JSON already; anything else becomes text)."""
    return {str(key): value for key, value in payload.items()}

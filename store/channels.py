"""Channel records: create, look up, list, and when a channel counts as stale."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.audit import write_audit
from store.errors import Conflict, InvalidInput, NotFound
from store.models import PLATFORMS, Channel, ChannelListing, MissedOrder, QuarantinedOrder

STALE_AFTER_INTERVALS = 3
"""Missed pulls before a channel counts as stale (three: one slow pull is not an incident)."""
MIN_STALE = timedelta(minutes=15)


def sync_lag(channel: Channel, now: datetime) -> timedelta | None:
    """How long the channel has gone without a successful pull, if that counts as stale."""
    since = channel.last_success_at or channel.created_at
    allowed = max(MIN_STALE, timedelta(seconds=channel.sync_interval_s * STALE_AFTER_INTERVALS))
    lag = now - since
    return lag if lag > allowed else None


def get_channel(session: Session, name: str) -> Channel:
    channel = session.scalar(select(Channel).where(Channel.name == name))
    if channel is None:
        known = ", ".join(channel_names(session)) or "none"
        raise NotFound("channel", f"unknown channel {name!r}; known channels: {known}")
    return channel


def create_channel(
    session: Session,
    *,
    name: str,
    platform: str,
    shop_id: str | None = None,
    base_url: str | None = None,
    credentials: dict[str, Any] | None = None,
    sync_interval_s: int = 300,
    default_warehouse: str | None = None,
    settings: dict[str, Any] | None = None,
) -> Channel:
    """Add a channel; the name must be new and the platform one orderwatch speaks."""
    if not name or len(name) > 64 or not name.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput(f"channel name {name!r} must be 1–64 letters, digits, '-' or '_'")
    if platform not in PLATFORMS:
        raise InvalidInput(f"unknown platform {platform!r}; known: {', '.join(PLATFORMS)}")
    if sync_interval_s <= 0:
        raise InvalidInput(f"sync interval must be positive, got {sync_interval_s} s")
    if session.scalar(select(Channel.id).where(Channel.name == name)) is not None:
        raise Conflict(f"channel {name!r} exists already")
    channel = Channel(
        name=name,
        platform=platform,
        shop_id=shop_id,
        base_url=base_url,
        credentials=credentials or {},
        sync_interval_s=sync_interval_s,
        default_warehouse=default_warehouse,
        settings=settings or {},
    )
    session.add(channel)
    session.flush()
    return channel


def list_channels(session: Session) -> list[Channel]:
    return list(session.scalars(select(Channel).order_by(Channel.name)))


def channel_names(session: Session) -> list[str]:
    return list(session.scalars(select(Channel.name).order_by(Channel.name)))


def missed_found_since(session: Session, channel_id: int, since: datetime) -> list[datetime]:
    """When reconciliation found each order the channel's sync had missed, since ``since``."""
    query = select(MissedOrder.found_at).where(
        MissedOrder.channel_id == channel_id, MissedOrder.found_at >= since
    )
    return list(session.scalars(query))


def paused_listings(session: Session, channel_id: int) -> list[ChannelListing]:
    """The channel's listings paused now, the oldest pause first."""
    query = (
        select(ChannelListing)
        .where(ChannelListing.channel_id == channel_id, ChannelListing.status == "paused")
        .order_by(ChannelListing.paused_at, ChannelListing.sku)
    )
    return list(session.scalars(query))


def owning_channels(session: Session, kind: str, ids: Collection[int]) -> dict[int, str]:
    """The channel name of each quarantined order (``kind`` ``quarantined_order``) or listing
    (``channel_listing``) among ``ids``; unknown ids are left out."""
    model: type[QuarantinedOrder] | type[ChannelListing] = (
        QuarantinedOrder if kind == "quarantined_order" else ChannelListing
    )
    if not ids:
        return {}
    query = (
        select(model.id, Channel.name)
        .join(Channel, Channel.id == model.channel_id)
        .where(model.id.in_(list(ids)))
    )
    return {int(row_id): str(name) for row_id, name in session.execute(query)}


def register_channel(
    session: Session,
    *,
    actor: str,
    name: str,
    platform: str,
    shop_id: str | None = None,
    base_url: str | None = None,
    credentials: dict[str, Any] | None = None,
    sync_interval_s: int = 300,
    default_warehouse: str | None = None,
) -> Channel:
    """``create_channel`` by a person, audited. The audit entry names which credentials were
    given, never their values: secrets are written once and never shown again."""
    given = {key: value for key, value in (credentials or {}).items() if value}
    channel = create_channel(
        session,
        name=name,
        platform=platform,
        shop_id=shop_id,
        base_url=base_url,
        credentials=given,
        sync_interval_s=sync_interval_s,
        default_warehouse=default_warehouse,
    )
    write_audit(
        session,
        actor=actor,
        action="channel.created",
        entity_type="channel",
        entity_id=name,
        after={
            "platform": platform,
            "shop_id": shop_id,
            "base_url": base_url,
            "sync_interval_s": sync_interval_s,
            "default_warehouse": default_warehouse,
            "credentials_set": sorted(given),
        },
    )
    return channel


def pause_channel(
    session: Session, name: str, *, actor: str, reason: str | None, at: datetime
) -> Channel:
    """Stop the channel's scheduled pulls and reconciliation until it is resumed; audited."""
    channel = get_channel(session, name)
    if channel.paused_at is not None:
        raise Conflict(f"channel {name!r} is paused already (by {channel.paused_by})")
    channel.paused_at, channel.paused_by = at, actor
    channel.pause_reason = (reason or "").strip() or None
    write_audit(
        session, actor=actor, action="channel.paused", entity_type="channel", entity_id=name,
        before={"paused": False}, after={"paused": True, "reason": channel.pause_reason},
    )  # fmt: skip
    return channel


def resume_channel(
    session: Session, name: str, *, actor: str, note: str | None, at: datetime
) -> Channel:
    """Pull the channel on its schedule again (from its watermark: nothing is lost); audited."""
    channel = get_channel(session, name)
    if channel.paused_at is None:
        raise Conflict(f"channel {name!r} is not paused")
    before = {"paused": True, "reason": channel.pause_reason, "paused_by": channel.paused_by}
    channel.paused_at = channel.paused_by = channel.pause_reason = None
    write_audit(
        session, actor=actor, action="channel.resumed", entity_type="channel", entity_id=name,
        before=before, after={"paused": False, "note": (note or "").strip() or None},
    )  # fmt: skip
    return channel

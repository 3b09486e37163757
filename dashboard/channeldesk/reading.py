"""What the channels pages show, read in one session each: every channel's health (the
board's ``channel_health``) with its pause, and for one channel its credentials (which are
set, never the secrets), reconciliation's missed orders per day, the listings paused in force
and the open quarantine."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from ingest.channels import config_of
from ingest.channels.credentials import CREDENTIAL_FIELDS
from ingest.quarantine import open_quarantine
from metrics.board import channel_health
from metrics.board_document import ChannelHealth
from metrics.window import Scope
from store.channels import get_channel, list_channels, missed_found_since, paused_listings
from store.errors import DomainError, NotFound
from store.models import Channel

RECONCILED_DAYS = 14
"""Days of reconciliation results a channel's page shows."""
QUARANTINE_SHOWN = 200
"""Open quarantine entries a channel's page lists (oldest first); the count says if more."""


@dataclass(frozen=True, slots=True)
class ChannelView:
    health: ChannelHealth
    shop_id: str | None
    paused_at: datetime | None
    paused_by: str | None
    pause_reason: str | None
    sync_interval_s: int


@dataclass(frozen=True, slots=True)
class Credential:
    label: str
    """The platform's name for it."""
    shown: str | None
    """The value for a field that is not secret; ``None`` for a secret (never shown)."""
    is_set: bool


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    id: int
    channel_order_id: str | None
    reason: str
    payload: dict[str, Any]
    first_seen_at: datetime
    last_tried_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class PausedListing:
    sku: str
    listing_id: str
    reason: str | None
    since: datetime | None


@dataclass(frozen=True, slots=True)
class ChannelDetail:
    view: ChannelView
    base_url: str | None
    default_warehouse: str | None
    credentials: list[Credential]
    missed_per_day: list[tuple[date, int]]
    """The last ``RECONCILED_DAYS`` business days, oldest first, empty days included."""
    listings_paused: list[PausedListing]
    quarantine: list[QuarantineEntry]


def channel_views(sessions: sessionmaker[Session], now: datetime) -> list[ChannelView]:
    with sessions() as session:
        rows = {channel.name: channel for channel in list_channels(session)}
        return [_view(rows[h.name], h) for h in channel_health(session, now, Scope())]


def channel_detail(
    sessions: sessionmaker[Session], name: str, now: datetime, zone: ZoneInfo
) -> ChannelDetail | None:
    with sessions() as session:
        try:
            channel = get_channel(session, name)
        except NotFound:
            return None
        (health,) = [h for h in channel_health(session, now, Scope((channel.id,)))]
        return ChannelDetail(
            view=_view(channel, health),
            base_url=channel.base_url,
            default_warehouse=channel.default_warehouse,
            credentials=_credentials(channel),
            missed_per_day=_missed(session, channel.id, now, zone),
            listings_paused=_paused(session, channel.id),
            quarantine=[
                QuarantineEntry(e.id, e.channel_order_id, e.reason, dict(e.payload),
                                e.first_seen_at, e.last_tried_at, e.attempts)
                for e in open_quarantine(session, channel.id, limit=QUARANTINE_SHOWN)
            ],
        )  # fmt: skip


def _view(channel: Channel, health: ChannelHealth) -> ChannelView:
    return ChannelView(
        health=health,
        shop_id=channel.shop_id,
        paused_at=channel.paused_at,
        paused_by=channel.paused_by,
        pause_reason=channel.pause_reason,
        sync_interval_s=channel.sync_interval_s,
    )


def _credentials(channel: Channel) -> list[Credential]:
    """Each of the platform's fields: set or not, and the value only of one that is not a
    secret (the app key names the app; the secret and the seller's token are never shown)."""
    stored = _slots(channel)
    return [
        Credential(
            label=field.label,
            shown=None if field.secret else str(stored.get(field.slot) or "") or None,
            is_set=bool(stored.get(field.slot)),
        )
        for field in CREDENTIAL_FIELDS.get(channel.platform, ())
    ]


def _slots(channel: Channel) -> dict[str, str]:
    """The credentials as the sync reads them (``config_of``); as stored when they are
    incomplete, so the page can say which one is missing."""
    try:
        config = config_of(channel)
    except DomainError:
        stored = channel.credentials
        return {str(k): str(v) for k, v in stored.items() if v} if isinstance(stored, dict) else {}
    return {"app_key": config.app_key, "app_secret": config.app_secret,
            "access_token": config.access_token or ""}  # fmt: skip


def _missed(
    session: Session, channel_id: int, now: datetime, zone: ZoneInfo
) -> list[tuple[date, int]]:
    today = now.astimezone(zone).date()
    first = today - timedelta(days=RECONCILED_DAYS - 1)
    since = datetime.combine(first, datetime.min.time(), zone)
    found = missed_found_since(session, channel_id, since)
    per_day = Counter(moment.astimezone(zone).date() for moment in found)
    return [(first + timedelta(days=n), per_day[first + timedelta(days=n)])
            for n in range(RECONCILED_DAYS)]  # fmt: skip


def _paused(session: Session, channel_id: int) -> list[PausedListing]:
    rows = paused_listings(session, channel_id)
    return [PausedListing(r.sku, r.listing_id, r.pause_reason, r.paused_at) for r in rows]

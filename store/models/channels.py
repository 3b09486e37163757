"""Sales channels (one shop on one platform) and their listings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, utcnow
from store.sealing import SealedJSON

PLATFORMS = ("taobao", "tmall", "jd", "pdd", "douyin", "xiaohongshu", "import")


class Channel(Base):
    """One shop on one platform, with its credentials and sync health."""

    __tablename__ = "channels"
    __table_args__ = (
        CheckConstraint("platform IN ('" + "', '".join(PLATFORMS) + "')", name="platform_known"),
        CheckConstraint("sync_interval_s > 0", name="sync_interval_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    """Short name used everywhere (CLI, URLs, board), e.g. ``xhs-main``."""
    platform: Mapped[str] = mapped_column(String(16))
    shop_id: Mapped[str | None] = mapped_column(String(64))
    base_url: Mapped[str | None] = mapped_column(String(255))
    credentials: Mapped[dict[str, Any]] = mapped_column(SealedJSON, default=dict, deferred=True)
    """App key, secret and session token as the platform names them; sealed at rest
    (``store.sealing``), read and written as a plain dict. Loaded only when read: a query
    for channels (the board's, a sync's health) never opens their secrets."""
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """How orderwatch talks to this shop beyond the defaults of its platform (read by
    ``ingest.channels.base.ChannelSettings``): the rate limit, extra rate-limit codes, the
    payment signal of 先用后付 where the platform documents none."""
    default_warehouse: Mapped[str | None] = mapped_column(String(32))
    """Where this channel's orders ship from when the order names no warehouse."""
    sync_interval_s: Mapped[int] = mapped_column(default=300)
    """Pull schedule; the article's default is every five minutes."""
    sync_watermark: Mapped[datetime | None]
    """Channel-modified time up to which every order has been read."""
    last_success_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    paused_at: Mapped[datetime | None]
    """Set while a person has paused the channel's pulls (the worker skips it meanwhile)."""
    paused_by: Mapped[str | None] = mapped_column(String(64))
    pause_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChannelListing(Base):
    """A SKU's sales link on one channel; paused when stock runs below its safety line."""

    __tablename__ = "channel_listings"
    __table_args__ = (
        UniqueConstraint("channel_id", "listing_id"),
        CheckConstraint("status IN ('active', 'paused')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(ForeignKey("skus.code"), index=True)
    listing_id: Mapped[str] = mapped_column(String(64))
    """The platform's item/SKU id of the listing."""
    status: Mapped[str] = mapped_column(String(8), default="active")
    pause_reason: Mapped[str | None] = mapped_column(Text)
    paused_at: Mapped[datetime | None]
    pushed_stock: Mapped[int | None]
    """Last available quantity the channel accepted."""
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChannelCarrier(Base):
    """A carrier's code on one channel's platform, as the platform's carrier-list call last
    named it (JD and Pinduoduo want their own numeric ids, Douyin and Xiaohongshu their own
    codes); ``ingest.carriers`` falls back to its table when a platform has no list."""

    __tablename__ = "channel_carriers"
    __table_args__ = (UniqueConstraint("channel_id", "carrier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    carrier: Mapped[str] = mapped_column(String(16))
    """orderwatch's carrier code (``SF``, ``ZTO``…), what the pickup scan names."""
    platform_code: Mapped[str] = mapped_column(String(64))
    """What the platform wants in its shipment call for this carrier."""
    platform_name: Mapped[str | None] = mapped_column(String(64))
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow)

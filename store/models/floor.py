"""Facts recorded on the warehouse floor and by reconciliation, which the KPIs count."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, BigId, utcnow


class InventoryCount(Base):
    """A physical cycle count of one SKU at one location, beside what the system believed."""

    __tablename__ = "inventory_counts"
    __table_args__ = (Index("ix_inventory_counts_counted_at", "counted_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("skus.code"))
    warehouse: Mapped[str] = mapped_column(String(32))
    location: Mapped[str | None] = mapped_column(String(32))
    counted: Mapped[int]
    """Units found on the shelf."""
    expected: Mapped[int]
    """Units the system held (on hand) when the count was recorded."""
    counted_at: Mapped[datetime]
    counted_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class WarehouseException(Base):
    """A refused scan or a problem reported from the floor, kept so the board can count them."""

    __tablename__ = "warehouse_exceptions"
    __table_args__ = (Index("ix_warehouse_exceptions_at", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int | None] = mapped_column(BigId)
    order_no: Mapped[str | None] = mapped_column(String(16))
    """As the device sent it, even when no such order exists."""
    code: Mapped[str] = mapped_column(String(32))
    """Stable reason, e.g. ``sku_not_on_order``, ``pack_before_pick``, ``order_on_hold``."""
    message: Mapped[str] = mapped_column(Text)
    scan_id: Mapped[str | None] = mapped_column(String(64))
    device: Mapped[str | None] = mapped_column(String(64))
    """The API token (handheld) that sent it."""
    warehouse: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime]


class MissedOrder(Base):
    """An order that reconciliation found on a channel but the incremental sync had missed
    (the article's 漏单): one row per order found, the KPI "missed orders per day"."""

    __tablename__ = "missed_orders"
    __table_args__ = (Index("ix_missed_orders_found_at", "found_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    channel_order_id: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[int | None] = mapped_column(BigId)
    found_at: Mapped[datetime]

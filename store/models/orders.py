"""The unified order store: orders, their lines and every stage event."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base, BigId, utcnow
from store.stages import Stage

_STAGES = "', '".join(s.value for s in Stage)


class HoldCategory(Base):
    """Exception interception causes (异常拦截原因); rows can be added, codes are stable."""

    __tablename__ = "hold_categories"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    label_zh: Mapped[str] = mapped_column(String(32))
    label_en: Mapped[str] = mapped_column(String(64))


class Order(Base):
    """One order from one channel, under one internal ``order_no`` for its whole life."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("channel_id", "channel_order_id"),
        CheckConstraint(f"stage IN ('{_STAGES}')", name="stage_known"),
        CheckConstraint(
            f"held_from_stage IS NULL OR held_from_stage IN ('{_STAGES}')",
            name="held_from_stage_known",
        ),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        Index("ix_orders_stage_entered", "stage", "stage_entered_at"),
        Index(
            "ix_orders_next_deadline_at",
            "next_deadline_at",
            postgresql_where=text("next_deadline_at IS NOT NULL"),
            sqlite_where=text("next_deadline_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_no: Mapped[str] = mapped_column(String(16), unique=True)
    """Internal unique order number (``OW`` + ten digits), whatever the platform's id."""
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    channel_order_id: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(16))
    stage_entered_at: Mapped[datetime]
    hold_category: Mapped[str | None] = mapped_column(ForeignKey("hold_categories.code"))
    hold_note: Mapped[str | None] = mapped_column(Text)
    held_from_stage: Mapped[str | None] = mapped_column(String(16))
    """The stage a held order left; a release returns it there."""
    payment_method: Mapped[str | None] = mapped_column(String(32))
    amount: Mapped[Decimal]
    warehouse: Mapped[str | None] = mapped_column(String(32), index=True)
    assignee: Mapped[str | None] = mapped_column(String(64))
    """The picker the order is assigned to."""
    buyer_name: Mapped[str | None] = mapped_column(String(128))
    buyer_phone: Mapped[str | None] = mapped_column(String(32))
    buyer_address: Mapped[str | None] = mapped_column(Text)
    ship_by: Mapped[datetime | None]
    """The promise to the buyer: latest time the order may leave the warehouse."""
    next_deadline_at: Mapped[datetime | None]
    """Earliest SLA deadline of an open order, so due orders are found by index."""
    created_at: Mapped[datetime]
    """When the buyer placed the order on the channel."""
    channel_modified_at: Mapped[datetime]
    """The channel's own modified time; an update older than this is ignored."""
    pending_review_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    awaiting_pick_at: Mapped[datetime | None]
    first_picked_at: Mapped[datetime | None]
    picked_at: Mapped[datetime | None]
    packed_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    on_hold_at: Mapped[datetime | None]
    """Start of the current or latest hold; the other stage times keep their first entry."""
    version: Mapped[int] = mapped_column(default=1)
    """Bumped on every change, for optimistic checks by clients."""
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", order_by="OrderItem.line_no", cascade="all, delete-orphan"
    )


class OrderItem(Base):
    """One line of an order."""

    __tablename__ = "order_items"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("picked_quantity >= 0 AND picked_quantity <= quantity", name="picked_range"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="CASCADE"))
    line_no: Mapped[int]
    sku: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str | None] = mapped_column(String(255))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal]
    picked_quantity: Mapped[int] = mapped_column(default=0)

    order: Mapped[Order] = relationship(back_populates="items")


class StageEvent(Base):
    """Every stage change with its time, source and actor: the order's timeline."""

    __tablename__ = "stage_events"
    __table_args__ = (
        Index("ix_stage_events_order_at", "order_id", "at"),
        Index("ix_stage_events_to_at", "to_stage", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="CASCADE"))
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    """Client-chosen key (a scan id, a push message id): a replay finds it and does nothing."""
    hold_category: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

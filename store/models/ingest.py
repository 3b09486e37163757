"""What channel ingest keeps beside the orders: quarantined platform orders and the outbox of
calls back to the platforms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, BigId, utcnow

_OPEN = "resolved_at IS NULL AND dismissed_at IS NULL"


class QuarantinedOrder(Base):
    """A platform order that could not be read, kept with its raw payload and the reason.
    Every sync tries it again until it parses (``resolved_at``) or a person dismisses it."""

    __tablename__ = "quarantined_orders"
    __table_args__ = (
        Index(
            "ix_quarantined_orders_open",
            "channel_id",
            "channel_order_id",
            unique=True,
            postgresql_where=text(_OPEN),
            sqlite_where=text(_OPEN),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    channel_order_id: Mapped[str | None] = mapped_column(String(64))
    """The platform's id when it could be read; without one the payload is re-parsed."""
    reason: Mapped[str] = mapped_column(Text)
    """What was wrong, naming the field (``payment: '1O0.00' is not an amount``)."""
    payload: Mapped[dict[str, Any]]
    """The order exactly as the platform sent it (buyer data included: show it masked)."""
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_tried_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=1)
    resolved_at: Mapped[datetime | None]
    """When a later attempt parsed it and the order was stored."""
    dismissed_at: Mapped[datetime | None]
    dismissed_by: Mapped[str | None] = mapped_column(String(64))


class ChannelWriteback(Base):
    """A call orderwatch owes a platform (today: a shipment confirmation), retried until the
    platform accepts it; a failure stays visible on the order."""

    __tablename__ = "channel_writebacks"
    __table_args__ = (
        CheckConstraint("kind IN ('shipment')", name="kind_known"),
        CheckConstraint("status IN ('pending', 'done', 'failed')", name="status_known"),
        Index("ix_channel_writebacks_due", "status", "next_attempt_at"),
        Index("ix_channel_writebacks_order_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(BigId)
    channel_order_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="shipment")
    waybill: Mapped[str] = mapped_column(String(64))
    carrier: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(8), default="pending")
    """``pending`` (to try at ``next_attempt_at``), ``done``, or ``failed`` (gave up; a
    person must look)."""
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(32))
    """Our code of the last failure (``unknown_carrier``, ``channel_refused``, …)."""
    platform_code: Mapped[str | None] = mapped_column(String(64))
    """The platform's own error code of the last refusal, when it sent one."""
    sent_carrier: Mapped[str | None] = mapped_column(String(64))
    """The platform's code of the carrier as it was sent (``467`` for SF on JD)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]

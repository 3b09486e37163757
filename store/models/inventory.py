"""SKUs and stock per warehouse."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, utcnow


class Sku(Base):
    """A stock-keeping unit and its default safety threshold."""

    __tablename__ = "skus"
    __table_args__ = (CheckConstraint("safety_threshold >= 0", name="safety_not_negative"),)

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    category: Mapped[str | None] = mapped_column(String(64), index=True)
    safety_threshold: Mapped[int] = mapped_column(default=0)


class Inventory(Base):
    """Stock of one SKU in one warehouse: available = on hand − reserved."""

    __tablename__ = "inventory"
    __table_args__ = (
        UniqueConstraint("sku", "warehouse"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="reserved_range"),
        CheckConstraint(
            "safety_threshold IS NULL OR safety_threshold >= 0", name="safety_not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("skus.code"))
    warehouse: Mapped[str] = mapped_column(String(32))
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    safety_threshold: Mapped[int | None]
    """Overrides the SKU's default for this warehouse."""
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

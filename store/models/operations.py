"""Versioned rules, after-sales tickets, the audit log, named counters."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, BigId, Json, utcnow

TICKET_KINDS = ("refund", "return", "exchange", "reship")


class Rule(Base):
    """One version of one rule; a change is a new row, the old ones stay restorable."""

    __tablename__ = "rules"
    __table_args__ = (
        UniqueConstraint("kind", "name", "version"),
        CheckConstraint("version > 0", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    body: Mapped[dict[str, Any]]
    is_active: Mapped[bool] = mapped_column(default=True)
    author: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Ticket(Base):
    """An after-sales request (refund, return, exchange, reship) in the one ticket pool."""

    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint("kind IN ('" + "', '".join(TICKET_KINDS) + "')", name="kind_known"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        Index("ix_tickets_status_created", "status", "created_at"),
        Index(
            "ix_tickets_open_created",
            "created_at",
            postgresql_where=text("closed_at IS NULL"),
            sqlite_where=text("closed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_no: Mapped[str] = mapped_column(String(20), unique=True)
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(20), default="open")
    amount: Mapped[Decimal]
    reason: Mapped[str | None] = mapped_column(Text)
    responsibility: Mapped[str | None] = mapped_column(String(32))
    approver_role: Mapped[str | None] = mapped_column(String(16))
    assignee: Mapped[str | None] = mapped_column(String(64))
    return_waybill: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None]


class AuditEntry(Base):
    """Append-only trail of what a person did; the database refuses updates and deletes."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity", "entity_type", "entity_id"),
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_actor_at", "actor", "at"),
        Index("ix_audit_log_action_at", "action", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    """Who did it, kept as text so the trail survives the user's deletion."""
    action: Mapped[str] = mapped_column(String(64))
    """Dotted verb such as ``order.released`` or ``rule.changed``."""
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(Json)
    after: Mapped[dict[str, Any] | None] = mapped_column(Json)


class Counter(Base):
    """Named monotonic counters, e.g. the next internal order number."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)

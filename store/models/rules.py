"""What the rules engine decided and found: risk decisions per order, flow health audits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, BigId, utcnow
from store.models.orders import Order

# Buyer history (first order, past refusals) is looked up per buyer during risk review; without
# this index each lookup would scan every order.
BUYER_PHONE_INDEX = Index("ix_orders_buyer_phone", Order.buyer_phone)

ADDRESS_DISTRICT_MARKS = ("区", "县", "旗")
"""Characters that name a district or county (a second 市 names a county-level city): what
``address_names_district`` looks for, and what risk review looks for in Python."""

_district = " OR ".join(
    [f"buyer_address LIKE '%{mark}%'" for mark in ADDRESS_DISTRICT_MARKS]
    + ["buyer_address LIKE '%市%市%'"]
)

# Address-quality features computed once when the address is written. A dry run evaluates
# risk rules over millions of orders; matching Chinese text per order (several LIKEs, a
# character count) was a third of its time, reading a stored integer and boolean is nearly
# free. Generated columns keep them right whoever writes the address: PostgreSQL stores them,
# SQLite (which cannot add stored ones to an existing table) computes them when read.
# Table-level only, not mapped attributes: the ORM neither writes nor fetches them.
ORDERS_TABLE: Table = Order.__table__  # type: ignore[assignment]
ORDERS_TABLE.append_column(
    Column("address_chars", Integer, Computed("length(buyer_address)", persisted=True))
)
"""Characters in the buyer's address (NULL without one)."""
ORDERS_TABLE.append_column(
    Column("address_names_district", Boolean, Computed(_district, persisted=True))
)
"""Whether the address names a district or county (NULL without an address)."""


class RiskDecision(Base):
    """One risk-review verdict on one order: which rule version decided and on what grounds."""

    __tablename__ = "risk_decisions"
    __table_args__ = (
        CheckConstraint("action IN ('hold', 'pass')", name="action_known"),
        Index("ix_risk_decisions_order_at", "order_id", "at"),
        Index("ix_risk_decisions_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigId)
    """The order's id; no foreign key, like the other order children (``ORDER_CHILDREN``)."""
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(8))
    rule_kind: Mapped[str | None] = mapped_column(String(32))
    """``risk`` (a rule) or ``risk_whitelist``; empty when no rule matched (default pass)."""
    rule_name: Mapped[str | None] = mapped_column(String(64))
    rule_version: Mapped[int | None]
    matched: Mapped[list[str]] = mapped_column(default=list)
    """The conditions that matched, as people read them (``payment_method in [先用后付]``)."""
    moved: Mapped[bool] = mapped_column(default=False)
    """Whether the verdict moved the order (held it, or released it from review)."""


class FlowHealthRun(Base):
    """One flow health audit (流程健康度审计) with the stage snapshot later runs compare with."""

    __tablename__ = "flow_health_runs"
    __table_args__ = (Index("ix_flow_health_runs_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    stages: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Per open stage: ``{"count": n, "oldest_age_s": s}`` at the time of the run."""


class FlowHealthFinding(Base):
    """A place where automation is breaking, with its likely cause and who is responsible."""

    __tablename__ = "flow_health_findings"
    __table_args__ = (
        CheckConstraint("severity IN ('info', 'warning', 'critical')", name="severity_known"),
        Index("ix_flow_health_findings_run", "run_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("flow_health_runs.id", ondelete="CASCADE"))
    check: Mapped[str] = mapped_column(String(32))
    """``stage_count``, ``stage_age``, ``rule_hold_share`` or ``never_reaches_pick``."""
    key: Mapped[str] = mapped_column(String(255))
    """Stable identity of the finding across runs (its alert dedupe key)."""
    severity: Mapped[str] = mapped_column(String(8))
    message_zh: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    cause_zh: Mapped[str | None] = mapped_column(Text)
    cause_en: Mapped[str | None] = mapped_column(Text)
    rule_name: Mapped[str | None] = mapped_column(String(64))
    rule_version: Mapped[int | None]
    channel: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

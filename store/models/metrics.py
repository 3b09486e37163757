"""Hourly rollups of the metrics layer, and the indexes that keep them cheap to recompute."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, BigId
from store.models.orders import Order

ROLLUP_TIME_COLUMNS = (
    "pending_review_at",
    "paid_at",
    "awaiting_pick_at",
    "picked_at",
    "packed_at",
    "shipped_at",
    "delivered_at",
    "cancelled_at",
)
"""Order timestamps a rollup hour is made of. Each has a partial index (only set values are
indexed, so an arriving order costs one or two index entries, not eight): recomputing an hour
reads just the orders that have one of these times in it, however long the history."""

BOARD_TIME_COLUMNS = ("first_picked_at", "ship_by")
"""Order times the live board reads by range that no rollup covers (time to first pick; SLA
breaches of the ship-by promise): partially indexed like the rollup times."""

for _column in ROLLUP_TIME_COLUMNS + BOARD_TIME_COLUMNS:
    Index(
        f"ix_orders_{_column}",
        Order.__table__.c[_column],
        postgresql_where=Order.__table__.c[_column].isnot(None),
        sqlite_where=Order.__table__.c[_column].isnot(None),
    )


class MetricHourly(Base):
    """What happened in one UTC hour to one channel's orders in one warehouse at one stage.

    Every measure is keyed by the hour it happened in: an order entering a stage counts in the
    hour of its stage time, leaving it (with the time it spent there) in the hour it left. So a
    move only ever changes the rollup of the hour it is made in, and the worker keeps the rollup
    current by recomputing the last hour or two.
    """

    __tablename__ = "metric_hourly"
    __table_args__ = (Index("ix_metric_hourly_stage_hour", "stage", "hour"),)

    hour: Mapped[datetime] = mapped_column(primary_key=True)
    """Start of the UTC hour."""
    channel_id: Mapped[int] = mapped_column(primary_key=True)
    warehouse: Mapped[str] = mapped_column(String(32), primary_key=True)
    """The order's warehouse; empty when it has none yet."""
    stage: Mapped[str] = mapped_column(String(16), primary_key=True)
    entered: Mapped[int] = mapped_column(default=0)
    """Orders whose time of entering ``stage`` falls in the hour."""
    exited: Mapped[int] = mapped_column(default=0)
    """Orders that left ``stage`` in the hour with a known, non-negative dwell time."""
    dwell_hours_sum: Mapped[float] = mapped_column(Float, default=0.0)
    """Hours those orders spent in ``stage``; mean dwell = sum / exited."""
    negative: Mapped[int] = mapped_column(default=0)
    """Exits whose recorded times go backwards, left out of the dwell sum."""
    late: Mapped[int] = mapped_column(default=0)
    """``shipped`` only: orders that left after their ship-by promise."""
    promised: Mapped[int] = mapped_column(default=0)
    """``shipped`` only: orders shipped that had a ship-by promise."""
    processing_hours_sum: Mapped[float] = mapped_column(Float, default=0.0)
    """``shipped`` only: hours from payment to shipment (订单处理时效)."""
    processed: Mapped[int] = mapped_column(default=0)
    """``shipped`` only: orders counted in ``processing_hours_sum``."""


class MetricRollupState(Base):
    """How far the incremental rollup has come: one row per rollup."""

    __tablename__ = "metric_rollup_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_run_at: Mapped[datetime]
    """When the last run started; the next one recomputes from the hour before it."""
    order_id_seen: Mapped[int] = mapped_column(BigId, default=0)
    """Highest order id seen: newer orders with old stage times mark old hours as touched."""
    event_id_seen: Mapped[int] = mapped_column(BigId, default=0)
    """Highest stage-event id seen: back-dated moves mark old hours as touched."""

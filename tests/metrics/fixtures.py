"""Stores with known answers for the metrics tests, built through the store's own writers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from store.canonical import CanonicalOrder
from store.channels import create_channel
from store.history import HISTORY_COLUMNS, set_stage_times
from store.upsert import upsert_orders

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    """A Shanghai wall-clock time such as ``03-05 14:10`` (in 2025)."""
    return datetime.strptime(f"2025-{text}", "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)


@dataclass
class Spec:
    """One order: its current stage and the times it reached each stage."""

    order_id: str
    stage: str
    times: dict[str, datetime]
    ship_by: datetime | None = None
    warehouse: str = "SH-01"
    channel: str = "tmall-main"
    extra: dict[str, object] = field(default_factory=dict)


def load(sessions: sessionmaker[Session], specs: list[Spec]) -> None:
    """Create the channels and orders of ``specs`` with every stage time as given."""
    with sessions.begin() as session:
        for channel in sorted({s.channel for s in specs}):
            create_channel(session, name=channel, platform="tmall")
        for channel in sorted({s.channel for s in specs}):
            batch = [s for s in specs if s.channel == channel]
            upsert_orders(session, channel, [_canonical(s) for s in batch])
            set_stage_times(
                session,
                channel,
                [
                    (s.order_id, {k: v for k, v in s.times.items() if k in HISTORY_COLUMNS})
                    for s in batch
                ],
            )


def _canonical(spec: Spec) -> CanonicalOrder:
    stage_time = spec.times.get(f"{spec.stage}_at") or max(spec.times.values())
    paid = spec.times.get("paid_at")
    return CanonicalOrder(
        channel_order_id=spec.order_id,
        stage=spec.stage,  # type: ignore[arg-type]
        amount=Decimal("88.00"),
        created_at=min(spec.times.values()),
        modified_at=stage_time,
        paid_at=paid,
        warehouse=spec.warehouse,
        ship_by=spec.ship_by,
    )

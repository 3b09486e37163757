"""Work in progress per stage, counted by hand against orders loaded through the real upsert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from metrics.wip import STAGE_ORDER, StageCount, orders_by_stage, total_orders
from store.canonical import CanonicalOrder
from store.channels import create_channel
from store.db import session_factory
from store.upsert import upsert_orders

NOW = datetime(2025, 3, 5, 8, 0, tzinfo=UTC)


def order(order_id: str, stage: str, entered: datetime) -> CanonicalOrder:
    """An order that entered ``stage`` at ``entered`` (a paid order by its payment time)."""
    return CanonicalOrder(
        channel_order_id=order_id,
        stage=stage,
        amount=Decimal("59.90"),
        created_at=entered - timedelta(minutes=5),
        modified_at=entered,
        paid_at=entered if stage == "paid" else None,
    )


def load(engine: Engine, orders: dict[str, list[CanonicalOrder]]) -> None:
    with session_factory(engine).begin() as session:
        for channel, batch in orders.items():
            create_channel(session, name=channel, platform="tmall")
            upsert_orders(session, channel, batch)


def snapshot(engine: Engine, now: datetime = NOW) -> dict[str, StageCount]:
    with session_factory(engine)() as session:
        return {entry.stage: entry for entry in orders_by_stage(session, now=now)}


def test_empty_store_has_every_stage_at_zero(engine: Engine) -> None:
    counts = snapshot(engine)

    assert list(counts) == [stage.value for stage in STAGE_ORDER]
    assert all(entry.count == 0 and entry.oldest_entered_at is None for entry in counts.values())
    assert total_orders(list(counts.values())) == 0


def test_counts_and_oldest_entry_per_stage(engine: Engine) -> None:
    load(
        engine,
        {
            "tmall-main": [
                order("T1", "awaiting_pick", NOW - timedelta(hours=5)),
                order("T2", "awaiting_pick", NOW - timedelta(hours=2)),
                order("T3", "paid", NOW - timedelta(minutes=30)),
                order("T4", "on_hold", NOW - timedelta(hours=26)),
                order("T5", "shipped", NOW - timedelta(days=2)),
                order("T6", "cancelled", NOW - timedelta(days=1)),
            ],
            # the same platform ids in another channel are other orders
            "jd-main": [
                order("T1", "awaiting_pick", NOW - timedelta(hours=1)),
                order("T2", "shipped", NOW - timedelta(hours=3)),
            ],
        },
    )

    counts = snapshot(engine)

    assert {stage: entry.count for stage, entry in counts.items()} == {
        "pending_review": 0,
        "paid": 1,
        "awaiting_pick": 3,
        "picked": 0,
        "packed": 0,
        "on_hold": 1,
        "shipped": 2,
        "delivered": 0,
        "cancelled": 1,
    }
    assert counts["awaiting_pick"].oldest_entered_at == NOW - timedelta(hours=5)
    assert counts["awaiting_pick"].oldest_age_hours(NOW) == pytest.approx(5.0)
    assert counts["paid"].oldest_entered_at == NOW - timedelta(minutes=30)
    assert counts["on_hold"].oldest_age_hours(NOW) == pytest.approx(26.0)
    assert counts["picked"].oldest_age_hours(NOW) is None


def test_orders_stamped_after_now_wait_for_their_time(engine: Engine) -> None:
    load(
        engine,
        {
            "tmall-main": [
                order("T1", "packed", NOW - timedelta(hours=1)),
                order("T2", "packed", NOW + timedelta(minutes=2)),
            ]
        },
    )

    assert snapshot(engine)["packed"].count == 1
    assert snapshot(engine, NOW + timedelta(minutes=3))["packed"].count == 2


def test_open_stages_are_the_work_in_progress() -> None:
    open_stages = [stage.value for stage in STAGE_ORDER if StageCount(stage, 0, None).is_open]

    assert open_stages == ["pending_review", "paid", "awaiting_pick", "picked", "packed", "on_hold"]

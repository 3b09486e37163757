"""The metrics document against answers worked out by hand for a small week of orders."""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from metrics.documents import (
    BusiestCell,
    InventoryCounts,
    LateShipments,
    ManualIntervention,
    MetricsDocument,
    MissedOrders,
    WeekLateShipments,
    WeekProcessing,
    WeekTrend,
)
from metrics.report import metrics_document
from metrics.window import Scope, parse_window, resolve_scope
from store.errors import InvalidInput
from store.models import (
    AuditEntry,
    InventoryCount,
    MissedOrder,
    Order,
    Sku,
    StageEvent,
    Ticket,
    WarehouseException,
)
from tests.metrics.fixtures import SHANGHAI, Spec, load, local

NOW = local("03-10 10:00")

SPECS = [
    Spec(
        "A",
        "shipped",
        {
            "paid_at": local("03-05 14:10"),
            "awaiting_pick_at": local("03-05 14:10"),
            "first_picked_at": local("03-05 17:10"),
            "picked_at": local("03-05 17:40"),
            "packed_at": local("03-05 18:10"),
            "shipped_at": local("03-05 20:10"),
        },
        ship_by=local("03-05 18:00"),
    ),
    Spec(
        "B",
        "shipped",
        {
            "paid_at": local("03-05 14:40"),
            "awaiting_pick_at": local("03-05 14:40"),
            "first_picked_at": local("03-05 15:40"),
            "picked_at": local("03-05 15:50"),
            "packed_at": local("03-05 16:40"),
            "shipped_at": local("03-05 17:40"),
        },
        ship_by=local("03-06 12:00"),
        warehouse="HZ-02",
    ),
    Spec(
        "C",
        "shipped",
        {
            "paid_at": local("03-03 09:00"),
            "awaiting_pick_at": local("03-03 09:00"),
            "first_picked_at": local("03-03 09:30"),
            "picked_at": local("03-03 10:00"),
            "packed_at": local("03-03 10:30"),
            "shipped_at": local("03-03 11:00"),
        },
        ship_by=local("03-04 00:00"),
        channel="jd-main",
    ),
    Spec(
        "D",
        "awaiting_pick",
        {"paid_at": local("03-05 15:00"), "awaiting_pick_at": local("03-05 15:00")},
        ship_by=local("03-06 15:00"),
    ),
    Spec(
        "E",
        "pending_review",
        {"paid_at": local("03-04 10:00"), "pending_review_at": local("03-04 10:05")},
    ),
    Spec(
        "F",
        "cancelled",
        {"paid_at": local("03-06 08:00"), "cancelled_at": local("03-06 09:00")},
    ),
]


def _order_id(session: Session, channel_order_id: str) -> int:
    found = session.scalar(select(Order.id).where(Order.channel_order_id == channel_order_id))
    assert found is not None
    return found


def _floor_facts(session: Session) -> None:
    a, d, f = (_order_id(session, x) for x in "ADF")
    session.add_all(
        [
            StageEvent(order_id=a, from_stage="awaiting_pick", to_stage="on_hold",
                       at=local("03-05 15:00"), source="handheld", hold_category="out_of_stock"),
            StageEvent(order_id=a, from_stage="on_hold", to_stage="awaiting_pick",
                       at=local("03-05 16:00"), source="console", actor="ann"),
            StageEvent(order_id=d, from_stage="awaiting_pick", to_stage="on_hold",
                       at=local("03-06 10:00"), source="rule", hold_category="unclear_address"),
            StageEvent(order_id=f, from_stage="paid", to_stage="cancelled",
                       at=local("03-06 09:00"), source="console", actor="ann"),
        ]
    )  # fmt: skip
    c_no = session.scalar(select(Order.order_no).where(Order.channel_order_id == "C"))
    session.add(
        AuditEntry(actor="bo", action="order.noted", entity_type="order", entity_id=str(c_no))
    )
    for code, warehouse in (("sku_not_on_order", "SH-01"), ("sku_not_on_order", "HZ-02"),
                            ("pack_before_pick", "SH-01")):  # fmt: skip
        session.add(WarehouseException(code=code, message="x", warehouse=warehouse,
                                       at=local("03-05 16:00")))  # fmt: skip


def _kpi_facts(session: Session) -> None:
    channel_id = session.scalar(select(Order.channel_id).where(Order.channel_order_id == "A"))
    assert channel_id is not None
    for when in ("03-04 09:00", "03-04 23:30", "03-08 12:00"):
        session.add(MissedOrder(channel_id=channel_id, channel_order_id=when, found_at=local(when)))
    session.add_all([Sku(code=f"SKU-{n}") for n in range(1, 5)])
    session.flush()
    for sku, counted, expected, when in (
        ("SKU-1", 10, 10, "03-03 10:00"),
        ("SKU-1", 9, 10, "03-05 10:00"),
        ("SKU-2", 5, 5, "03-05 11:00"),
        ("SKU-3", 3, 4, "03-06 11:00"),
        ("SKU-4", 7, 7, "03-01 11:00"),
    ):
        session.add(InventoryCount(sku=sku, warehouse="SH-01", counted=counted, expected=expected,
                                   counted_at=local(when), counted_by="li"))  # fmt: skip
    a = _order_id(session, "A")
    for n, (kind, opened, closed) in enumerate(
        (
            ("refund", "03-03 10:00", "03-06 10:00"),
            ("return", "03-04 00:00", "03-08 12:00"),
            ("exchange", "03-03 10:00", "03-04 10:00"),
            ("refund", "03-03 10:00", None),
        )
    ):
        session.add(Ticket(ticket_no=f"TK{n}", order_id=a, kind=kind, amount=10,
                           created_at=local(opened),
                           closed_at=None if closed is None else local(closed)))  # fmt: skip


@pytest.fixture
def week(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    load(sessions, SPECS)
    with sessions.begin() as session:
        _floor_facts(session)
        _kpi_facts(session)
    return sessions


def document(sessions: sessionmaker[Session], scope: Scope | None = None) -> MetricsDocument:
    window = parse_window("2025-03-03", "2025-03-09", SHANGHAI)
    with sessions() as session:
        return metrics_document(session, window=window, scope=scope or Scope(), now=NOW)


def test_counts_and_throughput(week: sessionmaker[Session]) -> None:
    doc = document(week)

    assert doc.orders_total == 6
    assert doc.window.model_dump(mode="json") == {
        "from": "2025-03-03T00:00:00+08:00",
        "to": "2025-03-10T00:00:00+08:00",
        "timezone": "Asia/Shanghai",
    }
    assert {k: v for k, v in doc.orders_by_stage.items() if v} == {
        "shipped": 3,
        "awaiting_pick": 1,
        "pending_review": 1,
        "cancelled": 1,
    }
    assert [(d.day, d.paid, d.shipped) for d in doc.throughput_per_day] == [
        ("2025-03-03", 1, 1),
        ("2025-03-04", 1, 0),
        ("2025-03-05", 3, 2),
        ("2025-03-06", 1, 0),
        ("2025-03-07", 0, 0),
        ("2025-03-08", 0, 0),
        ("2025-03-09", 0, 0),
    ]
    hours = {h.hour: (h.paid, h.shipped) for h in doc.throughput_per_hour}
    assert len(hours) == 7 * 24
    assert hours["2025-03-05T14:00"] == (2, 0)
    assert hours["2025-03-05T20:00"] == (0, 1)
    assert doc.wip_age["awaiting_pick"]["over_3d"] == 1
    assert doc.wip_oldest_hours["pending_review"] == pytest.approx(143.9167, abs=1e-3)


def test_processing_time_and_stage_dwell(week: sessionmaker[Session]) -> None:
    doc = document(week)

    assert doc.processing_time_hours.model_dump() == {
        "count": 3,
        "mean": pytest.approx(11 / 3, abs=1e-4),
        "p50": pytest.approx(3.0),
        "p90": pytest.approx(5.4),
        "p99": pytest.approx(5.94),
        "negative_left_out": 0,
    }
    dwell = doc.stage_dwell_hours
    assert dwell["awaiting_pick"].count == 3
    assert dwell["awaiting_pick"].mean == pytest.approx((3.5 + 7 / 6 + 1) / 3, abs=1e-4)
    assert dwell["packed"].p50 == pytest.approx(1.0)
    assert dwell["paid"].count == 6
    assert dwell["paid"].p99 == pytest.approx(1 / 12 + 0.95 * 11 / 12, abs=1e-4)
    assert dwell["pending_review"].count == 0
    nodes = doc.warehouse_nodes_hours
    assert nodes["to_first_pick"].p50 == pytest.approx(1.0)
    assert nodes["packed_to_pickup"].mean == pytest.approx((2 + 1 + 0.5) / 3, abs=1e-4)


def test_bottleneck_hours(week: sessionmaker[Session]) -> None:
    doc = document(week)

    assert doc.intake_heatmap[2][14] == 2
    assert sum(map(sum, doc.intake_heatmap)) == 6
    assert doc.busiest_intake == BusiestCell(
        weekday=2,
        hour=14,
        label_zh="周三 14:00–15:00",
        label_en="Wednesday 14:00–15:00",
        orders=2,
    )
    assert doc.delay_stage == "awaiting_pick"
    assert doc.delay_heatmap[2][14] == pytest.approx(7 / 3, abs=1e-4)
    assert doc.delay_heatmap[0][9] == pytest.approx(1.0)
    assert doc.delay_heatmap_p90[2][14] == pytest.approx(7 / 6 + 0.9 * (3.5 - 7 / 6), abs=1e-4)
    assert doc.delay_heatmap[3][9] is None
    assert doc.worst_delay is not None
    assert (doc.worst_delay.weekday, doc.worst_delay.hour) == (2, 14)


def test_sla_and_late_shipments(week: sessionmaker[Session]) -> None:
    doc = document(week)

    assert doc.late_shipments == LateShipments(count=1, shipped_with_promise=3, share=0.333333)
    breaches = doc.sla_breaches
    assert breaches.open_now == {
        "pending_review_over_4h": 1,
        "awaiting_pick_over_2h": 1,
        "packed_over_12h": 0,
        "past_ship_by": 1,
    }
    assert breaches.in_window == {
        "pending_review_over_4h": 1,
        "awaiting_pick_over_2h": 2,
        "packed_over_12h": 0,
        "past_ship_by": 2,
    }
    assert breaches.in_window_total == 5


def test_article_kpis(week: sessionmaker[Session]) -> None:
    doc = document(week)

    assert doc.exceptions_by_category == {"out_of_stock": 1, "unclear_address": 1}
    assert doc.warehouse_exceptions_by_code == {"sku_not_on_order": 2, "pack_before_pick": 1}
    assert [d.count for d in doc.missed_orders_per_day] == [0, 2, 0, 0, 0, 1, 0]
    assert doc.missed_orders == MissedOrders(total=3, mean_per_day=round(3 / 7, 6))
    assert doc.inventory_counts == InventoryCounts(counted=3, matched=1)
    assert doc.inventory_accuracy == round(1 / 3, 6)
    assert doc.manual_intervention == ManualIntervention(orders=6, touched=3)
    assert doc.manual_intervention_share == 0.5
    refunds = doc.refund_cycle_days
    assert (refunds.count, refunds.mean, refunds.p50) == (2, 3.75, 3.75)
    assert doc.weekly_trends == [
        WeekTrend(
            week="2025-03-03",
            processing_time_hours=WeekProcessing(p50=3.0, mean=3.6667),
            shipped=3,
            late_shipments=WeekLateShipments(count=1, share=0.333333),
            manual_intervention_share=0.5,
        )
    ]


def test_scope_narrows_every_figure(week: sessionmaker[Session]) -> None:
    with week() as session:
        hz = resolve_scope(session, warehouses=["HZ-02"])
        jd = resolve_scope(session, channels=["jd-main"])
    in_hz, in_jd = document(week, hz), document(week, jd)

    assert in_hz.orders_total == 1
    assert in_hz.processing_time_hours.p50 == pytest.approx(3.0)
    assert in_hz.warehouse_exceptions_by_code == {"sku_not_on_order": 1}
    assert in_jd.orders_total == 1
    assert in_jd.missed_orders.total == 0
    assert in_jd.manual_intervention == ManualIntervention(orders=1, touched=1)


def test_unknown_scope_and_bad_windows_are_refused(week: sessionmaker[Session]) -> None:
    with week() as session:
        with pytest.raises(InvalidInput, match="unknown channel 'nope'; known channels: jd-main"):
            resolve_scope(session, channels=["nope"])
        with pytest.raises(InvalidInput, match="unknown warehouse 'XX-9'"):
            resolve_scope(session, warehouses=["XX-9"])
    with pytest.raises(InvalidInput, match="empty or inverted window"):
        parse_window("2025-03-09", "2025-03-03", SHANGHAI)
    with pytest.raises(InvalidInput, match="empty or inverted window"):
        parse_window("2025-03-09 10:00", "2025-03-09 10:00", SHANGHAI)
    with pytest.raises(InvalidInput, match="cannot read '3/9' as a date"):
        parse_window("3/9", "2025-03-09", SHANGHAI)


def test_window_bounds_are_business_days() -> None:
    window = parse_window("2025-03-03", "2025-03-03", SHANGHAI)
    assert (window.start.astimezone(UTC).isoformat(), window.end.astimezone(UTC).isoformat()) == (
        "2025-03-02T16:00:00+00:00",
        "2025-03-03T16:00:00+00:00",
    )

"""The platform simulator: protocols with signatures, the order stream, faults, write-back and
the ground truth at ``/_sim/truth``."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from ingest.carriers import match_list
from ingest.channels.base import (
    ChannelRefused,
    ChannelUnreachable,
    InvalidSignature,
    MalformedPayload,
    RateLimited,
    SystemBusy,
)
from ingest.simulator.faults import Fault, FaultPlan
from ingest.simulator.world import CHINA, Lifecycle, StreamSettings, World
from tests.ingest.simulation import START, FakeClock, platforms

SERVED = ["taobao", "pdd", "jd", "douyin", "xiaohongshu"]
"""Platforms whose protocol the simulator serves (tmall is Taobao's)."""
UNLISTED = {"jd": "NOT_LISTED"}
"""Truth status of orders a platform's list leaves out (JD lists paid orders only)."""


def _read_all(conn, start: datetime, end: datetime) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    return [raw for a, b in conn.windows(start, end) for page in conn.list_changed(a, b)
            for raw in page]  # fmt: skip


@pytest.mark.parametrize("platform", SERVED)
def test_serves_every_order_of_the_truth_through_the_platform_protocol(platform: str) -> None:
    with platforms(served=(platform,), orders_per_minute=3) as sim:
        conn = sim.connector(platform)
        listed = _read_all(conn, START - timedelta(minutes=1), sim.clock())
        truth = sim.truth()
    assert len(truth) > 50
    assert sorted(conn.order_id(raw) or "" for raw in listed) == sorted(
        row["channel_order_id"] for row in truth if row["status"] != UNLISTED.get(platform)
    )
    assert all(set(row) == {"platform", "channel_order_id", "status", "modified"} for row in truth)


@pytest.mark.parametrize("platform", SERVED)
def test_a_wrong_secret_is_refused_in_the_platforms_format(platform: str) -> None:
    with platforms(served=(platform,)) as sim, pytest.raises(InvalidSignature):
        sim.connector(platform, secret="wrong").fetch_order("1")


def test_an_unknown_app_key_is_refused() -> None:
    with platforms(served=("taobao",)) as sim:
        conn = sim.connector("taobao")
        conn.config = replace(conn.config, app_key="other")
        with pytest.raises(ChannelRefused, match="Invalid App Key"):
            conn.fetch_order("1")


def test_the_stream_looks_like_a_shop() -> None:
    clock = FakeClock(START + timedelta(days=7))
    world = World(
        platforms=("taobao", "pdd", "xiaohongshu"),
        settings=StreamSettings(orders_per_minute=4),
        seed=3,
        clock=clock,
        start=START,
    )
    world.advance()
    orders = list(world.truth())
    by_hour = Counter(order.created.astimezone(CHINA).hour for order in orders)
    assert by_hour[21] > 4 * by_hour[4]  # evenings are busy, nights are quiet
    assert any(len(order.lines) > 1 for order in orders)
    lifecycles = Counter(order.lifecycle for order in orders)
    assert lifecycles[Lifecycle.UNPAID] + lifecycles[Lifecycle.CLOSED_UNPAID] > 0
    assert lifecycles[Lifecycle.CANCELLED] > 0
    assert any(order.refund.value == "requested" for order in orders)
    assert any(order.payment_method == "buy_now_pay_later" for order in orders)  # 先用后付
    assert any(not order.address[3] for order in orders)  # incomplete addresses


def test_a_scripted_incident_keeps_every_order_it_placed() -> None:
    """The demo's 17 先用后付 orders must all wait in 待审核: the stream cancels or refunds
    about one paid order in eleven, but never one an incident placed."""
    clock = FakeClock(START + timedelta(hours=1))
    world = World(platforms=("xiaohongshu",), seed=5, clock=clock, start=START)
    world.advance()
    placed = [
        world.place("xiaohongshu", START + timedelta(minutes=n % 60), payment_method="alipay")
        for n in range(200)
    ]
    world.advance(START + timedelta(hours=8))
    orders = {order.order_id: order for order in world.truth()}
    assert None not in placed
    assert {(orders[i].lifecycle, orders[i].refund.value) for i in placed if i} == {
        (Lifecycle.PAID, "none")
    }
    stream = [order for order in orders.values() if order.order_id not in placed]
    assert any(order.lifecycle is Lifecycle.CANCELLED for order in stream)


def test_the_same_seed_gives_the_same_stream() -> None:
    def stream() -> list[tuple[str, str]]:
        clock = FakeClock(START + timedelta(hours=3))
        world = World(platforms=("pdd",), seed=11, clock=clock, start=START)
        world.advance()
        return [(o.order_id, o.lifecycle.value) for o in world.truth()]

    assert stream() == stream()


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.SERVER_ERROR, SystemBusy),
        (Fault.RATE_LIMIT, RateLimited),
        (Fault.BUSY, SystemBusy),
        (Fault.MALFORMED_BODY, MalformedPayload),
    ],
)
@pytest.mark.parametrize("platform", SERVED)
def test_injected_faults_reach_the_connector_as_channel_errors(
    platform: str, fault: Fault, error: type[Exception]
) -> None:
    plan = FaultPlan(rate=1.0, kinds=(fault,))
    with platforms(served=(platform,), faults=plan) as sim, pytest.raises(error):
        list(sim.connector(platform).list_changed(START, START + timedelta(minutes=30)))


def test_a_slow_answer_times_the_client_out() -> None:
    plan = FaultPlan(rate=1.0, kinds=(Fault.SLOW,), slow_seconds=0.5)
    with platforms(served=("pdd",), faults=plan) as sim, pytest.raises(ChannelUnreachable):
        sim.connector("pdd", timeout=0.05).fetch_order("x")


@pytest.mark.parametrize("platform", SERVED)
def test_a_malformed_order_fails_alone(platform: str) -> None:
    plan = FaultPlan(rate=1.0, kinds=(Fault.MALFORMED_ORDER,))
    with platforms(served=(platform,), orders_per_minute=3, faults=plan) as sim:
        conn = sim.connector(platform)
        page = next(iter(conn.list_changed(START, START + timedelta(minutes=30))))
    failures = 0
    for raw in page:
        try:
            conn.to_channel_order(raw)
        except MalformedPayload:
            failures += 1
    # Xiaohongshu reads each paid order with its own detail call, and every call is faulty here:
    # one list row plus every detail fails.
    details = sum(1 for raw in page if "skuList" in raw) if platform == "xiaohongshu" else 0
    assert len(page) > 1 and failures == 1 + details


def test_orders_modified_while_a_window_is_paged_leave_it() -> None:
    plan = FaultPlan(rate=1.0, kinds=(Fault.MODIFIED_WHILE_PAGING,))
    with platforms(served=("taobao",), orders_per_minute=3, faults=plan) as sim:
        window = (START, START + timedelta(minutes=60))
        list(sim.connector("taobao").list_changed(*window))
        moved = [row for row in sim.truth() if row["modified"] > sim.clock().isoformat()[:19]]
        assert moved == [] or all(row["modified"] >= window[1].isoformat() for row in moved)
        touched = [o for o in sim.world.truth() if o.memo_revision]
    assert touched and all(o.modified == sim.clock() for o in touched)


SF_CODES = {"taobao": "SF", "pdd": "1", "jd": "467", "douyin": "shunfeng",
            "xiaohongshu": "shunfeng"}  # fmt: skip
"""顺丰 in each simulated platform's carrier list (``ingest.simulator.carriers``)."""


@pytest.mark.parametrize("platform", SERVED)
def test_write_back_changes_the_platforms_state(platform: str) -> None:
    with platforms(served=(platform,), orders_per_minute=3) as sim:
        paid = next(o for o in sim.world.truth() if o.lifecycle is Lifecycle.PAID)
        conn = sim.connector(platform)
        sf = SF_CODES[platform]
        conn.confirm_shipment(paid.order_id, waybill="SF100", carrier=sf)
        conn.confirm_shipment(paid.order_id, waybill="SF100", carrier=sf)  # a retry is fine
        row = next(r for r in sim.truth() if r["channel_order_id"] == paid.order_id)
        mapped = conn.to_channel_order(conn.fetch_order(paid.order_id))
        assert mapped is not None and mapped.order.stage == "shipped"
        assert row["modified"] == sim.clock().isoformat()
        assert sim.world.shops[platform].orders[paid.order_id].carrier == sf
        with pytest.raises(ChannelRefused):  # shipped already, under another waybill
            conn.confirm_shipment(paid.order_id, waybill="SF101", carrier=sf)


@pytest.mark.parametrize("platform", SERVED)
def test_a_carrier_code_the_platform_does_not_list_is_refused(platform: str) -> None:
    """Our code where the platform wants its own (JD and Pinduoduo: numeric ids) is refused."""
    wrong = {"taobao": "SHUNFENG", "pdd": "SF", "jd": "SF", "douyin": "SF", "xiaohongshu": "SF"}
    with platforms(served=(platform,), orders_per_minute=3) as sim:
        paid = next(o for o in sim.world.truth() if o.lifecycle is Lifecycle.PAID)
        conn = sim.connector(platform)
        with pytest.raises(ChannelRefused):
            conn.confirm_shipment(paid.order_id, waybill="SF100", carrier=wrong[platform])
        assert sim.world.shops[platform].orders[paid.order_id].lifecycle is Lifecycle.PAID


@pytest.mark.parametrize("platform", SERVED)
def test_every_platform_lists_its_carriers(platform: str) -> None:
    with platforms(served=(platform,), orders_per_minute=1) as sim:
        listed = sim.connector(platform).list_carriers()
    assert listed is not None
    assert match_list(listed)["SF"].code == SF_CODES[platform]


@pytest.mark.parametrize("platform", SERVED)
def test_a_paused_listing_sells_nothing_until_resumed(platform: str) -> None:
    settings = StreamSettings(orders_per_minute=30, skus=1)
    with platforms(served=(platform,), settings=settings, history=timedelta(minutes=1)) as sim:
        conn = sim.connector(platform)
        listing = "500001"
        conn.update_stock(listing, 50)
        conn.pause_listing(listing)
        before = len(sim.truth())
        sim.clock.advance(hours=1)
        assert len(sim.truth()) == before
        assert sim.listings()[(platform, listing)]["on_sale"] is False
        conn.resume_listing(listing, 5)
        sim.clock.advance(hours=1)
        after = sim.truth()
        assert sim.listings()[(platform, listing)]["stock"] in range(0, 5)
    assert before < len(after) <= before + 5

"""Write-back against the simulator: carrier pickup in the warehouse confirms the shipment to
the channel through the outbox, retried after a failure, a hopeless one visible on the order."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.sources import check_writebacks
from ingest.retry import RetryPolicy
from ingest.simulator.faults import Fault, FaultPlan
from ingest.simulator.world import Lifecycle
from ingest.sync import SyncOptions, sync_channel
from ingest.writeback import DrainReport, drain_writebacks, enqueue_pickups, retry_delay
from store.models import Alert, ChannelCarrier, ChannelWriteback
from store.orders import find_order, get_order, order_document
from store.scans import ScanInput, ScanKind, apply_scans
from store.stages import Source, Stage
from store.transitions import move_order
from tests.ingest.simulation import START, Platforms, add_sim_channel, platforms

FAST = RetryPolicy(attempts=1, requests_per_second=10_000)


def _ready(sessions: sessionmaker[Session], sim: Platforms, platform: str) -> tuple[str, list[str]]:
    """A synced channel (frozen world) and its paid orders' ids."""
    sim.world.freeze()
    channel = add_sim_channel(sessions, sim, platform)
    report = sync_channel(sessions, channel, since=START, clock=sim.clock,
                          options=SyncOptions(retry=FAST), sleep=lambda _s: None)  # fmt: skip
    assert report.ok
    paid = [o.order_id for o in sim.world.truth()
            if o.platform == platform and o.lifecycle is Lifecycle.PAID]  # fmt: skip
    return channel, paid


def _ship_through_the_floor(
    sessions: sessionmaker[Session], sim: Platforms, channel: str, channel_order_id: str,
    *, waybill: str | None, carrier: str | None = "SF",
) -> str:  # fmt: skip
    """Release, pick every line, pack and hand over to the carrier; returns the order number."""
    at = sim.clock()
    with sessions.begin() as session:
        order = find_order(session, channel, channel_order_id)
        order_no = order.order_no
        move_order(session, order_no=order_no, to=Stage.AWAITING_PICK, source=Source.API,
                   actor="test", at=at)  # fmt: skip
        scans = [ScanInput(f"{order_no}-pick-{item.line_no}", ScanKind.PICK, order_no, at,
                           sku=item.sku, quantity=item.quantity)
                 for item in order.items]  # fmt: skip
        scans.append(ScanInput(f"{order_no}-pack", ScanKind.PACK, order_no, at))
        scans.append(ScanInput(f"{order_no}-pickup", ScanKind.PICKUP, order_no, at,
                               carrier=carrier, waybill=waybill))  # fmt: skip
        results = apply_scans(session, scans, device="pda-1")
    assert [r.status for r in results] == ["accepted"] * len(scans)
    return order_no


def _drain(sessions: sessionmaker[Session], sim: Platforms) -> DrainReport:
    return drain_writebacks(sessions, clock=sim.clock, policy=FAST, sleep=lambda _s: None)


def _writebacks(sessions: sessionmaker[Session], order_no: str) -> list[dict[str, object]]:
    with sessions.begin() as session:
        document = order_document(session, get_order(session, order_no))
    rows: list[dict[str, object]] = document["channel_writebacks"]  # type: ignore[assignment]
    return rows


SF_CODES = {"taobao": "SF", "pdd": "1", "jd": "467", "douyin": "shunfeng",
            "xiaohongshu": "shunfeng"}  # fmt: skip
"""顺丰 as each simulated platform lists it: JD and Pinduoduo want numeric ids."""


@pytest.mark.parametrize("platform", ["taobao", "pdd", "jd", "douyin", "xiaohongshu"])
def test_carrier_pickup_confirms_the_shipment_to_the_channel(
    sessions: sessionmaker[Session], platform: str
) -> None:
    with platforms(served=(platform,), orders_per_minute=3) as sim:
        channel, paid = _ready(sessions, sim, platform)
        order_no = _ship_through_the_floor(sessions, sim, channel, paid[0], waybill="SF1001")
        report = _drain(sessions, sim)
        assert (report.done, report.failed) == ([paid[0]], [])
        shipped = sim.world.shops[platform].orders[paid[0]]
        assert (shipped.lifecycle, shipped.waybill, shipped.carrier) == (
            Lifecycle.SHIPPED, "SF1001", SF_CODES[platform],
        )  # fmt: skip
        assert sim.world.shops[platform].orders[paid[1]].lifecycle is Lifecycle.PAID
        assert _drain(sessions, sim) == DrainReport()  # once per order
        with sessions.begin() as session:
            assert enqueue_pickups(session) == 0
    [row] = _writebacks(sessions, order_no)
    assert (row["status"], row["waybill"], row["attempts"], row["last_error"]) == (
        "done", "SF1001", 1, None,
    )  # fmt: skip
    assert (row["carrier"], row["sent_carrier"]) == ("SF", SF_CODES[platform])
    with sessions.begin() as session:  # the platform's list is kept for the next day
        query = select(ChannelCarrier.carrier, ChannelCarrier.platform_code)
        listed = {code: sent for code, sent in session.execute(query)}
    assert listed["SF"] == SF_CODES[platform] and "*" in listed


def test_a_failed_call_is_retried_later_with_backoff(sessions: sessionmaker[Session]) -> None:
    plan = FaultPlan(rate=1.0, kinds=(Fault.SERVER_ERROR,))
    with platforms(served=("taobao",), orders_per_minute=3) as sim:
        channel, paid = _ready(sessions, sim, "taobao")
        sim.simulator.faults = plan
        order_no = _ship_through_the_floor(sessions, sim, channel, paid[0], waybill="YT77")
        assert _drain(sessions, sim).retrying == [paid[0]]
        [row] = _writebacks(sessions, order_no)
        assert row["status"] == "pending" and "502" in str(row["last_error"])
        assert row["next_attempt_at"] == (sim.clock() + retry_delay(1)).isoformat()
        plan.rate = 0.0
        assert _drain(sessions, sim) == DrainReport()  # not due yet
        sim.clock.advance(seconds=31)
        assert _drain(sessions, sim).done == [paid[0]]
        assert sim.world.shops["taobao"].orders[paid[0]].waybill == "YT77"
    assert [r["status"] for r in _writebacks(sessions, order_no)] == ["done"]
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 9)] == [30, 60, 120, 3600]


def test_a_refused_confirmation_fails_visibly_on_the_order(
    sessions: sessionmaker[Session],
) -> None:
    with platforms(served=("taobao",), orders_per_minute=3) as sim:
        channel, paid = _ready(sessions, sim, "taobao")
        refunded = _ship_through_the_floor(sessions, sim, channel, paid[0], waybill="SF9")
        no_waybill = _ship_through_the_floor(sessions, sim, channel, paid[1], waybill=None)
        shop = sim.world.shops["taobao"]
        shop.orders[paid[0]].lifecycle = Lifecycle.CANCELLED  # the buyer got a refund meanwhile
        report = _drain(sessions, sim)
        assert sorted(report.failed) == sorted(paid[:2])
        assert shop.orders[paid[1]].lifecycle is Lifecycle.PAID
        sim.clock.advance(hours=2)
        assert _drain(sessions, sim) == DrainReport()  # failed rows wait for a person
    [first] = _writebacks(sessions, refunded)
    assert first["status"] == "failed" and "not_shippable" in str(first["last_error"])
    [second] = _writebacks(sessions, no_waybill)
    assert second["status"] == "failed" and "运单号" in str(second["last_error"])
    with sessions.begin() as session:
        assert session.scalar(select(ChannelWriteback.attempts).where(
            ChannelWriteback.channel_order_id == paid[0])) == 1  # fmt: skip


def test_a_carrier_the_platform_does_not_know_is_refused_before_sending(
    sessions: sessionmaker[Session],
) -> None:
    """The simulated Xiaohongshu lists no 德邦 (DBL), and nobody lists ``UPS``: neither is sent,
    both stay failed on the order with ``unknown_carrier``, and the channel's alert says so."""
    with platforms(served=("xiaohongshu",), orders_per_minute=3) as sim:
        channel, paid = _ready(sessions, sim, "xiaohongshu")
        deppon = _ship_through_the_floor(sessions, sim, channel, paid[0], waybill="DB1",
                                         carrier="DBL")  # fmt: skip
        unknown = _ship_through_the_floor(sessions, sim, channel, paid[1], waybill="U1",
                                          carrier="UPS")  # fmt: skip
        report = _drain(sessions, sim)
        assert sorted(report.failed) == sorted(paid[:2])
        assert all(sim.world.shops["xiaohongshu"].orders[p].lifecycle is Lifecycle.PAID
                   for p in paid[:2])  # fmt: skip
        with sessions.begin() as session:
            check_writebacks(session, sim.clock())
            [alert] = session.scalars(select(Alert).where(Alert.kind == "writeback_failed"))
            assert alert.details["count"] == 2 and alert.labels == {"channel": channel}
    [first] = _writebacks(sessions, deppon)
    assert (first["status"], first["error_code"], first["sent_carrier"]) == (
        "failed", "unknown_carrier", None,
    )  # fmt: skip
    assert "德邦" in str(first["last_error"]) and "nothing was sent" in str(first["last_error"])
    [second] = _writebacks(sessions, unknown)
    assert second["error_code"] == "unknown_carrier" and "UPS" in str(second["last_error"])


class _NoCarrierList(httpx.BaseTransport):
    """The platform is up, but its carrier-list call answers 502."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if b"360buy.get.vender.all.delivery.company" in request.content:
            return httpx.Response(502)
        return self.inner.handle_request(request)


def test_without_the_carrier_list_the_table_is_the_fallback(
    sessions: sessionmaker[Session],
) -> None:
    """JD's list unreachable: SF goes out as the table's 467 (jingdong.pop.order.shipment's
    logiCoprId), 极兔 (no sourced JD id) is refused rather than guessed."""
    with platforms(served=("jd",), orders_per_minute=3) as sim:
        channel, paid = _ready(sessions, sim, "jd")
        sf = _ship_through_the_floor(sessions, sim, channel, paid[0], waybill="SF7")
        jt = _ship_through_the_floor(sessions, sim, channel, paid[1], waybill="JT7",
                                     carrier="JTSD")  # fmt: skip
        with httpx.Client(transport=_NoCarrierList()) as client:
            report = drain_writebacks(sessions, client=client, clock=sim.clock, policy=FAST,
                                      sleep=lambda _s: None)  # fmt: skip
        assert (report.done, report.failed) == ([paid[0]], [paid[1]])
        assert sim.world.shops["jd"].orders[paid[0]].carrier == "467"
    assert _writebacks(sessions, sf)[0]["sent_carrier"] == "467"
    assert _writebacks(sessions, jt)[0]["error_code"] == "unknown_carrier"


def test_a_platform_refusal_keeps_its_code_on_the_order(sessions: sessionmaker[Session]) -> None:
    with platforms(served=("pdd",), orders_per_minute=3) as sim:
        channel, paid = _ready(sessions, sim, "pdd")
        order_no = _ship_through_the_floor(sessions, sim, channel, paid[0], waybill="SF9")
        sim.world.shops["pdd"].orders[paid[0]].lifecycle = Lifecycle.CANCELLED
        assert _drain(sessions, sim).failed == [paid[0]]
    [row] = _writebacks(sessions, order_no)
    assert (row["status"], row["error_code"], row["platform_code"]) == (
        "failed", "channel_refused", "50001",
    )  # fmt: skip
    assert "not_shippable" in str(row["last_error"])

"""``POST /v1/channels/{name}/push``: signed pushes from the simulator's Douyin shop and
Xiaohongshu, replays, refusals, quarantine; the operation fuzzed like the rest of the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dashboard.api import create_api
from ingest.push.douyin import event_sign
from ingest.simulator.protocols.common import Credentials
from ingest.simulator.push import douyin_push, xiaohongshu_push
from ingest.simulator.world import Lifecycle, SimOrder
from store.channels import create_channel, get_channel
from store.models import Order, QuarantinedOrder
from tests.api.test_openapi_fuzz import CHECKS, EXAMPLES
from tests.ingest.simulation import Platforms, add_sim_channel, platforms, store_view, truth_view

SHANGHAI = ZoneInfo("Asia/Shanghai")

SIM = Credentials()
PUSHING = ("douyin", "xiaohongshu")


def _api(sessions: sessionmaker[Session]) -> TestClient:
    return TestClient(create_api(sessions, zone=SHANGHAI))


@pytest.fixture
def sim() -> Iterator[Platforms]:
    with platforms(served=PUSHING, orders_per_minute=2.0) as made:
        made.world.freeze()
        yield made


def url(channel: str) -> str:
    return f"/v1/channels/{channel}/push"


def an_order(sim: Platforms, platform: str, lifecycle: Lifecycle = Lifecycle.PAID) -> SimOrder:
    shop = sim.world.shops[platform]
    return next(o for o in shop.orders.values() if o.lifecycle is lifecycle)


def push_for(sim: Platforms, platform: str, order: SimOrder) -> tuple[dict[str, str], bytes]:
    if platform == "douyin":
        made = douyin_push(order, SIM)
    else:
        made = xiaohongshu_push(order, SIM, path=url(f"{platform}-sim"), at=sim.clock())
    return made.headers, made.body


def version(sessions: sessionmaker[Session], channel: str, order_id: str) -> int | None:
    with sessions.begin() as session:
        channel_id = get_channel(session, channel).id
        return session.scalar(
            select(Order.version).where(
                Order.channel_id == channel_id, Order.channel_order_id == order_id
            )
        )


@pytest.mark.parametrize("platform", PUSHING)
def test_a_signed_push_applies_the_order_once(
    sessions: sessionmaker[Session], sim: Platforms, platform: str
) -> None:
    channel = add_sim_channel(sessions, sim, platform)
    order = an_order(sim, platform)
    headers, body = push_for(sim, platform, order)
    api = _api(sessions)

    first = api.post(url(channel), content=body, headers=headers)
    assert first.status_code == 200, first.text
    expected = {"code": 0, "msg": "success"} if platform == "douyin" else {
        "success": True, "error_code": 0, "error_msg": ""}  # fmt: skip
    assert first.json() == expected
    stored = store_view(sessions, channel)
    assert stored == {order.order_id: truth_view(sim, platform)[order.order_id]}
    applied = version(sessions, channel, order.order_id)

    replay = api.post(url(channel), content=body, headers=headers)
    assert replay.status_code == 200
    assert version(sessions, channel, order.order_id) == applied  # one change, not two
    assert store_view(sessions, channel) == stored


def test_an_unpaid_order_is_acknowledged_and_not_stored(
    sessions: sessionmaker[Session], sim: Platforms
) -> None:
    channel = add_sim_channel(sessions, sim, "douyin")
    headers, body = push_for(sim, "douyin", an_order(sim, "douyin", Lifecycle.UNPAID))
    answer = _api(sessions).post(url(channel), content=body, headers=headers)
    assert answer.status_code == 200
    assert store_view(sessions, channel) == {}


@pytest.mark.parametrize("platform", PUSHING)
def test_a_bad_or_missing_signature_applies_nothing(
    sessions: sessionmaker[Session], sim: Platforms, platform: str
) -> None:
    channel = add_sim_channel(sessions, sim, platform, secret="another-secret")
    headers, body = push_for(sim, platform, an_order(sim, platform))
    api = _api(sessions)
    for sent in (headers, {"content-type": "application/json"}):
        answer = api.post(url(channel), content=body, headers=sent)
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "invalid_signature"
    assert store_view(sessions, channel) == {}


def test_unknown_channel_is_404_without_naming_the_others(
    sessions: sessionmaker[Session], sim: Platforms
) -> None:
    add_sim_channel(sessions, sim, "douyin")
    headers, body = push_for(sim, "douyin", an_order(sim, "douyin"))
    answer = _api(sessions).post(url("nope"), content=body, headers=headers)
    assert answer.status_code == 404
    assert answer.json()["code"] == "unknown_channel"
    assert "douyin-sim" not in answer.json()["detail"]


@pytest.mark.parametrize(
    ("platform", "how"),
    [("taobao", "TMC"), ("tmall", "TMC"), ("pdd", "WebSocket"), ("jd", "JMQ")],
)
def test_platforms_without_http_push_say_how_they_are_read(
    sessions: sessionmaker[Session], platform: str, how: str
) -> None:
    with sessions.begin() as session:
        create_channel(session, name="shop", platform=platform, sync_interval_s=600,
                       credentials={"app_key": "k", "app_secret": "s"})  # fmt: skip
    answer = _api(sessions).post(url("shop"), content=b"[]")
    assert answer.status_code == 404
    problem = answer.json()
    assert problem["code"] == "push_not_offered"
    assert how in problem["detail"]
    assert "long connection" in problem["detail"]
    assert "not HTTP push; orderwatch pulls channel 'shop' every 10 minutes" in problem["detail"]


def test_a_signed_malformed_body_is_400(sessions: sessionmaker[Session], sim: Platforms) -> None:
    channel = add_sim_channel(sessions, sim, "douyin")
    body = b'[{"tag":"101","data":"{"}]'
    headers = {"app-id": SIM.app_key, "event-sign": event_sign(SIM.app_key, body, SIM.app_secret)}
    answer = _api(sessions).post(url(channel), content=body, headers=headers)
    assert answer.status_code == 400
    assert answer.json()["code"] == "malformed_push"


# --- the platform's side at the HTTP level (respx)

BASE = "http://doudian.test"


def douyin_channel(sessions: sessionmaker[Session]) -> str:
    with sessions.begin() as session:
        credentials = {"app_key": "k", "app_secret": "s", "access_token": "t"}
        create_channel(
            session, name="dy", platform="douyin", base_url=BASE, credentials=credentials
        )
    return "dy"


def signed(order_ids: list[str]) -> tuple[dict[str, str], bytes]:
    messages = [{"tag": "101", "msg_id": n, "data": json.dumps({"p_id": int(n)})}
                for n in order_ids]  # fmt: skip
    body = json.dumps(messages).encode()
    return {"app-id": "k", "event-sign": event_sign("k", body, "s")}, body


def detail(order_id: str, **overrides: Any) -> dict[str, Any]:
    data = {"order_id": order_id, "order_status": 2, "create_time": 1795000000,
            "pay_time": 1795000060, "update_time": 1795000300, "pay_amount": 5980, "pay_type": 1,
            "sku_order_list": [{"order_id": f"{order_id}1", "code": "SKU-1", "item_num": 2,
                                "pay_amount": 5980, "product_name": "杯子",
                                "after_sale_info": {"after_sale_status": 0}}]}  # fmt: skip
    data.update(overrides)
    return {"code": 10000, "msg": "success", "data": {"shop_order_detail": data}}


def test_an_order_that_cannot_be_read_is_quarantined(sessions: sessionmaker[Session]) -> None:
    channel = douyin_channel(sessions)
    headers, body = signed(["111", "222"])
    with respx.mock(assert_all_called=False) as platform:
        platform.post(f"{BASE}/order/orderDetail").mock(
            side_effect=lambda request: httpx.Response(
                200,
                json=detail("111") if b"111" in request.content
                else detail("222", pay_amount="59.80"),  # yuan text where fen belong
            )
        )  # fmt: skip
        answer = _api(sessions).post(url(channel), content=body, headers=headers)
    assert answer.status_code == 200
    assert set(store_view(sessions, channel)) == {"111"}
    with sessions.begin() as session:
        held = session.scalars(select(QuarantinedOrder)).all()
        assert [(q.channel_order_id, q.reason) for q in held] == [
            ("222", "pay_amount: '59.80' is not an amount in fen")
        ]


def test_a_platform_failure_applies_the_rest_and_asks_for_redelivery(
    sessions: sessionmaker[Session],
) -> None:
    channel = douyin_channel(sessions)
    headers, body = signed(["111", "333"])
    with respx.mock(assert_all_called=False) as platform:
        platform.post(f"{BASE}/order/orderDetail").mock(
            side_effect=lambda request: httpx.Response(200, json=detail("111"))
            if b"111" in request.content else httpx.Response(502)
        )  # fmt: skip
        answer = _api(sessions).post(url(channel), content=body, headers=headers)
    assert answer.status_code == 503
    assert answer.json()["code"] == "platform_unavailable"
    assert "333" in answer.json()["detail"]
    assert set(store_view(sessions, channel)) == {"111"}
    with sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(QuarantinedOrder)) == 0


# --- the operation fuzzed against its documented answers (tests/api/test_openapi_fuzz.py
# fuzzes tagged areas only; "channels" is not in its list yet)


def test_push_operation_fuzzed(sessions: sessionmaker[Session]) -> None:
    douyin_channel(sessions)
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_api(sessions, zone=SHANGHAI))

    @given(case=schema["/v1/channels/{name}/push"]["POST"].as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def call(case: Any) -> None:
        case.call_and_validate(checks=CHECKS)

    call()

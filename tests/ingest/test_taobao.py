"""Taobao/Tmall (TOP) connector: requests, backward paging, status tables, error codes.

The platform is mocked at the HTTP level (respx); every request's signature is checked the way
TOP checks it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import respx

from ingest.channels import connect
from ingest.channels.base import (
    AfterSales,
    ChannelConfig,
    ChannelRefused,
    InvalidSignature,
    MalformedPayload,
    RateLimited,
    SessionExpired,
    SystemBusy,
)
from ingest.channels.taobao import REFUND_STATUS, TRADE_STATUS, TaobaoConnector, sign
from store.stages import Stage

URL = "http://top.test/router/rest"
NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
CONFIG = ChannelConfig(
    name="tmall-main",
    platform="tmall",
    base_url=URL,
    app_key="12345678",
    app_secret="helloworld",
    access_token="session-1",
)


def trade(tid: int, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "tid": tid,
        "tid_str": str(tid),
        "status": "WAIT_SELLER_SEND_GOODS",
        "created": "2026-11-24 11:50:00",
        "modified": "2026-11-24 11:55:00",
        "pay_time": "2026-11-24 11:51:00",
        "payment": "200.07",
        "receiver_name": "张三",
        "receiver_mobile": "13800000000",
        "receiver_state": "浙江省",
        "receiver_city": "杭州市",
        "receiver_district": "余杭区",
        "receiver_address": "文一西路969号",
        "orders": {
            "order": [
                {
                    "oid_str": "1",
                    "outer_sku_id": "SKU-A",
                    "num": 2,
                    "price": "100.00",
                    "title": "麦包包",
                    "refund_status": "NO_REFUND",
                },
                {"oid_str": "2", "sku_id": "889", "num": 1, "price": "0.07"},
            ]
        },
    }
    data.update(overrides)
    return data


def connector(**kwargs: Any) -> TaobaoConnector:
    made = connect(CONFIG, httpx.Client(), clock=lambda: NOW, **kwargs)
    assert isinstance(made, TaobaoConnector)
    return made


def signed_params(request: httpx.Request) -> dict[str, str]:
    params = dict(parse_qsl(request.content.decode()))
    assert params["sign"] == sign(params, CONFIG.app_secret, params["sign_method"])
    assert params["app_key"] == "12345678" and params["session"] == "session-1"
    assert params["timestamp"] == "2026-11-24 12:00:00"  # GMT+8
    return params


class FakeTop:
    """Serves ``trades`` sorted by modified descending, with TOP's paging rules."""

    def __init__(self, trades: list[dict[str, Any]]) -> None:
        self.trades = trades
        self.calls: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = signed_params(request)
        self.calls.append(params)
        size, page = int(params["page_size"]), int(params["page_no"])
        chunk = self.trades[(page - 1) * size : page * size]
        body: dict[str, Any] = {"trades": {"trade": chunk}} if chunk else {}
        if params.get("use_has_next") == "true":
            body["has_next"] = page * size < len(self.trades)
        else:
            body["total_results"] = len(self.trades)
        return httpx.Response(200, json={"trades_sold_increment_get_response": body})


@respx.mock
def test_pages_from_the_last_page_back_to_the_first() -> None:
    fake = FakeTop([trade(n) for n in range(250)])
    respx.post(URL).mock(side_effect=fake)
    pages = list(connector().list_changed(NOW - timedelta(hours=1), NOW))
    assert [len(p) for p in pages] == [50, 100, 100]
    assert [(c["page_no"], c["page_size"]) for c in fake.calls] == [
        ("1", "1"),
        ("3", "100"),
        ("2", "100"),
        ("1", "100"),
    ]
    first = fake.calls[1]
    assert first["method"] == "taobao.trades.sold.increment.get"
    assert (first["start_modified"], first["end_modified"]) == (
        "2026-11-24 11:00:00",
        "2026-11-24 12:00:00",
    )
    assert first["use_has_next"] == "true" and "orders" in first["fields"]


@respx.mock
def test_an_empty_window_costs_one_call_and_accepts_a_missing_trades_key() -> None:
    fake = FakeTop([])
    respx.post(URL).mock(side_effect=fake)
    assert list(connector().list_changed(NOW - timedelta(hours=1), NOW)) == []
    assert len(fake.calls) == 1


@respx.mock
def test_a_window_that_grows_while_paged_is_read_again() -> None:
    fake = FakeTop([trade(n) for n in range(150)])
    grown = False

    def grow(request: httpx.Request) -> httpx.Response:
        nonlocal grown
        response = fake(request)
        if not grown:  # a trade enters the window right after the count
            fake.trades.append(trade(999))
            grown = True
        return response

    respx.post(URL).mock(side_effect=grow)
    pages = list(connector().list_changed(NOW - timedelta(hours=1), NOW))
    seen = {t["tid"] for page in pages for t in page}
    assert 999 in seen and len(seen) == 151


@pytest.mark.parametrize(
    ("status", "stage"),
    [
        ("TRADE_NO_CREATE_PAY", None),
        ("WAIT_BUYER_PAY", None),
        ("PAY_PENDING", None),
        ("WAIT_PRE_AUTH_CONFIRM", None),
        ("TRADE_CLOSED_BY_TAOBAO", None),
        ("WAIT_SELLER_SEND_GOODS", Stage.PAID),
        ("PAID_FORBID_CONSIGN", Stage.PAID),
        ("SELLER_CONSIGNED_PART", Stage.PAID),
        ("WAIT_BUYER_CONFIRM_GOODS", Stage.SHIPPED),
        ("TRADE_BUYER_SIGNED", Stage.DELIVERED),
        ("TRADE_FINISHED", Stage.DELIVERED),
        ("TRADE_CLOSED", Stage.CANCELLED),
    ],
)
def test_trade_status_table(status: str, stage: Stage | None) -> None:
    mapped = connector().to_channel_order(trade(1, status=status))
    assert (mapped.order.stage if mapped else None) == stage
    assert TRADE_STATUS[status] == stage


def test_the_status_table_covers_every_documented_status() -> None:
    assert len(TRADE_STATUS) == 12


@pytest.mark.parametrize(
    ("refund", "state"),
    [
        ("NO_REFUND", AfterSales.NONE),
        ("WAIT_SELLER_AGREE", AfterSales.REQUESTED),
        ("WAIT_BUYER_RETURN_GOODS", AfterSales.IN_PROGRESS),
        ("WAIT_SELLER_CONFIRM_GOODS", AfterSales.IN_PROGRESS),
        ("SELLER_REFUSE_BUYER", AfterSales.REFUSED),
        ("CLOSED", AfterSales.CLOSED),
        ("SUCCESS", AfterSales.REFUNDED),
    ],
)
def test_refund_status_table(refund: str, state: AfterSales) -> None:
    lines = trade(1)["orders"]["order"]
    lines[1]["refund_status"] = refund
    mapped = connector().to_channel_order(trade(1, orders={"order": lines}))
    assert mapped is not None and mapped.after_sales == state == REFUND_STATUS[refund]


def test_maps_a_trade_onto_the_canonical_order() -> None:
    mapped = connector().to_channel_order(trade(2231958349))
    assert mapped is not None
    order = mapped.order
    assert order.channel_order_id == "2231958349"
    assert order.amount == Decimal("200.07")
    assert order.modified_at == datetime(2026, 11, 24, 3, 55, tzinfo=UTC)  # GMT+8 → UTC
    assert order.paid_at == datetime(2026, 11, 24, 3, 51, tzinfo=UTC)
    assert order.buyer_address == "浙江省杭州市余杭区文一西路969号"
    assert [(i.sku, i.quantity, i.unit_price) for i in order.items] == [
        ("SKU-A", 2, Decimal("100.00")),
        ("889", 1, Decimal("0.07")),
    ]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"payment": "12,5"}, "payment: '12,5' is not an amount"),
        ({"modified": "2026/11/24 11:55"}, "modified: '2026/11/24 11:55' is not yyyy-MM-dd"),
        ({"status": "TRADE_ON_MARS"}, "status: unknown status 'TRADE_ON_MARS'"),
        ({"created": None}, "created: is required"),
        ({"orders": {}}, "orders.order: is required"),
    ],
)
def test_a_malformed_trade_is_refused_with_the_field_named(
    overrides: dict[str, Any], reason: str
) -> None:
    with pytest.raises(MalformedPayload, match=reason.replace("(", r"\(")):
        connector().to_channel_order(trade(1, **overrides))


def _error(code: int, sub_code: str = "", sub_msg: str = "") -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "error_response": {
                "code": code,
                "msg": "x",
                "sub_code": sub_code,
                "sub_msg": sub_msg,
                "request_id": "r",
            }
        },
    )


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (
            _error(
                7,
                "accesscontrol.limited-by-api-access-count",
                "This ban will last for 1 more seconds",
            ),
            RateLimited,
        ),
        (_error(25), InvalidSignature),
        (_error(27), SessionExpired),
        (_error(15, "isp.top-remote-connection-timeout"), SystemBusy),
        (_error(41, "isv.invalid-parameter"), ChannelRefused),
    ],
)
@respx.mock
def test_error_envelopes_become_channel_errors(
    response: httpx.Response | Exception, error: type[Exception]
) -> None:
    respx.post(URL).mock(side_effect=[response])
    with pytest.raises(error):
        connector().fetch_order("1")


@respx.mock
def test_a_rate_limit_says_how_long_the_ban_lasts() -> None:
    respx.post(URL).mock(
        return_value=_error(
            7, "accesscontrol.limited-by-app-access-count", "This ban will last for 4 more seconds"
        )
    )
    with pytest.raises(RateLimited) as caught:
        connector().fetch_order("1")
    assert caught.value.retry_after == 5


@respx.mock
def test_every_call_goes_through_the_guard() -> None:
    guarded: list[str] = []

    def guard(call: Any) -> Any:
        guarded.append("call")
        return call()

    respx.post(URL).mock(
        return_value=httpx.Response(200, json={"trade_fullinfo_get_response": {"trade": trade(5)}})
    )
    assert connector(guard=guard).fetch_order("5")["tid"] == 5
    assert guarded == ["call"]


@respx.mock
def test_write_back_calls() -> None:
    sent: list[dict[str, str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        params = signed_params(request)
        sent.append(params)
        key = params["method"].removeprefix("taobao.").replace(".", "_") + "_response"
        inner: dict[str, Any] = {"shipping": {"is_success": True}, "item": {}}
        return httpx.Response(200, json={key: inner})

    respx.post(URL).mock(side_effect=answer)
    made = connector()
    made.confirm_shipment("2231958349", waybill="SF1234567890", carrier="SF")
    made.update_stock("5566:889", 7)
    made.pause_listing("5566:889")
    made.resume_listing("5566", 3)
    picked = [
        {
            k: p[k]
            for k in p
            if k
            in {
                "method",
                "tid",
                "out_sid",
                "company_code",
                "num_iid",
                "sku_id",
                "quantity",
                "type",
                "num",
            }
        }
        for p in sent
    ]
    assert picked == [
        {
            "method": "taobao.logistics.offline.send",
            "tid": "2231958349",
            "out_sid": "SF1234567890",
            "company_code": "SF",
        },
        {
            "method": "taobao.item.quantity.update",
            "num_iid": "5566",
            "sku_id": "889",
            "quantity": "7",
            "type": "1",
        },
        {"method": "taobao.item.update.delisting", "num_iid": "5566"},
        {"method": "taobao.item.update.listing", "num_iid": "5566", "num": "3"},
    ]

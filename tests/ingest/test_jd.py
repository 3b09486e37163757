"""JD (JOS) connector: requests, backward paging by ``orderTotal``, status tables, error codes.

The platform is mocked at the HTTP level (respx); every request's signature is checked.
"""

from __future__ import annotations

import json
from dataclasses import replace
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
    ChannelSettings,
    InvalidSignature,
    MalformedPayload,
    RateLimited,
    SessionExpired,
    SystemBusy,
)
from ingest.channels.jd import AFTER_SALES, ORDER_STATE, JdConnector, format_timestamp, sign
from store.stages import Stage

URL = "http://jd.test/routerjson"
NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
CONFIG = ChannelConfig(
    name="jd-main",
    platform="jd",
    base_url=URL,
    app_key="yourappkey",
    app_secret="yourappSecret",
    access_token="yourtoken",
)


def jd_order(order_id: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "orderId": order_id,
        "orderState": "WAIT_SELLER_STOCK_OUT",
        "payType": "4",
        "orderPayment": "59.80",
        "orderStartTime": "2026-11-24 11:40:00",
        "paymentConfirmTime": "2026-11-24 11:41:00",
        "modified": "2026-11-24 11:45:00",
        "consigneeInfo": {
            "fullname": "王五",
            "mobile": "13700000000",
            "fullAddress": "北京市朝阳区建国路88号",
        },
        "itemInfoList": [
            {
                "skuId": "100012",
                "wareId": "100012",
                "outerSkuId": "SKU-C",
                "skuName": "咖啡豆",
                "jdPrice": "29.90",
                "itemTotal": "2",
            }
        ],
    }
    data.update(overrides)
    return data


def connector() -> JdConnector:
    made = connect(CONFIG, httpx.Client(), clock=lambda: NOW)
    assert isinstance(made, JdConnector)
    return made


def signed(request: httpx.Request) -> tuple[dict[str, str], dict[str, Any]]:
    """The form parameters (signature checked) and the decoded business parameters."""
    params = dict(parse_qsl(request.content.decode()))
    assert params["sign"] == sign(params, CONFIG.app_secret)
    assert (params["app_key"], params["access_token"], params["v"]) == (
        "yourappkey",
        "yourtoken",
        "2.0",
    )
    assert params["timestamp"] == "2026-11-24 12:00:00.000+0800"
    business: dict[str, Any] = json.loads(params["360buy_param_json"])
    return params, business


class FakeJd:
    """Serves ``orders`` newest first with JD's ``orderTotal`` on every page."""

    def __init__(self, orders: list[dict[str, Any]]) -> None:
        self.orders = orders
        self.calls: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params, business = signed(request)
        self.calls.append({"method": params["method"], **business})
        size, page = int(business["page_size"]), int(business["page"])
        result = {
            "apiResult": {"success": True},
            "orderTotal": len(self.orders),
            "orderInfoList": self.orders[(page - 1) * size : page * size],
        }
        return httpx.Response(
            200,
            json={"jingdong_pop_order_search_responce": {"searchorderinfo_result": result}},
        )


def test_timestamp_is_what_the_official_sdk_sends() -> None:
    moment = datetime(2021, 5, 7, 1, 20, 39, 683_000, tzinfo=UTC)
    assert format_timestamp(moment) == "2021-05-07 09:20:39.683+0800"


@respx.mock
def test_pages_from_the_last_page_back_to_the_first() -> None:
    fake = FakeJd([jd_order(str(n)) for n in range(120)])
    respx.post(URL).mock(side_effect=fake)
    pages = list(connector().list_changed(NOW - timedelta(hours=1), NOW))
    assert [len(p) for p in pages] == [20, 50, 50]
    assert [(c["page"], c["page_size"]) for c in fake.calls] == [
        ("1", "1"),
        ("3", "50"),
        ("2", "50"),
        ("1", "50"),
    ]
    first = fake.calls[1]
    assert first["method"] == "jingdong.pop.order.search"
    assert (first["start_date"], first["end_date"]) == (
        "2026-11-24 11:00:00",
        "2026-11-24 12:00:00",
    )
    assert first["dateType"] == "0" and first["sortType"] == "1"  # by modified time, newest first
    assert set(first["order_state"].split(",")) == set(ORDER_STATE)
    assert "itemInfoList" in first["optional_fields"]


@respx.mock
def test_a_window_that_grows_while_paged_is_read_again() -> None:
    fake = FakeJd([jd_order(str(n)) for n in range(100)])
    grown = False

    def grow(request: httpx.Request) -> httpx.Response:
        nonlocal grown
        response = fake(request)
        if not grown:  # an order enters the window right after the count
            fake.orders.append(jd_order("999"))
            grown = True
        return response

    respx.post(URL).mock(side_effect=grow)
    pages = list(connector().list_changed(NOW - timedelta(hours=1), NOW))
    seen = {o["orderId"] for page in pages for o in page}
    assert "999" in seen and len(seen) == 101


@respx.mock
def test_creation_time_lists_ask_for_date_type_one() -> None:
    fake = FakeJd([])
    respx.post(URL).mock(side_effect=fake)
    assert list(connector().list_created(NOW - timedelta(hours=1), NOW)) == []
    assert fake.calls[0]["dateType"] == "1"


@pytest.mark.parametrize(
    ("state", "stage", "after_sales"),
    [
        ("WAIT_SELLER_STOCK_OUT", Stage.PAID, AfterSales.NONE),
        ("WAIT_SELLER_DELIVERY", Stage.PAID, AfterSales.NONE),
        ("WAIT_SEND_CODE", Stage.PAID, AfterSales.NONE),
        ("PAUSE", Stage.PAID, AfterSales.NONE),
        ("POP_ORDER_PAUSE", Stage.PAID, AfterSales.NONE),
        ("LOCKED", Stage.PAID, AfterSales.REQUESTED),
        ("WAIT_GOODS_RECEIVE_CONFIRM", Stage.SHIPPED, AfterSales.NONE),
        ("FINISHED_L", Stage.DELIVERED, AfterSales.NONE),
        ("TRADE_CANCELED", Stage.CANCELLED, AfterSales.REFUNDED),
    ],
)
def test_order_state_table(state: str, stage: Stage, after_sales: AfterSales) -> None:
    mapped = connector().to_channel_order(jd_order("1", orderState=state))
    assert mapped is not None
    assert (mapped.order.stage, mapped.after_sales) == (stage, after_sales)
    assert ORDER_STATE[state] == stage
    assert AFTER_SALES.get(state, AfterSales.NONE) == after_sales


def test_the_state_table_covers_every_documented_state() -> None:
    assert len(ORDER_STATE) == 9


def test_a_cash_on_delivery_order_cancelled_before_payment_has_no_refund() -> None:
    raw = jd_order("1", orderState="TRADE_CANCELED", payType="1", paymentConfirmTime="")
    mapped = connector().to_channel_order(raw)
    assert mapped is not None and mapped.after_sales is AfterSales.NONE
    assert mapped.order.payment_method == "cod"


def test_maps_an_order_onto_the_canonical_order() -> None:
    mapped = connector().to_channel_order(jd_order("3000000000001"))
    assert mapped is not None
    order = mapped.order
    assert (order.channel_order_id, order.amount, order.payment_method) == (
        "3000000000001",
        Decimal("59.80"),
        "online",
    )
    assert order.modified_at == datetime(2026, 11, 24, 3, 45, tzinfo=UTC)  # GMT+8 → UTC
    assert order.buyer_address == "北京市朝阳区建国路88号"
    assert [(i.sku, i.quantity, i.unit_price) for i in order.items] == [
        ("SKU-C", 2, Decimal("29.90"))
    ]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"orderPayment": "1O0.00"}, "orderPayment: '1O0.00' is not an amount"),
        ({"orderState": "ON_THE_MOON"}, "orderState: unknown status 'ON_THE_MOON'"),
        ({"modified": "2026/11/24"}, "modified: '2026/11/24' is not yyyy-MM-dd"),
        ({"itemInfoList": []}, "itemInfoList: is required"),
        ({"orderId": None}, "orderId: is required"),
    ],
)
def test_a_malformed_order_is_refused_with_the_field_named(
    overrides: dict[str, Any], reason: str
) -> None:
    with pytest.raises(MalformedPayload, match=reason):
        connector().to_channel_order(jd_order("1", **overrides))


def _error(code: str, zh: str, en: str = "") -> httpx.Response:
    return httpx.Response(
        200, json={"error_response": {"code": code, "zh_desc": zh, "en_desc": en}}
    )


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (_error("19", "无效access_token", "Invalid access_token"), SessionExpired),
        (_error("12", "无效签名"), InvalidSignature),
        (_error("66", "服务繁忙"), SystemBusy),
        (_error("429", "调用频率超限"), RateLimited),  # code unknown: recognised by description
        (_error("15", "不存在的方法名", "Invalid Method"), ChannelRefused),
        (httpx.Response(429), RateLimited),
        (httpx.Response(503), SystemBusy),
    ],
)
@respx.mock
def test_error_codes(response: httpx.Response, error: type[Exception]) -> None:
    respx.post(URL).mock(return_value=response)
    with pytest.raises(error):
        connector().fetch_order("1")


@respx.mock
def test_a_failed_api_result_inside_a_success_body_is_a_refusal() -> None:
    api = {"success": False, "chineseErrCode": "订单不存在", "numberCode": 10200005}
    respx.post(URL).mock(
        return_value=httpx.Response(
            200, json={"jingdong_pop_order_get_responce": {"orderDetailInfo": {"apiResult": api}}}
        )
    )
    with pytest.raises(ChannelRefused, match="订单不存在"):
        connector().fetch_order("1")


SDK_PARAMETERS = {
    # every business parameter the official SDKs send per method (Java
    # com.jd.open.api.sdk.request.*: getAppJsonParams; .NET yjm123456/fx.amiya.api
    # src/JDSDK/Request/*.cs: PrepareParam)
    "jingdong.pop.order.shipment": {"orderId", "logiCoprId", "logiNo", "installId",
                                    "venderTaskAddressId"},
    "jingdong.ware.write.upOrDown": {"wareId", "opType", "note"},
    "jingdong.ware.stock.sku.set": {"req"},
    "360buy.get.vender.all.delivery.company": {"fields"},
}  # fmt: skip


class SdkShapedJd:
    """Answers only calls an official SDK could have built: a known method, parameters from
    that SDK request class, the required ones present."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params, business = signed(request)
        method = params["method"]
        if method not in SDK_PARAMETERS:
            return _error("15", "不存在的方法名", "Invalid Method")
        if not set(business) <= SDK_PARAMETERS[method]:
            return _error("34", f"unknown parameters {set(business) - SDK_PARAMETERS[method]}")
        self.sent.append({"method": method, **business})
        key = method.replace(".", "_") + "_responce"
        inner = {"code": "0", "success": True, "sopjosshipment_result": {"success": True},
                 "returnType": {"success": True}}  # fmt: skip
        return httpx.Response(200, json={key: inner})


@respx.mock
def test_write_back_calls_have_the_sdks_method_names_and_parameters() -> None:
    fake = SdkShapedJd()
    respx.post(URL).mock(side_effect=fake)
    made = connector()
    made.confirm_shipment("3000000000001", waybill="JDV0001", carrier="467")
    made.update_stock("100012:200034", 7)
    made.pause_listing("100012:200034")
    made.resume_listing("100012", 3)
    off, on = "库存低于安全线 / stock below safety threshold", "库存恢复 / stock recovered"
    assert fake.sent == [
        {
            "method": "jingdong.pop.order.shipment",
            "orderId": "3000000000001",  # not order_id
            "logiCoprId": "467",
            "logiNo": "JDV0001",
        },
        {"method": "jingdong.ware.stock.sku.set",
         "req": {"skuStocks": [{"skuId": 200034, "stockNum": 7}]}},
        {"method": "jingdong.ware.write.upOrDown", "wareId": 100012, "opType": 2, "note": off},
        {"method": "jingdong.ware.stock.sku.set",
         "req": {"skuStocks": [{"skuId": 100012, "stockNum": 3}]}},
        {"method": "jingdong.ware.write.upOrDown", "wareId": 100012, "opType": 1, "note": on},
    ]  # fmt: skip


@respx.mock
def test_the_carrier_list_is_the_shops_delivery_companies() -> None:
    answer = {
        "vender_delivery_all_company_response": {
            "delivery_companies": [
                {"id": 467, "name": "顺丰快递"},
                {"id": 1499, "name": "中通速递"},
                {"name": "无编号"},
            ]
        }
    }
    respx.post(URL).mock(return_value=httpx.Response(200, json=answer))  # fmt: skip
    listed = connector().list_carriers()
    assert [(e.code, e.name) for e in listed] == [("467", "顺丰快递"), ("1499", "中通速递")]


@respx.mock
def test_a_rate_limit_code_the_channel_names_is_a_rate_limit() -> None:
    """JD publishes no rate-limit code; a shop that meets one names it in its settings."""
    respx.post(URL).mock(return_value=_error("12345", "系统错误"))
    with pytest.raises(ChannelRefused):
        connector().fetch_order("1")
    config = replace(CONFIG, settings=ChannelSettings(rate_limit_codes=frozenset({"12345"})))
    named = connect(config, httpx.Client(), clock=lambda: NOW)
    with pytest.raises(RateLimited):
        named.fetch_order("1")


@respx.mock
def test_a_refused_shipment_is_an_error() -> None:
    respx.post(URL).mock(
        return_value=httpx.Response(
            200,
            json={"jingdong_pop_order_shipment_responce": {"sopjosshipment_result": {}}},
        )
    )
    with pytest.raises(ChannelRefused):
        connector().confirm_shipment("1", waybill="x", carrier="1")

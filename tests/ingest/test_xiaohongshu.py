"""Xiaohongshu (ark) connector: the request envelope and signature, backward paging with a detail
call per order, status tables (UNIX milliseconds, fen), errors told apart by message.

The platform is mocked at the HTTP level (respx); every request's signature is checked.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

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
from ingest.channels.xiaohongshu import (
    AFTER_SALES_STATUS,
    ORDER_STATUS,
    XiaohongshuConnector,
    sign,
    stage_of,
)
from store.errors import InvalidInput
from store.stages import Stage

URL = "http://ark.test/ark/open_api/v3/common_controller"
NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
CONFIG = ChannelConfig(
    name="xhs-main",
    platform="xiaohongshu",
    base_url=URL,
    app_key="21d60be8de0",
    app_secret="xhs-secret",
    access_token="token-67aba019",
)
MS = int(datetime(2026, 11, 24, 3, 40, tzinfo=UTC).timestamp()) * 1000
VECTORS = Path(__file__).parent / "vectors"


def summary(order_id: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "orderId": order_id,
        "orderStatus": 4,
        "orderAfterSalesStatus": 1,
        "cancelStatus": 0,
        "createdTime": MS,
        "paidTime": MS + 60_000,
        "updateTime": MS + 300_000,
        "promiseLastDeliveryTime": MS + 172_800_000,
        "receiverProvinceName": "江苏省",
        "receiverCityName": "苏州市",
        "receiverDistrictName": "相城区",
    }
    data.update(overrides)
    return data


def detail(order_id: str, **overrides: Any) -> dict[str, Any]:
    data = summary(order_id)
    data.update(
        {
            "totalPayAmount": 12900,
            "paymentType": 7,
            "skuList": [
                {
                    "skuId": "603c0b0a",
                    "skuName": "保温杯",
                    "erpcode": "SKU-E",
                    "skuQuantity": 3,
                    "totalPaidAmount": 12900,
                }
            ],
        }
    )
    data.update(overrides)
    return data


def connector() -> XiaohongshuConnector:
    made = connect(CONFIG, httpx.Client(), clock=lambda: NOW)
    assert isinstance(made, XiaohongshuConnector)
    return made


def signed(request: httpx.Request) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(request.content)
    stamp = str(int(NOW.timestamp()))
    text = f"{body['method']}?appId=21d60be8de0&timestamp={stamp}&version=2.0xhs-secret"
    assert (
        body["sign"] == hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
    )  # doc 039, lower-case hex
    assert (body["appId"], body["timestamp"], body["version"]) == ("21d60be8de0", stamp, "2.0")
    assert body["accessToken"] == "token-67aba019"
    assert request.headers["content-type"].startswith("application/json")
    return body


def ok(data: Any) -> httpx.Response:
    return httpx.Response(200, json={"success": True, "error_code": 0, "data": data})


def test_the_request_carries_the_documented_system_parameters() -> None:
    # Official doc "签名算法" (文档ID 39) request example, vectors/
    # xiaohongshu_common_controller.request.example.txt (its sign is masked, so there is no
    # vector to compare against).
    example = (VECTORS / "xiaohongshu_common_controller.request.example.txt").read_text("utf-8")
    documented = {"sign", "appId", "accessToken", "timestamp", "version", "method"}
    assert all(f'"{key}"' in example for key in documented)
    assert "不参与验签" in example  # accessToken is not signed

    sent: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(signed(request))
        return ok(detail("P1"))

    with respx.mock:
        respx.post(URL).mock(side_effect=answer)
        connector().fetch_order("P1")
    assert set(sent[0]) == documented | {"orderId"}
    # Changing only the access token leaves the signature as it is.
    assert (
        sign("order.getOrderDetail", "a", "1", "2.0", "s")
        == hashlib.md5(
            b"order.getOrderDetail?appId=a&timestamp=1&version=2.0s", usedforsecurity=False
        ).hexdigest()
    )


class FakeArk:
    """Lists ``summaries`` newest first and answers details from ``details``."""

    def __init__(self, summaries: list[dict[str, Any]]) -> None:
        self.summaries = summaries
        self.lists: list[dict[str, Any]] = []
        self.details: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = signed(request)
        if body["method"] == "order.getOrderDetail":
            self.details.append(body["orderId"])
            return ok(detail(body["orderId"]))
        self.lists.append(body)
        page, size = body["pageNo"], body["pageSize"]
        rows = self.summaries[(page - 1) * size : page * size]
        total = len(self.summaries)
        return ok({"total": total, "pageNo": page, "pageSize": size,
                   "maxPageNo": -(-total // size), "orderList": rows})  # fmt: skip


@respx.mock
def test_pages_backwards_and_reads_the_detail_of_each_paid_order() -> None:
    summaries = [summary(f"P{n}") for n in range(150)]
    summaries[0] = summary("P0", orderStatus=1, paidTime=None)  # unpaid: no detail call
    fake = FakeArk(summaries)
    respx.post(URL).mock(side_effect=fake)
    start = NOW - timedelta(minutes=30)
    pages = list(connector().list_changed(start, NOW))
    assert [len(p) for p in pages] == [50, 100]
    assert [(c["pageNo"], c["pageSize"]) for c in fake.lists] == [(1, 1), (2, 100), (1, 100)]
    first = fake.lists[1]
    assert (first["startTime"], first["endTime"], first["timeType"]) == (
        int(start.timestamp()),
        int(NOW.timestamp()),
        2,  # 更新时间
    )
    assert len(fake.details) == 149 and "P0" not in fake.details
    unpaid = next(o for page in pages for o in page if o["orderId"] == "P0")
    assert connector().to_channel_order(unpaid) is None


@respx.mock
def test_creation_time_lists_are_cut_into_days() -> None:
    fake = FakeArk([])
    respx.post(URL).mock(side_effect=fake)
    assert list(connector().list_created(NOW - timedelta(hours=30), NOW)) == []
    assert [c["timeType"] for c in fake.lists] == [1, 1]
    assert fake.lists[0]["endTime"] - fake.lists[0]["startTime"] == 86400


@pytest.mark.parametrize(
    ("status", "paid", "stage"),
    [
        ("1", False, None),  # 已下单待付款
        ("2", True, Stage.PAID),  # 已支付处理中
        ("3", True, Stage.PAID),  # 清关中
        ("4", True, Stage.PAID),  # 待发货
        ("5", True, Stage.PAID),  # 部分发货
        ("6", True, Stage.SHIPPED),  # 待收货
        ("7", True, Stage.DELIVERED),  # 已完成
        ("8", True, Stage.CANCELLED),  # 已关闭 after payment
        ("8", False, None),  # 已关闭 before payment
        ("9", True, Stage.CANCELLED),  # 已取消 after payment
        ("9", False, None),
        ("10", True, Stage.DELIVERED),  # 换货申请中
    ],
)
def test_order_status_table(status: str, paid: bool, stage: Stage | None) -> None:
    assert stage_of(status, paid) == stage
    raw = detail("P1", orderStatus=int(status), paidTime=MS if paid else None)
    mapped = connector().to_channel_order(raw)
    assert (mapped.order.stage if mapped else None) == stage


def test_the_status_tables_cover_every_documented_value() -> None:
    assert set(ORDER_STATUS) == {str(n) for n in range(1, 11)}
    assert set(AFTER_SALES_STATUS) == {str(n) for n in range(1, 8)}


@pytest.mark.parametrize(
    ("status", "cancel", "state"),
    [
        (1, 0, AfterSales.NONE),
        (1, 1, AfterSales.REQUESTED),  # 取消处理中
        (2, 0, AfterSales.REQUESTED),
        (6, 0, AfterSales.IN_PROGRESS),
        (3, 0, AfterSales.REFUNDED),
        (4, 0, AfterSales.REFUSED),
        (5, 0, AfterSales.CLOSED),
        (7, 0, AfterSales.CLOSED),
    ],
)
def test_after_sales_status_table(status: int, cancel: int, state: AfterSales) -> None:
    raw = detail("P1", orderAfterSalesStatus=status, cancelStatus=cancel)
    mapped = connector().to_channel_order(raw)
    assert mapped is not None and mapped.after_sales == state


def test_maps_a_detail_onto_the_canonical_order() -> None:
    mapped = connector().to_channel_order(detail("P7000000000000000001"))
    assert mapped is not None
    order = mapped.order
    assert (order.channel_order_id, order.amount, order.payment_method) == (
        "P7000000000000000001",
        Decimal("129.00"),  # fen → yuan
        "alipay_password_free",  # paymentType 7 is documented as 支付宝免密支付
    )
    assert order.created_at == datetime(2026, 11, 24, 3, 40, tzinfo=UTC)  # milliseconds
    assert order.modified_at == datetime(2026, 11, 24, 3, 45, tzinfo=UTC)
    assert order.ship_by == datetime(2026, 11, 26, 3, 40, tzinfo=UTC)
    assert order.buyer_address == "江苏省苏州市相城区"
    assert order.buyer_name is None and order.buyer_phone is None  # not in the detail
    assert [(i.sku, i.quantity, i.unit_price) for i in order.items] == [
        ("SKU-E", 3, Decimal("43.00"))
    ]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"totalPayAmount": "129.00"}, "totalPayAmount: '129.00' is not an amount in fen"),
        ({"orderStatus": "待发货"}, "orderStatus: unknown status '待发货'"),
        ({"updateTime": "2026-11-24"}, "updateTime: '2026-11-24' is not a UNIX time"),
        ({"skuList": []}, "skuList: is required"),
        ({"orderId": None}, "orderId: is required"),
    ],
)
def test_a_malformed_order_is_refused_with_the_field_named(
    overrides: dict[str, Any], reason: str
) -> None:
    with pytest.raises(MalformedPayload, match=reason):
        connector().to_channel_order(detail("P1", **overrides))


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("请求过于频繁，触发限流", RateLimited),
        ("accessToken已过期", SessionExpired),
        ("授权已失效，请重新授权", SessionExpired),
        ("签名校验失败", InvalidSignature),
        ("系统繁忙，请稍后重试", SystemBusy),
        ("订单不存在", ChannelRefused),
    ],
)
@respx.mock
def test_errors_are_told_apart_by_their_message(message: str, error: type[Exception]) -> None:
    body = {"success": False, "error_code": -1, "error_msg": message, "data": None}
    respx.post(URL).mock(return_value=httpx.Response(200, json=body))
    with pytest.raises(error):
        connector().fetch_order("P1")


@respx.mock
def test_write_back_calls() -> None:
    sent: list[dict[str, Any]] = []
    system = {"appId", "timestamp", "version", "sign", "accessToken"}

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append({k: v for k, v in signed(request).items() if k not in system})
        return ok("")

    respx.post(URL).mock(side_effect=answer)
    made = connector()
    made.confirm_shipment("P1", waybill="SF100", carrier="shunfeng")
    made.pause_listing("item-1:603c0b0a")
    made.resume_listing("603c0b0a", 5)
    assert sent == [
        {
            "method": "order.orderDeliver",
            "orderId": "P1",
            "expressNo": "SF100",
            "expressCompanyCode": "shunfeng",
        },
        {"method": "product.updateSkuAvailable", "skuId": "603c0b0a", "available": False},
        {"method": "inventory.syncSkuStock", "skuId": "603c0b0a", "qty": 5},
        {"method": "product.updateSkuAvailable", "skuId": "603c0b0a", "available": True},
    ]


def _with(**settings: Any) -> XiaohongshuConnector:
    config = replace(CONFIG, settings=ChannelSettings.from_row(CONFIG.name, settings))
    made = connect(config, httpx.Client(), clock=lambda: NOW)
    assert isinstance(made, XiaohongshuConnector)
    return made


@pytest.mark.parametrize(
    ("settings", "raw", "method"),
    [
        ({}, {"paymentType": 7}, "alipay_password_free"),  # no guess without a setting
        ({"bnpl_payment_types": [7]}, {"paymentType": 7}, "buy_now_pay_later"),
        ({"bnpl_payment_types": [7]}, {"paymentType": 1}, "alipay"),
        ({"bnpl_order_tags": ["XYZ_BNPL"]}, {"orderTagList": ["URGENT_SHIP", "XYZ_BNPL"]},
         "buy_now_pay_later"),
        ({"bnpl_order_tags": ["XYZ_BNPL"]}, {"paymentType": 1, "orderTagList": ["URGENT_SHIP"]},
         "alipay"),
    ],
)  # fmt: skip
def test_buy_now_pay_later_is_what_the_channel_says_it_is(
    settings: dict[str, Any], raw: dict[str, Any], method: str
) -> None:
    """UNCERTAIN on Xiaohongshu: the docs document no 先用后付 signal, so only a channel's
    setting makes one (``settings.bnpl_payment_types`` / ``bnpl_order_tags``)."""
    mapped = _with(**settings).to_channel_order(detail("P1", **raw))
    assert mapped is not None and mapped.order.payment_method == method


def test_unknown_settings_are_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown settings bnpl"):
        ChannelSettings.from_row("xhs-main", {"bnpl": [7]})


@respx.mock
def test_a_rate_limit_code_the_channel_names_is_a_rate_limit() -> None:
    """Xiaohongshu publishes no error-code list; a shop names the code its throttling uses."""
    body = {"success": False, "error_code": -9999, "error_msg": "系统错误"}
    respx.post(URL).mock(return_value=httpx.Response(200, json=body))
    with pytest.raises(ChannelRefused):
        connector().fetch_order("P1")
    with pytest.raises(RateLimited):
        _with(rate_limit_codes=[-9999]).fetch_order("P1")


@respx.mock
def test_the_carrier_list_is_get_express_company_list() -> None:
    # docs/小红书官方文档/api/公共API/common_getExpressCompanyList_获取快递公司信息.json
    infos = [{"expressCompanyId": 1, "expressCompanyCode": "zto", "expressCompanyName": "中通速递",
              "comment": "该快递可做一单到底"}]  # fmt: skip
    body = {"success": True, "error_code": 0, "data": {"expressCompanyInfos": infos}}
    route = respx.post(URL).mock(return_value=httpx.Response(200, json=body))
    listed = connector().list_carriers()
    assert [(e.code, e.name) for e in listed] == [("zto", "中通速递")]
    assert json.loads(route.calls[0].request.content)["method"] == "common.getExpressCompanyList"

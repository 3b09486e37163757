"""Douyin shop (doudian) connector: requests, pages from 0 read backwards, status tables, errors.

The platform is mocked at the HTTP level (respx); every request's signature is checked.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

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
from ingest.channels.douyin import AFTER_SALE_STATUS, ORDER_STATUS, DouyinConnector, sign, stage_of
from rules.catalog import LoadedRules
from rules.defaults import DEFAULT_RULES
from rules.risk import RiskEvaluator, RiskFacts
from store.stages import Stage

BASE = "http://doudian.test"
NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
CONFIG = ChannelConfig(
    name="douyin-main",
    platform="douyin",
    base_url=BASE,
    app_key="6844048284663924231",
    app_secret="749698a6-fcb3-4358-b241-ec1d93cf9c1f",
    access_token="token-1",
)
T = int(datetime(2026, 11, 24, 3, 40, tzinfo=UTC).timestamp())


def shop_order(number: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "order_id": number,
        "order_status": 2,
        "create_time": T,
        "pay_time": T + 60,
        "update_time": T + 300,
        "exp_ship_time": T + 86400,
        "pay_amount": 5980,
        "pay_type": 1,
        "post_receiver": "赵六",
        "post_tel": "13600000000",
        "post_addr": {
            "province": {"name": "广东省"},
            "city": {"name": "深圳市"},
            "town": {"name": "南山区"},
            "street": {"name": ""},
            "detail": "科技园路1号",
        },
        "sku_order_list": [
            {
                "order_id": f"{number}1",
                "product_id": 3600000000000000001,
                "sku_id": 1750000000000000001,
                "code": "SKU-D",
                "product_name": "面膜",
                "item_num": 2,
                "pay_amount": 5980,
                "after_sale_info": {"after_sale_status": 0, "refund_status": 0},
            }
        ],
    }
    data.update(overrides)
    return data


def connector() -> DouyinConnector:
    made = connect(CONFIG, httpx.Client(), clock=lambda: NOW)
    assert isinstance(made, DouyinConnector)
    return made


def signed(request: httpx.Request) -> tuple[dict[str, str], dict[str, Any]]:
    """The query (signature checked) and the ``param_json`` body."""
    query = dict(request.url.params)
    body = request.content.decode()
    assert query["sign"] == sign(
        query["app_key"], query["method"], body, query["timestamp"], CONFIG.app_secret
    )
    assert request.url.path == "/" + query["method"].replace(".", "/")
    assert (query["timestamp"], query["v"], query["sign_method"]) == (
        str(int(NOW.timestamp())),
        "2",
        "hmac-sha256",
    )
    assert query["access_token"] == "token-1"
    assert request.headers["x-open-no-old-err-code"] == "1"
    business: dict[str, Any] = json.loads(body)
    return query, business


def ok(data: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json={"code": 10000, "msg": "success", "data": data})


class FakeDoudian:
    """Serves ``orders`` newest first, pages counted from 0."""

    def __init__(self, orders: list[dict[str, Any]]) -> None:
        self.orders = orders
        self.calls: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        _query, business = signed(request)
        self.calls.append(business)
        page, size = business["page"], business["size"]
        chunk = self.orders[page * size : (page + 1) * size]
        return ok({"page": page, "size": size, "total": len(self.orders), "shop_order_list": chunk})


@respx.mock
def test_pages_from_the_last_page_back_to_page_zero() -> None:
    fake = FakeDoudian([shop_order(str(n)) for n in range(230)])
    respx.post(f"{BASE}/order/searchList").mock(side_effect=fake)
    start = NOW - timedelta(hours=1)
    pages = list(connector().list_changed(start, NOW))
    assert [len(p) for p in pages] == [30, 100, 100]
    assert [(c["page"], c["size"]) for c in fake.calls] == [(0, 1), (2, 100), (1, 100), (0, 100)]
    first = fake.calls[1]
    assert (first["update_time_start"], first["update_time_end"]) == (
        int(start.timestamp()),
        int(NOW.timestamp()),
    )
    assert (first["order_by"], first["order_asc"]) == ("update_time", False)


@respx.mock
def test_creation_time_lists_order_by_creation() -> None:
    fake = FakeDoudian([])
    respx.post(f"{BASE}/order/searchList").mock(side_effect=fake)
    assert list(connector().list_created(NOW - timedelta(hours=1), NOW)) == []
    assert fake.calls[0]["order_by"] == "create_time" and "create_time_start" in fake.calls[0]


@respx.mock
def test_a_window_beyond_the_paging_cap_is_refused_clearly() -> None:
    respx.post(f"{BASE}/order/searchList").mock(
        return_value=ok({"page": 0, "size": 1, "total": 50_001, "shop_order_list": []})
    )
    with pytest.raises(ChannelRefused, match="more than doudian pages through"):
        list(connector().list_changed(NOW - timedelta(hours=1), NOW))


@pytest.mark.parametrize(
    ("status", "paid", "stage"),
    [
        ("1", False, None),  # 待支付
        ("105", True, Stage.PAID),  # 已支付
        ("2", True, Stage.PAID),  # 备货中
        ("101", True, Stage.PAID),  # 部分发货
        ("3", True, Stage.SHIPPED),  # 已发货
        ("5", True, Stage.DELIVERED),  # 已完成
        ("4", True, Stage.CANCELLED),  # 已取消 after payment: refunded
        ("4", False, None),  # 已取消 before payment: never ours
    ],
)
def test_order_status_table(status: str, paid: bool, stage: Stage | None) -> None:
    assert stage_of(status, paid) == stage
    raw = shop_order("1", order_status=int(status), pay_time=T if paid else 0)
    mapped = connector().to_channel_order(raw)
    assert (mapped.order.stage if mapped else None) == stage


def test_the_status_table_covers_every_documented_status() -> None:
    assert set(ORDER_STATUS) == {"1", "105", "2", "101", "3", "4", "5"}


@pytest.mark.parametrize(
    ("status", "state"),
    [
        (0, AfterSales.NONE),
        (6, AfterSales.REQUESTED),
        (7, AfterSales.IN_PROGRESS),
        (11, AfterSales.IN_PROGRESS),
        (13, AfterSales.IN_PROGRESS),
        (12, AfterSales.REFUNDED),
        (53, AfterSales.REFUNDED),
        (27, AfterSales.REFUSED),
        (29, AfterSales.REFUSED),
        (14, AfterSales.CLOSED),
        (28, AfterSales.CLOSED),
        (51, AfterSales.CLOSED),
    ],
)
def test_after_sale_status_table(status: int, state: AfterSales) -> None:
    raw = shop_order("1")
    second = {**raw["sku_order_list"][0], "after_sale_info": {"after_sale_status": status}}
    raw["sku_order_list"].append(second)
    mapped = connector().to_channel_order(raw)
    assert mapped is not None and mapped.after_sales == state == AFTER_SALE_STATUS[str(status)]


def test_maps_an_order_onto_the_canonical_order() -> None:
    mapped = connector().to_channel_order(shop_order("6920000000000000001"))
    assert mapped is not None
    order = mapped.order
    assert (order.channel_order_id, order.amount, order.payment_method) == (
        "6920000000000000001",
        Decimal("59.80"),  # fen → yuan
        "wechat",
    )
    assert order.created_at == datetime(2026, 11, 24, 3, 40, tzinfo=UTC)  # UNIX seconds
    assert order.modified_at == datetime(2026, 11, 24, 3, 45, tzinfo=UTC)
    assert order.ship_by == datetime(2026, 11, 25, 3, 40, tzinfo=UTC)
    assert order.buyer_address == "广东省深圳市南山区科技园路1号"
    assert [(i.sku, i.quantity, i.unit_price) for i in order.items] == [
        ("SKU-D", 2, Decimal("29.90"))
    ]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"pay_amount": "59.80"}, "pay_amount: '59.80' is not an amount in fen"),
        ({"order_status": 99}, "order_status: unknown status '99'"),
        (
            {"update_time": "2026-11-24 11:45:00"},
            "update_time: '2026-11-24 11:45:00' is not a UNIX",
        ),
        ({"sku_order_list": []}, "sku_order_list: is required"),
        ({"order_id": None}, "order_id: is required"),
    ],
)
def test_a_malformed_order_is_refused_with_the_field_named(
    overrides: dict[str, Any], reason: str
) -> None:
    with pytest.raises(MalformedPayload, match=reason):
        connector().to_channel_order(shop_order("1", **overrides))


def _error(code: int, sub_code: str) -> httpx.Response:
    body = {"code": code, "msg": "x", "sub_code": sub_code, "sub_msg": "y", "log_id": "l"}
    return httpx.Response(200, json=body)


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (_error(60000, "isv.traffic-limited"), RateLimited),
        (_error(20000, "isp.service-error:20004"), SystemBusy),
        (_error(20001, ""), SystemBusy),
        (_error(40003, "isv.access-token-expired"), SessionExpired),
        (_error(30001, "dop.authorization-closed"), SessionExpired),
        (_error(40003, "isv.signature-invalid"), InvalidSignature),
        (_error(40004, "isv.parameter-invalid:20013"), ChannelRefused),
    ],
)
@respx.mock
def test_error_codes(response: httpx.Response, error: type[Exception]) -> None:
    respx.post(f"{BASE}/order/orderDetail").mock(return_value=response)
    with pytest.raises(error):
        connector().fetch_order("1")


@respx.mock
def test_write_back_calls() -> None:
    sent: list[tuple[str, dict[str, Any]]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        query, business = signed(request)
        sent.append((query["method"], business))
        return ok({})

    respx.post(url__startswith=BASE).mock(side_effect=answer)
    made = connector()
    made.confirm_shipment("6920000000000000001", waybill="YT123", carrier="yuantong")
    made.pause_listing("3600000000000000001:1750000000000000001")
    made.resume_listing("3600000000000000001:1750000000000000001", 4)
    product, sku = 3600000000000000001, 1750000000000000001
    assert sent == [
        (
            "order.logisticsAdd",
            {
                "order_id": "6920000000000000001",
                "company_code": "yuantong",
                "logistics_code": "YT123",
            },
        ),
        ("product.setOffline", {"product_id": product}),
        (
            "sku.syncStock",
            {"product_id": product, "sku_id": sku, "stock_num": 4, "incremental": False},
        ),
        ("product.setOnline", {"product_id": product}),
    ]


def test_pay_type_12_is_buy_now_pay_later() -> None:
    """zsmhub/doudian-sdk api/order_searchList/response/order_searchList_response.go: "【支付类型】
    … 8、DOU分期（信用支付） 9、新卡支付 12、先用后付"."""
    mapped = connector().to_channel_order(shop_order("1", pay_type=12))
    assert mapped is not None and mapped.order.payment_method == "buy_now_pay_later"


def test_the_default_risk_rule_holds_douyins_buy_now_pay_later() -> None:
    mapped = connector().to_channel_order(shop_order("1", pay_type=12))
    assert mapped is not None
    facts = RiskFacts(channel="douyin-main", payment_method=mapped.order.payment_method,
                      amount=mapped.order.amount, address=mapped.order.buyer_address)  # fmt: skip
    verdict = RiskEvaluator(LoadedRules(DEFAULT_RULES))(facts)
    assert (verdict.action, verdict.name) == ("hold", "bnpl-high-risk")


ENCRYPTED = {"name": "#AgAAAAbc1234567890#", "phone": "$AgAAAAbc1234567890$",
             "address": "~AgAAAAbc1234567890~"}  # fmt: skip


def _encrypted(**overrides: Any) -> dict[str, Any]:
    """As the SDK's ShopOrderListItem has it: plain fields empty, ``encrypt_*`` the ciphertext,
    ``mask_*`` the masked copies, the region in the clear."""
    return shop_order(
        "1",
        post_receiver="",
        post_tel="",
        encrypt_post_receiver=ENCRYPTED["name"],
        encrypt_post_tel=ENCRYPTED["phone"],
        mask_post_receiver="赵*",
        mask_post_tel="136****0000",
        post_addr={"province": {"name": "广东省"}, "city": {"name": "深圳市"},
                   "town": {"name": "南山区"}, "street": {"name": "粤海街道"}, "detail": "",
                   "encrypt_detail": ENCRYPTED["address"]},
        **overrides,
    )  # fmt: skip


def test_encrypt_fields_are_kept_apart_and_the_region_stays_plain() -> None:
    mapped = connector().to_channel_order(_encrypted())
    assert mapped is not None and mapped.unexpected_ciphertext == ()
    order = mapped.order
    assert (order.buyer_name, order.buyer_phone) == (None, None)  # never the mask as the name
    assert order.buyer_address == "广东省深圳市南山区粤海街道"
    assert json.loads(order.buyer_ciphertext or "") == ENCRYPTED


def test_ciphertext_in_a_plain_field_is_not_taken_for_the_buyer() -> None:
    mapped = connector().to_channel_order(shop_order("1", post_receiver=ENCRYPTED["name"]))
    assert mapped is not None and mapped.unexpected_ciphertext == ("name",)
    assert mapped.order.buyer_name is None
    assert json.loads(mapped.order.buyer_ciphertext or "") == {"name": ENCRYPTED["name"]}


@respx.mock
def test_decrypt_goes_through_order_batch_decrypt() -> None:
    seen: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        query, business = signed(request)
        seen.append({"method": query["method"], **business})
        infos = [{"auth_id": i["auth_id"], "cipher_text": i["cipher_text"],
                  "decrypt_text": f"plain-{n}", "err_no": 0, "err_msg": ""}
                 for n, i in enumerate(business["cipher_infos"])]  # fmt: skip
        return ok({"decrypt_infos": infos, "custom_err": {"err_code": 0, "err_msg": ""}})

    respx.post(f"{BASE}/order/batchDecrypt").mock(side_effect=answer)
    plain = connector().decrypt("1", {"name": ENCRYPTED["name"], "phone": ENCRYPTED["phone"]})
    assert plain == {"name": "plain-0", "phone": "plain-1"}
    assert seen == [{"method": "order.batchDecrypt", "cipher_infos": [
        {"auth_id": "1", "cipher_text": ENCRYPTED["name"]},
        {"auth_id": "1", "cipher_text": ENCRYPTED["phone"]}]}]  # fmt: skip


@respx.mock
def test_the_carrier_list_is_the_data_list_of_logistics_company_list() -> None:
    # zsmhub/doudian-sdk api/order_logisticsCompanyList/response: data is [{id, name, code}]
    body = {
        "code": 10000,
        "msg": "success",
        "data": [
            {"id": 7, "name": "顺丰速运", "code": "shunfeng"},
            {"id": 8, "name": "圆通速递", "code": "yuantong"},
        ],
    }
    respx.post(f"{BASE}/order/logisticsCompanyList").mock(
        return_value=httpx.Response(200, json=body))  # fmt: skip
    listed = connector().list_carriers()
    assert [(e.code, e.name) for e in listed] == [
        ("shunfeng", "顺丰速运"),
        ("yuantong", "圆通速递"),
    ]

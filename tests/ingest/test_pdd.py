"""Pinduoduo connector: requests, 30-minute windows, backward paging, status tables, errors.

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
    QuotaExhausted,
    RateLimited,
    RetryableChannelError,
    SessionExpired,
    SystemBusy,
)
from ingest.channels.pdd import PddConnector, sign, stage_of
from store.stages import Stage

URL = "http://pdd.test/api/router"
NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
CONFIG = ChannelConfig(
    name="pdd-main",
    platform="pdd",
    base_url=URL,
    app_key="client-1",
    app_secret="testSecret",
    access_token="token-1",
)


def pdd_order(sn: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "order_sn": sn,
        "order_status": 1,
        "refund_status": 1,
        "confirm_status": 1,
        "created_time": "2026-11-24 11:40:00",
        "pay_time": "2026-11-24 11:41:00",
        "updated_at": "2026-11-24 11:45:00",
        "last_ship_time": "2026-11-26 11:41:00",
        "pay_amount": 39.9,
        "pay_type": "WEIXIN",
        "receiver_name": "李四",
        "receiver_phone": "13900000000",
        "address": "上海市浦东新区世纪大道100号",
        "item_list": [
            {
                "goods_id": 101,
                "sku_id": 202,
                "outer_id": "SKU-B",
                "goods_name": "纸巾",
                "goods_price": 19.95,
                "goods_count": 2,
            }
        ],
    }
    data.update(overrides)
    return data


def connector() -> PddConnector:
    made = connect(CONFIG, httpx.Client(), clock=lambda: NOW)
    assert isinstance(made, PddConnector)
    return made


def signed_body(request: httpx.Request) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(request.content)
    assert body["sign"] == sign(body, CONFIG.app_secret)
    assert (body["client_id"], body["access_token"]) == ("client-1", "token-1")
    assert (body["timestamp"], body["data_type"], body["version"]) == (
        str(int(NOW.timestamp())),
        "JSON",
        "V1",
    )
    return body


@respx.mock
def test_pages_backwards_within_a_thirty_minute_window() -> None:
    orders = [pdd_order(f"261124-{n}") for n in range(130)]
    calls: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        body = signed_body(request)
        calls.append(body)
        size, page = int(body["page_size"]), int(body["page"])
        inner: dict[str, Any] = {"order_sn_list": orders[(page - 1) * size : page * size]}
        if body.get("use_has_next") == "true":
            inner["has_next"] = page * size < len(orders)
        else:
            inner["total_count"] = len(orders)
        return httpx.Response(200, json={"order_sn_increment_get_response": inner})

    respx.post(URL).mock(side_effect=answer)
    start = NOW - timedelta(minutes=30)
    pages = list(connector().list_changed(start, NOW))
    assert [len(p) for p in pages] == [30, 100]
    assert [c["page"] for c in calls] == ["1", "2", "1"]
    assert calls[1]["type"] == "pdd.order.number.list.increment.get"
    assert (calls[1]["start_updated_at"], calls[1]["end_updated_at"]) == (
        str(int(start.timestamp())),
        str(int(NOW.timestamp())),
    )
    assert (calls[1]["order_status"], calls[1]["refund_status"], calls[1]["is_lucky_flag"]) == (
        "5",
        "5",
        "0",
    )


@pytest.mark.parametrize(
    ("order_status", "refund_status", "confirm_status", "stage"),
    [
        ("1", "1", "1", Stage.PAID),  # 待发货
        ("2", "1", "1", Stage.SHIPPED),  # 已发货待签收
        ("3", "1", "1", Stage.DELIVERED),  # 已签收
        ("1", "2", "1", Stage.PAID),  # 售后处理中: still to ship
        ("1", "3", "1", Stage.PAID),  # 退款中
        ("1", "4", "1", Stage.CANCELLED),  # refunded before shipping
        ("2", "4", "1", Stage.SHIPPED),  # refunded after shipping: after-sales only
        ("1", "1", "0", None),  # 未成交 (拼团中)
        ("1", "1", "2", Stage.CANCELLED),  # 已取消
    ],
)
def test_status_table(
    order_status: str, refund_status: str, confirm_status: str, stage: Stage | None
) -> None:
    assert stage_of(order_status, refund_status, confirm_status) == stage


@pytest.mark.parametrize(
    ("refund_status", "state"),
    [
        ("1", AfterSales.NONE),
        ("2", AfterSales.REQUESTED),
        ("3", AfterSales.IN_PROGRESS),
        ("4", AfterSales.REFUNDED),
    ],
)
def test_refund_status_table(refund_status: str, state: AfterSales) -> None:
    mapped = connector().to_channel_order(
        pdd_order("1", order_status=2, refund_status=refund_status)
    )
    assert mapped is not None and mapped.after_sales == state


def test_maps_an_order_onto_the_canonical_order() -> None:
    mapped = connector().to_channel_order(pdd_order("261124-77"))
    assert mapped is not None
    order = mapped.order
    assert (order.channel_order_id, order.amount, order.payment_method) == (
        "261124-77",
        Decimal("39.90"),
        "wechat",
    )
    assert order.modified_at == datetime(2026, 11, 24, 3, 45, tzinfo=UTC)
    assert order.ship_by == datetime(2026, 11, 26, 3, 41, tzinfo=UTC)
    assert [(i.sku, i.quantity, i.unit_price) for i in order.items] == [
        ("SKU-B", 2, Decimal("19.95"))
    ]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"pay_amount": "free"}, "pay_amount: 'free' is not an amount"),
        ({"order_status": 9}, "order_status: unknown status '9'"),
        ({"updated_at": 1764000000}, "updated_at: 1764000000 is not yyyy-MM-dd"),
        ({"item_list": []}, "item_list: is required"),
        ({"order_sn": None}, "order_sn: is required"),
    ],
)
def test_a_malformed_order_is_refused_with_the_field_named(
    overrides: dict[str, Any], reason: str
) -> None:
    with pytest.raises(MalformedPayload, match=reason):
        connector().to_channel_order(pdd_order("1", **overrides))


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (52101, RateLimited),
        (70031, RateLimited),
        (52103, SystemBusy),
        (10019, SessionExpired),
        (20032, SessionExpired),  # the token is not this client_id's: a person re-authorises
        (20004, InvalidSignature),
        (70036, QuotaExhausted),  # a test app's quota: no retry can help today
        (10000, ChannelRefused),
    ],
)
@respx.mock
def test_error_codes(code: int, error: type[Exception]) -> None:
    respx.post(URL).mock(
        return_value=httpx.Response(
            200, json={"error_response": {"error_code": code, "error_msg": "x", "request_id": "r"}}
        )
    )
    with pytest.raises(error):
        connector().fetch_order("1")


@respx.mock
def test_write_back_calls() -> None:
    sent: list[dict[str, Any]] = []
    keys = {
        "pdd.logistics.online.send": "logistics_online_send_response",
        "pdd.goods.quantity.update": "goods_quantity_update_response",
        "pdd.goods.sale.status.set": "goods_sale_status_set_response",
    }

    def answer(request: httpx.Request) -> httpx.Response:
        body = signed_body(request)
        sent.append(
            {
                k: v
                for k, v in body.items()
                if k
                not in {"client_id", "access_token", "timestamp", "data_type", "version", "sign"}
            }
        )
        return httpx.Response(200, json={keys[body["type"]]: {"is_success": True}})

    respx.post(URL).mock(side_effect=answer)
    made = connector()
    made.confirm_shipment("261124-77", waybill="YT123", carrier="85")
    made.pause_listing("101:202")
    made.resume_listing("101:202", 4)
    assert sent == [
        {
            "type": "pdd.logistics.online.send",
            "order_sn": "261124-77",
            "logistics_id": "85",
            "tracking_number": "YT123",
        },
        {"type": "pdd.goods.sale.status.set", "goods_id": "101", "is_onsale": "0"},
        {
            "type": "pdd.goods.quantity.update",
            "goods_id": "101",
            "sku_id": "202",
            "quantity": "4",
            "update_type": "1",
        },
        {"type": "pdd.goods.sale.status.set", "goods_id": "101", "is_onsale": "1"},
    ]


@respx.mock
def test_a_refused_write_back_is_an_error() -> None:
    respx.post(URL).mock(
        return_value=httpx.Response(
            200, json={"logistics_online_send_response": {"is_success": False}}
        )
    )
    with pytest.raises(ChannelRefused):
        connector().confirm_shipment("1", waybill="x", carrier="1")


def test_a_spent_quota_is_a_refusal_that_is_not_retried() -> None:
    assert issubclass(QuotaExhausted, ChannelRefused)
    assert not issubclass(QuotaExhausted, RetryableChannelError)


CIPHER = "~AgAAAAPlscEH0psOJAEXpTdsLOWvDJ9bB7IEjIoqNfiDhhJR9NHOxsdZ+PEFluSSCngCikoDU+CP/sSX~0~"
"""The shape of Pinduoduo's ciphertext (a public doc's pdd.open.decrypt.mask.batch example)."""
PHONE, STREET = CIPHER.replace("~0~", "1~0~"), CIPHER.replace("~0~", "2~0~")


def test_encrypted_receivers_are_kept_apart_from_the_plain_fields() -> None:
    raw = pdd_order(
        "261124-9",
        receiver_name=CIPHER,
        receiver_phone=PHONE,
        address=STREET,
        province="上海市",
        city="上海市",
        town="浦东新区",
    )
    mapped = connector().to_channel_order(raw)  # fmt: skip
    assert mapped is not None and mapped.unexpected_ciphertext == ()  # documented: no alarm
    order = mapped.order
    assert (order.buyer_name, order.buyer_phone) == (None, None)
    assert order.buyer_address == "上海市上海市浦东新区"  # the plain region, for address checks
    assert json.loads(order.buyer_ciphertext or "") == {
        "name": CIPHER, "phone": PHONE, "address": STREET,
    }  # fmt: skip


def test_outside_awaiting_shipment_the_receiver_is_empty() -> None:
    raw = pdd_order("261124-9", order_status=2, receiver_name="", receiver_phone="", address="",
                    province="浙江省", city="杭州市", town="余杭区")  # fmt: skip
    mapped = connector().to_channel_order(raw)
    assert mapped is not None
    assert (mapped.order.buyer_name, mapped.order.buyer_ciphertext) == (None, None)
    assert mapped.order.buyer_address == "浙江省杭州市余杭区"


@respx.mock
def test_decrypt_goes_through_pdd_open_decrypt_batch() -> None:
    seen: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        body = signed_body(request)
        seen.append(body)
        listed = json.loads(body["data_list"])  # non-primitive values are sent as JSON text
        decrypted = [{"data_tag": item["data_tag"], "encrypted_data": item["encrypted_data"],
                      "decrypted_data": f"plain-{n}", "error_code": 0}
                     for n, item in enumerate(listed)]  # fmt: skip
        return httpx.Response(
            200, json={"open_decrypt_batch_response": {"data_decrypt_list": decrypted}}
        )

    respx.post(URL).mock(side_effect=answer)
    plain = connector().decrypt("261124-9", {"name": CIPHER, "phone": PHONE})
    assert plain == {"name": "plain-0", "phone": "plain-1"}
    assert seen[0]["type"] == "pdd.open.decrypt.batch"
    assert json.loads(seen[0]["data_list"]) == [
        {"data_tag": "261124-9", "encrypted_data": CIPHER},
        {"data_tag": "261124-9", "encrypted_data": PHONE},
    ]


@respx.mock
def test_a_field_the_platform_did_not_decrypt_is_an_error() -> None:
    failed = [{"encrypted_data": CIPHER, "decrypted_data": "", "error_code": 1}]
    respx.post(URL).mock(return_value=httpx.Response(
        200, json={"open_decrypt_batch_response": {"data_decrypt_list": failed}}))  # fmt: skip
    with pytest.raises(ChannelRefused, match="did not decrypt name"):
        connector().decrypt("261124-9", {"name": CIPHER})


@respx.mock
def test_the_carrier_list_gives_pinduoduos_numeric_ids() -> None:
    # the shape of a public doc's pdd.logistics.companies.get 响应示例
    answer = {
        "logistics_companies_get_response": {
            "logistics_companies": [
                {"available": 1, "code": "SF", "id": 1, "logistics_company": "顺丰速运"},
                {"available": 1, "code": "STO", "id": 2, "logistics_company": "申通快递"},
                {"available": 0, "code": "X", "id": 3, "logistics_company": "停用快递"},
            ]
        }
    }
    respx.post(URL).mock(return_value=httpx.Response(200, json=answer))  # fmt: skip
    listed = connector().list_carriers()
    assert [(e.code, e.name) for e in listed] == [("1", "顺丰速运"), ("2", "申通快递")]

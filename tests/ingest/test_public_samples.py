"""One public order payload per platform through ``to_channel_order``: stage, amount (yuan or
fen), times and payment method as the platform meant them. Each sample's provenance (and what
was removed from it: personal data, fields we do not read) is in ``samples/*.source.txt``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from ingest.channels import connect
from ingest.channels.base import ChannelConfig, ChannelOrder
from store.stages import Stage

SAMPLES = Path(__file__).parent / "samples"


def _sample(name: str) -> Any:
    assert (SAMPLES / f"{name}.source.txt").exists(), "every sample says where it comes from"
    return json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def _mapped(platform: str, raw: dict[str, Any]) -> ChannelOrder | None:
    config = ChannelConfig(name=f"{platform}-shop", platform=platform, base_url="http://x",
                           app_key="k", app_secret="s", access_token="t")  # fmt: skip
    return connect(config, httpx.Client()).to_channel_order(raw)


def _at(text: str) -> datetime:
    """A GMT+8 wall-clock time as UTC."""
    return datetime.fromisoformat(text + "+08:00").astimezone(UTC)


def test_taobao_trade_fullinfo() -> None:
    trade = _sample("taobao_trade_fullinfo_get")["trade_fullinfo_get_response"]["trade"]
    mapped = _mapped("taobao", trade)
    assert mapped is not None
    order = mapped.order
    assert (order.channel_order_id, order.stage) == ("462503790690334", Stage.DELIVERED)
    assert (order.amount, order.payment_method) == (Decimal("108.00"), "alipay")  # yuan text
    assert order.created_at == _at("2013-11-23 09:10:36")
    assert order.paid_at == _at("2013-11-23 09:11:04")
    assert order.modified_at == _at("2013-12-18 20:12:33")
    assert order.buyer_address == "广东省广州市番禺区"  # the street was removed from the sample
    assert [(i.sku, i.quantity, i.unit_price) for i in order.items] == [
        ("20700066", 1, Decimal("108.00"))
    ]


def test_pinduoduo_order_information() -> None:
    info = _sample("pdd_order_information_get")["order_info_get_response"]["order_info"]
    mapped = _mapped("pdd", info)
    assert mapped is not None
    order = mapped.order
    assert (order.channel_order_id, order.stage) == ("180831-481803633911509", Stage.PAID)
    assert (order.amount, order.payment_method) == (Decimal("11.01"), "wechat")  # yuan number
    assert order.created_at == _at("2018-08-31 10:42:33")
    assert order.ship_by == _at("2018-09-02 10:42:33")
    assert [(i.sku, i.quantity, i.unit_price) for i in order.items] == [
        ("51972265894", 1, Decimal("11.01"))
    ]


def test_jd_order_info_with_an_encrypted_consignee() -> None:
    mapped = _mapped("jd", _sample("jd_order_info"))
    assert mapped is not None
    order = mapped.order
    assert (order.channel_order_id, order.stage) == ("249786309732", Stage.PAID)
    assert (order.amount, order.payment_method) == (Decimal("1.00"), "online")  # "4-在线支付"
    assert order.created_at == _at("2022-07-16 16:37:38")
    assert order.paid_at == _at("2022-07-16 16:38:32")
    # fullname/fullAddress are JD ciphertext, the mobile is masked: none of it is the buyer
    assert (order.buyer_name, order.buyer_phone) == (None, None)
    assert order.buyer_address == "广东广州市海珠区赤岗街道"
    assert sorted(json.loads(order.buyer_ciphertext or "")) == ["address", "name"]
    assert [(i.sku, i.quantity, i.unit_price) for i in order.items] == [
        ("testjd4206151136003", 1, Decimal("1.00"))
    ]


def test_douyin_shop_order() -> None:
    mapped = _mapped("douyin", _sample("douyin_shop_order"))
    assert mapped is not None
    order = mapped.order
    # 已关闭 after payment: refunded after shipping (main_status 22 发货后退款完成)
    assert (order.channel_order_id, order.stage) == ("6936476692437472563", Stage.CANCELLED)
    assert (order.amount, order.payment_method) == (Decimal("0.01"), "alipay")  # 1 分
    assert order.created_at == datetime.fromtimestamp(1731916551, UTC)
    assert order.paid_at == datetime.fromtimestamp(1731916560, UTC)
    assert mapped.after_sales.value == "refunded"
    assert order.buyer_name is None and order.buyer_address == "福建省厦门市思明区莲前街道"
    assert sorted(json.loads(order.buyer_ciphertext or "")) == ["address", "name", "phone"]
    assert mapped.unexpected_ciphertext == ()


def test_xiaohongshu_order_detail_from_the_documented_examples() -> None:
    detail = _sample("xiaohongshu_order_getOrderDetail")
    assert _mapped("xiaohongshu", detail) is None  # orderStatus 1 已下单待付款: not ours yet
    paid = _mapped("xiaohongshu", {**detail, "orderStatus": 4})  # 4 待发货, also documented
    assert paid is not None
    order = paid.order
    assert (order.channel_order_id, order.stage) == ("P321***4012", Stage.PAID)
    assert (order.amount, order.payment_method) == (Decimal("100.00"), "alipay")  # 10000 分
    assert order.created_at == order.paid_at == datetime.fromtimestamp(1612518379, UTC)  # ms
    assert order.buyer_address == "江苏苏州相城区"
    assert [(i.quantity, i.unit_price) for i in order.items] == [(1, Decimal("1.15"))]

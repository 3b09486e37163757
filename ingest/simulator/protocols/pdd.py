"""Pinduoduo as the simulator serves it: one gateway, a flat JSON body, signature checked,
``error_response`` envelopes (see ``ingest.channels.pdd`` for the sources).

As Pinduoduo does, it sends the receiver's name, phone and address as ciphertext, and only
while the order waits for shipment (待发货); ``pdd.open.decrypt.batch`` turns them back. A
shipment's ``logistics_id`` must be a numeric id from ``pdd.logistics.companies.get``."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ingest.channels.base import format_gmt8
from ingest.channels.pdd import sign
from ingest.simulator.carriers import CARRIER_LISTS, knows
from ingest.simulator.protocols.common import Answer, Credentials, ProtocolError, Request
from ingest.simulator.world import Lifecycle, Refund, SimOrder, World

ORDER_STATUS = {Lifecycle.SHIPPED: 2, Lifecycle.DELIVERED: 3}  # everything else: 1 待发货
REFUND_STATUS = {Refund.NONE: 1, Refund.REQUESTED: 2, Refund.REFUNDED: 4}
CONFIRM_STATUS = {Lifecycle.UNPAID: 0, Lifecycle.CLOSED_UNPAID: 2}  # everything else: 1 已成交
PAY_TYPES = {"WEIXIN", "ALIPAY", "QQ", "LIANLIANPAY"}


def statuses(order: SimOrder) -> tuple[int, int, int]:
    return (
        ORDER_STATUS.get(order.lifecycle, 1),
        REFUND_STATUS[order.refund],
        CONFIRM_STATUS.get(order.lifecycle, 1),
    )


def truth_status(order: SimOrder) -> str:
    """Pinduoduo spreads an order's state over three fields:
    ``order_status/refund_status/confirm_status``, e.g. ``1/4/1``."""
    return "/".join(str(value) for value in statuses(order))


def error(code: int, msg: str, sub_msg: str = "") -> dict[str, Any]:
    return {
        "error_response": {
            "error_code": code,
            "error_msg": msg,
            "sub_code": str(code) if sub_msg else None,
            "sub_msg": sub_msg or None,
            "request_id": "sim",
        }
    }


CIPHER_PREFIX, CIPHER_SUFFIX = "~AgAAAA", "~0~"
"""The simulator's ciphertext: reversible, shaped like Pinduoduo's ``~AgAAAA…~0~``."""


def encrypt(plain: str) -> str:
    return CIPHER_PREFIX + base64.b64encode(plain.encode()).decode() + CIPHER_SUFFIX


def decrypt(cipher: str) -> str | None:
    if not (cipher.startswith(CIPHER_PREFIX) and cipher.endswith(CIPHER_SUFFIX)):
        return None
    try:
        return base64.b64decode(cipher[len(CIPHER_PREFIX) : -len(CIPHER_SUFFIX)]).decode()
    except ValueError:
        return None


def render(order: SimOrder, *, corrupt: bool = False) -> dict[str, Any]:
    order_status, refund_status, confirm_status = statuses(order)
    province, city, district, detail = order.address
    # receivers are encrypted, and empty once the order left 待发货
    shown = order_status == 1 and confirm_status == 1
    full = f"{province}{city}{district}{detail}"

    def secret(plain: str) -> str:
        return encrypt(plain) if shown and plain else ""

    data = {
        "order_sn": order.order_id,
        "order_status": order_status,
        "refund_status": refund_status,
        "confirm_status": confirm_status,
        "created_time": format_gmt8(order.created),
        "confirm_time": format_gmt8(order.paid) if order.paid else None,
        "pay_time": format_gmt8(order.paid) if order.paid else None,
        "shipping_time": format_gmt8(order.shipped) if order.shipped else None,
        "updated_at": format_gmt8(order.modified),
        "last_ship_time": format_gmt8(order.ship_by),
        "pay_amount": float(order.amount),
        "goods_amount": float(order.amount),
        "postage": 0.0,
        "pay_type": order.payment_method if order.payment_method in PAY_TYPES else "WEIXIN",
        "receiver_name": secret(order.buyer_name),
        "receiver_phone": secret(order.buyer_phone),
        "province": province,
        "city": city,
        "town": district,
        "receiver_address": secret(detail),
        "address": secret(full),
        "tracking_number": order.waybill,
        "buyer_memo": f"rev {order.memo_revision}" if order.memo_revision else "",
        "item_list": [
            {
                "goods_id": int(line.listing_id),
                "sku_id": int(line.listing_id) * 100 + 1,
                "outer_id": line.sku,
                "goods_name": line.title,
                "goods_price": float(line.unit_price),
                "goods_count": line.quantity,
            }
            for line in order.lines
        ],
    }
    if corrupt:
        data["updated_at"] = int(order.modified.timestamp())  # seconds where a string belongs
    return data


class PddProtocol:
    platform = "pdd"

    def __init__(self, world: World, credentials: Credentials) -> None:
        self.world = world
        self.credentials = credentials

    def params(self, request: Request) -> dict[str, Any]:
        if request.headers.get("content-type", "").startswith("application/json"):
            return {**request.query, **request.json()}
        return {**request.query, **request.form()}

    def check(self, params: Mapping[str, Any]) -> None:
        if str(params.get("client_id")) != self.credentials.app_key:
            raise ProtocolError(error(10016, "client_id不存在"))
        signed = {key: _text(value) for key, value in params.items()}
        if params.get("sign") != sign(signed, self.credentials.app_secret):
            raise ProtocolError(error(20004, "签名验证失败"))
        if not params.get("access_token"):
            raise ProtocolError(error(10019, "access_token已过期"))

    def is_read(self, params: Mapping[str, Any]) -> bool:
        return str(params.get("type", "")).startswith("pdd.order.")

    def window(self, params: Mapping[str, Any]) -> tuple[datetime, datetime] | None:
        if "start_updated_at" in params and "end_updated_at" in params:
            return _time(params, "start_updated_at"), _time(params, "end_updated_at")
        return None

    def rate_limited(self) -> Answer:
        return error(52101, "当前接口被限流，请稍后重试")

    def busy(self) -> Answer:
        return error(52103, "服务暂时不可用，请稍后重试")

    def handle(self, params: Mapping[str, Any], *, corrupt: bool) -> Answer:
        api = str(params.get("type", ""))
        handler = HANDLERS.get(api)
        if handler is None:
            raise ProtocolError(error(10000, "参数错误", f"unknown type {api}"))
        return handler(self, params, corrupt)

    # --- APIs

    def _list(
        self, params: Mapping[str, Any], corrupt: bool, by: str
    ) -> tuple[dict[str, Any], str]:
        shop = self.world.shops[self.platform]
        if by == "updated":
            start, end = _time(params, "start_updated_at"), _time(params, "end_updated_at")
            if end <= start or end - start > timedelta(minutes=30):
                raise ProtocolError(error(10000, "参数错误", "时间跨度不能超过30分钟"))
            ids = shop.modified_between(start, end)
        else:
            ids = shop.created_between(_time(params, "start_confirm_at"),
                                       _time(params, "end_confirm_at"))  # fmt: skip
        page, size = _int(params, "page", 1), _int(params, "page_size", 100)
        if not 1 <= size <= 100 or page < 1:
            raise ProtocolError(error(10000, "参数错误", "page_size 取值范围 1-100"))
        chunk = ids[(page - 1) * size : page * size]
        bad = self.world.random.randrange(len(chunk)) if corrupt and chunk else -1
        inner: dict[str, Any] = {
            "orders": [render(shop.orders[oid], corrupt=n == bad) for n, oid in enumerate(chunk)]
        }
        if str(params.get("use_has_next")) == "true":
            inner["has_next"] = page < math.ceil(len(ids) / size)
        else:
            inner["total_count"] = len(ids)
        return inner, "orders"

    def _increment(self, params: Mapping[str, Any], corrupt: bool) -> Answer:
        inner, key = self._list(params, corrupt, "updated")
        inner["order_sn_list"] = inner.pop(key)
        return {"order_sn_increment_get_response": inner}

    def _order_list(self, params: Mapping[str, Any], corrupt: bool) -> Answer:
        inner, key = self._list(params, corrupt, "confirm")
        inner["order_list"] = inner.pop(key)
        return {"order_list_get_response": inner}

    def _information(self, params: Mapping[str, Any], corrupt: bool) -> Answer:
        order = self.world.shops[self.platform].orders.get(str(params.get("order_sn")))
        if order is None:
            raise ProtocolError(error(50001, "业务服务错误", "订单不存在"))
        return {"order_info_get_response": {"order_info": render(order, corrupt=corrupt)}}

    def _send(self, params: Mapping[str, Any], corrupt: bool) -> Answer:
        carrier = str(params.get("logistics_id", ""))
        if not carrier.isdigit() or not knows(self.platform, carrier):
            raise ProtocolError(error(50001, "业务服务错误", f"快递公司编号 {carrier} 不存在"))
        result = self.world.confirm_shipment(
            self.platform, str(params.get("order_sn")), str(params.get("tracking_number")),
            carrier,
        )  # fmt: skip
        if result != "ok":
            raise ProtocolError(error(50001, "业务服务错误", f"发货失败: {result}"))
        return {"logistics_online_send_response": {"is_success": True}}

    def _companies(self, params: Mapping[str, Any], corrupt: bool) -> Answer:
        listed = [{"id": int(code), "code": "", "logistics_company": name, "available": 1}
                  for code, name in CARRIER_LISTS[self.platform]]  # fmt: skip
        return {"logistics_companies_get_response": {"logistics_companies": listed}}

    def _decrypt(self, params: Mapping[str, Any], corrupt: bool) -> Answer:
        try:
            data = json.loads(str(params.get("data_list") or "[]"))
        except ValueError:
            raise ProtocolError(error(10000, "参数错误", "data_list 不是 JSON")) from None
        if not isinstance(data, list) or not 1 <= len(data) <= 100:
            raise ProtocolError(error(10000, "参数错误", "data_list 1-100 条"))
        answers = []
        for item in data:
            cipher = str(item.get("encrypted_data", "")) if isinstance(item, dict) else ""
            plain = decrypt(cipher)
            answers.append({"data_tag": item.get("data_tag") if isinstance(item, dict) else None,
                            "encrypted_data": cipher, "decrypted_data": plain or "",
                            "error_code": 0 if plain is not None else 1,
                            "error_msg": "" if plain is not None else "解密失败"})  # fmt: skip
        return {"open_decrypt_batch_response": {"data_decrypt_list": answers}}

    def _quantity(self, params: Mapping[str, Any], corrupt: bool) -> Answer:
        self.world.set_stock(
            self.platform, str(params.get("goods_id")), _int(params, "quantity", 0)
        )
        return {"goods_quantity_update_response": {"is_success": True}}

    def _sale_status(self, params: Mapping[str, Any], corrupt: bool) -> Answer:
        on_sale = _int(params, "is_onsale", 0) == 1
        self.world.set_on_sale(self.platform, str(params.get("goods_id")), on_sale)
        return {"goods_sale_status_set_response": {"is_success": True}}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _int(params: Mapping[str, Any], key: str, default: int) -> int:
    try:
        return int(params.get(key, default))
    except (TypeError, ValueError):
        raise ProtocolError(error(10000, "参数错误", f"{key} 必须是整数")) from None


def _time(params: Mapping[str, Any], key: str) -> datetime:
    seconds = _int(params, key, -1)
    if seconds < 0:
        raise ProtocolError(error(10000, "参数错误", f"{key} 必填"))
    return datetime.fromtimestamp(seconds, UTC)


HANDLERS = {
    "pdd.order.number.list.increment.get": PddProtocol._increment,
    "pdd.order.list.get": PddProtocol._order_list,
    "pdd.order.information.get": PddProtocol._information,
    "pdd.logistics.online.send": PddProtocol._send,
    "pdd.logistics.companies.get": PddProtocol._companies,
    "pdd.open.decrypt.batch": PddProtocol._decrypt,
    "pdd.goods.quantity.update": PddProtocol._quantity,
    "pdd.goods.sale.status.set": PddProtocol._sale_status,
}

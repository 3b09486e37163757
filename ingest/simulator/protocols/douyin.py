"""Douyin shop (doudian) as the simulator serves it: one path per method, system parameters in the
query, ``param_json`` as the body, signature checked, ``{code, msg, sub_code, sub_msg}``
envelopes (see ``ingest.channels.douyin`` for the sources).

As the SDK's fields say Douyin does, the receiver comes as ``encrypt_*`` ciphertext with masked
copies and the region in the clear, ``order.batchDecrypt`` turns the ciphertext back, 先用后付
orders carry ``pay_type`` 12, and a shipment's ``company_code`` must be on the
``order.logisticsCompanyList``."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ingest.channels.douyin import MAX_ROWS, sign
from ingest.simulator.carriers import CARRIER_LISTS, knows
from ingest.simulator.protocols.common import Answer, Credentials, ProtocolError, Request
from ingest.simulator.world import Lifecycle, Refund, SimOrder, World

ORDER_STATUS = {
    Lifecycle.UNPAID: 1,
    Lifecycle.CLOSED_UNPAID: 4,
    Lifecycle.PAID: 2,
    Lifecycle.SHIPPED: 3,
    Lifecycle.DELIVERED: 5,
    Lifecycle.CANCELLED: 4,
}
AFTER_SALE_STATUS = {Refund.NONE: 0, Refund.REQUESTED: 6, Refund.REFUNDED: 12}
PAY_TYPES = {"wechat": 1, "alipay": 2, "douyin_pay": 4, "buy_now_pay_later": 12}
CIPHER_MARK = {"name": "#", "phone": "$", "address": "~"}
"""Douyin's ciphertext delimiters per field (数据安全加密对接)."""


def encrypt(kind: str, plain: str) -> str:
    mark = CIPHER_MARK[kind]
    return f"{mark}AgAAAA{base64.b64encode(plain.encode()).decode()}{mark}"


def decrypt(cipher: str) -> str | None:
    if len(cipher) < 9 or cipher[0] not in "#$~" or cipher[-1] != cipher[0]:
        return None
    try:
        return base64.b64decode(cipher[7:-1]).decode()
    except ValueError:
        return None


def _mask(text: str, keep: int) -> str:
    return text[:keep] + "*" * max(len(text) - keep, 0)


def truth_status(order: SimOrder) -> str:
    """``order_status/paid``: Douyin's 4 (已取消) means two things, told apart by payment."""
    return f"{ORDER_STATUS[order.lifecycle]}/{1 if order.paid else 0}"


def error(code: int, msg: str, sub_code: str = "", sub_msg: str = "") -> dict[str, Any]:
    return {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg,
            "log_id": "sim", "data": {}}  # fmt: skip


def ok(data: dict[str, Any]) -> dict[str, Any]:
    return {"code": 10000, "msg": "success", "sub_code": "", "sub_msg": "", "log_id": "sim",
            "data": data}  # fmt: skip


def _seconds(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment else 0


def render(order: SimOrder, *, corrupt: bool = False) -> dict[str, Any]:
    province, city, district, detail = order.address
    lines = [
        {
            "order_id": f"{order.order_id}{n}",
            "parent_order_id": order.order_id,
            "product_id": int(line.listing_id),
            "product_name": line.title,
            "sku_id": int(line.listing_id),
            "code": line.sku,
            "item_num": line.quantity,
            "origin_amount": int(line.unit_price * 100),
            "pay_amount": int(line.unit_price * line.quantity * 100),
            "order_status": ORDER_STATUS[order.lifecycle],
            "after_sale_info": {
                "after_sale_status": AFTER_SALE_STATUS[order.refund]
                if n == 1 or order.refund is Refund.REFUNDED else 0,
                "refund_status": 3 if order.refund is Refund.REFUNDED else 0,
            },
        }
        for n, line in enumerate(order.lines, start=1)
    ]  # fmt: skip
    data: dict[str, Any] = {
        "order_id": order.order_id,
        "shop_id": 77001,
        "order_status": ORDER_STATUS[order.lifecycle],
        "create_time": _seconds(order.created),
        "update_time": _seconds(order.modified),
        "pay_time": _seconds(order.paid),
        "ship_time": _seconds(order.shipped),
        "finish_time": _seconds(order.finished),
        "exp_ship_time": _seconds(order.ship_by) if order.paid else 0,
        "order_amount": int(order.amount * 100),
        "pay_amount": int(order.amount * 100),
        "post_amount": 0,
        "pay_type": PAY_TYPES.get(order.payment_method, 1),
        "buyer_words": "",
        "seller_words": f"rev {order.memo_revision}" if order.memo_revision else "",
        "post_receiver": "",
        "post_tel": "",
        "encrypt_post_receiver": encrypt("name", order.buyer_name),
        "encrypt_post_tel": encrypt("phone", order.buyer_phone),
        "mask_post_receiver": _mask(order.buyer_name, 1),
        "mask_post_tel": _mask(order.buyer_phone, 3),
        "post_addr": {
            "province": {"name": province, "id": ""},
            "city": {"name": city, "id": ""},
            "town": {"name": district, "id": ""},
            "street": {"name": "", "id": ""},
            "detail": "",
            "encrypt_detail": encrypt("address", detail) if detail else "",
        },
        "logistics_info": [{"tracking_no": order.waybill, "company": order.carrier}]
        if order.waybill else [],
        "sku_order_list": lines,
    }  # fmt: skip
    if corrupt:
        data["pay_amount"] = f"{order.amount:.2f}"  # yuan text where fen belong
    return data


class DouyinProtocol:
    platform = "douyin"

    def __init__(self, world: World, credentials: Credentials) -> None:
        self.world = world
        self.credentials = credentials

    def params(self, request: Request) -> dict[str, Any]:
        return {**request.query, "param_json": request.body.decode("utf-8", "replace"),
                "_path": request.path}  # fmt: skip

    def check(self, params: Mapping[str, Any]) -> None:
        method = str(params.get("method", ""))
        if params.get("app_key") != self.credentials.app_key:
            raise ProtocolError(error(40003, "非法的参数", "isv.app-id-invalid", "app_key不存在"))
        if params.get("_path") != method.replace(".", "/"):
            raise ProtocolError(error(40003, "非法的参数", "isv.parameter-invalid", "path≠method"))
        how = str(params.get("sign_method", "md5"))
        if how not in ("md5", "hmac-sha256"):
            raise ProtocolError(error(40003, "非法的参数", "isv.signature-invalid", "签名校验失败"))
        expected = sign(
            str(params.get("app_key")), method, str(params.get("param_json")),
            str(params.get("timestamp")), self.credentials.app_secret, how,
        )  # fmt: skip
        if params.get("sign") != expected:
            raise ProtocolError(error(40003, "非法的参数", "isv.signature-invalid", "签名校验失败"))
        if not params.get("access_token"):
            raise ProtocolError(error(40001, "缺少必选参数", "isv.access-token-missing",
                                      "认证失败，access_token不能为空"))  # fmt: skip

    def is_read(self, params: Mapping[str, Any]) -> bool:
        return str(params.get("method", "")) in ("order.searchList", "order.orderDetail")

    def window(self, params: Mapping[str, Any]) -> tuple[datetime, datetime] | None:
        business = _business(params)
        if "update_time_start" in business:
            return _time(business, "update_time_start"), _time(business, "update_time_end")
        return None

    def rate_limited(self) -> Answer:
        return error(60000, "触发限流，请稍后重试", "isv.traffic-limited", "请求太频繁，请稍后重试")

    def busy(self) -> Answer:
        return error(20000, "服务不可用", "isp.service-error:20004", "系统繁忙")

    def handle(self, params: Mapping[str, Any], *, corrupt: bool) -> Answer:
        method = str(params.get("method", ""))
        handler = HANDLERS.get(method)
        if handler is None:
            raise ProtocolError(error(70000, "接口服务已下线", "isp.api-service-off",
                                      "API不存在或API已下线"))  # fmt: skip
        return handler(self, _business(params), corrupt)

    # --- methods

    def _search(self, business: Mapping[str, Any], corrupt: bool) -> Answer:
        shop = self.world.shops[self.platform]
        if "update_time_start" in business:
            ids = shop.modified_between(_time(business, "update_time_start"),
                                        _time(business, "update_time_end"))  # fmt: skip
        elif "create_time_start" in business:
            ids = shop.created_between(_time(business, "create_time_start"),
                                       _time(business, "create_time_end"))  # fmt: skip
        else:
            raise ProtocolError(_invalid(20011, "开始时间不能为空"))
        page, size = _int(business, "page", 0), _int(business, "size", 10)
        if not 1 <= size <= 100:
            raise ProtocolError(_invalid(20008, "size 取值范围 1-100"))
        if page < 0:
            raise ProtocolError(_invalid(10035, "page 从 0 开始"))
        if (page + 1) * size > MAX_ROWS:
            raise ProtocolError(_invalid(20013, "翻页查询最多支持查询到5万，需要缩短查询时间范围"))
        chunk = ids[page * size : (page + 1) * size]
        bad = self.world.random.randrange(len(chunk)) if corrupt and chunk else -1
        orders = [render(shop.orders[oid], corrupt=n == bad) for n, oid in enumerate(chunk)]
        return ok({"page": page, "size": size, "total": len(ids), "shop_order_list": orders})

    def _detail(self, business: Mapping[str, Any], corrupt: bool) -> Answer:
        order = self.world.shops[self.platform].orders.get(str(business.get("shop_order_id")))
        if order is None:
            raise ProtocolError(error(50002, "业务处理失败", "isv.business-failed:10001",
                                      "订单不存在"))  # fmt: skip
        return ok({"shop_order_detail": render(order, corrupt=corrupt)})

    def _logistics_add(self, business: Mapping[str, Any], corrupt: bool) -> Answer:
        if not knows(self.platform, str(business.get("company_code"))):
            raise ProtocolError(error(50002, "业务处理失败", "isv.business-failed:30002",
                                      "物流公司编码不存在"))  # fmt: skip
        result = self.world.confirm_shipment(
            self.platform, str(business.get("order_id")), str(business.get("logistics_code")),
            str(business.get("company_code")),
        )  # fmt: skip
        if result != "ok":
            raise ProtocolError(error(50002, "业务处理失败", "isv.business-failed:30001",
                                      f"发货失败: {result}"))  # fmt: skip
        return ok({})

    def _companies(self, business: Mapping[str, Any], corrupt: bool) -> Answer:
        listed = [
            {"id": n, "name": name, "code": code}
            for n, (code, name) in enumerate(CARRIER_LISTS[self.platform], start=1)
        ]
        return {**ok({}), "data": listed}  # fmt: skip

    def _batch_decrypt(self, business: Mapping[str, Any], corrupt: bool) -> Answer:
        infos = business.get("cipher_infos")
        if not isinstance(infos, list) or not 1 <= len(infos) <= 50:
            raise ProtocolError(_invalid(10000, "cipher_infos 1-50 条"))
        answers = []
        for info in infos:
            cipher = str(info.get("cipher_text", "")) if isinstance(info, dict) else ""
            plain = decrypt(cipher)
            answers.append({"auth_id": info.get("auth_id") if isinstance(info, dict) else "",
                            "cipher_text": cipher, "decrypt_text": plain or "",
                            "err_no": 0 if plain is not None else 300008,
                            "err_msg": "" if plain is not None else "解密失败"})  # fmt: skip
        return ok({"decrypt_infos": answers, "custom_err": {"err_code": 0, "err_msg": ""}})

    def _sync_stock(self, business: Mapping[str, Any], corrupt: bool) -> Answer:
        listing = str(business.get("product_id"))
        self.world.set_stock(self.platform, listing, _int(business, "stock_num", 0))
        return ok({})

    def _offline(self, business: Mapping[str, Any], corrupt: bool) -> Answer:
        self.world.set_on_sale(self.platform, str(business.get("product_id")), False)
        return ok({})

    def _online(self, business: Mapping[str, Any], corrupt: bool) -> Answer:
        self.world.set_on_sale(self.platform, str(business.get("product_id")), True)
        return ok({})


def _invalid(number: int, message: str) -> dict[str, Any]:
    return error(40004, "非法的参数", f"isv.parameter-invalid:{number}", message)


def _business(params: Mapping[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(str(params.get("param_json") or "{}"))
    except ValueError:
        raise ProtocolError(error(40003, "非法的参数", "isv.parameter-format-invalid",
                                  "业务参数json解析失败")) from None  # fmt: skip
    if not isinstance(data, dict):
        raise ProtocolError(error(40003, "非法的参数", "isv.parameter-format-invalid",
                                  "业务参数json解析失败"))  # fmt: skip
    return data


def _int(business: Mapping[str, Any], key: str, default: int) -> int:
    value = business.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProtocolError(_invalid(10000, f"{key} 必须是整数"))
    return value


def _time(business: Mapping[str, Any], key: str) -> datetime:
    if key not in business:
        raise ProtocolError(_invalid(20011, f"{key} 不能为空"))
    return datetime.fromtimestamp(_int(business, key, -1), UTC)


HANDLERS = {
    "order.searchList": DouyinProtocol._search,
    "order.orderDetail": DouyinProtocol._detail,
    "order.logisticsAdd": DouyinProtocol._logistics_add,
    "order.logisticsCompanyList": DouyinProtocol._companies,
    "order.batchDecrypt": DouyinProtocol._batch_decrypt,
    "sku.syncStock": DouyinProtocol._sync_stock,
    "product.setOffline": DouyinProtocol._offline,
    "product.setOnline": DouyinProtocol._online,
}

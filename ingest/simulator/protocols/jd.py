"""JD (JOS) as the simulator serves it: one ``routerjson`` gateway, form parameters with the
business ones in ``360buy_param_json``, signature checked, ``error_response`` envelopes (see
``ingest.channels.jd`` for the sources).

Codes 12 (signature), 15 (method), 19 (access token) and 66 (busy) are JD's; JD's rate-limit code
is unknown, so the simulator answers a rate limit with its own code and a description naming it.
It refuses what JD's SDKs say JD would: a shipment without ``orderId`` (the SDKs send that, not
``order_id``) or with a ``logiCoprId`` that is not on the shop's carrier list, and the methods
no SDK knows (``jingdong.ware.write.takeOff``/``upOnSale``) or JD has retired
(``jingdong.stock.write.updateSkuStock`` 推下线: ``jingdong.ware.stock.sku.set``).
The consignee comes encrypted (``fullname``, ``fullAddress``: base64 ciphertext) with the mobile
masked and the region in the clear, as in a captured JD ``orderInfo``
(tests/ingest/samples/jd_order_info.json). The simulated shop sells single-SKU wares: a line's
``skuId`` is its ``wareId``. Unpaid orders are not listed (the order search knows only paid
states).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from ingest.channels.base import format_gmt8, gmt8
from ingest.channels.jd import sign
from ingest.simulator.carriers import CARRIER_LISTS, knows
from ingest.simulator.protocols.common import Answer, Credentials, ProtocolError, Request, parsed
from ingest.simulator.world import Lifecycle, Refund, SimOrder, World

STATE = {
    Lifecycle.PAID: "WAIT_SELLER_STOCK_OUT",
    Lifecycle.SHIPPED: "WAIT_GOODS_RECEIVE_CONFIRM",
    Lifecycle.DELIVERED: "FINISHED_L",
    Lifecycle.CANCELLED: "TRADE_CANCELED",
}
NOT_LISTED = "NOT_LISTED"
"""Truth status of an order JD does not show (never paid)."""


def truth_status(order: SimOrder) -> str:
    if order.lifecycle is Lifecycle.PAID and order.refund is Refund.REQUESTED:
        return "LOCKED"  # the buyer asked to cancel before shipping
    return STATE.get(order.lifecycle, NOT_LISTED)


def error(code: str, zh: str, en: str) -> dict[str, Any]:
    return {"error_response": {"code": code, "zh_desc": zh, "en_desc": en}}


CIPHER_PREFIX = "AAS/ZFJFpmfveSmeZ0P9i+iP"
"""The start of the consignee ciphertext in a captured JD orderInfo (base64 throughout)."""


def encrypt(plain: str) -> str:
    """The simulator's stand-in for JD's consignee ciphertext: base64, as JD's looks."""
    return CIPHER_PREFIX + base64.b64encode(plain.encode()).decode()


def render(order: SimOrder, *, corrupt: bool = False) -> dict[str, Any]:
    province, city, district, detail = order.address
    data: dict[str, Any] = {
        "orderId": order.order_id,
        "venderId": "10001",
        "orderState": truth_status(order),
        "payType": "1" if order.payment_method == "cod" else "4",
        "orderTotalPrice": f"{order.amount:.2f}",
        "orderPayment": f"{order.amount:.2f}",
        "freightPrice": "0.00",
        "orderStartTime": format_gmt8(order.created),
        "modified": format_gmt8(order.modified),
        "paymentConfirmTime": format_gmt8(order.paid) if order.paid else None,
        "orderEndTime": format_gmt8(order.finished) if order.finished else None,
        "waybill": order.waybill,
        "logisticsId": order.carrier,
        "venderRemark": f"rev {order.memo_revision}" if order.memo_revision else "",
        "consigneeInfo": {  # encrypted and masked, as a captured JD orderInfo has it
            "fullname": encrypt(order.buyer_name),
            "mobile": f"{order.buyer_phone[:3]}*******{order.buyer_phone[-1:]}",
            "province": province,
            "city": city,
            "county": district,
            "fullAddress": encrypt(f"{province}{city}{district}{detail}"),
        },
        "itemInfoList": [
            {
                "skuId": line.listing_id,
                "wareId": line.listing_id,
                "outerSkuId": line.sku,
                "skuName": line.title,
                "jdPrice": f"{line.unit_price:.2f}",
                "itemTotal": str(line.quantity),
            }
            for line in order.lines
        ],
    }
    if corrupt:
        data["orderPayment"] = "1O0.00"  # a letter O where a zero belongs
    return {key: value for key, value in data.items() if value is not None}


class JdProtocol:
    platform = "jd"

    def __init__(self, world: World, credentials: Credentials) -> None:
        self.world = world
        self.credentials = credentials

    def params(self, request: Request) -> dict[str, Any]:
        return {**request.query, **request.form()}

    def check(self, params: Mapping[str, Any]) -> None:
        if params.get("app_key") != self.credentials.app_key:
            raise ProtocolError(error("20", "无效的app_key", "Invalid app_key"))
        if params.get("sign") != sign(params, self.credentials.app_secret):
            raise ProtocolError(error("12", "无效签名", "Invalid signature"))
        if not params.get("access_token"):
            raise ProtocolError(error("19", "无效access_token", "Invalid access_token"))

    def is_read(self, params: Mapping[str, Any]) -> bool:
        return str(params.get("method", "")).startswith("jingdong.pop.order.") and not str(
            params.get("method", "")
        ).endswith(".shipment")

    def window(self, params: Mapping[str, Any]) -> tuple[datetime, datetime] | None:
        business = _business(params)
        if business.get("dateType") != "1" and "start_date" in business:
            return _time(business, "start_date"), _time(business, "end_date")
        return None

    def rate_limited(self) -> Answer:
        return error("429", "调用频率超限，请稍后重试", "Call frequency limit exceeded")

    def busy(self) -> Answer:
        return error("66", "平台服务繁忙，请稍后重试", "Service busy")

    def handle(self, params: Mapping[str, Any], *, corrupt: bool) -> Answer:
        method = str(params.get("method", ""))
        handler = HANDLERS.get(method)
        if handler is None:
            raise ProtocolError(error("15", "不存在的方法名", "Invalid Method"))
        return handler(self, _business(params), corrupt)

    # --- methods

    def _search(self, business: Mapping[str, Any], corrupt: bool) -> Answer:
        start, end = _time(business, "start_date"), _time(business, "end_date")
        if end <= start or end - start > timedelta(days=31):
            raise ProtocolError(error("34", "时间跨度不能超过一个月", "date range too long"))
        shop = self.world.shops[self.platform]
        if business.get("dateType") == "1":
            candidates = shop.created_between(start, end)
        else:
            candidates = shop.modified_between(start, end)
        states = set(str(business.get("order_state", "")).split(","))
        ids = [oid for oid in candidates if truth_status(shop.orders[oid]) in states]
        page, size = _int(business, "page"), _int(business, "page_size")
        if not 1 <= size <= 100 or page < 1:
            raise ProtocolError(error("34", "page_size 取值范围 1-100", "invalid page_size"))
        chunk = ids[(page - 1) * size : page * size]
        bad = self.world.random.randrange(len(chunk)) if corrupt and chunk else -1
        result = {
            "apiResult": {"success": True, "chineseErrCode": "成功", "numberCode": 10100000},
            "orderTotal": len(ids),
            "orderInfoList": [
                render(shop.orders[oid], corrupt=n == bad) for n, oid in enumerate(chunk)
            ],
        }
        inner = {"code": "0", "searchorderinfo_result": result}
        return {"jingdong_pop_order_search_responce": inner}

    def _get(self, business: Mapping[str, Any], corrupt: bool) -> Answer:
        order = self.world.shops[self.platform].orders.get(str(business.get("order_id")))
        if order is None or truth_status(order) == NOT_LISTED:
            api = {"success": False, "chineseErrCode": "订单不存在", "numberCode": 10200005}
            detail: dict[str, Any] = {"apiResult": api}
        else:
            detail = {"apiResult": {"success": True}, "orderInfo": render(order, corrupt=corrupt)}
        return {"jingdong_pop_order_get_responce": {"code": "0", "orderDetailInfo": detail}}

    def _shipment(self, business: Mapping[str, Any], corrupt: bool) -> Answer:
        if not business.get("orderId"):
            raise ProtocolError(error("34", "orderId 不能为空", "orderId is required"))
        carrier = str(business.get("logiCoprId", ""))
        if not knows(self.platform, carrier):
            outcome = {"success": False, "chineseErrCode": f"物流公司编号 {carrier} 不存在"}
        else:
            result = self.world.confirm_shipment(
                self.platform, str(business["orderId"]), str(business.get("logiNo")), carrier
            )
            outcome = {"success": result == "ok", "chineseErrCode": result}
        inner = {"code": "0", "sopjosshipment_result": outcome}
        return {"jingdong_pop_order_shipment_responce": inner}

    def _carriers(self, business: Mapping[str, Any], corrupt: bool) -> Answer:
        listed = [{"id": int(code), "name": name} for code, name in CARRIER_LISTS[self.platform]]
        return {"vender_delivery_all_company_response": {"delivery_companies": listed}}

    def _stock(self, business: Mapping[str, Any], corrupt: bool) -> Answer:
        req = business.get("req")
        stocks = req.get("skuStocks") if isinstance(req, dict) else None
        if not isinstance(stocks, list) or not stocks:
            raise ProtocolError(error("34", "req.skuStocks 不能为空", "req.skuStocks is required"))
        for stock in stocks:
            self.world.set_stock(self.platform, str(stock.get("skuId")), _int(stock, "stockNum"))
        result = {"success": True, "obj": {"updateStockResult": [{"success": True}]}}
        return {"jingdong_ware_stock_sku_set_responce": {"code": "0", "returnType": result}}

    def _up_or_down(self, business: Mapping[str, Any], corrupt: bool) -> Answer:
        op_type = _int(business, "opType")
        if op_type not in (1, 2):
            raise ProtocolError(error("34", "opType 只能是 1 或 2", "opType must be 1 or 2"))
        self.world.set_on_sale(self.platform, str(business.get("wareId")), op_type == 1)
        return {"jingdong_ware_write_upOrDown_responce": {"code": "0", "success": True}}


def _business(params: Mapping[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(str(params.get("360buy_param_json") or "{}"))
    except ValueError:
        raise ProtocolError(error("34", "360buy_param_json 格式错误", "bad param json")) from None
    if not isinstance(data, dict):
        raise ProtocolError(error("34", "360buy_param_json 格式错误", "bad param json"))
    return data


def _int(business: Mapping[str, Any], key: str) -> int:
    try:
        return int(business.get(key, ""))
    except (TypeError, ValueError):
        raise ProtocolError(error("34", f"{key} 必须是整数", f"{key} must be a number")) from None


def _time(business: Mapping[str, Any], key: str) -> datetime:
    refusal = error("34", f"{key} 格式错误", f"{key} is not yyyy-MM-dd HH:mm:ss")
    value: datetime = parsed(gmt8, business.get(key), key, refusal)
    return value


HANDLERS = {
    "jingdong.pop.order.search": JdProtocol._search,
    "jingdong.pop.order.get": JdProtocol._get,
    "jingdong.pop.order.shipment": JdProtocol._shipment,
    "360buy.get.vender.all.delivery.company": JdProtocol._carriers,
    "jingdong.ware.stock.sku.set": JdProtocol._stock,
    "jingdong.ware.write.upOrDown": JdProtocol._up_or_down,
}

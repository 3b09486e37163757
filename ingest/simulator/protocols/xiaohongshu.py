"""Xiaohongshu (ark) as the simulator serves it: one ``common_controller`` gateway, a flat JSON
body, signature checked, ``{success, error_code, error_msg, data}`` envelopes (see
``ingest.channels.xiaohongshu`` for the sources).

Xiaohongshu publishes no error-code list: the codes here are the simulator's own, the messages
say what happened (which is what the connector reads). Xiaohongshu documents no 先用后付 signal
either; the simulator's 先用后付 orders carry ``paymentType`` 7 (支付宝免密支付) — its own
assumption, which the demo channel names in its settings (``bnpl_payment_types``) as a shop
would. A shipment's ``expressCompanyCode`` must be on ``common.getExpressCompanyList``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ingest.channels.xiaohongshu import CREATED, MAX_PAGE_NO, UPDATED, sign
from ingest.simulator.carriers import CARRIER_LISTS, knows
from ingest.simulator.protocols.common import Answer, Credentials, ProtocolError, Request
from ingest.simulator.world import Lifecycle, Refund, SimOrder, World

ORDER_STATUS = {
    Lifecycle.UNPAID: 1,
    Lifecycle.CLOSED_UNPAID: 8,
    Lifecycle.PAID: 4,
    Lifecycle.SHIPPED: 6,
    Lifecycle.DELIVERED: 7,
    Lifecycle.CANCELLED: 9,
}
AFTER_SALES_STATUS = {Refund.NONE: 1, Refund.REQUESTED: 2, Refund.REFUNDED: 3}
PAYMENT_TYPES = {"alipay": 1, "wechat": 2, "buy_now_pay_later": 7}


def truth_status(order: SimOrder) -> str:
    """``orderStatus/paid``: 8 and 9 mean a cancellation only after payment."""
    return f"{ORDER_STATUS[order.lifecycle]}/{1 if order.paid else 0}"


def error(code: int, message: str) -> dict[str, Any]:
    return {"success": False, "error_code": code, "error_msg": message, "data": None}


def ok(data: Any) -> dict[str, Any]:
    return {"success": True, "error_code": 0, "error_msg": "", "data": data}


def _ms(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) * 1000 if moment else None


def summary(order: SimOrder, *, corrupt: bool = False) -> dict[str, Any]:
    """The list's ``OrderSimpleDetail``."""
    province, city, district, _detail = order.address
    data: dict[str, Any] = {
        "orderId": order.order_id,
        "orderType": 1,
        "orderStatus": ORDER_STATUS[order.lifecycle],
        "orderAfterSalesStatus": AFTER_SALES_STATUS[order.refund],
        "cancelStatus": 0,
        "createdTime": _ms(order.created),
        "paidTime": _ms(order.paid),
        "updateTime": _ms(order.modified),
        "deliveryTime": _ms(order.shipped),
        "finishTime": _ms(order.finished),
        "promiseLastDeliveryTime": _ms(order.ship_by) if order.paid else None,
        "receiverCountryName": "中国",
        "receiverProvinceName": province,
        "receiverCityName": city,
        "receiverDistrictName": district,
        "customerRemark": "",
        "sellerRemark": f"rev {order.memo_revision}" if order.memo_revision else "",
        "logistics": "red_auto",
    }
    if corrupt:
        data["orderStatus"] = "待发货"  # a label where the code belongs
    return {key: value for key, value in data.items() if value is not None}


def detail(order: SimOrder, *, corrupt: bool = False) -> dict[str, Any]:
    """``order.getOrderDetail``'s ``data``."""
    data = summary(order)
    data.update(
        {
            "totalPayAmount": int(order.amount * 100),
            "totalShippingFree": 0,
            "merchantActualReceiveAmount": int(order.amount * 100),
            "paymentType": PAYMENT_TYPES.get(order.payment_method, -1),
            "expressTrackingNo": order.waybill or "",
            "expressCompanyCode": order.carrier or "",
            "shopId": "sim-shop",
            "skuList": [
                {
                    "skuId": line.listing_id,
                    "itemId": line.listing_id,
                    "skuName": line.title,
                    "erpcode": line.sku,
                    "skuQuantity": line.quantity,
                    "totalPaidAmount": int(line.unit_price * line.quantity * 100),
                    "skuAfterSaleStatus": AFTER_SALES_STATUS[order.refund],
                    "skuTag": 0,
                }
                for line in order.lines
            ],
        }
    )
    if corrupt:
        data["totalPayAmount"] = f"{order.amount:.2f}"  # yuan text where fen belong
    return data


class XiaohongshuProtocol:
    platform = "xiaohongshu"

    def __init__(self, world: World, credentials: Credentials) -> None:
        self.world = world
        self.credentials = credentials

    def params(self, request: Request) -> dict[str, Any]:
        return request.json()

    def check(self, params: Mapping[str, Any]) -> None:
        if params.get("appId") != self.credentials.app_key:
            raise ProtocolError(error(-1001, "appId不存在"))
        expected = sign(
            str(params.get("method")), str(params.get("appId")), str(params.get("timestamp")),
            str(params.get("version")), self.credentials.app_secret,
        )  # fmt: skip
        if params.get("sign") != expected:
            raise ProtocolError(error(-1002, "签名校验失败"))
        if not params.get("accessToken"):
            raise ProtocolError(error(-1003, "accessToken无效或已过期"))

    def is_read(self, params: Mapping[str, Any]) -> bool:
        return params.get("method") in ("order.getOrderList", "order.getOrderDetail")

    def window(self, params: Mapping[str, Any]) -> tuple[datetime, datetime] | None:
        if params.get("method") == "order.getOrderList" and params.get("timeType") == UPDATED:
            return _time(params, "startTime"), _time(params, "endTime")
        return None

    def rate_limited(self) -> Answer:
        return error(-1100, "请求过于频繁，触发限流，请稍后重试")

    def busy(self) -> Answer:
        return error(-1200, "系统繁忙，请稍后重试")

    def handle(self, params: Mapping[str, Any], *, corrupt: bool) -> Answer:
        method = str(params.get("method", ""))
        handler = HANDLERS.get(method)
        if handler is None:
            raise ProtocolError(error(-1004, f"method {method} 不存在"))
        return handler(self, params, corrupt)

    # --- methods

    def _order_list(self, params: Mapping[str, Any], corrupt: bool) -> Answer:
        shop = self.world.shops[self.platform]
        start, end = _time(params, "startTime"), _time(params, "endTime")
        time_type = params.get("timeType")
        if time_type == UPDATED:
            if end <= start or end - start > timedelta(minutes=30):
                raise ProtocolError(error(-1005, "更新时间查询跨度不能超过30分钟"))
            ids = shop.modified_between(start, end)
        elif time_type == CREATED:
            if end <= start or end - start > timedelta(hours=24):
                raise ProtocolError(error(-1005, "创建时间查询跨度不能超过24小时"))
            ids = shop.created_between(start, end)
        else:
            raise ProtocolError(error(-1005, "timeType 只能是 1 或 2"))
        page, size = _int(params, "pageNo", 1), _int(params, "pageSize", 50)
        if not 1 <= size <= 100 or not 1 <= page <= MAX_PAGE_NO:
            raise ProtocolError(error(-1005, "pageNo 取值 1-100，pageSize 取值 1-100"))
        chunk = ids[(page - 1) * size : page * size]
        bad = self.world.random.randrange(len(chunk)) if corrupt and chunk else -1
        rows = [summary(shop.orders[oid], corrupt=n == bad) for n, oid in enumerate(chunk)]
        pages = -(-len(ids) // size)
        return ok({"total": len(ids), "pageNo": page, "pageSize": size, "maxPageNo": pages,
                   "orderList": rows})  # fmt: skip

    def _order_detail(self, params: Mapping[str, Any], corrupt: bool) -> Answer:
        order = self.world.shops[self.platform].orders.get(str(params.get("orderId")))
        if order is None:
            raise ProtocolError(error(-2001, "订单不存在"))
        return ok(detail(order, corrupt=corrupt))

    def _deliver(self, params: Mapping[str, Any], corrupt: bool) -> Answer:
        if not knows(self.platform, str(params.get("expressCompanyCode"))):
            raise ProtocolError(error(-2003, "快递公司编码不存在，请通过获取快递公司信息接口查询"))
        result = self.world.confirm_shipment(
            self.platform, str(params.get("orderId")), str(params.get("expressNo")),
            str(params.get("expressCompanyCode")),
        )  # fmt: skip
        if result != "ok":
            raise ProtocolError(error(-2002, f"发货失败: {result}"))
        return ok("")

    def _companies(self, params: Mapping[str, Any], corrupt: bool) -> Answer:
        listed = [
            {"expressCompanyId": n, "expressCompanyCode": code, "expressCompanyName": name}
            for n, (code, name) in enumerate(CARRIER_LISTS[self.platform], start=1)
        ]
        return ok({"expressCompanyInfos": listed})  # fmt: skip

    def _sync_stock(self, params: Mapping[str, Any], corrupt: bool) -> Answer:
        sku = str(params.get("skuId"))
        self.world.set_stock(self.platform, sku, _int(params, "qty", 0))
        return ok({"skuId": sku})

    def _available(self, params: Mapping[str, Any], corrupt: bool) -> Answer:
        self.world.set_on_sale(
            self.platform, str(params.get("skuId")), bool(params.get("available"))
        )
        return ok("")


def _int(params: Mapping[str, Any], key: str, default: int) -> int:
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProtocolError(error(-1005, f"{key} 必须是整数"))
    return value


def _time(params: Mapping[str, Any], key: str) -> datetime:
    if key not in params:
        raise ProtocolError(error(-1005, f"{key} 不能为空"))
    return datetime.fromtimestamp(_int(params, key, -1), UTC)


HANDLERS = {
    "order.getOrderList": XiaohongshuProtocol._order_list,
    "order.getOrderDetail": XiaohongshuProtocol._order_detail,
    "order.orderDeliver": XiaohongshuProtocol._deliver,
    "common.getExpressCompanyList": XiaohongshuProtocol._companies,
    "inventory.syncSkuStock": XiaohongshuProtocol._sync_stock,
    "product.updateSkuAvailable": XiaohongshuProtocol._available,
}

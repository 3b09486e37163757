"""TOP (Taobao/Tmall) as the simulator serves it: one gateway, form parameters, signature
checked, ``error_response`` envelopes (see ``ingest.channels.taobao`` for the sources)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ingest.channels.base import format_gmt8, gmt8
from ingest.channels.taobao import sign
from ingest.simulator.carriers import CARRIER_LISTS, knows
from ingest.simulator.protocols.common import Answer, Credentials, ProtocolError, Request, parsed
from ingest.simulator.world import Lifecycle, Refund, SimOrder, World

STATUS = {
    Lifecycle.UNPAID: "WAIT_BUYER_PAY",
    Lifecycle.CLOSED_UNPAID: "TRADE_CLOSED_BY_TAOBAO",
    Lifecycle.PAID: "WAIT_SELLER_SEND_GOODS",
    Lifecycle.SHIPPED: "WAIT_BUYER_CONFIRM_GOODS",
    Lifecycle.DELIVERED: "TRADE_FINISHED",
    Lifecycle.CANCELLED: "TRADE_CLOSED",
}
REFUND = {
    Refund.NONE: "NO_REFUND",
    Refund.REQUESTED: "WAIT_SELLER_AGREE",
    Refund.REFUNDED: "SUCCESS",
}


def truth_status(order: SimOrder) -> str:
    return STATUS[order.lifecycle]


def error(code: int, msg: str, sub_code: str = "", sub_msg: str = "") -> dict[str, Any]:
    return {
        "error_response": {
            "code": code,
            "msg": msg,
            "sub_code": sub_code,
            "sub_msg": sub_msg,
            "request_id": "sim",
        }
    }


RATE_LIMITED = error(
    7,
    "App Call Limited",
    "accesscontrol.limited-by-api-access-count",
    "This ban will last for 1 more seconds",
)
BUSY = error(15, "Remote service error", "isp.top-remote-connection-timeout", "系统繁忙")


def render(order: SimOrder, *, corrupt: bool = False) -> dict[str, Any]:
    province, city, district, detail = order.address
    lines = [
        {
            "oid": int(order.order_id) * 10 + n,
            "oid_str": f"{order.order_id}{n}",
            "status": STATUS[order.lifecycle],
            "refund_status": REFUND[order.refund] if n == 1 or order.refund is Refund.REFUNDED
            else "NO_REFUND",
            "num_iid": int(line.listing_id),
            "sku_id": line.sku,
            "outer_sku_id": line.sku,
            "title": line.title,
            "num": line.quantity,
            "price": f"{line.unit_price:.2f}",
            "payment": f"{line.unit_price * line.quantity:.2f}",
        }
        for n, line in enumerate(order.lines, start=1)
    ]  # fmt: skip
    trade = {
        "tid": int(order.order_id),
        "tid_str": order.order_id,
        "status": STATUS[order.lifecycle],
        "type": "fixed",
        "created": format_gmt8(order.created),
        "modified": format_gmt8(order.modified),
        "pay_time": format_gmt8(order.paid) if order.paid else None,
        "consign_time": format_gmt8(order.shipped) if order.shipped else None,
        "payment": f"{order.amount:.2f}",
        "post_fee": "0.00",
        "receiver_name": order.buyer_name,
        "receiver_mobile": order.buyer_phone,
        "receiver_state": province,
        "receiver_city": city,
        "receiver_district": district,
        "receiver_address": detail,
        "buyer_message": f"rev {order.memo_revision}" if order.memo_revision else None,
        "orders": {"order": lines},
    }
    if corrupt:
        trade["payment"] = "1O0.00"  # a letter O where a zero belongs
    return {key: value for key, value in trade.items() if value is not None}


class TopProtocol:
    """Serves ``taobao`` and ``tmall`` shops."""

    def __init__(self, world: World, platform: str, credentials: Credentials) -> None:
        self.world = world
        self.platform = platform
        self.credentials = credentials

    def params(self, request: Request) -> dict[str, str]:
        return {**request.query, **request.form()}

    def check(self, params: Mapping[str, str]) -> None:
        if params.get("app_key") != self.credentials.app_key:
            raise ProtocolError(error(29, "Invalid App Key"))
        method = params.get("sign_method", "md5")
        if method not in ("md5", "hmac", "hmac-sha256"):
            raise ProtocolError(error(25, "Invalid Signature", "isv.invalid-sign-method"))
        if params.get("sign") != sign(params, self.credentials.app_secret, method):
            raise ProtocolError(error(25, "Invalid Signature"))
        if not params.get("session"):
            raise ProtocolError(error(26, "Missing Session"))

    def is_read(self, params: Mapping[str, str]) -> bool:
        return params.get("method", "").startswith("taobao.trade")

    def window(self, params: Mapping[str, str]) -> tuple[datetime, datetime] | None:
        if "start_modified" in params and "end_modified" in params:
            return _time(params, "start_modified"), _time(params, "end_modified")
        return None

    def rate_limited(self) -> dict[str, Any]:
        return RATE_LIMITED

    def busy(self) -> dict[str, Any]:
        return BUSY

    def handle(self, params: Mapping[str, str], *, corrupt: bool) -> Answer:
        method = params.get("method", "")
        handler = HANDLERS.get(method)
        if handler is None:
            raise ProtocolError(error(22, "Invalid Method", "", f"unknown method {method}"))
        return handler(self, params, corrupt)

    # --- methods

    def _list(self, params: Mapping[str, str], corrupt: bool, by: str) -> Answer:
        """Orders of the window by ``by`` time, newest first, paged like TOP."""
        shop = self.world.shops[self.platform]
        start, end = _time(params, f"start_{by}"), _time(params, f"end_{by}")
        if by == "modified":
            ids = shop.modified_between(start, end)
        else:
            ids = shop.created_between(start, end)
        try:
            page, size = int(params.get("page_no", "1")), int(params.get("page_size", "40"))
        except ValueError:
            raise ProtocolError(error(41, "Invalid Arguments", "isv.invalid-parameter")) from None
        if not 1 <= size <= 100 or page < 1:
            raise ProtocolError(error(41, "Invalid Arguments", "isv.invalid-parameter"))
        chunk = ids[(page - 1) * size : page * size]
        bad = self.world.random.randrange(len(chunk)) if corrupt and chunk else -1
        trades = [render(shop.orders[oid], corrupt=n == bad) for n, oid in enumerate(chunk)]
        body: dict[str, Any] = {"trades": {"trade": trades}} if trades else {}
        if params.get("use_has_next") == "true":
            body["has_next"] = page < math.ceil(len(ids) / size)
        else:
            body["total_results"] = len(ids)
        name = (
            "trades_sold_increment_get_response"
            if by == "modified"
            else ("trades_sold_get_response")
        )
        return {name: body}

    def _increment(self, params: Mapping[str, str], corrupt: bool) -> Answer:
        start, end = _time(params, "start_modified"), _time(params, "end_modified")
        if end <= start or (end - start).total_seconds() > 86400:
            raise ProtocolError(error(41, "Invalid Arguments", "isv.invalid-parameter",
                                      "修改时间跨度不能大于一天"))  # fmt: skip
        return self._list(params, corrupt, "modified")

    def _sold(self, params: Mapping[str, str], corrupt: bool) -> Answer:
        return self._list(params, corrupt, "created")

    def _fullinfo(self, params: Mapping[str, str], corrupt: bool) -> Answer:
        order = self.world.shops[self.platform].orders.get(params.get("tid", ""))
        if order is None:
            raise ProtocolError(error(15, "Remote service error", "isv.trade-not-exist"))
        return {"trade_fullinfo_get_response": {"trade": render(order, corrupt=corrupt)}}

    def _ship(self, params: Mapping[str, str], corrupt: bool) -> Answer:
        if not knows(self.platform, params.get("company_code", "")):
            raise ProtocolError(error(15, "Remote service error", "isv.logistics-company-not-exist",
                                      "物流公司不存在"))  # fmt: skip
        result = self.world.confirm_shipment(
            self.platform, params.get("tid", ""), params.get("out_sid", ""),
            params.get("company_code", ""),
        )  # fmt: skip
        if result != "ok":
            raise ProtocolError(error(15, "Remote service error", f"isv.logistics-{result}"))
        return {"logistics_offline_send_response": {"shipping": {"is_success": True}}}

    def _companies(self, params: Mapping[str, str], corrupt: bool) -> Answer:
        listed = [
            {"id": n, "code": code, "name": name}
            for n, (code, name) in enumerate(CARRIER_LISTS[self.platform], start=1)
        ]
        inner = {"logistics_companies": {"logistics_company": listed}}
        return {"logistics_companies_get_response": inner}  # fmt: skip

    def _quantity(self, params: Mapping[str, str], corrupt: bool) -> Answer:
        self.world.set_stock(self.platform, params.get("num_iid", ""), int(params["quantity"]))
        return {"item_quantity_update_response": {"item": {"num_iid": params.get("num_iid")}}}

    def _delist(self, params: Mapping[str, str], corrupt: bool) -> Answer:
        self.world.set_on_sale(self.platform, params.get("num_iid", ""), False)
        return {"item_update_delisting_response": {"item": {"num_iid": params.get("num_iid")}}}

    def _list_item(self, params: Mapping[str, str], corrupt: bool) -> Answer:
        self.world.set_stock(self.platform, params.get("num_iid", ""), int(params["num"]))
        self.world.set_on_sale(self.platform, params.get("num_iid", ""), True)
        return {"item_update_listing_response": {"item": {"num_iid": params.get("num_iid")}}}


def _time(params: Mapping[str, str], key: str) -> datetime:
    refusal = error(41, "Invalid Arguments", "isv.invalid-parameter", f"{key} 格式错误")
    value: datetime = parsed(gmt8, params.get(key), key, refusal)
    return value


HANDLERS = {
    "taobao.trades.sold.increment.get": TopProtocol._increment,
    "taobao.trades.sold.get": TopProtocol._sold,
    "taobao.trade.fullinfo.get": TopProtocol._fullinfo,
    "taobao.logistics.offline.send": TopProtocol._ship,
    "taobao.logistics.companies.get": TopProtocol._companies,
    "taobao.item.quantity.update": TopProtocol._quantity,
    "taobao.item.update.delisting": TopProtocol._delist,
    "taobao.item.update.listing": TopProtocol._list_item,
}

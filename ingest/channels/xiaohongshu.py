"""Xiaohongshu (小红书 ark open platform) connector.

Sources (read): the official docs as
captured in AndersonBY/xiaohongshu-ecommerce-python-sdk ``docs/小红书官方文档/`` (039 签名算法,
040 系统参数说明, 292 接口限流说明, 045 订单基础介绍, 047 订单接入方案,
``api/订单API/order_getOrderList``, ``order_getOrderDetail``),
and that SDK's ``client/base.py``.

- Transport: ``POST https://ark.xiaohongshu.com/ark/open_api/v3/common_controller``,
  ``content-type: application/json;charset=utf-8``, one flat JSON body with the system parameters
  ``method, appId, timestamp`` (UNIX seconds), ``version`` (2.0), ``sign``, ``accessToken`` next to
  the business ones (doc 039's request example, in tests/ingest/vectors/xiaohongshu_*).
- Signature (doc 039): ``lower(MD5(method + "?appId=" + appId + "&timestamp=" + timestamp +
  "&version=" + version + appSecret))`` — system parameters only; ``accessToken`` and business
  parameters are not signed. The doc's example is masked, so no published vector exists.
- Envelope (doc 040): ``{"error_code": 0, "error_msg": …, "data": {…}, "success": true}``; the
  SDK also reads ``code``/``msg``.
- ``order.getOrderList``: ``startTime``/``endTime`` in seconds, ``timeType`` 1 创建时间
  (span ≤ 24 h) or 2 更新时间 (span ≤ 30 min, "倒序拉取 最后一页到第一页"),
  ``orderType`` 0 and ``orderStatus`` 0 (全部), ``pageNo`` from 1 (≤ 100), ``pageSize`` ≤ 100;
  ``data{total, pageNo, pageSize, maxPageNo, orderList}``. The list has neither amounts nor
  lines, so every order that is ours is read with ``order.getOrderDetail`` (``orderId``): money
  in **fen**, times in UNIX **milliseconds**;
  receivers are not returned (``order.getOrderReceiverInfo``, which we do not call: the store
  gets the province, city and district only, and no buyer name or phone).
- Status enums (order docs): ``orderStatus`` 1 已下单待付款 … 10 换货申请中,
  ``orderAfterSalesStatus`` 1 无售后 … 7 售后取消, ``cancelStatus`` 0/1, ``paymentType`` 1 支付宝
  2 微信 3 apple 内购 4 apple pay 5 花呗分期 7 支付宝免密支付 8 云闪付 -1 其他.
- Write-back (method names and parameters verified in three independent public clients found with
  the search tool): ``order.orderDeliver`` (``orderId, expressNo, expressCompanyCode``),
  ``inventory.syncSkuStock`` (``skuId, qty`` — the SKU's total stock),
  ``product.updateSkuAvailable`` (``skuId, available``).

Verified with the search tool: the request the SDK sends (flat JSON, signature over the system
parameters only, ``success``/``error_code``/``error_msg`` read back), docs 040 and 292 verbatim,
the write-back methods above.

- Carriers: ``common.getExpressCompanyList`` → ``expressCompanyInfos[{expressCompanyId,
  expressCompanyCode, expressCompanyName}]``, "快递公司编码,发货时需要传的值" (example ``zto``);
  ``order.orderDeliver`` takes that ``expressCompanyCode`` (docs
  ``api/公共API/common_getExpressCompanyList_获取快递公司信息.json``,
  ``api/订单API/order_orderDeliver_订单发货.json``).

UNCERTAIN: no error-code list was found (doc 292 documents QPS caps, not the code a throttled call
gets; the API docs' ``error_codes`` lists are empty), so errors are told apart by their message —
限流/频繁/too many → rate limit, token/授权 with 过期/失效/无效 → expired session, 签名/sign →
signature, 繁忙/busy/系统异常/超时 → busy; everything else is a refusal — and by the codes a channel
names in ``settings.rate_limit_codes``.

UNCERTAIN — 先用后付 on Xiaohongshu: the order docs document no signal for it. ``paymentType`` 7 is
支付宝免密支付 (mapped as such, ``alipay_password_free``), ``orderTagList`` lists no BNPL tag and
``orderType`` none either. A shop that knows how its 先用后付 orders arrive names it per channel:
``settings.bnpl_payment_types`` (e.g. ``[7]``) or ``settings.bnpl_order_tags``; matching orders
are ``buy_now_pay_later``, which the default risk rule holds. Without either, none is guessed.
``orderStatus`` 8 已关闭 and
9 已取消 are cancellations for us only if the order was paid (``paidTime``); 10 换货申请中 comes
after receipt, so the order stays delivered with its after-sales state in progress.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ingest.channels.base import (
    AfterSales,
    CarrierEntry,
    ChannelError,
    ChannelOrder,
    ChannelRefused,
    Connector,
    InvalidSignature,
    MalformedPayload,
    PageResult,
    RateLimited,
    RawOrder,
    SessionExpired,
    SystemBusy,
    fen,
    join_address,
    need,
    optional,
    parse_canonical,
    read_backwards,
    records,
    text_id,
    unix_seconds,
)
from store.stages import Stage

# ``orderStatus`` → our stage; 8 and 9 are ours only if paid (see ``stage_of``).
ORDER_STATUS: dict[str, Stage | None] = {
    "1": None,  # 已下单待付款
    "2": Stage.PAID,  # 已支付处理中
    "3": Stage.PAID,  # 清关中
    "4": Stage.PAID,  # 待发货
    "5": Stage.PAID,  # 部分发货: still work for the warehouse
    "6": Stage.SHIPPED,  # 待收货
    "7": Stage.DELIVERED,  # 已完成
    "8": Stage.CANCELLED,  # 已关闭
    "9": Stage.CANCELLED,  # 已取消
    "10": Stage.DELIVERED,  # 换货申请中 (after receipt)
}
# ``orderAfterSalesStatus`` → after-sales state.
AFTER_SALES_STATUS: dict[str, AfterSales] = {
    "1": AfterSales.NONE,  # 无售后
    "2": AfterSales.REQUESTED,  # 售后处理中
    "6": AfterSales.IN_PROGRESS,  # 平台介入中
    "3": AfterSales.REFUNDED,  # 售后完成
    "4": AfterSales.REFUSED,  # 售后拒绝
    "5": AfterSales.CLOSED,  # 售后关闭
    "7": AfterSales.CLOSED,  # 售后取消
}
PAYMENT_TYPES = {"1": "alipay", "2": "wechat", "3": "apple_iap", "4": "apple_pay",
                 "5": "huabei_installment", "7": "alipay_password_free", "8": "unionpay",
                 "-1": "other"}  # fmt: skip
"""``paymentType`` as documented (7 支付宝免密支付); 先用后付 only by a channel's settings."""
BNPL = "buy_now_pay_later"
UPDATED, CREATED = 2, 1
"""``timeType`` values."""
MAX_PAGE_NO = 100
_RATE_WORDS = ("限流", "频繁", "too many", "rate limit")
_SESSION_WORDS = ("token", "授权")
_EXPIRED_WORDS = ("过期", "失效", "无效", "expired", "invalid")
_SIGNATURE_WORDS = ("签名", "sign")
_BUSY_WORDS = ("繁忙", "busy", "系统异常", "超时", "timeout")


def sign(method: str, app_id: str, timestamp: str, version: str, secret: str) -> str:
    text = f"{method}?appId={app_id}&timestamp={timestamp}&version={version}{secret}"
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def stage_of(order_status: str, paid: bool) -> Stage | None:
    if order_status not in ORDER_STATUS:
        raise MalformedPayload(f"orderStatus: unknown status {order_status!r}")
    stage = ORDER_STATUS[order_status]
    return None if stage is Stage.CANCELLED and not paid else stage


def error_from(
    body: Mapping[str, Any], channel: str, rate_codes: frozenset[str] = frozenset()
) -> ChannelError:
    code = body.get("error_code", body.get("code"))
    message = str(body.get("error_msg") or body.get("msg") or "")
    text = f"{channel}: Xiaohongshu error {code} {message}"
    lowered = message.lower()

    def says(*words: str) -> bool:
        return any(word in lowered for word in words)

    if str(code) in rate_codes or says(*_RATE_WORDS):
        return RateLimited(text, platform_code=str(code))
    if says(*_SESSION_WORDS) and says(*_EXPIRED_WORDS):
        return SessionExpired(text, platform_code=str(code))
    if says(*_SIGNATURE_WORDS):
        return InvalidSignature(text, platform_code=str(code))
    if says(*_BUSY_WORDS):
        return SystemBusy(text, platform_code=str(code))
    return ChannelRefused(text, platform_code=str(code))


def millis(value: Any, key: str) -> datetime:
    return unix_seconds(value, key, scale=1000)


class XiaohongshuConnector(Connector):
    platform = "xiaohongshu"
    order_id_keys = ("orderId",)
    default_base_url = "https://ark.xiaohongshu.com/ark/open_api/v3/common_controller"
    max_window = timedelta(minutes=30)
    version = "2.0"

    # --- protocol

    def call(self, method: str, params: Mapping[str, Any]) -> Any:
        """One signed call; returns ``data``."""
        return self.guard(lambda: self._call_once(method, params))

    def _call_once(self, method: str, params: Mapping[str, Any]) -> Any:
        timestamp = str(int(self.clock().timestamp()))
        key, secret = self.config.app_key, self.config.app_secret
        sent = {
            **{k: v for k, v in params.items() if v is not None},
            "method": method,
            "appId": self.config.app_key,
            "timestamp": timestamp,
            "version": self.version,
            "sign": sign(method, key, timestamp, self.version, secret),
            **({"accessToken": self.config.access_token} if self.config.access_token else {}),
        }
        headers = {"content-type": "application/json;charset=utf-8"}
        body = self.post("", json=sent, headers=headers)
        if not isinstance(body, dict):
            raise MalformedPayload(
                f"{self.config.name}: Xiaohongshu answered {type(body).__name__}"
            )
        if body.get("success") is not True:
            raise error_from(body, self.config.name, self.config.settings.rate_limit_codes)
        return body.get("data")

    def _list(self, time_type: int, start: datetime, end: datetime) -> Iterator[list[RawOrder]]:
        def read(page: int, size: int, _has_next: bool) -> PageResult:
            data = self.call(
                "order.getOrderList",
                {
                    "startTime": int(start.timestamp()),
                    "endTime": int(end.timestamp()),
                    "timeType": time_type,
                    "orderType": 0,
                    "orderStatus": 0,
                    "pageNo": page,
                    "pageSize": size,
                },
            )
            if not isinstance(data, dict):
                raise MalformedPayload("order.getOrderList returned no data")
            listed = data.get("orderList") or []
            total = data.get("total")
            if not isinstance(listed, list) or not isinstance(total, int):
                raise MalformedPayload("order.getOrderList: orderList or total missing")
            if total > MAX_PAGE_NO * self.page_size:
                raise ChannelRefused(
                    f"{self.config.name}: a window holds {total} orders, more than Xiaohongshu "
                    f"pages through ({MAX_PAGE_NO} pages of {self.page_size})"
                )
            rows = [o if isinstance(o, dict) else {"_unreadable": o} for o in listed]
            return PageResult(rows, total, page * size < total)

        for page in read_backwards(read, self.page_size):
            yield [self._detail_of(row) for row in page]

    def _detail_of(self, row: RawOrder) -> RawOrder:
        """The order's detail when it is ours; the list row itself when it is not (unpaid: no
        call needed) or cannot be read (it goes to quarantine and is fetched again later)."""
        order_id = self.order_id(row)
        try:
            ours = stage_of(str(need(row, "orderStatus")), bool(row.get("paidTime"))) is not None
        except MalformedPayload:
            return row
        return self.fetch_order(order_id) if ours and order_id else row

    # --- the interface

    def list_changed(self, start: datetime, end: datetime) -> Iterator[list[RawOrder]]:
        return self._list(UPDATED, start, end)

    def list_created(self, start: datetime, end: datetime) -> Iterator[list[RawOrder]]:
        """Creation-time windows may span 24 h; longer ranges are cut."""
        while start < end:
            stop = min(start + timedelta(hours=24), end)
            yield from self._list(CREATED, start, stop)
            start = stop

    def fetch_order(self, channel_order_id: str) -> RawOrder:
        data = self.call("order.getOrderDetail", {"orderId": channel_order_id})
        if not isinstance(data, dict):
            raise MalformedPayload(f"{self.config.name}: order {channel_order_id} has no body")
        return data

    def to_channel_order(self, raw: RawOrder) -> ChannelOrder | None:
        paid_at = optional(raw, "paidTime", millis)
        stage = stage_of(str(need(raw, "orderStatus")), paid_at is not None)
        if stage is None:
            return None
        lines = records(raw, "skuList")
        payment = self._payment_method(raw)
        order = parse_canonical(
            {
                "channel_order_id": self.channel_order_id(raw),
                "stage": stage,
                "amount": fen(need(raw, "totalPayAmount"), "totalPayAmount"),
                "created_at": millis(need(raw, "createdTime"), "createdTime"),
                "modified_at": millis(need(raw, "updateTime"), "updateTime"),
                "paid_at": paid_at,
                "ship_by": optional(raw, "promiseLastDeliveryTime", millis),
                "payment_method": payment,
                "buyer_address": join_address(
                    raw.get("receiverProvinceName"),
                    raw.get("receiverCityName"),
                    raw.get("receiverDistrictName"),
                ),
                "items": [_item(line, n) for n, line in enumerate(lines, start=1)],
            }
        )
        return ChannelOrder(order, after_sales_of(raw))

    def _payment_method(self, raw: RawOrder) -> str | None:
        """The documented ``paymentType``, unless the channel's settings say this order is
        先用后付 (by payment type or order tag)."""
        payment = str(raw.get("paymentType", ""))
        settings = self.config.settings
        tags = raw.get("orderTagList")
        tagged = isinstance(tags, list) and any(str(t) in settings.bnpl_order_tags for t in tags)
        if payment in settings.bnpl_payment_types or tagged:
            return BNPL
        return PAYMENT_TYPES.get(payment, payment or None)

    def confirm_shipment(self, channel_order_id: str, *, waybill: str, carrier: str) -> None:
        self.call(
            "order.orderDeliver",
            {"orderId": channel_order_id, "expressNo": waybill, "expressCompanyCode": carrier},
        )

    def list_carriers(self) -> list[CarrierEntry]:
        data = self.call("common.getExpressCompanyList", {})
        listed = data.get("expressCompanyInfos") if isinstance(data, dict) else None
        if not isinstance(listed, list):
            raise MalformedPayload(f"{self.config.name}: Xiaohongshu carrier list is not a list")
        return [
            CarrierEntry(str(row["expressCompanyCode"]), str(row["expressCompanyName"]))
            for row in listed
            if isinstance(row, dict) and row.get("expressCompanyCode")
            and row.get("expressCompanyName")
        ]  # fmt: skip

    def update_stock(self, listing_id: str, quantity: int) -> None:
        self.call("inventory.syncSkuStock", {"skuId": _sku(listing_id), "qty": quantity})

    def pause_listing(self, listing_id: str) -> None:
        self.call("product.updateSkuAvailable", {"skuId": _sku(listing_id), "available": False})

    def resume_listing(self, listing_id: str, quantity: int) -> None:
        self.update_stock(listing_id, quantity)
        self.call("product.updateSkuAvailable", {"skuId": _sku(listing_id), "available": True})


def after_sales_of(raw: Mapping[str, Any]) -> AfterSales:
    """The order's after-sales state; a pending cancel request (cancelStatus 1) is a request."""
    status = str(raw.get("orderAfterSalesStatus") or "1")
    if status not in AFTER_SALES_STATUS:
        raise MalformedPayload(f"orderAfterSalesStatus: unknown status {status!r}")
    state = AFTER_SALES_STATUS[status]
    if state is AfterSales.NONE and str(raw.get("cancelStatus", "0")) == "1":
        return AfterSales.REQUESTED
    return state


def _item(line: Mapping[str, Any], n: int) -> dict[str, Any]:
    try:
        sku = text_id(line, "erpcode", "skuId", "itemId")
        quantity = need(line, "skuQuantity")
        paid = fen(need(line, "totalPaidAmount"), "totalPaidAmount")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise MalformedPayload(f"skuQuantity: {quantity!r} is not a quantity")
    except MalformedPayload as exc:
        raise MalformedPayload(f"skuList[{n}].{exc.message}") from None
    name = line.get("skuName")
    return {
        "sku": sku,
        "quantity": quantity,
        # lines aggregate equal SKUs and carry the total paid (doc: 金额为价格总和 单位分)
        "unit_price": (paid / quantity).quantize(Decimal("0.01")),
        "name": str(name)[:255] if name else None,
    }


def _sku(listing_id: str) -> str:
    """``skuId``, or ``itemId:skuId``."""
    item, _, sku = listing_id.partition(":")
    return sku or item

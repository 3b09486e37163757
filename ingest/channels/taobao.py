"""Taobao / Tmall Open Platform (TOP) connector.

Sources (read):

- Signing: TOP doc "API调用方法详解" https://open.taobao.com/doc.htm?docId=101617 (its 签名举例:
  tests/ingest/vectors/taobao_top_sign_md5.vector.json); the official Python SDK
  (samzong/taobao-openapi ``top/api/base.py``, ``sign()``) and bububa/opentaobao
  ``core/client.go`` for md5 / hmac / hmac-sha256 over sorted parameters.
- System parameters and the error envelope: bububa/opentaobao ``model/request.go`` and
  ``model/response.go``; error codes from TOP's error-code page (third-party copy, roclinux.cn).
- ``taobao.trades.sold.increment.get`` (apiId 128): windows ≤ 1 day, results by modified time
  descending, "必须采用倒序的分页方式（从最后一页往回取）才能避免漏单问题", ``use_has_next``
  (API doc https://open.taobao.com/api.htm?docId=128&docType=2); ``taobao.trades.sold.get``
  (apiId 46) by creation time; ``taobao.trade.fullinfo.get`` (apiId 54).
- Write-back: ``taobao.logistics.offline.send`` (tid, out_sid, company_code; bububa/opentaobao
  ``api/logistic``), the company code from ``taobao.logistics.companies.get``
  (``ingest.carriers``), ``taobao.item.quantity.update`` (num_iid, sku_id, quantity, type=1 全量),
  ``taobao.item.update.delisting`` / ``taobao.item.update.listing`` (num_iid, num).

Money is yuan text (``"200.07"``), times are ``yyyy-MM-dd HH:mm:ss`` GMT+8, ids are read from
``tid_str``/``oid_str`` before the numeric ``tid``/``oid``. Tmall shops use the same API.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
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
    format_gmt8,
    gmt8,
    hmac_hex,
    join_address,
    map_status,
    md5_upper,
    most_pressing,
    need,
    optional,
    parse_canonical,
    read_backwards,
    records,
    sorted_concat,
    split_buyer,
    text_id,
    yuan,
)
from store.stages import Stage

# Trade status → our stage; ``None``: not paid yet, so not an order for the warehouse.
TRADE_STATUS: dict[str, Stage | None] = {
    "TRADE_NO_CREATE_PAY": None,  # 没有创建支付宝交易
    "WAIT_BUYER_PAY": None,  # 等待买家付款
    "PAY_PENDING": None,  # 国际信用卡支付付款确认中
    "WAIT_PRE_AUTH_CONFIRM": None,  # 0元购合约中
    "TRADE_CLOSED_BY_TAOBAO": None,  # 付款以前关闭: never paid, never ours
    "WAIT_SELLER_SEND_GOODS": Stage.PAID,  # 等待卖家发货 (买家已付款)
    "PAID_FORBID_CONSIGN": Stage.PAID,  # 已付款但禁止发货 (拼团中)
    "SELLER_CONSIGNED_PART": Stage.PAID,  # 卖家部分发货: still work for the warehouse
    "WAIT_BUYER_CONFIRM_GOODS": Stage.SHIPPED,  # 等待买家确认收货 (卖家已发货)
    "TRADE_BUYER_SIGNED": Stage.DELIVERED,  # 买家已签收 (货到付款)
    "TRADE_FINISHED": Stage.DELIVERED,  # 交易成功
    "TRADE_CLOSED": Stage.CANCELLED,  # 付款以后用户退款成功，交易自动关闭
}

# Sub-order ``refund_status`` → after-sales state.
REFUND_STATUS: dict[str, AfterSales] = {
    "NO_REFUND": AfterSales.NONE,
    "WAIT_SELLER_AGREE": AfterSales.REQUESTED,  # 买家已经申请退款，等待卖家同意
    "WAIT_BUYER_RETURN_GOODS": AfterSales.IN_PROGRESS,  # 卖家已经同意退款，等待买家退货
    "WAIT_SELLER_CONFIRM_GOODS": AfterSales.IN_PROGRESS,  # 买家已经退货，等待卖家确认收货
    "SELLER_REFUSE_BUYER": AfterSales.REFUSED,  # 卖家拒绝退款
    "CLOSED": AfterSales.CLOSED,  # 退款关闭
    "SUCCESS": AfterSales.REFUNDED,  # 退款成功
}

RATE_LIMIT_CODES = frozenset({"4", "5", "6", "7", "8"})  # User/Session/Partner/App Call Limited
SESSION_CODES = frozenset({"26", "27"})  # Missing Session, Invalid Session
SIGNATURE_CODES = frozenset({"24", "25"})  # Missing Signature, Invalid Signature
BUSY_CODES = frozenset({"10", "15"})  # Service Currently Unavailable, Remote Service Error

TRADE_FIELDS = (
    "tid,tid_str,status,type,created,modified,pay_time,payment,post_fee,receiver_name,"
    "receiver_state,receiver_city,receiver_district,receiver_town,receiver_address,"
    "receiver_mobile,receiver_phone,orders"
)
_BAN_SECONDS = re.compile(r"last for (\d+) more second")


def sign(params: Mapping[str, str], secret: str, method: str = "md5") -> str:
    """TOP signature of every sent parameter except ``sign`` (upper-case hex)."""
    body = sorted_concat({k: v for k, v in params.items() if k != "sign"})
    if method == "md5":
        return md5_upper(secret + body + secret)
    if method == "hmac":
        return hmac_hex(secret, body, "md5").upper()
    if method == "hmac-sha256":
        return hmac_hex(secret, body, "sha256").upper()
    raise ValueError(f"unknown TOP sign_method {method!r}")


def error_from(envelope: Mapping[str, Any], channel: str) -> ChannelError:
    """The channel error for a TOP ``error_response``."""
    code = str(envelope.get("code", ""))
    sub_code = str(envelope.get("sub_code") or "")
    text = f"{channel}: TOP error {code} {envelope.get('msg', '')}"
    if sub_code:
        text += f" ({sub_code}: {envelope.get('sub_msg', '')})"
    if code in RATE_LIMIT_CODES or sub_code.startswith("accesscontrol.limited"):
        ban = _BAN_SECONDS.search(str(envelope.get("sub_msg", "")))
        wait = float(ban.group(1)) + 1 if ban else None
        return RateLimited(text, platform_code=code, retry_after=wait)
    if code in SESSION_CODES or "session" in sub_code:
        return SessionExpired(text, platform_code=code)
    if code in SIGNATURE_CODES:
        return InvalidSignature(text, platform_code=code)
    if sub_code.startswith("isv."):  # the caller's mistake, whatever the code: no retry
        return ChannelRefused(text, platform_code=code)
    if code in BUSY_CODES or sub_code.startswith("isp."):
        return SystemBusy(text, platform_code=code)
    return ChannelRefused(text, platform_code=code)


class TaobaoConnector(Connector):
    """``taobao`` and ``tmall`` channels."""

    platform = "taobao"
    order_id_keys = ("tid_str", "tid")
    default_base_url = "https://eco.taobao.com/router/rest"
    max_window = timedelta(days=1)
    sign_method = "md5"

    # --- protocol

    def call(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """One signed TOP call; returns the ``<name>_response`` object."""
        return self.guard(lambda: self._call_once(method, params))

    def _call_once(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        sent = {
            "method": method,
            "app_key": self.config.app_key,
            "timestamp": format_gmt8(self.clock()),
            "format": "json",
            "v": "2.0",
            "sign_method": self.sign_method,
            **({"session": self.config.access_token} if self.config.access_token else {}),
            **{key: _text(value) for key, value in params.items() if value is not None},
        }
        sent["sign"] = sign(sent, self.config.app_secret, self.sign_method)
        body = self.post("", data=sent)
        if not isinstance(body, dict):
            raise MalformedPayload(f"{self.config.name}: TOP answered {type(body).__name__}")
        if "error_response" in body:
            raise error_from(body["error_response"], self.config.name)
        key = method.removeprefix("taobao.").replace(".", "_") + "_response"
        inner = body.get(key)
        if not isinstance(inner, dict):
            raise MalformedPayload(f"{self.config.name}: TOP response has no {key}")
        return inner

    def _trades(self, method: str, window: dict[str, str]) -> Iterator[list[RawOrder]]:
        def read(page: int, size: int, has_next: bool) -> PageResult:
            inner = self.call(
                method,
                {
                    "fields": TRADE_FIELDS if size > 1 else "tid",
                    **window,
                    "page_no": page,
                    "page_size": size,
                    "use_has_next": "true" if has_next else None,
                },
            )
            return PageResult(_trade_list(inner), inner.get("total_results"), inner.get("has_next"))

        return read_backwards(read, self.page_size)

    # --- the interface

    def list_changed(self, start: datetime, end: datetime) -> Iterator[list[RawOrder]]:
        window = {"start_modified": format_gmt8(start), "end_modified": format_gmt8(end)}
        return self._trades("taobao.trades.sold.increment.get", window)

    def list_created(self, start: datetime, end: datetime) -> Iterator[list[RawOrder]]:
        window = {"start_created": format_gmt8(start), "end_created": format_gmt8(end)}
        return self._trades("taobao.trades.sold.get", window)

    def fetch_order(self, channel_order_id: str) -> RawOrder:
        inner = self.call(
            "taobao.trade.fullinfo.get", {"fields": TRADE_FIELDS, "tid": channel_order_id}
        )
        trade = inner.get("trade")
        if not isinstance(trade, dict):
            raise MalformedPayload(f"{self.config.name}: trade {channel_order_id} has no body")
        return trade

    def to_channel_order(self, raw: RawOrder) -> ChannelOrder | None:
        stage = map_status(TRADE_STATUS, need(raw, "status"), "status")
        if stage is None:
            return None
        lines = _sub_orders(raw)
        region = (raw.get("receiver_state"), raw.get("receiver_city"),
                  raw.get("receiver_district"), raw.get("receiver_town"))  # fmt: skip
        # TOP marks name, phone and street 加密 in its field list but sends them readable to
        # the order's app; ciphertext there is kept apart and counted in the channel's health
        buyer, ciphertext, unexpected = split_buyer(
            {
                "name": raw.get("receiver_name"),
                "phone": raw.get("receiver_mobile") or raw.get("receiver_phone"),
                "street": raw.get("receiver_address"),
            }
        )
        address = join_address(*region, buyer["street"]) if buyer["street"] else None
        order = parse_canonical(
            {
                "channel_order_id": self.channel_order_id(raw),
                "stage": stage,
                "amount": yuan(need(raw, "payment"), "payment"),
                "created_at": gmt8(need(raw, "created"), "created"),
                "modified_at": gmt8(need(raw, "modified"), "modified"),
                "paid_at": optional(raw, "pay_time", gmt8),
                "payment_method": "alipay",
                "buyer_name": buyer["name"],
                "buyer_phone": buyer["phone"],
                "buyer_address": address or join_address(*region),
                "buyer_ciphertext": ciphertext,
                "items": [_item(line, n) for n, line in enumerate(lines, start=1)],
            }
        )
        refunds = [_refund(line) for line in lines]
        return ChannelOrder(order, most_pressing(refunds), unexpected)

    def confirm_shipment(self, channel_order_id: str, *, waybill: str, carrier: str) -> None:
        inner = self.call(
            "taobao.logistics.offline.send",
            {"tid": channel_order_id, "out_sid": waybill, "company_code": carrier},
        )
        _require_success(inner.get("shipping", {}), self.config.name, "shipment")

    def list_carriers(self) -> list[CarrierEntry]:
        # taobao.logistics.companies.get (fields id,code,name): TOP wraps the list as
        # logistics_companies.logistics_company[] (captured responses in public ISV code)
        inner = self.call("taobao.logistics.companies.get", {"fields": "id,code,name"})
        wrapper = inner.get("logistics_companies") or {}
        listed = wrapper.get("logistics_company", []) if isinstance(wrapper, dict) else None
        if not isinstance(listed, list):
            raise MalformedPayload(f"{self.config.name}: TOP carrier list is not a list")
        return [CarrierEntry(str(row["code"]), str(row["name"])) for row in listed
                if isinstance(row, dict) and row.get("code") and row.get("name")]  # fmt: skip

    def update_stock(self, listing_id: str, quantity: int) -> None:
        num_iid, sku_id = _listing(listing_id)
        self.call(
            "taobao.item.quantity.update",
            {"num_iid": num_iid, "sku_id": sku_id, "quantity": quantity, "type": 1},
        )

    def pause_listing(self, listing_id: str) -> None:
        self.call("taobao.item.update.delisting", {"num_iid": _listing(listing_id)[0]})

    def resume_listing(self, listing_id: str, quantity: int) -> None:
        self.call(
            "taobao.item.update.listing", {"num_iid": _listing(listing_id)[0], "num": quantity}
        )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _trade_list(inner: Mapping[str, Any]) -> list[RawOrder]:
    """``trades.trade[]``; zero results come as no ``trades`` or ``"trades": {}``."""
    trades = inner.get("trades") or {}
    listed = trades.get("trade", []) if isinstance(trades, dict) else None
    if not isinstance(listed, list):
        raise MalformedPayload("trades.trade is not a list")
    return [trade if isinstance(trade, dict) else {"_unreadable": trade} for trade in listed]


def _sub_orders(raw: RawOrder) -> list[dict[str, Any]]:
    orders = raw.get("orders")
    return records(orders if isinstance(orders, dict) else {}, "order", "orders.order")


def _item(line: Mapping[str, Any], n: int) -> dict[str, Any]:
    where = f"orders.order[{n}]"
    try:
        sku = text_id(line, "outer_sku_id", "sku_id", "outer_iid", "num_iid")
        quantity = need(line, "num")
        price = yuan(need(line, "price"), "price")
    except MalformedPayload as exc:
        raise MalformedPayload(f"{where}.{exc.message}") from None
    title = line.get("title")
    return {
        "sku": sku,
        "quantity": quantity,
        "unit_price": price,
        "name": str(title)[:255] if title else None,
    }


def _refund(line: Mapping[str, Any]) -> AfterSales:
    status = str(line.get("refund_status") or "NO_REFUND")
    if status not in REFUND_STATUS:
        raise MalformedPayload(f"orders.order.refund_status: unknown status {status!r}")
    return REFUND_STATUS[status]


def _listing(listing_id: str) -> tuple[str, str | None]:
    """``num_iid`` or ``num_iid:sku_id``."""
    num_iid, _, sku_id = listing_id.partition(":")
    return num_iid, sku_id or None


def _require_success(result: Any, channel: str, what: str) -> None:
    if not isinstance(result, dict) or result.get("is_success") not in (True, "true"):
        raise ChannelRefused(f"{channel}: the platform did not accept the {what}")

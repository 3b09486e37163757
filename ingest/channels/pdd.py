"""Pinduoduo Open Platform (拼多多开放平台) connector.

Sources (read):

- Transport, public parameters and signing: "API调用指南"
  https://open.pinduoduo.com/application/document/browse?idStr=8EC06C399636041E (its 调用示例:
  the example vector and request body in tests/ingest/vectors/pdd_*); official pop-sdk
  ``SignUtils.java`` and the PHP ``PopHttpClient::makeSign``: MD5 of client_secret + sorted
  key/values + client_secret, upper hex.
- ``pdd.order.number.list.increment.get`` (response ``order_sn_increment_get_response``): windows
  ≤ 30 min ending ≥ 3 min before the platform clock, "通过从后往前翻页的方式…可以避免漏单问题"
  (pipifamily/pdd-ddk-sdk ``PddOrderNumberListIncrementGetRequest.php``; lywzx/pdd-node-sdk
  ``PddOrderNumberListIncrementGet.ts``); ``pdd.order.list.get`` by 成交时间;
  ``pdd.order.information.get`` (``order_info_get_response.order_info``).
- Errors: ``error_response{error_code,error_msg,sub_code,sub_msg}`` (pop-sdk
  ``PopBaseHttpResponse``); 52101/70031 rate limited, 52102/52103 unavailable, 10019 access token
  expired (lywzx/pdd-node-sdk ``packages/core/src/exceptions/pdd-response.exception.ts``), 20004
  签名验证失败 (justmd5/pinduoduo-sdk issue #19 shows the body). 20032 (the access token does not
  belong to this client_id) and 70036 (a test app's call quota is spent) are classified as the
  issue's research reports them; UNCERTAIN: neither code appears in any stored SDK or doc.
- Carriers: ``logistics_id`` is Pinduoduo's numeric 快递公司编号 from
  ``pdd.logistics.companies.get`` (``logistics_companies_get_response.logistics_companies[]
  {id, code, logistics_company, available}``: niltor/open-pdd-net-sdk
  ``GetLogisticsCompaniesResponseModel``, a public doc's 响应示例), never our carrier code.
- Buyer data: ``receiver_name``, ``receiver_phone``, ``receiver_address`` and ``address`` come
  encrypted (``~…~`` ciphertext, e.g. ``~AgAAAAPl…~0~`` in a public doc's example) and empty
  outside 待发货 (Pinduoduo's FAQ: 订单接口中收件人信息为什么都加密了); they are kept apart from
  the plain fields, and the address checks read the plain ``province``/``city``/``town``.
  ``pdd.open.decrypt.batch`` (``data_list[{data_tag: order_sn, encrypted_data}]`` →
  ``open_decrypt_batch_response.data_decrypt_list[{data_tag, encrypted_data, decrypted_data,
  error_code}]``: Java pop-sdk ``PddOpenDecryptBatchRequest``/``Response``) decrypts them on a
  reveal. UNCERTAIN: third parties report it limited outside 多多云 (1 call per 10 s).
- Write-back: ``pdd.logistics.online.send`` (order_sn, logistics_id, tracking_number),
  ``pdd.goods.quantity.update`` (goods_id, sku_id, quantity, update_type=1 全量),
  ``pdd.goods.sale.status.set`` (goods_id, is_onsale 1/0) — lywzx/pdd-node-sdk
  ``packages/pdd-origin-api/src/{wuLiu,shangPin}/``.

Money is yuan (numbers), request times UNIX seconds, order times ``yyyy-MM-dd HH:mm:ss`` GMT+8
(the SDK models type them as strings; the format is the common reading, not documented).
"""

from __future__ import annotations

import json
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
    QuotaExhausted,
    RateLimited,
    RawOrder,
    SessionExpired,
    SystemBusy,
    gmt8,
    join_address,
    md5_upper,
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

# ``order_status`` → our stage (1 待发货, 2 已发货待签收, 3 已签收).
ORDER_STATUS: dict[str, Stage] = {
    "1": Stage.PAID,
    "2": Stage.SHIPPED,
    "3": Stage.DELIVERED,
}
# ``refund_status`` → after-sales state.
REFUND_STATUS: dict[str, AfterSales] = {
    "1": AfterSales.NONE,  # 无售后或售后关闭
    "2": AfterSales.REQUESTED,  # 售后处理中
    "3": AfterSales.IN_PROGRESS,  # 退款中
    "4": AfterSales.REFUNDED,  # 退款成功
}
# ``confirm_status``: 0 未成交 (group not formed yet: not ours), 1 已成交, 2 已取消.
CONFIRM_STATUS: dict[str, bool | None] = {"0": None, "1": True, "2": False}

RATE_LIMIT_CODES = frozenset({52101, 70031})
BUSY_CODES = frozenset({52102, 52103})
SESSION_CODES = frozenset({10019, 20032})  # access token expired; token not this client_id's
SIGNATURE_CODES = frozenset({20004})
QUOTA_CODES = frozenset({70036})  # a test app's call quota: spent until it refills
CIPHER_FIELDS = {"name": "receiver_name", "phone": "receiver_phone", "address": "address"}
"""Our buyer field → the encrypted field it is read from."""
PAY_TYPES = {"WEIXIN": "wechat", "ALIPAY": "alipay", "QQ": "qq", "LIANLIANPAY": "lianlian"}


def stage_of(order_status: str, refund_status: str, confirm_status: str) -> Stage | None:
    """Pinduoduo has no "closed" order status: an order cancelled before it was confirmed, or
    refunded in full before it shipped, is cancelled for us."""
    if order_status not in ORDER_STATUS:
        raise MalformedPayload(f"order_status: unknown status {order_status!r}")
    if refund_status not in REFUND_STATUS:
        raise MalformedPayload(f"refund_status: unknown status {refund_status!r}")
    if confirm_status not in CONFIRM_STATUS:
        raise MalformedPayload(f"confirm_status: unknown status {confirm_status!r}")
    confirmed = CONFIRM_STATUS[confirm_status]
    if confirmed is None:
        return None
    stage = ORDER_STATUS[order_status]
    refunded = REFUND_STATUS[refund_status] is AfterSales.REFUNDED
    if not confirmed or (stage is Stage.PAID and refunded):
        return Stage.CANCELLED
    return stage


def sign(params: Mapping[str, str], secret: str) -> str:
    """Pinduoduo's signature of every sent parameter except ``sign``."""
    body = sorted_concat({k: v for k, v in params.items() if k != "sign"})
    return md5_upper(secret + body + secret)


def error_from(envelope: Mapping[str, Any], channel: str) -> ChannelError:
    code = envelope.get("error_code")
    text = f"{channel}: Pinduoduo error {code} {envelope.get('error_msg', '')}"
    if envelope.get("sub_msg"):
        text += f" ({envelope.get('sub_code', '')}: {envelope['sub_msg']})"
    number = code if isinstance(code, int) else -1
    if number in RATE_LIMIT_CODES:
        return RateLimited(text, platform_code=str(code))
    if number in BUSY_CODES:
        return SystemBusy(text, platform_code=str(code))
    if number in SESSION_CODES:
        return SessionExpired(text, platform_code=str(code))
    if number in SIGNATURE_CODES:
        return InvalidSignature(text, platform_code=str(code))
    if number in QUOTA_CODES:
        return QuotaExhausted(text, platform_code=str(code))
    return ChannelRefused(text, platform_code=str(code))


class PddConnector(Connector):
    platform = "pdd"
    order_id_keys = ("order_sn",)
    default_base_url = "https://gw-api.pinduoduo.com/api/router"
    max_window = timedelta(minutes=30)
    decrypt_call = "pdd.open.decrypt.batch"

    # --- protocol

    def call(self, api: str, params: Mapping[str, Any], response_key: str) -> dict[str, Any]:
        return self.guard(lambda: self._call_once(api, params, response_key))

    def _call_once(self, api: str, params: Mapping[str, Any], key: str) -> dict[str, Any]:
        sent = {
            "type": api,
            "client_id": self.config.app_key,
            "timestamp": str(int(self.clock().timestamp())),
            "data_type": "JSON",
            "version": "V1",
            **({"access_token": self.config.access_token} if self.config.access_token else {}),
            **{k: _text(v) for k, v in params.items() if v is not None},
        }
        sent["sign"] = sign(sent, self.config.app_secret)
        body = self.post("", json=sent)
        if not isinstance(body, dict):
            raise MalformedPayload(f"{self.config.name}: Pinduoduo answered {type(body).__name__}")
        if "error_response" in body:
            raise error_from(body["error_response"], self.config.name)
        inner = body.get(key)
        if not isinstance(inner, dict):
            raise MalformedPayload(f"{self.config.name}: Pinduoduo response has no {key}")
        return inner

    def _orders(
        self, api: str, key: str, list_key: str, window: dict[str, int]
    ) -> Iterator[list[RawOrder]]:
        def read(page: int, size: int, has_next: bool) -> PageResult:
            params = {
                **window,
                "order_status": 5,
                "refund_status": 5,
                "page": page,
                "page_size": size,
                "use_has_next": True if has_next else None,
            }
            inner = self.call(api, params, key)
            listed = inner.get(list_key, [])
            if not isinstance(listed, list):
                raise MalformedPayload(f"{list_key} is not a list")
            orders = [o if isinstance(o, dict) else {"_unreadable": o} for o in listed]
            return PageResult(orders, inner.get("total_count"), inner.get("has_next"))

        return read_backwards(read, self.page_size)

    # --- the interface

    def list_changed(self, start: datetime, end: datetime) -> Iterator[list[RawOrder]]:
        # is_lucky_flag 0 = 全部 (lottery orders too); required by the increment API only
        window = {
            "start_updated_at": _unix(start),
            "end_updated_at": _unix(end),
            "is_lucky_flag": 0,
        }
        return self._orders(
            "pdd.order.number.list.increment.get",
            "order_sn_increment_get_response",
            "order_sn_list",
            window,
        )

    def list_created(self, start: datetime, end: datetime) -> Iterator[list[RawOrder]]:
        window = {"start_confirm_at": _unix(start), "end_confirm_at": _unix(end)}
        return self._orders("pdd.order.list.get", "order_list_get_response", "order_list", window)

    def fetch_order(self, channel_order_id: str) -> RawOrder:
        inner = self.call(
            "pdd.order.information.get", {"order_sn": channel_order_id}, "order_info_get_response"
        )
        info = inner.get("order_info")
        if not isinstance(info, dict):
            raise MalformedPayload(f"{self.config.name}: order {channel_order_id} has no body")
        return info

    def to_channel_order(self, raw: RawOrder) -> ChannelOrder | None:
        refund = str(need(raw, "refund_status"))
        stage = stage_of(
            str(need(raw, "order_status")), refund, str(raw.get("confirm_status", "1"))
        )
        if stage is None:
            return None
        items = records(raw, "item_list")
        pay_type = str(raw.get("pay_type") or "")
        # Pinduoduo encrypts the receiver: ciphertext is expected here, not a health problem
        clear, ciphertext, _expected = split_buyer(
            {field_name: raw.get(key) for field_name, key in CIPHER_FIELDS.items()}
        )
        order = parse_canonical(
            {
                "channel_order_id": self.channel_order_id(raw),
                "stage": stage,
                "amount": yuan(need(raw, "pay_amount"), "pay_amount"),
                "created_at": gmt8(need(raw, "created_time"), "created_time"),
                "modified_at": gmt8(need(raw, "updated_at"), "updated_at"),
                "paid_at": optional(raw, "pay_time", gmt8),
                "ship_by": optional(raw, "last_ship_time", gmt8),
                "payment_method": PAY_TYPES.get(pay_type, pay_type.lower() or None),
                "buyer_name": clear.get("name"),
                "buyer_phone": clear.get("phone"),
                "buyer_address": clear.get("address")
                or join_address(raw.get("province"), raw.get("city"), raw.get("town")),
                "buyer_ciphertext": ciphertext,
                "items": [_item(item, n) for n, item in enumerate(items, start=1)],
            }
        )
        return ChannelOrder(order, REFUND_STATUS[refund])

    def confirm_shipment(self, channel_order_id: str, *, waybill: str, carrier: str) -> None:
        inner = self.call(
            "pdd.logistics.online.send",
            {"order_sn": channel_order_id,
             "logistics_id": int(carrier) if carrier.isdigit() else carrier,
             "tracking_number": waybill},
            "logistics_online_send_response",
        )  # fmt: skip
        _require_success(inner, self.config.name, "shipment")

    def list_carriers(self) -> list[CarrierEntry]:
        inner = self.call("pdd.logistics.companies.get", {}, "logistics_companies_get_response")
        listed = inner.get("logistics_companies")
        if not isinstance(listed, list):
            raise MalformedPayload(f"{self.config.name}: Pinduoduo carrier list is not a list")
        return [
            CarrierEntry(str(row["id"]), str(row["logistics_company"]))
            for row in listed
            if isinstance(row, dict) and str(row.get("id", "")).isdigit()
            and row.get("logistics_company") and row.get("available", 1) == 1
        ]  # fmt: skip

    def decrypt(self, channel_order_id: str, ciphertext: Mapping[str, str]) -> dict[str, str]:
        sent = [{"data_tag": channel_order_id, "encrypted_data": text}
                for text in ciphertext.values()]  # fmt: skip
        inner = self.call(
            "pdd.open.decrypt.batch", {"data_list": sent}, "open_decrypt_batch_response"
        )
        answers = inner.get("data_decrypt_list")
        if not isinstance(answers, list):
            raise MalformedPayload(f"{self.config.name}: decrypt answered no data_decrypt_list")
        plain = {
            str(a.get("encrypted_data")): str(a.get("decrypted_data") or "")
            for a in answers
            if isinstance(a, dict) and a.get("error_code", 0) == 0
        }
        missing = [name for name, text in ciphertext.items() if text not in plain]
        if missing:
            raise ChannelRefused(
                f"{self.config.name}: Pinduoduo did not decrypt {', '.join(missing)}"
            )
        return {name: plain[text] for name, text in ciphertext.items()}

    def update_stock(self, listing_id: str, quantity: int) -> None:
        goods_id, sku_id = _listing(listing_id)
        inner = self.call(
            "pdd.goods.quantity.update",
            {"goods_id": goods_id, "sku_id": sku_id, "quantity": quantity, "update_type": 1},
            "goods_quantity_update_response",
        )
        _require_success(inner, self.config.name, "stock update")

    def pause_listing(self, listing_id: str) -> None:
        self._sale_status(listing_id, 0)

    def resume_listing(self, listing_id: str, quantity: int) -> None:
        self.update_stock(listing_id, quantity)
        self._sale_status(listing_id, 1)

    def _sale_status(self, listing_id: str, on_sale: int) -> None:
        inner = self.call(
            "pdd.goods.sale.status.set",
            {"goods_id": _listing(listing_id)[0], "is_onsale": on_sale},
            "goods_sale_status_set_response",
        )
        _require_success(inner, self.config.name, "listing status")


def _text(value: Any) -> str:
    """Signed values are text: booleans as ``true``/``false``, lists and objects as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _unix(moment: datetime) -> int:
    return int(moment.timestamp())


def _item(item: Mapping[str, Any], n: int) -> dict[str, Any]:
    try:
        sku = text_id(item, "outer_id", "sku_id", "outer_goods_id", "goods_id")
        quantity = need(item, "goods_count")
        price = yuan(need(item, "goods_price"), "goods_price")
    except MalformedPayload as exc:
        raise MalformedPayload(f"item_list[{n}].{exc.message}") from None
    name = item.get("goods_name")
    return {
        "sku": sku,
        "quantity": quantity,
        "unit_price": price,
        "name": str(name)[:255] if name else None,
    }


def _listing(listing_id: str) -> tuple[str, str | None]:
    """``goods_id`` or ``goods_id:sku_id``."""
    goods_id, _, sku_id = listing_id.partition(":")
    return goods_id, sku_id or None


def _require_success(inner: Mapping[str, Any], channel: str, what: str) -> None:
    if inner.get("is_success") not in (True, "true"):
        raise ChannelRefused(f"{channel}: the platform did not accept the {what}")

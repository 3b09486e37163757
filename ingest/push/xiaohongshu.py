"""Xiaohongshu (小红书 ark open platform) message push (应用消息推送) as orderwatch receives it.

Sources (read with the search tool):

- The official doc 041 应用消息推送 (captured in AndersonBY/xiaohongshu-ecommerce-python-sdk
  ``docs/小红书官方文档/开发文档/041_应用消息推送.md``, updated 2024-07-08): the platform POSTs to
  the app's one callback URL; headers ``timestamp``, ``app-key`` and ``sign``;
  ``sign = lower(hex(MD5(path + "?" + k1=v1&k2=v2… + app_secret)))`` where the pairs are the
  URL's query parameters and the system parameters ``app-key`` and ``timestamp``, sorted by name;
  **the body is not signed**. The doc's example (path ``/open_api/msg``, query ``canshu=test``,
  ``app-key`` ``xhs``, ``timestamp`` 1625475843, secret ``9a539709…a28``) gives
  ``a7b7430de338783293443133ab9b9357`` — reproduced by ``sign`` (tests/ingest/test_push.py; the
  doc's text of the sorted string is garbled, its digest is not). Body: a JSON array of
  ``{"msgTag", "sellerId", "data"}``, ``data`` a JSON text. Answer
  ``{"success": true, "error_code": 0, "error_msg": ""}`` with HTTP 200; a failed push is retried
  once, 5 minutes later. The URL check sends ``{"test": true}``.
- Message doc 订单状态变更 ``msg_fulfillment_status_change`` (open.xiaohongshu.com
  document/developer/file/115, as crawled in public code): ``data`` =
  ``{"orderId", "orderStatus", "updateTime"}`` (ms); status 4 may come twice ("需要isv做好幂等").
  ``msg_fulfillment_receiver_change``, ``…_seller_remark_change`` and ``…_delivery_time_change``
  carry ``orderId`` too (examples in the public PHP enum ``Ledc\\XiaoHongShu\\Enums``).

Because the body is unsigned, a push only tells orderwatch which order to read: the order is
fetched with ``order.getOrderDetail`` and nothing from the body is stored.
UNCERTAIN: after-sales messages (``msg_after_sale_*``) are read for an ``orderId`` too; the
doc does not say whether a retried push is signed with a fresh ``timestamp``, so no freshness
window is enforced (replays are harmless: they fetch the order again).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ingest.push.base import (
    MalformedPush,
    PushMessage,
    PushRefused,
    PushRequest,
    as_mapping,
    header,
    order_id_text,
    require_app_key,
    same_digest,
)

ACKNOWLEDGEMENT = {"success": True, "error_code": 0, "error_msg": ""}


def sign(path: str, params: Mapping[str, str], app_secret: str) -> str:
    """The push signature over ``path`` and the sorted query + system parameters."""
    pairs = "&".join(f"{key}={params[key]}" for key in sorted(params) if key != "sign")
    text = f"{path}?{pairs}{app_secret}"
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


class XiaohongshuPush:
    platform = "xiaohongshu"

    def verify(self, request: PushRequest, *, app_key: str, app_secret: str) -> None:
        key = header(request, "app-key")
        require_app_key(key, app_key)
        params = {**request.query, "app-key": key, "timestamp": header(request, "timestamp")}
        given = header(request, "sign")
        if not any(same_digest(sign(path, params, app_secret), given) for path in request.paths):
            raise PushRefused("sign does not match the URL, headers and this channel's app secret")

    def messages(self, request: PushRequest) -> list[PushMessage]:
        try:
            body = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            raise MalformedPush("the push body is not JSON") from None
        if isinstance(body, dict) and body.get("test") is True:
            return []  # the platform checking the URL
        if not isinstance(body, list):
            raise MalformedPush("the push body is not a JSON array of messages")
        return [_message(item, n) for n, item in enumerate(body)]

    def acknowledgement(self) -> dict[str, Any]:
        return dict(ACKNOWLEDGEMENT)


def _message(item: Any, n: int) -> PushMessage:
    message = as_mapping(item, f"message [{n}]")
    tag = message.get("msgTag")
    if not isinstance(tag, str) or not tag:
        raise MalformedPush(f"message [{n}] has no msgTag")
    data = message.get("data")
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            raise MalformedPush(f"message [{n}].data is not JSON") from None
    fields = as_mapping(data, f"message [{n}].data")
    return PushMessage(tag=tag, order_id=order_id_text(fields.get("orderId")))


PROTOCOL = XiaohongshuPush()

"""Douyin shop (抖店 / doudian) message push (消息推送服务) as orderwatch receives it.

Sources (read with the search tool):

- minibear2021/doudian (PyPI ``doudian``, a public SDK that lists "消息推送自动验证，自动解析"),
  ``doudian/core.py`` ``DouDian.callback``: the push is an HTTP POST to the app's callback URL;
  the header ``app-id`` must equal the app key, and the header ``event-sign`` must equal
  ``lower(hex(MD5(app_key + body + app_secret)))`` over the raw body text.
- The same project's ``examples.py`` (citing https://op.jinritemai.com/docs/guide-docs/153/99):
  the answer the platform reads as received is ``{"code": 0, "msg": "success"}``, to be sent
  within 5 seconds; ``tag`` ``"0"`` is the platform's check of a newly configured URL (answer
  success at once); ``tag`` ``"100"`` is 订单创建.

UNCERTAIN (not confirmed in anything read): the body is a JSON **array** of
``{"tag", "msg_id", "data"}`` with ``data`` a JSON text whose ``p_id`` is the shop (parent)
order id — the common reading of the doudian docs; a single object is accepted as a list of one.
An HMAC-SHA256 variant of ``event-sign`` was not found in any SDK and is not accepted. Every
message that names a ``p_id`` (order and after-sales tags alike) makes orderwatch fetch that order
with ``order.orderDetail``; the pull every ``sync_interval_s`` remains the safety net.
"""

from __future__ import annotations

import hashlib
import json
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

VERIFY_TAG = "0"
"""The platform's check of a newly configured callback URL."""
ACKNOWLEDGEMENT = {"code": 0, "msg": "success"}


def event_sign(app_key: str, body: bytes, app_secret: str) -> str:
    """``event-sign`` of a push body (lower-case hex MD5 of key + body + secret)."""
    text = app_key.encode() + body + app_secret.encode()
    return hashlib.md5(text, usedforsecurity=False).hexdigest()


class DouyinPush:
    platform = "douyin"

    def verify(self, request: PushRequest, *, app_key: str, app_secret: str) -> None:
        require_app_key(header(request, "app-id"), app_key)
        given = header(request, "event-sign")
        if not same_digest(event_sign(app_key, request.body, app_secret), given):
            raise PushRefused("event-sign does not match the body and this channel's app secret")

    def messages(self, request: PushRequest) -> list[PushMessage]:
        try:
            body = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            raise MalformedPush("the push body is not JSON") from None
        items = body if isinstance(body, list) else [body]
        return [_message(item, n) for n, item in enumerate(items)]

    def acknowledgement(self) -> dict[str, Any]:
        return dict(ACKNOWLEDGEMENT)


def _message(item: Any, n: int) -> PushMessage:
    message = as_mapping(item, f"message [{n}]")
    tag = order_id_text(message.get("tag"))
    if tag is None:
        raise MalformedPush(f"message [{n}] has no tag")
    data = _data(message.get("data"), n) if tag != VERIFY_TAG else {}
    return PushMessage(
        tag=tag,
        order_id=order_id_text(data.get("p_id")),
        message_id=order_id_text(message.get("msg_id")),
    )


def _data(value: Any, n: int) -> dict[str, Any]:
    """``data`` is JSON text; an already decoded object is taken as it is."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise MalformedPush(f"message [{n}].data is not JSON") from None
    return dict(as_mapping(value, f"message [{n}].data"))


PROTOCOL = DouyinPush()

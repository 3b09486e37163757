"""The simulator as a sender of HTTP message pushes, for the platforms that push (Douyin shop,
Xiaohongshu): a push for a simulated order, signed as the platform documents it (see
``ingest.push.douyin`` and ``ingest.push.xiaohongshu``), ready to POST to orderwatch's
``/api/v1/channels/{name}/push``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from ingest.push.douyin import event_sign
from ingest.push.xiaohongshu import sign as xhs_sign
from ingest.simulator.protocols import douyin as douyin_api
from ingest.simulator.protocols import xiaohongshu as xhs_api
from ingest.simulator.protocols.common import Credentials
from ingest.simulator.world import Lifecycle, SimOrder

PUSHING = frozenset({"douyin", "xiaohongshu"})
"""Platforms that deliver messages by HTTP push."""

DOUYIN_TAGS = {
    Lifecycle.UNPAID: "100",  # 订单创建
    Lifecycle.PAID: "101",  # 订单支付/确认
    Lifecycle.SHIPPED: "102",  # 卖家发货
    Lifecycle.DELIVERED: "103",  # 交易完成
    Lifecycle.CANCELLED: "106",  # 订单取消
    Lifecycle.CLOSED_UNPAID: "106",
}


@dataclass(frozen=True, slots=True)
class Push:
    """One signed push: POST ``body`` with ``headers`` to the callback URL plus ``query``."""

    headers: dict[str, str]
    body: bytes = field(repr=False)
    query: dict[str, str] = field(default_factory=dict)

    def send(self, client: httpx.Client, url: str) -> httpx.Response:
        return client.post(url, params=self.query, content=self.body, headers=self.headers)


def douyin_push(order: SimOrder, credentials: Credentials, *, message_id: str = "1") -> Push:
    """A doudian push (JSON array of ``{tag, msg_id, data}``) about ``order``."""
    data = {
        "p_id": int(order.order_id),
        "s_ids": [int(f"{order.order_id}{n}") for n in range(1, len(order.lines) + 1)],
        "shop_id": 77001,
        "order_status": douyin_api.ORDER_STATUS[order.lifecycle],
        "update_time": int(order.modified.timestamp()),
    }
    message = {"tag": DOUYIN_TAGS[order.lifecycle], "msg_id": message_id,
               "data": json.dumps(data, separators=(",", ":"))}  # fmt: skip
    body = json.dumps([message], ensure_ascii=False, separators=(",", ":")).encode()
    headers = {
        "content-type": "application/json",
        "app-id": credentials.app_key,
        "event-sign": event_sign(credentials.app_key, body, credentials.app_secret),
    }
    return Push(headers, body)


def xiaohongshu_push(order: SimOrder, credentials: Credentials, *, path: str, at: datetime) -> Push:
    """A Xiaohongshu ``msg_fulfillment_status_change`` push about ``order`` to ``path`` (the
    callback URL's path: it is signed, the body is not)."""
    data = {
        "orderId": order.order_id,
        "orderStatus": xhs_api.ORDER_STATUS[order.lifecycle],
        "updateTime": int(order.modified.timestamp() * 1000),
    }
    message = {"msgTag": "msg_fulfillment_status_change", "sellerId": "sim-seller",
               "data": json.dumps(data, separators=(",", ":"))}  # fmt: skip
    body = json.dumps([message], ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = str(int(at.timestamp()))
    params = {"app-key": credentials.app_key, "timestamp": timestamp}
    headers = {
        "content-type": "application/json",
        **params,
        "sign": xhs_sign(path, params, credentials.app_secret),
    }
    return Push(headers, body)

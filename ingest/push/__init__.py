"""HTTP message push (消息推送): where a platform offers it, a signed push makes orderwatch read
the orders it names at once instead of at the next pull; the pull remains the safety net.

Which platforms push over HTTP (sources: each module's docstring):

- Douyin shop (``ingest.push.douyin``) and Xiaohongshu (``ingest.push.xiaohongshu``): yes.
- Taobao/Tmall: TMC (淘宝消息服务) is a WebSocket long connection the app opens to
  ``ws://mc.api.taobao.com/`` (TOP SDK ``TmcClient``; tmcpy, node-top ``Listen``), not a push to
  the seller's URL.
- Pinduoduo: 消息服务 is a WebSocket long connection to ``wss://message-api.pinduoduo.com``
  (pop-sdk ``WsClient``, seen in public ERP code), not HTTP push.
- JD: no HTTP push of order messages was found in anything read; JD's order messages are
  consumed from its message queue (JMQ) inside JD Cloud (云鼎) — UNCERTAIN, not confirmed.

Each named order is fetched through the channel's connector (``fetch_order``), mapped like the
sync maps it and written with ``store.upsert.upsert_orders``, so a replayed or older message is a
no-op; an order that cannot be read goes to quarantine, where every later sync fetches it again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog
from sqlalchemy.orm import Session, sessionmaker

from ingest.channels import config_of
from ingest.channels.base import (
    ChannelConfig,
    ChannelError,
    Clock,
    Connector,
    utcnow,
)
from ingest.push import douyin, xiaohongshu
from ingest.push.base import (
    MalformedPush,
    PushMessage,
    PushNotOffered,
    PushProtocol,
    PushRefused,
    PushRequest,
)
from ingest.quarantine import quarantine, resolve
from ingest.retry import RetryPolicy, Sleep
from ingest.sync import guarded_connector, map_orders
from store.channels import get_channel
from store.errors import DomainError, InvalidInput, NotFound
from store.upsert import upsert_orders

__all__ = [
    "LONG_CONNECTION",
    "PROTOCOLS",
    "MalformedPush",
    "PushFailed",
    "PushMessage",
    "PushNotOffered",
    "PushOutcome",
    "PushRefused",
    "PushRequest",
    "receive_push",
]

log = structlog.get_logger(__name__)

PROTOCOLS: dict[str, PushProtocol] = {
    "douyin": douyin.PROTOCOL,
    "xiaohongshu": xiaohongshu.PROTOCOL,
}
"""Platforms that deliver messages by HTTP push → how their pushes are read."""

LONG_CONNECTION: dict[str, str] = {
    "taobao": "Taobao delivers messages over a long connection (TMC, a WebSocket)",
    "tmall": "Tmall delivers messages over a long connection (Taobao TMC, a WebSocket)",
    "pdd": "Pinduoduo delivers messages over a long connection (消息服务, a WebSocket)",
    "jd": "JD delivers messages through its message queue (JMQ), a long connection",
}
PUSH_POLICY = RetryPolicy(attempts=2, initial_wait_s=0.2, max_wait_s=1.0, rate_limit_floor_s=0.5)
"""A push must be answered within seconds (Douyin: 5 s): one quick retry, then let the platform
redeliver and the pull catch up."""


class PushFailed(DomainError):
    """Some named orders could not be fetched from the platform; the rest were applied."""

    code = "platform_unavailable"


@dataclass
class PushOutcome:
    channel: str
    messages: int = 0
    orders: list[str] = field(default_factory=list)
    """Distinct platform order ids the push named."""
    inserted: int = 0
    updated: int = 0
    stale: int = 0
    """Replays and messages older than the stored order: no change."""
    skipped: int = 0
    """Orders not for the warehouse yet (unpaid)."""
    quarantined: int = 0
    acknowledgement: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Channel:
    config: ChannelConfig
    channel_id: int
    protocol: PushProtocol


def receive_push(
    sessions: sessionmaker[Session],
    channel: str,
    request: PushRequest,
    *,
    client: httpx.Client,
    clock: Clock = utcnow,
    sleep: Sleep = time.sleep,
) -> PushOutcome:
    """Verify ``request`` with the channel's credentials and apply the orders it names.

    Raises ``NotFound`` (no such channel), ``PushNotOffered``, ``PushRefused`` (bad or missing
    signature: nothing is applied), ``MalformedPush`` and ``PushFailed`` (raised after the
    orders that could be fetched were written)."""
    target = _channel(sessions, channel)
    target.protocol.verify(
        request, app_key=target.config.app_key, app_secret=target.config.app_secret
    )
    messages = target.protocol.messages(request)
    outcome = PushOutcome(channel, messages=len(messages))
    outcome.orders = list(dict.fromkeys(m.order_id for m in messages if m.order_id))
    connector = guarded_connector(
        target.config, client, clock=clock, policy=PUSH_POLICY, sleep=sleep
    )
    fetched, failures = _fetch(connector, outcome.orders)
    _apply(sessions, connector, target.channel_id, fetched, outcome, clock)
    log.info("push.applied", channel=channel, messages=outcome.messages,
             orders=len(outcome.orders), failed=len(failures))  # fmt: skip
    if failures:
        raise PushFailed(
            f"{len(failures)} of {len(outcome.orders)} orders could not be fetched from the "
            f"platform ({'; '.join(failures[:3])}); the others were applied, and the next pull "
            "or the platform's redelivery reads the rest"
        )
    outcome.acknowledgement = target.protocol.acknowledgement()
    return outcome


def _channel(sessions: sessionmaker[Session], name: str) -> _Channel:
    with sessions.begin() as session:
        try:
            row = get_channel(session, name)
        except NotFound:
            # the endpoint is open to the internet: do not list the other channels
            raise NotFound("channel", f"unknown channel {name!r}") from None
        protocol = PROTOCOLS.get(row.platform)
        if protocol is None:
            how = LONG_CONNECTION.get(row.platform, f"{row.platform} channels have no pushes")
            minutes = max(1, round(row.sync_interval_s / 60))
            raise PushNotOffered(
                f"{how}, not HTTP push; orderwatch pulls channel {name!r} every {minutes} "
                f"minutes (平台不提供 HTTP 消息推送，orderwatch 每 {minutes} 分钟拉取一次)"
            )
        try:
            config = config_of(row)
        except InvalidInput as exc:
            raise PushRefused(f"{exc.message}, so no push to it can be verified") from None
        return _Channel(config, row.id, protocol)


def _fetch(connector: Connector, order_ids: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """The named orders as the platform holds them now, and why the others could not be read."""
    fetched: list[dict[str, Any]] = []
    failures: list[str] = []
    for order_id in order_ids:
        try:
            fetched.append(connector.fetch_order(order_id))
        except ChannelError as exc:
            failures.append(f"{order_id}: {exc.message}")
    return fetched, failures


def _apply(
    sessions: sessionmaker[Session],
    connector: Connector,
    channel_id: int,
    fetched: list[dict[str, Any]],
    outcome: PushOutcome,
    clock: Clock,
) -> None:
    """Map and write the fetched orders in one transaction, as the sync writes a page."""
    mapped = map_orders(connector, fetched)
    outcome.skipped += mapped.skipped
    now = clock()
    with sessions.begin() as session:
        if mapped.orders:
            result = upsert_orders(session, outcome.channel, mapped.orders)
            outcome.inserted, outcome.updated = result.inserted, result.updated
            outcome.stale = result.stale
        resolve(session, channel_id, mapped.readable, now)
        for raw, order_id, reason in mapped.bad:
            quarantine(session, channel_id=channel_id, channel_order_id=order_id,
                       payload=raw, reason=reason, at=now)  # fmt: skip
    outcome.quarantined = len(mapped.bad)

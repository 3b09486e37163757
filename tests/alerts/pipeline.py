"""The alerts pipeline driven by a fake clock against a loopback Standard Webhooks consumer:
orders waiting to be picked, a webhook receiver and a route configured through
``alerts.config``, and one engine tick or one deliverer batch at a time."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.config import AlertsSection, ReceiverConfig, RouteConfig, apply_alerts
from alerts.engine import TickReport, TimerState, wake_up
from alerts.notify import NotifySettings
from alerts.outbox import Attempt, deliver_due
from store.canonical import CanonicalOrder
from store.models import AlertDelivery, Order, utcnow
from store.transitions import move_order
from store.upsert import upsert_orders
from tests.alerts.fake_providers import CLIENT, Received, Reply, WebhookReceiver, serving
from tests.factories import T0, canonical

SECRET = "whsec_" + base64.b64encode(b"p" * 32).decode()
SETTINGS = NotifySettings(
    zone=ZoneInfo("Asia/Shanghai"), secret_key="s3cret-key", public_url="http://ow.test"
)
PICK_DUE = T0 + timedelta(hours=2)
"""When an order that entered 待拣货 at T0 breaches the 2-hour SLA."""


def webhook(name: str, url: str, **extra: Any) -> ReceiverConfig:
    return ReceiverConfig(
        name=name, kind="webhook", settings={"base_url": url, "secret": SECRET}, **extra
    )


def route(
    name: str = "all", levels: tuple[tuple[str, ...], ...] = (("hook",),), **extra: Any
) -> RouteConfig:
    values: dict[str, Any] = {"group_wait": 0, "group_interval": 60, "repeat_interval": 3600}
    return RouteConfig(name=name, levels=levels, **(values | extra))


def configure(
    sessions: sessionmaker[Session], receivers: list[ReceiverConfig], routes: list[RouteConfig]
) -> None:
    with sessions.begin() as session:
        apply_alerts(
            session, AlertsSection(receivers=tuple(receivers), routes=tuple(routes)), author="t"
        )


def awaiting_pick(
    sessions: sessionmaker[Session],
    count: int,
    *,
    at: datetime = T0,
    warehouse: str = "SH-01",
    channel: str = "tmall-main",
    prefix: str = "P",
    **overrides: Any,
) -> list[str]:
    """``count`` paid orders moved to 待拣货 at ``at``; returns their order numbers."""
    orders: list[CanonicalOrder] = [
        canonical(f"{prefix}{n:03d}", warehouse=warehouse, **overrides) for n in range(count)
    ]
    with sessions.begin() as session:
        upsert_orders(session, channel, orders)
    with sessions.begin() as session:
        rows = session.execute(
            select(Order.order_no).where(
                Order.channel_order_id.in_([o.channel_order_id for o in orders])
            )
        )
        numbers = sorted(str(no) for (no,) in rows)
        for order_no in numbers:
            move_order(session, order_no=order_no, to="awaiting_pick", source="rule", at=at)
    return numbers


@dataclass
class Pipeline:
    """One engine (with its timer state) and the outbox, on a store, at times the test picks."""

    sessions: sessionmaker[Session]
    settings: NotifySettings = SETTINGS
    state: TimerState = field(default_factory=TimerState)

    def tick(self, now: datetime, changed: tuple[str, ...] = ()) -> TickReport:
        return wake_up(self.sessions, self.settings, self.state, now, changed)

    def deliver(self, now: datetime) -> list[Attempt]:
        return deliver_due(self.sessions, CLIENT, clock=lambda: now, limit=1000)

    def step(self, now: datetime) -> list[Attempt]:
        self.tick(now)
        return self.deliver(now)

    def outbox(self) -> list[AlertDelivery]:
        with self.sessions() as session:
            return list(session.scalars(select(AlertDelivery).order_by(AlertDelivery.id)))


class Consumer(WebhookReceiver):
    """A Standard Webhooks consumer that keeps what it answered to each message id, and can
    be down (answering 503 to everything) for a while."""

    def __init__(self) -> None:
        super().__init__(SECRET)
        self.down = False
        self.answers: list[tuple[str, int]] = []
        self.accepted: list[dict[str, Any]] = []
        self.arrived: list[datetime] = []
        self.got_one = threading.Event()

    def handle(self, request: Received) -> Reply:
        reply = Reply(503, {"error": "down"}) if self.down else super().handle(request)
        self.answers.append((request.headers.get("webhook-id", ""), reply.status))
        if 200 <= reply.status < 300:
            self.accepted.append(request.json()["data"])
            self.arrived.append(utcnow())
            self.got_one.set()
        return reply

    def delivered(self) -> list[str]:
        """The message ids answered with a 2xx, in order (a repeat would show twice)."""
        return [msg_id for msg_id, status in self.answers if 200 <= status < 300]


@contextmanager
def consumer() -> Iterator[tuple[Consumer, str]]:
    """A Standard Webhooks consumer on loopback that verifies every request."""
    fake = Consumer()
    with serving(fake) as base_url:
        yield fake, base_url + "/hooks/ow"

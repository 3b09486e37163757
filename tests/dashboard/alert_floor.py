"""An alerts scenario for the console's tests, at the real time (the console acts at the real
clock): three orders in 待拣货 at SH-01 for three hours, past their 2-hour SLA, grouped into
one alert group by the route ``pick-sla``, notified to two loopback Standard Webhooks
receivers: ``floor`` accepts, ``boss`` refuses (410), which parks its copy as a dead letter."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.models import AlertDelivery, AlertGroup, utcnow
from tests.alerts.fake_providers import Reply
from tests.alerts.pipeline import Consumer, Pipeline, awaiting_pick, configure, consumer, webhook
from tests.alerts.pipeline import route as route_config


@dataclass(frozen=True)
class AlertFloor:
    pipeline: Pipeline
    floor: Consumer
    boss: Consumer
    orders: list[str]
    group_id: int
    dead_id: int
    """The delivery ``boss`` refused."""


@contextmanager
def alert_floor(sessions: sessionmaker[Session]) -> Iterator[AlertFloor]:
    """The scenario on ``sessions`` (a channel ``tmall-main`` must exist), its receivers
    served until the block ends."""
    with ExitStack() as stack:
        floor, floor_url = stack.enter_context(consumer())
        boss, boss_url = stack.enter_context(consumer())
        boss.replies.append(Reply(410, {"error": "endpoint retired"}))
        configure(
            sessions,
            [webhook("floor", floor_url), webhook("boss", boss_url, lang="en")],
            [
                route_config(
                    "pick-sla",
                    levels=(("floor", "boss"), ("floor",)),
                    match={"kind": ["sla_breach"]},
                    escalate_after=900,
                )
            ],
        )
        now = utcnow()
        paid = now - timedelta(hours=3, minutes=10)
        orders = awaiting_pick(
            sessions,
            3,
            at=now - timedelta(hours=3),
            created_at=paid - timedelta(minutes=5),
            paid_at=paid,
            modified_at=paid,
        )
        pipeline = Pipeline(sessions)
        pipeline.tick(now, changed=tuple(orders))
        pipeline.deliver(now)
        with sessions() as session:
            group_id = session.scalars(select(AlertGroup.id)).one()
            dead_id = session.scalars(
                select(AlertDelivery.id).where(AlertDelivery.status == "dead")
            ).one()
        yield AlertFloor(pipeline, floor, boss, orders, group_id, dead_id)

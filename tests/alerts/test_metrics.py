"""The alerts engine's Prometheus metrics on the web app's ``/metrics``, read from the store
(the engine and the deliverers run in other processes)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session, sessionmaker

from dashboard.app import create_app
from dashboard.config import WebConfig
from tests.alerts.fake_providers import Reply
from tests.alerts.pipeline import (
    PICK_DUE,
    SETTINGS,
    Pipeline,
    awaiting_pick,
    configure,
    consumer,
    route,
    webhook,
)
from tests.factories import T0, add_channel

CONFIG = WebConfig(secret_key=SETTINGS.secret_key, zone=SETTINGS.zone)


def scrape(sessions: sessionmaker[Session]) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    text = TestClient(create_app(CONFIG, sessions=sessions)).get("/metrics").text
    found: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_fired_sent_failed_dead_latency_and_depth(sessions: sessionmaker[Session]) -> None:
    add_channel(sessions)
    with consumer() as (floor, a), consumer() as (boss, b):
        configure(
            sessions,
            [webhook("floor", a), webhook("boss", b)],
            [route(levels=(("floor",), ("boss",)), escalate_after=600)],
        )
        orders = awaiting_pick(sessions, 3)
        pipeline = Pipeline(sessions)
        pipeline.tick(T0, changed=tuple(orders))
        floor.replies.append(Reply(503, {"error": "busy"}))
        pipeline.step(PICK_DUE)  # the floor's first attempt fails
        pipeline.step(PICK_DUE + timedelta(seconds=30))  # retried, sent 30 s after the deadline
        boss.replies.append(Reply(400, {"error": "no"}))
        pipeline.step(PICK_DUE + timedelta(minutes=10))  # the escalation is refused: dead
    metrics = scrape(sessions)
    fired = (("kind", "sla_breach"), ("severity", "warning"))
    assert metrics["orderwatch_alerts_fired_total"][fired] == 3
    assert metrics["orderwatch_notifications_sent_total"][(("receiver", "floor"),)] == 1
    assert metrics["orderwatch_notifications_failed_total"][(("receiver", "floor"),)] == 1
    assert metrics["orderwatch_notifications_failed_total"][(("receiver", "boss"),)] == 1
    assert metrics["orderwatch_notifications_dead"][(("receiver", "boss"),)] == 1
    assert metrics["orderwatch_alert_outbox_depth"][()] == 0
    latency = "orderwatch_alert_deadline_to_delivery_seconds"
    assert metrics[f"{latency}_count"][()] == 1
    assert metrics[f"{latency}_sum"][()] == 30.0
    assert metrics[f"{latency}_bucket"][(("le", "10.0"),)] == 0
    assert metrics[f"{latency}_bucket"][(("le", "30.0"),)] == 1

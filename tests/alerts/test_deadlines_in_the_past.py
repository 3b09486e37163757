"""A deadline that is set in the past after the engine's last look (an SLA tightened, a
backlog whose deadlines are computed after the engine started) is announced as a change, so
the engine raises its breach at its next wake-up instead of at the five-minute full sweep."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import Engine, select

from rules.catalog import save_rules
from rules.defaults import DEFAULT_RULES
from rules.definitions import RuleSet
from rules.review import current_rules
from rules.sla import refresh_changed_deadlines
from store.db import session_factory
from store.events import ChangeEvent, ChangeFeed
from store.models import Alert
from tests.alerts.pipeline import SETTINGS, Pipeline, awaiting_pick
from tests.factories import T0, add_channel


def _with_sla_hours(hours: int) -> RuleSet:
    sla = tuple(p.model_copy(update={"max_hours": hours}) for p in DEFAULT_RULES.sla)
    return DEFAULT_RULES.model_copy(update={"sla": sla})


def test_a_deadline_set_in_the_past_reaches_the_engine_at_once(engine: Engine) -> None:
    feed = ChangeFeed()
    heard: list[ChangeEvent] = []
    arrived = threading.Event()
    feed.subscribe(lambda batch: (heard.extend(batch), arrived.set()))
    sessions = session_factory(engine, feed)
    add_channel(sessions)
    with sessions.begin() as session:
        save_rules(session, _with_sla_hours(4), kinds=["sla"], author="t", reason="slow week")
    (waiting,) = awaiting_pick(sessions, 1)  # entered 待拣货 at T0
    first_look = T0 + timedelta(hours=3)
    with sessions.begin() as session:  # the worker's deadline job: due at T0 + 4 h
        refresh_changed_deadlines(session, current_rules(session), zone=SETTINGS.zone, now=T0)
    pipeline = Pipeline(sessions)
    pipeline.tick(first_look)  # the engine's full look: nothing due yet
    arrived.clear()
    heard.clear()

    tightened = first_look + timedelta(minutes=1)
    with sessions.begin() as session:  # back to 2 h: the order is an hour late already
        save_rules(session, DEFAULT_RULES, kinds=["sla"], author="t", reason="back to normal")
    with sessions.begin() as session:
        zone = SETTINGS.zone
        refresh_changed_deadlines(session, current_rules(session), zone=zone, now=tightened)
    assert arrived.wait(10), "the past deadline was not announced"
    assert [e.order_no for e in heard] == [waiting]

    pipeline.tick(tightened + timedelta(seconds=1), tuple(e.order_no for e in heard))
    feed.close()
    with sessions() as session:
        (alert,) = session.scalars(select(Alert).where(Alert.kind == "sla_breach"))
    assert alert.opened_at == T0 + timedelta(hours=2)

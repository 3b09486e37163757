"""A stage's backlog beyond its usual range for the hour of the week: raised against the same
hour of the past weeks (from the rollups), told, kept while it stays well above usual, and
resolved when it is back within range; no judgement without enough weeks of history."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.backlog import UsualRange, check_backlog
from metrics.rollups import roll_up
from store.models import Alert, Order
from store.transitions import move_order
from tests.alerts.pipeline import SETTINGS, configure, consumer, route, webhook
from tests.alerts.pipeline import Pipeline as AlertsPipeline
from tests.metrics.fixtures import Spec, load, local

NOW = local("03-26 15:20")  # a Wednesday afternoon
KEY = "backlog_growth:SH-01:awaiting_pick"


def _history(weeks: int) -> list[Spec]:
    """At this hour of each past week, 20 + n orders waited to be picked (entered an hour
    before, picked an hour after); now 60 wait."""
    specs = []
    for week in range(1, weeks + 1):
        moment = NOW - timedelta(weeks=week)
        for n in range(20 + week):
            entered, picked = moment - timedelta(hours=1), moment + timedelta(hours=1)
            times = {"paid_at": entered, "awaiting_pick_at": entered, "picked_at": picked}
            specs.append(Spec(f"H{week}-{n:02d}", "picked", times))
    for n in range(60):
        entered = NOW - timedelta(minutes=30)
        times = {"paid_at": entered, "awaiting_pick_at": entered}
        specs.append(Spec(f"N{n:02d}", "awaiting_pick", times))
    return specs


def _check(sessions: sessionmaker[Session], now: datetime) -> tuple[list[str], list[str]]:
    with sessions.begin() as session:
        roll_up(session, now=now)
        report = check_backlog(session, now, SETTINGS.zone, UsualRange(weeks=8, min_weeks=3))
    return report.raised, report.resolved


def _pick(sessions: sessionmaker[Session], count: int, at: datetime) -> None:
    with sessions.begin() as session:
        waiting = session.scalars(
            select(Order.order_no).where(Order.stage == "awaiting_pick").order_by(Order.id)
        ).all()
        for order_no in waiting[:count]:
            move_order(session, order_no=order_no, to="picked", source="handheld", at=at)


def test_a_backlog_above_its_usual_range_is_told_and_resolves(
    sessions: sessionmaker[Session],
) -> None:
    load(sessions, _history(weeks=4))
    with consumer() as (fake, url):
        configure(sessions, [webhook("hook", url)], [route(group_wait=0)])
        pipeline = AlertsPipeline(sessions)
        assert _check(sessions, NOW) == ([KEY], [])
        pipeline.step(NOW)
        assert [m["title"] for m in fake.accepted] == ["SH-01 待拣货 积压 60 单，高于平常"]
        assert fake.accepted[0]["text"] == "这个时段通常为 21–24 单"
        with sessions() as session:
            alert = session.scalars(select(Alert)).one()
            assert alert.labels == {"warehouse": "SH-01", "stage": "awaiting_pick"}
            assert sorted(alert.details["weeks"]) == [21, 22, 23, 24]
            assert alert.details["hour_of_week"] == "Wed 15:00"
            # usual: median 22.5; the margin is half of it (more than 3 robust σ or 10)
            assert alert.details["limit"] == 33.8

        # 30 left: still well above usual (the resolved notice names the last count it saw)
        _pick(sessions, 30, NOW + timedelta(minutes=1))
        assert _check(sessions, NOW + timedelta(minutes=2)) == ([KEY], [])
        _pick(sessions, 5, NOW + timedelta(minutes=3))  # 25: back within half the margin
        assert _check(sessions, NOW + timedelta(minutes=4)) == ([], [KEY])
        pipeline.step(NOW + timedelta(minutes=4))
        assert fake.accepted[-1]["title"] == "已恢复：SH-01 待拣货 积压 30 单，高于平常"


def test_no_judgement_without_enough_weeks(sessions: sessionmaker[Session]) -> None:
    load(sessions, _history(weeks=2))
    assert _check(sessions, NOW) == ([], [])

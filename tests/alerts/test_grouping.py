"""Grouping and noise, on a fake clock against a loopback webhook consumer: simultaneous
breaches go out as one message after group_wait, changes at most once per group_interval,
reminders after repeat_interval, a resolved notice as soon as the group clears, silences and
inhibitions leave alerts out and say why."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from alerts.engine import tick
from alerts.muting import create_silence, expire_silence
from store.alerts import raise_alert
from store.models import Alert, AlertGroup, AlertRoute, Order
from store.transitions import move_order
from tests.alerts.pipeline import (
    PICK_DUE,
    SETTINGS,
    Consumer,
    Pipeline,
    awaiting_pick,
    configure,
    consumer,
    route,
    webhook,
)
from tests.factories import T0, add_channel

S = timedelta(seconds=1)


@pytest.fixture
def hook(sessions: sessionmaker[Session]) -> Iterator[tuple[Consumer, Pipeline]]:
    add_channel(sessions)
    with consumer() as (fake, url):
        configure(sessions, [webhook("hook", url)], [route(group_wait=30, group_interval=60)])
        yield fake, Pipeline(sessions)


def test_200_simultaneous_breaches_go_out_as_one_message_after_group_wait(
    sessions: sessionmaker[Session], hook: tuple[Consumer, Pipeline]
) -> None:
    fake, pipeline = hook
    orders = awaiting_pick(sessions, 200)
    pipeline.tick(T0, changed=tuple(orders))  # the change events of the moves
    assert pipeline.step(PICK_DUE - S) == []
    assert pipeline.step(PICK_DUE) == []  # noticed, but the group waits for its siblings
    with sessions() as session:
        assert session.scalar(select(AlertGroup.next_flush_at)) == PICK_DUE + 30 * S
    attempts = pipeline.step(PICK_DUE + 30 * S)
    assert [a.status for a in attempts] == ["sent"]
    assert len(fake.accepted) == 1
    message = fake.accepted[0]
    assert message["title"] == "200 单在 SH-01 待拣货 超过 2 小时"
    assert message["text"].startswith("最久 2 小时：" + ", ".join(orders[:10]) + " 等 200 项")
    assert message["severity"] == "warning"
    assert message["url"].startswith("http://ow.test/api/v1/alerts/ack/")
    assert pipeline.step(PICK_DUE + 31 * S) == []  # nothing changed: nothing more


def test_changes_wait_for_the_group_interval_and_an_unchanged_group_is_reminded(
    sessions: sessionmaker[Session], hook: tuple[Consumer, Pipeline]
) -> None:
    fake, pipeline = hook
    first = awaiting_pick(sessions, 3)
    later = awaiting_pick(sessions, 2, at=T0 + 40 * S, prefix="L")
    pipeline.tick(T0 + 40 * S, changed=tuple(first + later))
    pipeline.step(PICK_DUE)
    pipeline.step(PICK_DUE + 30 * S)
    pipeline.step(PICK_DUE + 40 * S)  # the later two breach: the group changed
    assert [m["title"][:2] for m in fake.accepted] == ["3 "]
    pipeline.step(PICK_DUE + 89 * S)
    assert len(fake.accepted) == 1  # a change waits out the group interval
    pipeline.step(PICK_DUE + 90 * S)
    assert [m["title"][:2] for m in fake.accepted] == ["3 ", "5 "]
    pipeline.step(PICK_DUE + 90 * S + timedelta(minutes=59))
    assert len(fake.accepted) == 2
    pipeline.step(PICK_DUE + 90 * S + timedelta(hours=1))
    assert [m["title"][:2] for m in fake.accepted] == ["3 ", "5 ", "5 "]  # the reminder


def test_the_resolved_notice_goes_out_as_soon_as_the_group_clears(
    sessions: sessionmaker[Session], hook: tuple[Consumer, Pipeline]
) -> None:
    fake, pipeline = hook
    orders = awaiting_pick(sessions, 2)
    pipeline.tick(T0, changed=tuple(orders))
    pipeline.step(PICK_DUE)
    pipeline.step(PICK_DUE + 30 * S)
    with sessions.begin() as session:
        move_order(
            session, order_no=orders[0], to="picked", source="handheld", at=PICK_DUE + 40 * S
        )
    pipeline.tick(PICK_DUE + 41 * S, changed=(orders[0],))
    assert len(fake.accepted) == 1  # one left: a change, within the group interval
    with sessions.begin() as session:
        move_order(
            session, order_no=orders[1], to="picked", source="handheld", at=PICK_DUE + 42 * S
        )
    pipeline.tick(PICK_DUE + 43 * S, changed=(orders[1],))
    pipeline.deliver(PICK_DUE + 43 * S)
    titles = [m["title"] for m in fake.accepted]
    assert titles == ["2 单在 SH-01 待拣货 超过 2 小时", "已恢复：2 单在 SH-01 待拣货 超过 2 小时"]
    with sessions() as session:
        assert session.scalar(select(AlertGroup.state)) == "resolved"
    # A new breach with the same key starts a new group.
    again = awaiting_pick(sessions, 1, at=PICK_DUE, prefix="N")
    pipeline.tick(PICK_DUE + 50 * S, changed=tuple(again))
    pipeline.step(PICK_DUE + timedelta(hours=2))
    pipeline.step(PICK_DUE + timedelta(hours=2) + 30 * S)
    with sessions() as session:
        assert list(session.scalars(select(AlertGroup.state).order_by(AlertGroup.id))) == [
            "resolved",
            "firing",
        ]
    assert fake.accepted[-1]["title"] == "1 单在 SH-01 待拣货 超过 2 小时"


def test_marks_a_crash_left_unwritten_are_written_before_the_next_decision(
    sessions: sessionmaker[Session], hook: tuple[Consumer, Pipeline]
) -> None:
    fake, pipeline = hook
    orders = awaiting_pick(sessions, 2)
    pipeline.tick(T0, changed=tuple(orders))
    pipeline.step(PICK_DUE)
    with sessions.begin() as session:  # the notification's transaction; then the process dies
        tick(session, SETTINGS, pipeline.state, PICK_DUE + 30 * S)
    with sessions() as session:
        assert list(session.scalars(select(Alert.notified_at))) == [None, None]
        assert session.scalar(select(AlertGroup.unmarked_at)) == PICK_DUE + 30 * S
    pipeline.deliver(PICK_DUE + 30 * S)  # the message does not wait for the marks
    with sessions.begin() as session:
        for order_no in orders:
            move_order(session, order_no=order_no, to="picked", source="handheld",
                       at=PICK_DUE + 40 * S)  # fmt: skip
    pipeline.tick(PICK_DUE + 41 * S, changed=tuple(orders))
    pipeline.deliver(PICK_DUE + 41 * S)
    with sessions() as session:
        assert list(session.scalars(select(Alert.notified_at))) == [PICK_DUE + 30 * S] * 2
        assert session.scalar(select(AlertGroup.unmarked_at)) is None
    # The resolved notice names the alerts the marks say were told.
    titles = [m["title"] for m in fake.accepted]
    assert titles == ["2 单在 SH-01 待拣货 超过 2 小时", "已恢复：2 单在 SH-01 待拣货 超过 2 小时"]


def test_a_silence_mutes_until_it_ends_and_says_who_and_why(
    sessions: sessionmaker[Session], hook: tuple[Consumer, Pipeline]
) -> None:
    fake, pipeline = hook
    orders = awaiting_pick(sessions, 2)
    with sessions.begin() as session:
        silence = create_silence(
            session,
            matchers={"kind": "sla_breach", "warehouse": "SH-01"},
            ends_at=PICK_DUE + timedelta(minutes=10),
            author="ann",
            reason="stocktake in SH-01",
            now=T0,
        )
        silence_id = silence.id
    pipeline.tick(T0, changed=tuple(orders))
    pipeline.step(PICK_DUE)
    pipeline.step(PICK_DUE + 30 * S)
    assert fake.accepted == []
    with sessions() as session:
        muted = set(session.scalars(select(Alert.muted_by)))
    assert muted == {f"silence:{silence_id}"}
    pipeline.step(PICK_DUE + timedelta(minutes=10))  # the silence has ended
    assert [m["title"] for m in fake.accepted] == ["2 单在 SH-01 待拣货 超过 2 小时"]


def test_expiring_a_silence_notifies_what_it_held_back(
    sessions: sessionmaker[Session], hook: tuple[Consumer, Pipeline]
) -> None:
    fake, pipeline = hook
    orders = awaiting_pick(sessions, 1)
    with sessions.begin() as session:
        silence_id = create_silence(
            session, matchers={"stage": "awaiting_pick"}, ends_at=T0 + timedelta(days=1),
            author="ann", reason="drill", now=T0,
        ).id  # fmt: skip
    pipeline.tick(T0, changed=tuple(orders))
    pipeline.step(PICK_DUE + 30 * S)
    assert fake.accepted == []
    with sessions.begin() as session:
        expire_silence(session, silence_id, author="ann", now=PICK_DUE + 40 * S)
    pipeline.step(PICK_DUE + 41 * S)
    assert len(fake.accepted) == 1


def test_a_channel_outage_mutes_that_channels_order_alerts(
    sessions: sessionmaker[Session], hook: tuple[Consumer, Pipeline]
) -> None:
    fake, pipeline = hook
    add_channel(sessions, "jd-main")
    tmall = awaiting_pick(sessions, 2)
    jd = awaiting_pick(sessions, 1, channel="jd-main", prefix="J", warehouse="BJ-01")
    with sessions.begin() as session:
        raise_alert(
            session, kind="channel_stale", key="channel_stale:tmall-main", severity="critical",
            title="tmall-main stale", now=T0,
            details={"channel": "tmall-main", "lag_s": 7200, "last_error": "HTTP 502"},
        )  # fmt: skip
    pipeline.tick(T0, changed=tuple(tmall + jd))
    pipeline.step(PICK_DUE)
    pipeline.step(PICK_DUE + 30 * S)
    titles = sorted(m["title"] for m in fake.accepted)
    assert titles == ["1 单在 BJ-01 待拣货 超过 2 小时", "渠道 tmall-main 已 2 小时 未同步"]
    with sessions() as session:
        reasons = dict(session.execute(select(Alert.dedupe_key, Alert.muted_by)).all())
        stale_id = session.scalar(select(Alert.id).where(Alert.kind == "channel_stale"))
    assert {reasons[f"sla_breach:{no}:sla:awaiting-pick-2h"] for no in tmall} == {
        f"inhibited:{stale_id}"
    }


def test_a_critical_mutes_the_warnings_of_its_group(
    sessions: sessionmaker[Session], hook: tuple[Consumer, Pipeline]
) -> None:
    fake, pipeline = hook
    warnings = awaiting_pick(sessions, 3)
    critical = awaiting_pick(sessions, 1, prefix="C", ship_by=T0 + timedelta(hours=1))
    pipeline.tick(T0, changed=(*warnings, *critical))
    pipeline.step(PICK_DUE)
    pipeline.step(PICK_DUE + 30 * S)
    assert [(m["severity"], m["title"]) for m in fake.accepted] == [
        ("critical", "1 单在 SH-01 待拣货 超过 承诺发货时间")
    ]


def test_the_alerts_of_a_group_whose_route_is_gone_are_routed_again(
    sessions: sessionmaker[Session],
) -> None:
    add_channel(sessions)
    with consumer() as (fake, url):
        configure(sessions, [webhook("hook", url)], [route("before", group_wait=30)])
        pipeline = Pipeline(sessions)
        orders = awaiting_pick(sessions, 2)
        pipeline.tick(T0, changed=tuple(orders))
        pipeline.step(PICK_DUE)  # grouped, waiting for its siblings
        configure(sessions, [webhook("hook", url)], [route("after", group_wait=0)])
        pipeline.step(PICK_DUE + S)  # the old group dissolves at once, not at its wait's end
        pipeline.step(PICK_DUE + 2 * S)
    with sessions() as session:
        groups = session.execute(
            select(AlertGroup.state, AlertRoute.name)
            .outerjoin(AlertRoute, AlertRoute.id == AlertGroup.route_id)
            .order_by(AlertGroup.id)
        )
        assert list(groups) == [("resolved", None), ("firing", "after")]
        grouped = set(session.scalars(select(Alert.group_id)))
    assert len(grouped) == 1 and None not in grouped
    assert [m["title"] for m in fake.accepted] == ["2 单在 SH-01 待拣货 超过 2 小时"]


def _alert_statements(
    engine: Engine, pipeline: Pipeline, count: int, prefix: str, later: timedelta
) -> int:
    """Statements reading or updating alerts in the tick that notices ``count`` breaches,
    each its own group (inserts are left out: how many rows one carries is the driver's)."""
    sessions = pipeline.sessions
    orders = awaiting_pick(sessions, count, prefix=prefix, at=T0 + later)
    pipeline.tick(T0 + later, changed=tuple(orders))
    statements: list[str] = []

    def note(*args: object) -> None:
        statement = str(args[2])
        if statement.startswith(("SELECT alerts.", "UPDATE alerts ")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        pipeline.tick(PICK_DUE + later)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    with sessions() as session:
        ids = select(Order.id).where(Order.order_no.in_(orders))
        told = [
            alert.notified_at
            for alert in session.scalars(select(Alert).where(Alert.order_id.in_(ids)))
        ]
    assert told == [PICK_DUE + later] * count  # each named by its own group's first notification
    return len(statements)


def test_one_group_per_order_reads_and_marks_its_alerts_in_statements_not_per_group(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    add_channel(sessions)
    with consumer() as (fake, url):
        configure(sessions, [webhook("hook", url)], [route(group_by=("order_no",))])
        pipeline = Pipeline(sessions)
        few = _alert_statements(engine, pipeline, 3, "F", timedelta(0))
        many = _alert_statements(engine, pipeline, 30, "M", timedelta(minutes=10))
        attempts = pipeline.deliver(PICK_DUE + timedelta(minutes=10))
    assert many == few
    assert [a.status for a in attempts] == ["sent"] * 33
    assert {m["title"] for m in fake.accepted} == {"1 单在 SH-01 待拣货 超过 2 小时"}

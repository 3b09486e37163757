"""``orderwatch demo`` without the console: simulator, sync, worker and floor in one process."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from orderwatch.demo_data import ARTICLE_BNPL_ORDERS, CHANNELS, DEMO_USERS
from orderwatch.demo_floor import DEVICE
from orderwatch.processes import DemoRun, start_demo
from store.db import make_engine, session_factory
from store.migrate import upgrade
from store.models import Channel, Order, StageEvent

SHANGHAI = ZoneInfo("Asia/Shanghai")
PATIENCE_S = 90.0
"""Generous: the machine is shared; every wait ends as soon as its condition holds."""


def _eventually(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.5)


def _by_platform(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        rows = session.execute(
            select(Channel.platform, func.count(Order.id))
            .join(Order, Order.channel_id == Channel.id)
            .group_by(Channel.platform)
        )
        return {platform: count for platform, count in rows}


def _floor_moves(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return (
            session.scalar(
                select(func.count()).where(
                    StageEvent.actor == DEVICE, StageEvent.to_stage == "picked"
                )
            )
            or 0
        )


def _bnpl_in_review(sessions: sessionmaker[Session], *, paid_since: datetime) -> int:
    with sessions() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(Order)
                .join(Channel, Channel.id == Order.channel_id)
                .where(
                    Channel.platform == "xiaohongshu",
                    Order.stage == "pending_review",
                    Order.payment_method == "buy_now_pay_later",
                    Order.paid_at >= paid_since,
                )
            )
            or 0
        )


def _count(sessions: sessionmaker[Session], *where: object) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Order).where(*where)) or 0  # type: ignore[arg-type]


def _start(sessions: sessionmaker[Session], logins: Path) -> DemoRun:
    return start_demo(sessions, zone=SHANGHAI, backlog_orders=300, logins=logins, floor_every_s=0.5)


def test_demo_pulls_every_platform_and_the_floor_moves_orders(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    upgrade(engine)
    sessions = session_factory(engine)
    logins = tmp_path / "logins.json"
    started = datetime.now(UTC)
    demo = _start(sessions, logins)
    try:
        assert set(demo.passwords) == {name for name, _role in DEMO_USERS}
        platforms = {platform for _name, platform in CHANNELS}
        _eventually(lambda: set(_by_platform(sessions)) == platforms, "orders on every platform")
        _eventually(lambda: _floor_moves(sessions) > 0, "the floor to pick orders")
        _eventually(
            lambda: _count(sessions, Order.awaiting_pick_at.is_not(None)) > 0,
            "orders released to the warehouse",
        )
        # The article's incident, on top of the stream's own 先用后付 orders.
        last_hour = started - timedelta(minutes=61)
        _eventually(
            lambda: _bnpl_in_review(sessions, paid_since=last_hour) >= ARTICLE_BNPL_ORDERS,
            "the article's 17 先用后付 orders held in 待审核",
        )
        _eventually(
            lambda: _count(sessions, Order.stage == "shipped", Order.picked_at.is_not(None)) > 0,
            "orders the floor shipped",
        )
    finally:
        demo.stop()
    before = _count(sessions)

    again = _start(sessions, logins)
    try:
        assert again.passwords == demo.passwords
        with sessions() as session:
            urls = session.scalars(select(Channel.base_url)).all()
        assert all(f":{again.server.port}/" in str(url) for url in urls)
        # Only the time the demo was off is filled in: nothing of the first run is repeated.
        assert before <= _count(sessions) < before * 1.2
    finally:
        again.stop()
    engine.dispose()

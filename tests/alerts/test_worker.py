"""The alerts engine and a deliverer running in the worker: an order breaching its deadline
while the worker runs reaches a loopback webhook, noticed by the deadline timer (woken by the
move's change event, then sleeping until the deadline), not by a periodic tick."""

from __future__ import annotations

from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, select

from orderwatch.routines import long_running_jobs
from orderwatch.worker import Worker
from store.db import session_factory
from store.events import ChangeFeed
from store.models import Alert, AlertDelivery, Order, utcnow
from store.orders import find_order
from store.transitions import move_order
from store.upsert import upsert_orders
from tests.alerts.pipeline import SETTINGS, configure, consumer, route, webhook
from tests.factories import add_channel, canonical

WAIT_S = 60
"""How long the test waits for the webhook before it fails (a stuck pipeline, not slowness)."""


def test_a_breach_reaches_the_webhook_from_the_running_worker(engine: Engine) -> None:
    feed = ChangeFeed()
    sessions = session_factory(engine, feed)
    add_channel(sessions)
    paid = utcnow() - timedelta(hours=3)  # its ship-by promise is two days later
    with sessions.begin() as session:
        upsert_orders(session, "tmall-main", [canonical("W1", paid_at=paid, modified_at=paid)])
        order_no = find_order(session, "tmall-main", "W1").order_no
    with consumer() as (fake, url):
        configure(sessions, [webhook("hook", url)], [route(group_wait=0)])
        worker = Worker(
            sessions, BackgroundScheduler(), [], long_running_jobs(sessions, SETTINGS, feed)
        )
        worker.start_services()
        try:
            # Entered 待拣货 two hours ago less a second and a half: due shortly.
            entered = utcnow() - timedelta(hours=2) + timedelta(seconds=1.5)
            with sessions.begin() as session:
                move_order(
                    session, order_no=order_no, to="awaiting_pick", source="rule", at=entered
                )
            assert fake.got_one.wait(WAIT_S), "no notification arrived"
        finally:
            worker.stop_services()
            feed.close()
    due = entered + timedelta(hours=2)
    with sessions() as session:
        deadline = session.scalar(select(Order.next_deadline_at).where(Order.order_no == order_no))
        alert = session.scalars(select(Alert)).one()
        delivery = session.scalars(select(AlertDelivery)).one()
    # The timer set the deadline from the move's change event (no periodic job ran), noticed
    # the breach after it was due, wrote the outbox row, and the deliverer sent it.
    assert deadline == due
    assert alert.opened_at == due and alert.route_checked_at is not None
    assert due <= alert.route_checked_at <= delivery.created_at
    assert delivery.sent_at is not None and delivery.created_at <= delivery.sent_at
    assert due <= fake.arrived[0] <= delivery.sent_at
    assert delivery.latency_s == (delivery.sent_at - due).total_seconds()
    assert [m["title"] for m in fake.accepted] == ["1 单在 SH-01 待拣货 超过 2 小时"]
    print(f"deadline to delivery: {delivery.latency_s:.3f} s")

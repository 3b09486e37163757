"""The worker's periodic work, run as the worker runs it: risk review before release."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from orderwatch.routines import PeriodicJob, periodic_jobs
from store.inventory import receive_stock
from store.models import Order
from tests.rules.article import AMOUNTS, seed_article

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _jobs() -> dict[str, PeriodicJob]:
    return {job.id: job for job in periodic_jobs(SHANGHAI)}


def _stages(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        rows = session.execute(select(Order.stage, func.count()).group_by(Order.stage))
        return {stage: count for stage, count in rows}


def test_release_job_reviews_before_it_releases(sessions: sessionmaker[Session]) -> None:
    """The article's case through the worker: the default rules hold every 先用后付 order in
    待审核 while the ordinary orders with stock go to the warehouse."""
    seed_article(sessions, alipay_orders=5)
    with sessions.begin() as session:
        receive_stock(
            session, receipt_id="R1", warehouse="SH-01", lines={"SKU-1": 100}, received_by="t"
        )
    _jobs()["warehouse.release"].run(sessions)
    assert _stages(sessions) == {"pending_review": len(AMOUNTS), "awaiting_pick": 5}


def test_every_area_has_its_routine_and_they_run(sessions: sessionmaker[Session]) -> None:
    seed_article(sessions, alipay_orders=2)
    jobs = _jobs()
    routines = (
        "warehouse.release",
        "metrics.rollups",
        "rules.deadlines",
        "rules.audit",
        "ingest.staleness",
        "ingest.failing",
        "alerts.stock",
        "alerts.quarantine",
        "alerts.after_sales",
        "alerts.backlog",
    )
    assert set(routines) <= set(jobs)
    for name in routines:
        jobs[name].run(sessions)
    with sessions() as session:
        due = session.scalar(select(func.count()).where(Order.next_deadline_at.is_not(None)))
    assert due == len(AMOUNTS) + 2

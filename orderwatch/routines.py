"""The periodic work of every area, as the worker (and the demo) run it.

Each area exposes plain functions; this module decides how often they run and with which
settings, because only ``orderwatch`` may import all areas and read the settings.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from ingest.health import check_channel_staleness
from ingest.release import ReleaseReport, release_paid_orders
from metrics.rollups import refresh_rollups
from orderwatch.worker import PERIODIC_JOBS, PeriodicJob
from rules.audit import run_flow_health_audit
from rules.review import Reviewer, current_rules
from rules.sla import refresh_deadlines
from store.models import utcnow

RELEASE_EVERY_S = 10
"""Paid orders reach the handhelds within seconds (the article's 自动推送至仓库PDA)."""
ROLLUP_EVERY_S = 10
DEADLINES_EVERY_S = 60
AUDIT_EVERY_S = 15 * 60
STALENESS_EVERY_S = 60


def release_with_review(
    session: Session, *, warehouse: str | None = None, limit: int = 500
) -> ReleaseReport:
    """Risk review first (a held order goes to 待审核), then stock reservation and release."""
    return release_paid_orders(session, review=Reviewer(), warehouse=warehouse, limit=limit)


def register_routines(zone: ZoneInfo) -> None:
    """Schedule every area's periodic work in the workers started afterwards."""

    def release(sessions: sessionmaker[Session]) -> None:
        with sessions.begin() as session:
            release_with_review(session)

    def deadlines(sessions: sessionmaker[Session]) -> None:
        with sessions.begin() as session:
            refresh_deadlines(session, current_rules(session), zone=zone)

    def staleness(sessions: sessionmaker[Session]) -> None:
        with sessions.begin() as session:
            check_channel_staleness(session, now=utcnow())

    def audit(sessions: sessionmaker[Session]) -> None:
        with sessions.begin() as session:
            run_flow_health_audit(session)

    for job in (
        PeriodicJob("warehouse.release", release, every_s=RELEASE_EVERY_S),
        PeriodicJob("metrics.rollups", refresh_rollups, every_s=ROLLUP_EVERY_S),
        PeriodicJob("rules.deadlines", deadlines, every_s=DEADLINES_EVERY_S),
        PeriodicJob("rules.audit", audit, every_s=AUDIT_EVERY_S),
        PeriodicJob("ingest.staleness", staleness, every_s=STALENESS_EVERY_S),
    ):
        # Replaced, not refused, on a second call: the settings of the latest call hold.
        PERIODIC_JOBS[job.id] = job

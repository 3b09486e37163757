"""A dry run that knows when it would take too long, and says what window would not.

A dry run reads every order of its window once (about 0.3 s per million orders on PostgreSQL,
see ``bench/rules.py``), so a console asking for 90 days of a very large store could hold a
connection for minutes. Before it starts, the window's orders are estimated: PostgreSQL's
planner estimate (free, from the table statistics) or, on SQLite, a count that stops past
``COUNT_CAP`` times the limit (enough to suggest a window that fits). Over ``max_orders`` it
does not start; on PostgreSQL a statement timeout stops a run the estimate got wrong. Either
way ``DryRunTooLarge`` names a window that fits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, literal, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from rules.catalog import LoadedRules
from rules.definitions import RuleSet
from rules.dry_run import DryRunReport, dry_run
from store.errors import DomainError
from store.models import Order, utcnow

COUNT_CAP = 4
"""SQLite counts the window's orders up to this many times the limit, no further."""


@dataclass(frozen=True, slots=True)
class DryRunLimits:
    max_orders: int = 5_000_000
    """More orders than this in the window: refused before it starts (about 1.5 s of work)."""
    timeout_s: float = 20.0
    """PostgreSQL stops the dry run's query after this long."""


class DryRunTooLarge(DomainError):
    """The window holds too many orders for one dry run; ``suggested_days`` would fit (None:
    not even one day does)."""

    code = "dry_run_too_large"

    def __init__(
        self, days: int, orders: int | None, suggested_days: int | None, *, more: bool = False
    ) -> None:
        if orders is None:
            size = "too many orders"
        else:
            size = f"{'more than' if more else 'about'} {orders:,} orders"
        shorter = (
            f"; try the last {suggested_days} day{'s' if suggested_days > 1 else ''}"
            if suggested_days
            else ""
        )
        super().__init__(f"a dry run over {days} days would read {size}{shorter}")
        self.days = days
        self.orders = orders
        """The estimate; with ``more``, a count that stopped there."""
        self.more = more
        self.suggested_days = suggested_days


def bounded_dry_run(
    session: Session,
    proposed: RuleSet,
    *,
    days: int,
    limits: DryRunLimits = DryRunLimits(),
    now: datetime | None = None,
    current: LoadedRules | None = None,
) -> DryRunReport:
    """``rules.dry_run.dry_run`` within ``limits``, or ``DryRunTooLarge`` (after which the
    session's transaction is rolled back: a dry run writes nothing)."""
    until = now or utcnow()
    since = until - timedelta(days=days)
    cap = COUNT_CAP * limits.max_orders
    estimate = orders_between(session, since, until, cap)
    if estimate > limits.max_orders:
        session.rollback()
        counted = min(estimate, cap)
        fitting = _fitting(days, estimate, limits.max_orders)
        raise DryRunTooLarge(days, counted, fitting, more=estimate > cap)
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        milliseconds = max(1, int(limits.timeout_s * 1000))
        session.execute(text(f"SET LOCAL statement_timeout = {milliseconds}"))
    try:
        return dry_run(session, proposed, days=days, now=until, current=current)
    except OperationalError as exc:
        if not postgresql or getattr(exc.orig, "sqlstate", None) != "57014":  # query_canceled
            raise
        session.rollback()
        # The estimate was too low by an unknown factor: offer a quarter of the window.
        raise DryRunTooLarge(days, None, days // 4 or None) from None


def _fitting(days: int, orders: int, limit: int) -> int | None:
    fitting = days * limit // orders
    return fitting if fitting >= 1 else None


def orders_between(session: Session, since: datetime, until: datetime, cap: int) -> int:
    """About how many orders were created in the window: the planner's estimate, or where the
    database has none a count (exact up to ``cap``, ``cap + 1`` beyond it)."""
    if session.get_bind().dialect.name == "postgresql":
        plan = session.execute(
            text(
                "EXPLAIN (FORMAT JSON) SELECT 1 FROM orders "
                "WHERE created_at >= :since AND created_at <= :until"
            ),
            {"since": since, "until": until},
        ).scalar_one()
        parsed = json.loads(plan) if isinstance(plan, str) else plan
        return int(parsed[0]["Plan"]["Plan Rows"])
    window = select(literal(1)).where(Order.created_at >= since, Order.created_at <= until)
    bounded = window.limit(cap + 1).subquery()
    return int(session.scalar(select(func.count()).select_from(bounded)) or 0)

"""SLA breaches and late shipments, from the stage timestamps and the SLA limits given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from metrics.documents import LateShipments
from metrics.spans import STAGE_SPANS
from metrics.sql import Sql
from metrics.window import Scope, Window
from store.models import Order
from store.stages import OPEN_STAGES, Stage


@dataclass(frozen=True, slots=True)
class SlaLimits:
    """How long an order may stay in a stage (the article's defaults); the rules engine owns
    the live policies, the metrics take the limits they are given."""

    pending_review: timedelta = timedelta(hours=4)
    awaiting_pick: timedelta = timedelta(hours=2)
    packed: timedelta = timedelta(hours=12)

    def policies(self) -> dict[str, tuple[Stage, timedelta]]:
        """Policy name → the stage it watches and its limit."""
        return {
            f"{stage.value}_over_{_hours(limit)}h": (stage, limit)
            for stage, limit in (
                (Stage.PENDING_REVIEW, self.pending_review),
                (Stage.AWAITING_PICK, self.awaiting_pick),
                (Stage.PACKED, self.packed),
            )
        }


PAST_SHIP_BY = "past_ship_by"


def _hours(limit: timedelta) -> str:
    hours = limit.total_seconds() / 3600
    return f"{hours:g}"


def open_breaches(sql: Sql, now: datetime, limits: SlaLimits, scope: Scope) -> dict[str, int]:
    """Open orders over their stage's limit at ``now``, and open orders past their ship-by."""
    counted = {
        name: and_(Order.stage == stage.value, Order.stage_entered_at < now - limit)
        for name, (stage, limit) in limits.policies().items()
    }
    counted[PAST_SHIP_BY] = Order.ship_by < now
    open_codes = [stage.value for stage in OPEN_STAGES]
    return _counts(sql, counted, Order.stage.in_(open_codes), *scope.orders())


def window_breaches(sql: Sql, window: Window, limits: SlaLimits, scope: Scope) -> dict[str, int]:
    """Breaches that happened in the window: the order's limit ran out in it while the order
    was still in the stage; a ship-by promise that passed in it with the order not shipped."""
    counted: dict[str, ColumnElement[bool]] = {}
    for name, (stage, limit) in limits.policies().items():
        span = STAGE_SPANS[stage]
        start, end = span.start_at(), span.end_at()
        counted[name] = and_(
            window.shifted(-limit).contains(start),
            or_(end.is_(None), sql.hours(start, end) > limit.total_seconds() / 3600),
        )
    counted[PAST_SHIP_BY] = and_(
        window.contains(Order.ship_by),
        or_(Order.shipped_at.is_(None), Order.shipped_at > Order.ship_by),
        or_(Order.cancelled_at.is_(None), Order.cancelled_at > Order.ship_by),
    )
    return _counts(sql, counted, or_(*counted.values()), *scope.orders())


def _counts(
    sql: Sql, counted: dict[str, ColumnElement[bool]], *where: ColumnElement[bool]
) -> dict[str, int]:
    """How many orders of ``where`` meet each of ``counted``'s conditions, in one statement."""
    query = select(*(func.count().filter(condition) for condition in counted.values()))
    found = sql.session.execute(query.select_from(Order).where(*where)).one()
    return {name: int(n or 0) for name, n in zip(counted, found, strict=True)}


def late_shipments(sql: Sql, window: Window, scope: Scope) -> LateShipments:
    """Orders shipped in the window after their ship-by promise, and their share of the
    orders shipped in the window that had one."""
    shipped = [window.contains(Order.shipped_at), Order.ship_by.isnot(None), *scope.orders()]
    counted = {"promised": true(), "late": Order.shipped_at > Order.ship_by}
    found = _counts(sql, counted, *shipped)
    promised, late = found["promised"], found["late"]
    return LateShipments(count=late, shipped_with_promise=promised, share=share(late, promised))


def share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 6)

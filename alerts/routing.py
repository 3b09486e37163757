"""Routes as the engine reads them: which alerts they take, how they group them, and who is
notified at each escalation level (the on-call receivers outside business hours).

Routes are tried in ``position`` order and the first whose matchers all hold takes the alert;
an alert no route takes is kept (visible, unrouted) and matched again when routes change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from alerts.labels import matches_any
from store.models import Alert, AlertGroup, AlertRoute, Receiver, RouteReceiver

DEFAULT_GROUP_BY = ("kind", "warehouse", "stage")


@dataclass(frozen=True, slots=True)
class ReceiverRef:
    """A receiver as a route names it (its settings are read only when sending)."""

    id: int
    name: str
    kind: str
    lang: str


@dataclass(frozen=True, slots=True)
class BusinessHours:
    days: frozenset[int]
    """ISO weekdays: Monday = 1."""
    start: time
    end: time

    def contain(self, moment: datetime, zone: ZoneInfo) -> bool:
        local = moment.astimezone(zone)
        return local.isoweekday() in self.days and self.start <= local.time() < self.end

    @classmethod
    def parse(cls, data: Mapping[str, object] | None) -> BusinessHours | None:
        if data is None:
            return None
        days = data.get("days", (1, 2, 3, 4, 5))
        assert isinstance(days, list | tuple)
        return cls(
            frozenset(int(d) for d in days),
            time.fromisoformat(str(data.get("start", "09:00"))),
            time.fromisoformat(str(data.get("end", "18:00"))),
        )


@dataclass(frozen=True, slots=True)
class Route:
    id: int
    name: str
    matchers: Mapping[str, frozenset[str]]
    group_by: tuple[str, ...]
    group_wait: timedelta
    group_interval: timedelta
    repeat_interval: timedelta
    escalate_after: timedelta | None
    business_hours: BusinessHours | None
    send_resolved: bool
    levels: tuple[tuple[ReceiverRef, ...], ...]
    on_call: tuple[ReceiverRef, ...]

    def takes(self, labels: Mapping[str, str]) -> bool:
        return matches_any(self.matchers, labels)

    def group_key(self, labels: Mapping[str, str]) -> tuple[str, dict[str, str]]:
        """The key of the group ``labels`` belong to, and the group's own labels."""
        shared = {name: labels.get(name, "") for name in self.group_by}
        return "|".join(f"{k}={v}" for k, v in shared.items())[:255], shared

    def receivers(self, level: int, now: datetime, zone: ZoneInfo) -> tuple[ReceiverRef, ...]:
        """Who is notified at ``level``: outside business hours the on-call receivers stand
        in for the first level."""
        if level >= len(self.levels):
            return ()
        off_hours = self.business_hours is not None and not self.business_hours.contain(now, zone)
        if level == 0 and off_hours and self.on_call:
            return self.on_call
        return self.levels[level]

    def up_to(self, level: int, now: datetime, zone: ZoneInfo) -> list[ReceiverRef]:
        """Everyone notified at levels 0..``level``, once each."""
        seen: dict[int, ReceiverRef] = {}
        for n in range(level + 1):
            seen |= {r.id: r for r in self.receivers(n, now, zone) if r.id not in seen}
        return list(seen.values())

    def can_escalate(self, level: int) -> bool:
        return self.escalate_after is not None and level + 1 < len(self.levels)


def load_routes(session: Session) -> list[Route]:
    """Every route in matching order, with its receivers."""
    # Only what a route names: every tick loads the routes, and never opens the settings.
    names = select(Receiver.id, Receiver.name, Receiver.kind, Receiver.lang)
    refs = {row.id: ReceiverRef(*row) for row in session.execute(names)}
    tiers: dict[tuple[int, bool, int], list[ReceiverRef]] = defaultdict(list)
    for link in session.scalars(select(RouteReceiver).order_by(RouteReceiver.receiver_id)):
        tiers[(link.route_id, link.on_call, link.level)].append(refs[link.receiver_id])
    rows = session.scalars(select(AlertRoute).order_by(AlertRoute.position, AlertRoute.id))
    return [_route(row, tiers) for row in rows]


def _route(row: AlertRoute, tiers: Mapping[tuple[int, bool, int], Sequence[ReceiverRef]]) -> Route:
    levels: list[tuple[ReceiverRef, ...]] = []
    while (found := tiers.get((row.id, False, len(levels)))) is not None:
        levels.append(tuple(found))
    return Route(
        id=row.id,
        name=row.name,
        matchers={k: frozenset(str(v) for v in vs) for k, vs in row.matchers.items()},
        group_by=tuple(row.group_by) or DEFAULT_GROUP_BY,
        group_wait=timedelta(seconds=row.group_wait_s),
        group_interval=timedelta(seconds=row.group_interval_s),
        repeat_interval=timedelta(seconds=row.repeat_interval_s),
        escalate_after=(
            timedelta(seconds=row.escalate_after_s) if row.escalate_after_s is not None else None
        ),
        business_hours=BusinessHours.parse(row.business_hours),
        send_resolved=row.send_resolved,
        levels=tuple(levels),
        on_call=tuple(tiers.get((row.id, True, 0), ())),
    )


def first_route(routes: Sequence[Route], labels: Mapping[str, str]) -> Route | None:
    return next((route for route in routes if route.takes(labels)), None)


def reroute_unrouted(session: Session) -> int:
    """Have the engine match open alerts that no route took against the routes again (after
    the routes changed); returns how many."""
    query = (
        update(Alert)
        .where(Alert.group_id.is_(None), Alert.status != "resolved")
        .values(route_checked_at=None)
    )
    return int(session.execute(query).rowcount)  # type: ignore[attr-defined]


def reroute_orphaned_groups(session: Session) -> int:
    """Have the engine decide at once the open groups whose route is gone (after the routes
    changed), instead of at their next decision time: it routes their alerts again. Returns
    how many."""
    query = (
        update(AlertGroup)
        .where(AlertGroup.state == "firing", AlertGroup.route_id.is_(None))
        .values(next_flush_at=AlertGroup.created_at)  # due for any engine clock since
    )
    return int(session.execute(query).rowcount)  # type: ignore[attr-defined]

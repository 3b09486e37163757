"""Dispatch: every alert not yet matched goes to the first route that takes it and into that
route's open group for its group key (a new group waits ``group_wait`` before its first
notification, so the alerts that become due together go out together)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.labels import labels_of
from alerts.routing import Route, first_route
from store.models import Alert, AlertGroup

BATCH = 5000


def route_alerts(session: Session, routes: Sequence[Route], now: datetime) -> int:
    """File the alerts no route has seen yet into groups; returns how many it matched (at
    most ``BATCH``; the rest wait for the next call)."""
    pending = list(
        session.scalars(
            select(Alert).where(Alert.route_checked_at.is_(None)).order_by(Alert.id).limit(BATCH)
        )
    )
    placed: list[tuple[Alert, Route, str, dict[str, str]]] = []
    for alert in pending:
        alert.route_checked_at = now
        labels = labels_of(alert)
        route = first_route(routes, labels) if alert.status != "resolved" else None
        if route is not None:
            placed.append((alert, route, *route.group_key(labels)))
    groups = _open_groups(session, {(route.id, key) for _a, route, key, _l in placed})
    groups |= _new_groups(session, placed, groups, now)
    for alert, route, key, _shared in placed:
        alert.group_id = groups[(route.id, key)].id
    return len(pending)


def _new_groups(
    session: Session,
    placed: list[tuple[Alert, Route, str, dict[str, str]]],
    existing: dict[tuple[int, str], AlertGroup],
    now: datetime,
) -> dict[tuple[int, str], AlertGroup]:
    """The groups ``placed`` alerts need that are not open yet, written with one flush (a
    flush per group was a round trip per alert when every order is a group of its own)."""
    fresh: dict[tuple[int, str], AlertGroup] = {}
    for _alert, route, key, shared in placed:
        if (route.id, key) not in existing and (route.id, key) not in fresh:
            fresh[(route.id, key)] = AlertGroup(route_id=route.id, group_key=key, labels=shared,
                                                created_at=now,
                                                next_flush_at=now + route.group_wait)  # fmt: skip
    if fresh:
        session.add_all(fresh.values())
        session.flush()
    return fresh


def _open_groups(session: Session, keys: set[tuple[int, str]]) -> dict[tuple[int, str], AlertGroup]:
    if not keys:
        return {}
    query = select(AlertGroup).where(
        AlertGroup.state == "firing",
        AlertGroup.route_id.in_({route for route, _key in keys}),
        AlertGroup.group_key.in_({key for _route, key in keys}),
    )
    return {(g.route_id, g.group_key): g for g in session.scalars(query) if g.route_id is not None}

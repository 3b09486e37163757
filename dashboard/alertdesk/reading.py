"""What the alerts page reads of the store, through ``alerts.views`` only, and the filters of
its group list (kept in the URL like the workbench's)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from alerts import views
from alerts.labels import GROUP_LABELS, SEVERITY_RANK
from alerts.views import AlertView, GroupView
from store.models import utcnow

GROUP_STATES = ("firing", "acknowledged", "resolved")
"""How a group stands for the person on call: told and waiting for someone, someone is on
it, over."""
OPEN_STATES = ("firing", "acknowledged")
FILTERS = ("state", "kind", "severity", "channel", "warehouse")
"""The group list's filters, in the order the filter bar shows them and the URL keeps them."""
RECENT_RESOLVED = 100
"""Resolved groups listed beside the open ones."""
OPEN_LIMIT = 500
ITEMS = 10_000
"""Every member of a group, so a filter on a label finds a group by any of its alerts."""

Filters = dict[str, list[str]]


@dataclass(frozen=True, slots=True)
class RouteFacts:
    levels: int
    escalate_after_s: int | None


@dataclass(frozen=True, slots=True)
class Overview:
    """The alerts page's list view, read in one session at ``now``."""

    now: datetime
    groups: list[GroupView]
    """Most urgent first (``urgency``): the open ones, then the most recent resolved."""
    unrouted: list[AlertView]
    routes: dict[str, RouteFacts]
    silences: int
    outbox_depth: int
    dead_letters: int

    def counts(self) -> Counter[str]:
        return Counter(group_state(group) for group in self.groups)


def read_overview(sessions: sessionmaker[Session]) -> Overview:
    now = utcnow()
    with sessions() as session:
        found = views.groups(session, state="open", limit=OPEN_LIMIT, items=ITEMS)
        found += views.groups(session, state="resolved", limit=RECENT_RESOLVED, items=ITEMS)
        return Overview(
            now=now,
            groups=sorted(found, key=urgency),
            unrouted=views.unrouted(session),
            routes=route_facts(session),
            silences=sum(1 for s in views.silences(session, now) if s.active),
            outbox_depth=views.outbox_depth(session),
            dead_letters=views.dead_letters(session),
        )


def route_facts(session: Session) -> dict[str, RouteFacts]:
    return {
        route["name"]: RouteFacts(len(route["levels"]), route["escalate_after"])
        for route in views.routes(session)
    }


def read_group(
    sessions: sessionmaker[Session], group_id: int
) -> tuple[GroupView, dict[str, RouteFacts], datetime]:
    """One group with its members and delivery log (``NotFound`` when there is none)."""
    now = utcnow()
    with sessions() as session:
        return views.group(session, group_id, items=ITEMS), route_facts(session), now


def urgency(group: GroupView) -> tuple[int, int, float, int]:
    """Sort key, most urgent first: nobody on it before acknowledged before resolved, then
    critical before warning, then the longest-standing (resolved: the most recent)."""
    state = GROUP_STATES.index(group_state(group))
    worst = group.severity or max(
        (a.severity for a in group.alerts), key=lambda s: SEVERITY_RANK.get(s, 0), default="info"
    )
    since = min((a.opened_at for a in group.alerts), default=group.created_at).timestamp()
    return (state, -SEVERITY_RANK.get(worst, 0), -since if state == 2 else since, group.id)


def group_state(group: GroupView) -> str:
    if group.state == "resolved":
        return "resolved"
    return "acknowledged" if group.acknowledged_at is not None else "firing"


def escalates_at(group: GroupView, routes: Mapping[str, RouteFacts]) -> datetime | None:
    """When the next level is told if nobody acknowledges first; None when it will not be."""
    route = routes.get(group.route or "")
    if group_state(group) != "firing" or route is None or group.level_since is None:
        return None
    if route.escalate_after_s is None or group.escalation_level + 1 >= route.levels:
        return None
    return group.level_since + timedelta(seconds=route.escalate_after_s)


def facets(group: GroupView) -> dict[str, set[str]]:
    """Every value each label has in the group: its own labels and its members'."""
    found: dict[str, set[str]] = {label: set() for label in GROUP_LABELS}
    for name, value in group.labels.items():
        found.setdefault(name, set()).add(str(value))
    for alert in group.alerts:
        for name, value in {**alert.labels, "kind": alert.kind}.items():
            found.setdefault(name, set()).add(str(value))
        if alert.status != "resolved" or group.state == "resolved":
            found["severity"].add(alert.severity)
    return found


def matches(group: GroupView, filters: Filters) -> bool:
    """Whether the group passes every filter: its state is one chosen, and for each label
    filtered on, one of its alerts has a chosen value."""
    states = filters.get("state") or list(GROUP_STATES)
    if group_state(group) not in states:
        return False
    found = facets(group)
    return all(
        not filters.get(name) or found.get(name, set()) & set(filters[name])
        for name in FILTERS
        if name != "state"
    )


def from_query(query: Mapping[str, Any]) -> tuple[Filters, int | None, str]:
    """The filters, the open group and the tab a URL names (``?state=firing&group=12``)."""
    filters: Filters = {name: _values(query.get(name)) for name in FILTERS}
    if not query.get("state"):
        filters["state"] = list(OPEN_STATES)
    raw = str(query.get("group") or "")
    group = int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else None
    tab = str(query.get("tab") or "groups")
    return filters, group, tab if tab in TABS else "groups"


TABS = ("groups", "silences", "deliveries", "routing")


def to_query(filters: Filters, group: int | None, tab: str) -> str:
    """The URL's query for these choices; the defaults are left out."""
    parts = []
    for name in FILTERS:
        values = filters.get(name) or []
        if name == "state" and sorted(values) == sorted(OPEN_STATES):
            continue
        if values:
            parts.append(f"{name}={','.join(values)}")
    if group is not None:
        parts.append(f"group={group}")
    if tab != "groups":
        parts.append(f"tab={tab}")
    return "?" + "&".join(parts) if parts else ""


def _values(raw: Any) -> list[str]:
    if isinstance(raw, list | tuple):
        raw = ",".join(str(v) for v in raw)
    return [v for v in (part.strip() for part in str(raw or "").split(",")) if v]


def is_filtered(filters: Filters) -> bool:
    """Anything chosen beyond the default (the open groups of every kind)."""
    return to_query(filters, None, "groups") != ""


def choices(groups: Iterable[GroupView], name: str) -> list[str]:
    """The values the groups have for a label, for its filter's options."""
    values: set[str] = set()
    for group in groups:
        values |= facets(group).get(name, set())
    if name == "severity":
        return sorted(values, key=lambda v: -SEVERITY_RANK.get(v, 0))
    return sorted(values)

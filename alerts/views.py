"""What the console and the REST API show of the alerts engine, as typed documents: groups
with their alerts, the delivery log and dead letters, silences, receivers (secrets masked) and
routes. Every function only reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import ConfigDict
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.config import masked, receivers_with_settings, stored_routes
from alerts.labels import labels_of, matches_exactly, worst_first
from alerts.messages import group_message
from alerts.notifiers.templates import TemplateError
from store.documents import Document, IsoTime
from store.errors import NotFound
from store.models import Alert, AlertDelivery, AlertGroup, AlertRoute, Silence, utcnow

GroupState = Literal["open", "resolved", "all"]
_UTC = ZoneInfo("UTC")
"""Headlines name no clock time, so the zone they are composed in does not show."""


class AlertView(Document):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    severity: str
    status: str
    title: str
    labels: dict[str, Any]
    details: dict[str, Any]
    opened_at: IsoTime
    notified_at: IsoTime | None
    muted_by: str | None
    """``silence:ID`` or ``inhibited:ALERT_ID`` when the last notification left it out."""
    resolved_at: IsoTime | None


class DeliveryView(Document):
    model_config = ConfigDict(from_attributes=True)

    id: int
    group_id: int | None
    receiver: str
    kind: str
    event: str
    """firing, update, repeat, escalation, resolved or test."""
    status: str
    """pending, sent or dead."""
    idempotency_key: str
    title: str
    attempts: int
    failures: int
    next_attempt_at: IsoTime
    provider_status: int | None
    provider_code: str | None
    provider_answer: str | None
    created_at: IsoTime
    sent_at: IsoTime | None
    latency_s: float | None

    @classmethod
    def of(cls, row: AlertDelivery) -> DeliveryView:
        return cls.model_validate(
            {
                **{name: getattr(row, name) for name in cls.model_fields if hasattr(row, name)},
                "receiver": row.target,
                "kind": row.notifier,
                "title": str(row.payload.get("title", "")),
            }
        )


class GroupView(Document):
    id: int
    route: str | None
    group_key: str
    labels: dict[str, Any]
    state: str
    open_alerts: int
    severity: str | None
    """The worst severity among its open alerts."""
    summary: dict[str, str]
    """``zh`` and ``en``: the headline its message gives ("37 单在 SH-01 待拣货 超过 2 小时")."""
    created_at: IsoTime
    first_notified_at: IsoTime | None
    last_notified_at: IsoTime | None
    escalation_level: int
    """0 for the route's first level."""
    level_since: IsoTime | None
    """When the current level was first told: escalation is due ``escalate_after`` later."""
    acknowledged_by: str | None
    acknowledged_at: IsoTime | None
    resolved_at: IsoTime | None
    alerts: list[AlertView]
    """Worst first; the open ones (all of them for a resolved group), at most ``items``."""
    deliveries: list[DeliveryView] | None = None
    """The delivery log, newest first (in the detail of one group)."""


class SilenceView(Document):
    id: int
    matchers: dict[str, Any]
    starts_at: IsoTime
    ends_at: IsoTime
    author: str
    reason: str
    active: bool

    @classmethod
    def of(cls, silence: Silence, now: datetime) -> SilenceView:
        return cls(
            id=silence.id,
            matchers=silence.matchers,
            starts_at=silence.starts_at,
            ends_at=silence.ends_at,
            author=silence.author,
            reason=silence.reason,
            active=silence.starts_at <= now < silence.ends_at,
        )


def groups(
    session: Session, *, state: GroupState = "open", limit: int = 100, items: int = 20
) -> list[GroupView]:
    """Alert groups, newest first, each with its worst alerts."""
    query = select(AlertGroup).order_by(AlertGroup.created_at.desc(), AlertGroup.id.desc())
    if state != "all":
        query = query.where(AlertGroup.state == ("firing" if state == "open" else "resolved"))
    rows = list(session.scalars(query.limit(limit)))
    return _views(session, rows, items)


def group(session: Session, group_id: int, *, items: int = 200) -> GroupView:
    """One group with its alerts and its delivery log."""
    row = session.get(AlertGroup, group_id)
    if row is None:
        raise NotFound("alert_group", f"no alert group #{group_id}")
    (view,) = _views(session, [row], items)
    log = session.scalars(
        select(AlertDelivery)
        .where(AlertDelivery.group_id == group_id)
        .order_by(AlertDelivery.id.desc())
    )
    return view.model_copy(update={"deliveries": [DeliveryView.of(d) for d in log]})


def _views(session: Session, rows: list[AlertGroup], items: int) -> list[GroupView]:
    ids = [row.id for row in rows]
    routes = {rid: name for rid, name in session.execute(select(AlertRoute.id, AlertRoute.name))}
    members: dict[int, list[Alert]] = defaultdict(list)
    for alert in session.scalars(select(Alert).where(Alert.group_id.in_(ids))):
        if alert.group_id is not None:
            members[alert.group_id].append(alert)
    views = []
    for row in rows:
        every = sorted(members[row.id], key=worst_first)
        opened = [a for a in every if a.status != "resolved"]
        shown = opened if row.state == "firing" else every
        views.append(
            GroupView(
                id=row.id,
                route=routes.get(row.route_id) if row.route_id is not None else None,
                group_key=row.group_key,
                labels=row.labels,
                state=row.state,
                open_alerts=len(opened),
                severity=opened[0].severity if opened else None,
                summary=headline(shown),
                created_at=row.created_at,
                first_notified_at=row.first_notified_at,
                last_notified_at=row.last_notified_at,
                escalation_level=row.escalation_level,
                level_since=row.level_since,
                acknowledged_by=row.acknowledged_by,
                acknowledged_at=row.acknowledged_at,
                resolved_at=row.resolved_at,
                alerts=[AlertView.model_validate(a) for a in shown[:items]],
            )
        )
    return views


def headline(alerts: list[Alert]) -> dict[str, str]:
    """The title of the message about ``alerts`` (worst first) in each language; the worst
    alert's own title for a kind without a message template."""
    if not alerts:
        return {"zh": "", "en": ""}
    titles = {}
    for lang in ("zh", "en"):
        try:
            message = group_message(
                alerts, idempotency_key="view", lang=lang, now=utcnow(), zone=_UTC, url=None
            )
            titles[lang] = message.title
        except TemplateError:
            titles[lang] = alerts[0].title
    return titles


def unrouted(session: Session, *, limit: int = 200) -> list[AlertView]:
    """Open alerts in no group: no route takes them (or the engine has not routed them yet),
    so nobody is told. Worst first."""
    query = select(Alert).where(Alert.group_id.is_(None), Alert.status != "resolved")
    found = sorted(session.scalars(query), key=worst_first)
    return [AlertView.model_validate(alert) for alert in found[:limit]]


def open_matching(session: Session, matchers: Sequence[Mapping[str, str]]) -> list[list[AlertView]]:
    """For each set of silence matchers, the open alerts whose labels equal them (worst
    first): what a silence would mute, before it is made."""
    query = select(Alert).where(Alert.status != "resolved")
    alerts = sorted(session.scalars(query), key=worst_first)
    labelled = [(alert, labels_of(alert)) for alert in alerts]
    return [
        [AlertView.model_validate(a) for a, labels in labelled if matches_exactly(m, labels)]
        if m
        else []
        for m in matchers
    ]


def deliveries(
    session: Session, *, status: str | None = None, limit: int = 100
) -> list[DeliveryView]:
    """The delivery log, newest first; ``status="dead"`` lists the dead letters."""
    query = select(AlertDelivery).order_by(AlertDelivery.id.desc()).limit(limit)
    if status is not None:
        query = query.where(AlertDelivery.status == status)
    return [DeliveryView.of(row) for row in session.scalars(query)]


def silences(session: Session, now: datetime, *, include_ended: bool = False) -> list[SilenceView]:
    query = select(Silence).order_by(Silence.ends_at.desc(), Silence.id.desc())
    if not include_ended:
        query = query.where(Silence.ends_at > now)
    return [SilenceView.of(silence, now) for silence in session.scalars(query)]


def receivers(session: Session) -> list[dict[str, Any]]:
    """Every receiver with its settings' secrets masked."""
    return [masked(r) for r in receivers_with_settings(session)]


def routes(session: Session) -> list[dict[str, Any]]:
    """Every route in matching order, in the form ``orderwatch apply`` reads."""
    return [route.model_dump(mode="json") for route in stored_routes(session)]


def outbox_depth(session: Session) -> int:
    query = select(func.count()).where(AlertDelivery.status == "pending")
    return int(session.scalar(query) or 0)


def dead_letters(session: Session) -> int:
    """How many deliveries are parked as dead, waiting for someone to re-send them."""
    query = select(func.count()).where(AlertDelivery.status == "dead")
    return int(session.scalar(query) or 0)

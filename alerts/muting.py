"""Silences and inhibitions: which open alerts a notification leaves out, and why.

A silence (set by a person, with an end time and a reason) mutes the alerts whose labels equal
its matchers. An inhibition (the table below, one place to read them) mutes alerts that another
firing alert makes redundant: a channel outage mutes that channel's per-order alerts (they are
its consequence), and within a group a critical alert mutes the warnings beside it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from alerts.labels import GROUP_LABELS, AlertFacts, labels_of, matches_exactly
from store.audit import write_audit
from store.errors import Conflict, InvalidInput, NotFound
from store.models import Alert, AlertGroup, Silence

CHANNEL_OUTAGES = frozenset({"channel_stale", "channel_failing"})
PER_ORDER_KINDS = frozenset({"sla_breach", "orders_quarantined"})


@dataclass(frozen=True, slots=True)
class Inhibition:
    name: str
    source: Mapping[str, frozenset[str]]
    target: Mapping[str, frozenset[str]]
    equal: tuple[str, ...]
    """Labels source and target must share; empty: the same group."""


INHIBITIONS = (
    Inhibition(
        "channel_outage",
        source={"kind": CHANNEL_OUTAGES},
        target={"kind": PER_ORDER_KINDS},
        equal=("channel",),
    ),
    Inhibition(
        "critical_over_warning",
        source={"severity": frozenset({"critical"})},
        target={"severity": frozenset({"warning"})},
        equal=(),
    ),
)


def _holds(matchers: Mapping[str, frozenset[str]], labels: Mapping[str, str]) -> bool:
    return all(labels.get(name) in values for name, values in matchers.items())


def _sources(
    rule: Inhibition, candidates: Sequence[tuple[dict[str, str], int]]
) -> dict[tuple[str | None, ...], list[int]]:
    """The ids of the alerts that inhibit under ``rule``, by their ``equal`` labels' values.
    Found once per group: looking for sources among the whole group again for each member
    was quadratic (16 s for a group of 1,000 on a busy machine)."""
    found: dict[tuple[str | None, ...], list[int]] = defaultdict(list)
    for source, source_id in candidates:
        if _holds(rule.source, source):
            found[tuple(source.get(name) for name in rule.equal)].append(source_id)
    return found


class Muter:
    """Decides, for the members of one group at a time, which are muted and by what."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.silences = active_silences(session, now)
        # Inhibitions across groups need the sources from everywhere, found once for all the
        # groups decided; within a group (``equal`` empty) the group's own members are the
        # sources.
        wide = [rule for rule in INHIBITIONS if rule.equal]
        kinds = set().union(*(rule.source.get("kind", frozenset()) for rule in wide))
        query = select(Alert).where(Alert.status != "resolved", Alert.kind.in_(sorted(kinds)))
        found = [(labels_of(alert), alert.id) for alert in session.scalars(query)]
        self.wide = {rule.name: _sources(rule, found) for rule in wide}

    def reasons(self, members: Sequence[AlertFacts]) -> dict[int, str]:
        """``alert id -> inhibited:SOURCE_ID | silence:ID`` for every muted member."""
        labelled = [(alert, labels_of(alert)) for alert in members]
        own = [(labels, alert.id) for alert, labels in labelled]
        sources = [self.wide[r.name] if r.equal else _sources(r, own) for r in INHIBITIONS]
        if not self.silences and not any(sources):
            return {}  # nothing can mute: the usual case, and a large group's cost was here
        muted: dict[int, str] = {}
        for alert, labels in labelled:
            reason = self._inhibited(alert, labels, sources) or self._silenced(labels)
            if reason is not None:
                muted[alert.id] = reason
        return muted

    def _inhibited(
        self,
        alert: AlertFacts,
        labels: Mapping[str, str],
        sources: list[dict[tuple[str | None, ...], list[int]]],
    ) -> str | None:
        for rule, by_equal in zip(INHIBITIONS, sources, strict=True):
            if not _holds(rule.target, labels):
                continue
            ids = by_equal.get(tuple(labels.get(name) for name in rule.equal), [])
            source_id = next((i for i in ids if i != alert.id), None)
            if source_id is not None:
                return f"inhibited:{source_id}"
        return None

    def _silenced(self, labels: Mapping[str, str]) -> str | None:
        found = next((s for s in self.silences if matches_exactly(s.matchers, labels)), None)
        return None if found is None else f"silence:{found.id}"


def active_silences(session: Session, now: datetime) -> list[Silence]:
    query = select(Silence).where(Silence.starts_at <= now, Silence.ends_at > now)
    return list(session.scalars(query.order_by(Silence.id)))


def create_silence(
    session: Session,
    *,
    matchers: Mapping[str, str],
    ends_at: datetime,
    author: str,
    reason: str,
    now: datetime,
    starts_at: datetime | None = None,
) -> Silence:
    """Mute the alerts whose labels equal ``matchers`` until ``ends_at`` (audited)."""
    unknown = sorted(set(matchers) - set(GROUP_LABELS))
    if not matchers or unknown:
        known = ", ".join(GROUP_LABELS)
        raise InvalidInput(f"a silence needs matchers on known labels ({known}); got {unknown}")
    start = starts_at or now
    if ends_at <= max(start, now):
        raise InvalidInput("a silence must end after it starts and after now")
    if not reason.strip() or not author.strip():
        raise InvalidInput("a silence needs an author and a reason")
    silence = Silence(
        matchers=dict(matchers), starts_at=start, ends_at=ends_at, author=author, reason=reason
    )
    session.add(silence)
    session.flush()
    _audit(session, silence, author, "alert_silence.created")
    return silence


def expire_silence(session: Session, silence_id: int, *, author: str, now: datetime) -> Silence:
    """End a silence now; the alerts it muted are notified at their groups' next decision,
    which is brought forward to now."""
    silence = session.get(Silence, silence_id)
    if silence is None:
        raise NotFound("silence", f"no silence #{silence_id}")
    if silence.ends_at <= now:
        raise Conflict(f"silence #{silence_id} has ended already")
    silence.ends_at = max(now, silence.starts_at + timedelta(microseconds=1))
    _audit(session, silence, author, "alert_silence.expired")
    reconsider_groups(session, now)
    return silence


def reconsider_groups(session: Session, now: datetime) -> None:
    """Bring every open group's next decision forward to ``now`` (a silence ended)."""
    session.execute(
        update(AlertGroup)
        .where(AlertGroup.state == "firing", AlertGroup.next_flush_at > now)
        .values(next_flush_at=now)
    )


def _audit(session: Session, silence: Silence, author: str, action: str) -> None:
    write_audit(
        session,
        actor=author,
        action=action,
        entity_type="alert_silence",
        entity_id=str(silence.id),
        after={
            "matchers": silence.matchers,
            "starts_at": silence.starts_at.isoformat(),
            "ends_at": silence.ends_at.isoformat(),
            "reason": silence.reason,
        },
    )

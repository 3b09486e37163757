"""Receivers and routes as configuration: the ``[alerts]`` section of ``orderwatch apply``.

```toml
[[alerts.receivers]]
name = "floor-robot"
kind = "dingtalk"                       # a provider of alerts.notifiers.providers
lang = "zh"
settings = { access_token = "…", secret = "SEC…" }

[[alerts.routes]]
name = "pick-sla"
match = { kind = ["sla_breach"], stage = ["awaiting_pick"] }
group_by = ["kind", "warehouse", "stage"]
group_wait = "30s"
group_interval = "5m"
repeat_interval = "4h"
escalate_after = "15m"
levels = [["floor-robot"], ["manager-sms"]]   # level 0 first
on_call = ["oncall-sms"]                      # stands in for level 0 outside business hours
business_hours = { days = [1, 2, 3, 4, 5], start = "09:00", end = "18:00" }
```

Receiver settings are validated by their provider's model (E.164 phone numbers, known template
parameters, signing secrets), routes by the label names the engine knows and the receivers
there are. ``receivers`` and ``routes``, when present, are each the complete set: what they
leave out is removed. Secrets are stored for the deliverers and never printed: ``masked`` shows
them as ``**********``, and a setting given as ``**********`` (what ``export-config`` writes)
keeps the value the receiver has.

``apply_file`` is ``orderwatch apply``: the whole file (channels, users, rules and alerts) is
checked first, every problem reported as ``file:line: key: problem``, and nothing is written
unless there is none; then everything is written in the caller's one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import ScalarResult, delete, select
from sqlalchemy.orm import Session, undefer

from alerts.labels import GROUP_LABELS, KINDS, MATCH_LABELS
from alerts.notifiers.providers import PROVIDERS
from alerts.routing import DEFAULT_GROUP_BY, reroute_orphaned_groups, reroute_unrouted
from rules.config import (
    ApplyReport,
    ConfigError,
    apply_checked,
    config_problems,
    describe_errors,
    format_where,
    line_of,
    read_config,
)
from rules.definitions import Name
from store.audit import write_audit
from store.models import SEVERITIES, AlertRoute, Receiver, RouteReceiver
from store.stages import Stage

MASK = "**********"
"""How a secret shows (pydantic's ``SecretStr`` in JSON); given back, it keeps the secret."""
_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(value: Any) -> Any:
    """``"30s"``, ``"5m"``, ``"4h"``, ``"1d"`` or a number of seconds."""
    if isinstance(value, str):
        found = _DURATION.match(value)
        if found is None:
            raise ValueError(f"{value!r} is not a duration such as 30s, 5m, 4h or 1d")
        return int(found.group(1)) * _UNIT_S[found.group(2)]
    return value


Duration = Annotated[int, BeforeValidator(seconds), Field(ge=0, le=30 * 86400)]
Interval = Annotated[int, BeforeValidator(seconds), Field(gt=0, le=30 * 86400)]
MatchLabel = Literal["kind", "severity", "channel", "warehouse", "stage"]
GroupLabel = Literal[
    "kind", "severity", "channel", "warehouse", "stage", "sku", "order_no", "deadline"
]
KNOWN_VALUES: dict[str, tuple[str, ...]] = {
    "kind": KINDS,
    "severity": SEVERITIES,
    "stage": tuple(stage.value for stage in Stage),
}
assert set(get_args(MatchLabel)) == set(MATCH_LABELS)
assert set(get_args(GroupLabel)) == set(GROUP_LABELS)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReceiverConfig(_Strict):
    name: Name
    kind: str
    lang: Literal["zh", "en"] = "zh"
    rate_limit_per_min: Annotated[int, Field(gt=0, le=10_000)] | None = None
    enabled: bool = True
    settings: dict[str, Any] = Field(default_factory=dict)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in PROVIDERS:
            raise ValueError(f"unknown receiver kind {value!r} (known: {', '.join(PROVIDERS)})")
        return value


class BusinessHoursConfig(_Strict):
    days: tuple[Annotated[int, Field(ge=1, le=7)], ...] = (1, 2, 3, 4, 5)
    """ISO weekdays, Monday = 1."""
    start: time = time(9)
    end: time = time(18)

    @model_validator(mode="after")
    def _ends_after_start(self) -> BusinessHoursConfig:
        if self.end <= self.start:
            raise ValueError("end must be after start (business hours within one day)")
        return self


class RouteConfig(_Strict):
    name: Name
    match: dict[MatchLabel, tuple[str, ...]] = Field(default_factory=dict)
    group_by: tuple[GroupLabel, ...] = DEFAULT_GROUP_BY  # type: ignore[assignment]
    group_wait: Duration = 30
    group_interval: Interval = 300
    repeat_interval: Interval = 4 * 3600
    escalate_after: Interval | None = None
    levels: tuple[tuple[Name, ...], ...] = Field(min_length=1)
    """Receivers per escalation level, level 0 first."""
    on_call: tuple[Name, ...] = ()
    business_hours: BusinessHoursConfig | None = None
    send_resolved: bool = True

    @field_validator("match", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("match")
    @classmethod
    def _known_values(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for label, accepted in value.items():
            known = KNOWN_VALUES.get(label)
            unknown = sorted(set(accepted) - set(known)) if known else []
            if unknown:
                raise ValueError(
                    f"{label}: unknown {', '.join(unknown)} (known: {', '.join(known or ())})"
                )
        return value

    @field_validator("levels")
    @classmethod
    def _levels_named(cls, value: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
        if any(not level for level in value):
            raise ValueError("every escalation level names at least one receiver")
        return value

    def receiver_names(self) -> set[str]:
        return {name for level in self.levels for name in level} | set(self.on_call)


class AlertsSection(_Strict):
    """``receivers`` and ``routes``: each, when present, the complete set of its kind."""

    receivers: tuple[ReceiverConfig, ...] | None = None
    routes: tuple[RouteConfig, ...] | None = None


def problems(
    section: AlertsSection, *, known_receivers: set[str]
) -> Iterator[tuple[tuple[Any, ...], str]]:
    """``(location, problem)`` for what the models alone cannot see: provider settings, names
    used twice, routes naming receivers that do not exist."""
    for index, receiver in enumerate(section.receivers or ()):
        for where, problem in settings_problems(receiver):
            yield ("receivers", index, "settings", *where), problem
    yield from _duplicates("receivers", [r.name for r in section.receivers or ()])
    yield from _duplicates("routes", [r.name for r in section.routes or ()])
    if section.receivers is not None:
        known_receivers = {r.name for r in section.receivers}
    for index, route in enumerate(section.routes or ()):
        missing = sorted(route.receiver_names() - known_receivers)
        if missing:
            yield ("routes", index, "levels"), f"unknown receiver {', '.join(missing)}"
        if route.on_call and route.business_hours is None:
            yield ("routes", index, "on_call"), "on-call receivers need business_hours"
        if route.escalate_after is not None and len(route.levels) < 2:
            yield ("routes", index, "escalate_after"), "escalation needs a second level"


def settings_problems(receiver: ReceiverConfig) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Each problem the provider's model finds with the receiver's settings (never the value:
    it may be a secret)."""
    try:
        PROVIDERS[receiver.kind].model_validate(receiver.settings)
    except ValidationError as error:
        for item in error.errors(include_url=False, include_input=False):
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                message = "unknown key"
            elif item["type"] == "missing":
                message = "is required"
            yield tuple(item["loc"]), message


def _duplicates(section: str, names: list[str]) -> Iterator[tuple[tuple[Any, ...], str]]:
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            yield (section, index, "name"), f"{name!r} is used twice"
        seen.add(name)


def apply_alerts(session: Session, section: AlertsSection, *, author: str) -> list[str]:
    """Make receivers and routes match ``section`` (already checked) in the caller's
    transaction; returns one line per change."""
    routes = section.routes
    if routes is None:  # the routes stay, pointing at the receivers they name
        routes = tuple(stored_routes(session))
    session.execute(delete(RouteReceiver))  # each route's receivers are written anew below
    changes = [_put_receiver(session, r, author) for r in section.receivers or ()]
    stale: list[Receiver | AlertRoute] = list(
        session.scalars(select(AlertRoute).where(AlertRoute.name.not_in({r.name for r in routes})))
    )
    if section.receivers is not None:
        names = {r.name for r in section.receivers}
        stale += session.scalars(select(Receiver).where(Receiver.name.not_in(names)))
    changes += [_remove(session, row, author) for row in stale]
    session.flush()
    ids = {r.name: r.id for r in session.scalars(select(Receiver))}
    for position, route in enumerate(routes):
        changes.append(_put_route(session, route, position, ids, author))
    reroute_unrouted(session)
    reroute_orphaned_groups(session)
    return [change for change in changes if change]


def _stored_routes(session: Session) -> list[tuple[AlertRoute, list[tuple[RouteReceiver, str]]]]:
    links: dict[int, list[tuple[RouteReceiver, str]]] = {}
    query = select(RouteReceiver, Receiver.name).join(
        Receiver, Receiver.id == RouteReceiver.receiver_id
    )
    for link, name in session.execute(query.order_by(RouteReceiver.level, Receiver.name)):
        links.setdefault(link.route_id, []).append((link, name))
    rows = session.scalars(select(AlertRoute).order_by(AlertRoute.position, AlertRoute.id))
    return [(row, links.get(row.id, [])) for row in rows]


def route_config(row: AlertRoute, links: list[tuple[RouteReceiver, str]]) -> RouteConfig:
    """A stored route in the form ``apply`` reads (for export and for listing)."""
    levels: dict[int, list[str]] = {}
    for link, name in links:
        if not link.on_call:
            levels.setdefault(link.level, []).append(name)
    return RouteConfig(
        name=row.name,
        match={k: tuple(v) for k, v in row.matchers.items()},
        group_by=tuple(row.group_by),
        group_wait=row.group_wait_s,
        group_interval=row.group_interval_s,
        repeat_interval=row.repeat_interval_s,
        escalate_after=row.escalate_after_s,
        levels=tuple(tuple(levels[n]) for n in sorted(levels)),
        on_call=tuple(name for link, name in links if link.on_call),
        business_hours=row.business_hours,
        send_resolved=row.send_resolved,
    )


def stored_routes(session: Session) -> list[RouteConfig]:
    return [route_config(row, links) for row, links in _stored_routes(session)]


def _put_receiver(session: Session, wanted: ReceiverConfig, author: str) -> str:
    row = session.scalar(select(Receiver).where(Receiver.name == wanted.name))
    fields = wanted.model_dump(exclude={"name"})
    if row is None:
        session.add(Receiver(name=wanted.name, **fields))
        _audit(session, author, "alert_receiver.created", wanted.name, masked(wanted))
        return f"receiver {wanted.name}: created ({wanted.kind})"
    before = {name: getattr(row, name) for name in fields}
    after = {**fields, "settings": _settings(wanted.kind, fields["settings"])}
    before["settings"] = _settings(row.kind, before["settings"])
    changed = [name for name in fields if before[name] != after[name]]
    if not changed:
        return ""
    for name, value in fields.items():
        setattr(row, name, value)
    _audit(session, author, "alert_receiver.changed", wanted.name, masked(wanted))
    return f"receiver {wanted.name}: changed {', '.join(sorted(changed))}"


def _settings(kind: str, settings: Any) -> Any:
    """Settings as their provider reads them: the same whether its defaults are written out
    (as ``export-config`` writes them) or left out."""
    model = PROVIDERS.get(kind)
    if model is None or not isinstance(settings, dict):
        return settings
    try:
        return model.model_validate(settings).model_dump()
    except ValidationError:
        return settings


def _put_route(
    session: Session, wanted: RouteConfig, position: int, ids: Mapping[str, int], author: str
) -> str:
    row = session.scalar(select(AlertRoute).where(AlertRoute.name == wanted.name))
    fields = {
        "position": position,
        "matchers": {k: list(v) for k, v in wanted.match.items()},
        "group_by": list(wanted.group_by),
        "group_wait_s": wanted.group_wait,
        "group_interval_s": wanted.group_interval,
        "repeat_interval_s": wanted.repeat_interval,
        "escalate_after_s": wanted.escalate_after,
        "business_hours": (
            wanted.business_hours.model_dump(mode="json") if wanted.business_hours else None
        ),
        "send_resolved": wanted.send_resolved,
    }
    if row is None:
        row = AlertRoute(name=wanted.name, **fields)
        session.add(row)
        change = f"route {wanted.name}: created"
    else:
        before = {name: getattr(row, name) for name in fields}
        for name, value in fields.items():
            setattr(row, name, value)
        changed = sorted(name for name in fields if before[name] != fields[name])
        change = f"route {wanted.name}: changed {', '.join(changed)}" if changed else ""
    session.flush()
    for level, names in enumerate(wanted.levels):
        for name in names:
            session.add(
                RouteReceiver(route_id=row.id, on_call=False, level=level, receiver_id=ids[name])
            )
    for name in wanted.on_call:
        session.add(RouteReceiver(route_id=row.id, on_call=True, level=0, receiver_id=ids[name]))
    if change:
        _audit(session, author, "alert_route.changed", wanted.name, wanted.model_dump(mode="json"))
    return change


def _remove(session: Session, row: Receiver | AlertRoute, author: str) -> str:
    kind = "receiver" if isinstance(row, Receiver) else "route"
    session.delete(row)
    session.flush()
    _audit(session, author, f"alert_{kind}.removed", row.name, None)
    return f"{kind} {row.name}: removed"


def _audit(
    session: Session, author: str, action: str, name: str, after: dict[str, Any] | None
) -> None:
    entity = action.split(".")[0]
    write_audit(
        session, actor=author, action=action, entity_type=entity, entity_id=name, after=after
    )


def receivers_with_settings(session: Session) -> ScalarResult[Receiver]:
    """Every receiver by name, with its settings (sealed, deferred) opened in the same query."""
    query = select(Receiver).options(undefer(Receiver.settings)).order_by(Receiver.name)
    return session.scalars(query)


def masked(receiver: ReceiverConfig | Receiver) -> dict[str, Any]:
    """The receiver as it may be shown: its provider's secret fields as ``********``."""
    model = PROVIDERS.get(receiver.kind)
    settings: dict[str, Any] = dict(receiver.settings)
    if model is not None:
        try:
            settings = model.model_validate(receiver.settings).model_dump(mode="json")
        except ValidationError:
            settings = {key: "********" for key in receiver.settings}
    return {
        "name": receiver.name,
        "kind": receiver.kind,
        "lang": receiver.lang,
        "rate_limit_per_min": receiver.rate_limit_per_min,
        "enabled": receiver.enabled,
        "settings": settings,
    }


def apply_file(
    session: Session, path: Path, *, author: str, reason: str | None = None
) -> ApplyReport:
    """``orderwatch apply FILE``: see the module docstring."""
    config, text = read_config(path)
    problems, proposed = config_problems(session, config, path, text)
    section, alert_problems = check_section(session, config.alerts, path, text)
    problems += alert_problems
    if problems:
        raise ConfigError(problems)
    report = apply_checked(session, config, proposed, path, author=author, reason=reason)
    if section is not None:
        report.changes += apply_alerts(session, section, author=author)
    return report


def check_section(
    session: Session, data: dict[str, Any] | None, path: Path, text: str
) -> tuple[AlertsSection | None, list[str]]:
    """The ``[alerts]`` section read and checked, with its problems (file:line: key: problem)."""
    if data is None:
        return None, []
    try:
        section = AlertsSection.model_validate(_unmasked(session, data))
    except ValidationError as error:
        return None, describe_errors(path, text, error, prefix=("alerts",))
    known = set(session.scalars(select(Receiver.name)))
    found = [
        f"{path}:{line_of(text, ('alerts', *where))}: {format_where(('alerts', *where))}: {why}"
        for where, why in problems(section, known_receivers=known)
    ]
    return (None if found else section), found


def _unmasked(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with each masked setting replaced by the stored receiver's value (a masked
    setting of a receiver that has none stays masked, and its provider refuses it)."""
    receivers = data.get("receivers")
    if not isinstance(receivers, list):
        return data
    stored = {r.name: r.settings for r in receivers_with_settings(session)}
    filled = []
    for entry in receivers:
        if isinstance(entry, dict) and isinstance(entry.get("settings"), dict):
            own = stored.get(str(entry.get("name")), {})
            settings = {
                key: own.get(key, value) if value == MASK else value
                for key, value in entry["settings"].items()
            }
            entry = {**entry, "settings": settings}
        filled.append(entry)
    return {**data, "receivers": filled}


def export_section(session: Session) -> dict[str, Any]:
    """The receivers (secrets masked) and routes in the form ``[alerts]`` takes."""
    receivers = [
        {k: v for k, v in masked(r).items() if v is not None}
        for r in receivers_with_settings(session)
    ]
    routes = [route.model_dump(mode="json", exclude_none=True) for route in stored_routes(session)]
    return {"receivers": receivers, "routes": routes}

"""The rules editor's store work, run off the event loop (``run_in_threadpool``): each function
opens its own session and calls ``rules.editing``, as the command line does."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, with_config
from sqlalchemy.orm import Session, sessionmaker
from typing_extensions import TypedDict

from rules.catalog import KINDS
from rules.definitions import RiskRule, WhitelistEntry
from rules.diff import BodyChange
from rules.dry_run import DryRunReport
from rules.dry_run_bounds import DryRunLimits
from rules.editing import (
    RuleEntry,
    Saved,
    check_edit,
    compare_versions,
    dry_run_edit,
    restore_edit,
    rule_in_force,
    rule_versions,
    rules_in_force,
    save_edit,
)
from rules.suggest import suggest_entry, with_entry
from store.channels import channel_names


@dataclass(frozen=True)
class Target:
    """The rule the URL asks for: ``/rules?kind=risk&name=bnpl-high-risk`` (``new=1`` for a new
    rule of the kind; ``suggest_channel`` / ``suggest_payment`` from a flow health finding)."""

    kind: str | None = None
    name: str = ""
    new: bool = False
    suggest_channel: str | None = None
    suggest_payment: str | None = None

    @classmethod
    def from_query(cls, query: dict[str, Any]) -> Target:
        kind = query.get("kind")
        return cls(
            kind=str(kind) if kind in KINDS else None,
            name=str(query.get("name") or ""),
            new=query.get("new") == "1" and kind in KINDS and KINDS[str(kind)][2],
            suggest_channel=query.get("suggest_channel") or None,
            suggest_payment=query.get("suggest_payment") or None,
        )

    def as_data(self) -> dict[str, Any]:
        return dict(vars(self))


@with_config(ConfigDict(extra="forbid"))
class TargetData(TypedDict, total=False):
    """``Target.as_data()`` as the page keeps it: the type its callbacks declare, so a call
    that sends anything else is refused before it runs (``dashboard.callback_guard``)."""

    kind: str | None
    name: str
    new: bool
    suggest_channel: str | None
    suggest_payment: str | None


@dataclass
class Loaded:
    """What the editor shows for one request."""

    entries: list[RuleEntry]
    channels: tuple[str, ...]
    selected: RuleEntry | None = None
    """The rule opened (None: nothing chosen, or it does not exist)."""
    body: dict[str, Any] = field(default_factory=dict)
    """What the form starts with: the rule as in force, a new rule's defaults, or with the
    suggested whitelist entry."""
    versions: list[RuleEntry] = field(default_factory=list)
    suggested: WhitelistEntry | None = None
    missing: bool = False
    """The URL names a rule that is not in force."""


def load(sessions: sessionmaker[Session], target: Target) -> Loaded:
    with sessions() as session:
        entries = rules_in_force(session)
        channels = tuple(channel_names(session))
        loaded = Loaded(entries, channels)
        if target.kind is None:
            return loaded
        if target.new:
            loaded.body = blank(KINDS[target.kind][1])
            return loaded
        selected = rule_in_force(session, target.kind, target.name)
        if selected is None:
            loaded.missing = True
            return loaded
        loaded.selected, loaded.body = selected, dict(selected.body)
        loaded.versions = rule_versions(session, target.kind, target.name)
        wants = target.suggest_channel or target.suggest_payment
        if target.kind == "risk" and wants:
            loaded.suggested = suggest_entry(
                session,
                target.name,
                channel=target.suggest_channel,
                payment_method=target.suggest_payment,
            )
            if loaded.suggested is not None:
                rule = RiskRule.model_validate(selected.body)
                loaded.body = with_entry(rule, loaded.suggested).model_dump(mode="json")
        return loaded


def blank(model: type[BaseModel]) -> dict[str, Any]:
    """A new rule's starting body: the model's defaults, required fields empty."""
    body: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if info.is_required():
            continue
        value = info.get_default(call_default_factory=True)
        body[name] = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    return body


def dry_run(
    sessions: sessionmaker[Session],
    opened: dict[str, Any],
    body: dict[str, Any],
    days: int,
    limits: DryRunLimits,
) -> DryRunReport:
    with sessions() as session:
        try:
            return dry_run_edit(
                session,
                opened["kind"],
                _name(opened, body),
                body,
                days=days,
                new=opened.get("version") is None,
                limits=limits,
            )
        finally:
            session.rollback()  # a dry run writes nothing


def check(sessions: sessionmaker[Session], opened: dict[str, Any], body: dict[str, Any]) -> None:
    """``RuleRejected`` for an edit that cannot be saved; nothing otherwise."""
    with sessions() as session:
        check_edit(
            session,
            opened["kind"],
            _name(opened, body),
            body,
            new=opened.get("version") is None,
        )


def save(
    sessions: sessionmaker[Session],
    opened: dict[str, Any],
    body: dict[str, Any],
    *,
    author: str,
    reason: str,
    zone: ZoneInfo,
) -> Saved:
    with sessions.begin() as session:
        return save_edit(
            session,
            kind=opened["kind"],
            name=_name(opened, body),
            body=body,
            opened_version=opened.get("version"),
            author=author,
            reason=reason,
            zone=zone,
        )


def restore(
    sessions: sessionmaker[Session],
    opened: dict[str, Any],
    version: int,
    *,
    author: str,
    reason: str,
    zone: ZoneInfo,
) -> Saved:
    with sessions.begin() as session:
        return restore_edit(
            session,
            kind=opened["kind"],
            name=opened["name"],
            version=version,
            author=author,
            reason=reason,
            zone=zone,
        )


def compare(
    sessions: sessionmaker[Session], opened: dict[str, Any], older: int, newer: int
) -> list[BodyChange]:
    with sessions() as session:
        return compare_versions(session, opened["kind"], opened["name"], older, newer)


def _name(opened: dict[str, Any], body: dict[str, Any]) -> str:
    """A new rule is named by its form; a saved one keeps the name it was opened with."""
    if opened.get("version") is None:
        return str(body.get("name") or "")
    return str(opened["name"])

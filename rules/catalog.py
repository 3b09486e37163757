"""The rule set in force, read from and written to the store's versioned rule rows.

One row per rule: kind ``risk``, ``risk_whitelist``, ``sla``, ``ship_by``, ``safety_stock``,
and the single rows ``calendar/default`` and ``refund_approval/default``. A kind never saved
uses the built-in defaults (version 0), so a fresh store already behaves like the article.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from rules.defaults import DEFAULT_RULES
from rules.definitions import (
    BusinessCalendar,
    RefundPolicy,
    RiskRule,
    RiskWhitelist,
    RuleSet,
    SafetyStockRule,
    ShipByPromise,
    SlaPolicy,
)
from store.models import Channel
from store.rule_versions import active_rules, save_version, stored_kinds

SINGLE = "default"
"""Name of the one row of the kinds that are a single object (calendar, refund policy)."""

# kind -> (RuleSet field, model, whether the field is a tuple of named rules)
KINDS: dict[str, tuple[str, type[BaseModel], bool]] = {
    "risk": ("risk_rules", RiskRule, True),
    "risk_whitelist": ("whitelists", RiskWhitelist, True),
    "sla": ("sla", SlaPolicy, True),
    "ship_by": ("ship_by", ShipByPromise, True),
    "calendar": ("calendar", BusinessCalendar, False),
    "safety_stock": ("safety_stock", SafetyStockRule, True),
    "refund_approval": ("refund", RefundPolicy, False),
}


@dataclass(frozen=True)
class LoadedRules:
    """A rule set with the stored version of each of its rules (0: built-in default)."""

    rules: RuleSet
    versions: dict[tuple[str, str], int] = field(default_factory=dict)

    def version(self, kind: str, name: str) -> int:
        return self.versions.get((kind, name), 0)


@dataclass(frozen=True, slots=True)
class RuleChange:
    kind: str
    name: str
    change: str
    """``created``, ``changed`` or ``retired``."""
    version: int


def load_rules(session: Session) -> LoadedRules:
    """The rules in force now."""
    stored = stored_kinds(session)
    values: dict[str, Any] = {}
    versions: dict[tuple[str, str], int] = {}
    rows = active_rules(session)
    for kind, (attribute, model, many) in KINDS.items():
        if kind not in stored:
            continue
        mine = [row for row in rows if row.kind == kind]
        versions |= {(kind, row.name): row.version for row in mine}
        parsed = [model.model_validate(row.body) for row in mine]
        if many:
            values[attribute] = tuple(parsed)
        else:
            values[attribute] = parsed[0] if parsed else getattr(DEFAULT_RULES, attribute)
    return LoadedRules(DEFAULT_RULES.model_copy(update=values), versions)


def channel_ids(session: Session) -> dict[str, int]:
    """Every channel's id by name."""
    rows = session.execute(select(Channel.name, Channel.id))
    return {str(name): int(channel_id) for name, channel_id in rows}


def named_items(rules: RuleSet, kind: str) -> dict[str, BaseModel]:
    """The rules of one kind by name."""
    attribute, _model, many = KINDS[kind]
    value = getattr(rules, attribute)
    if not many:
        return {SINGLE: value}
    return {item.name: item for item in value}


def save_rules(
    session: Session,
    proposed: RuleSet,
    *,
    kinds: Iterable[str],
    author: str,
    reason: str | None,
) -> list[RuleChange]:
    """Make ``proposed`` the rule set for ``kinds``: new versions for what differs, retirement
    for rules of those kinds it leaves out. Returns what changed (nothing: an empty list)."""
    current = load_rules(session)
    stored = stored_kinds(session)
    changes: list[RuleChange] = []
    for kind in kinds:
        before = named_items(current.rules, kind)
        after = named_items(proposed, kind)
        for name, item in after.items():
            if kind in stored and before.get(name) == item:
                continue
            body = item.model_dump(mode="json")
            row = save_version(
                session, kind=kind, name=name, body=body, author=author, reason=reason
            )
            if row is not None:
                change = "created" if row.version == 1 else "changed"
                changes.append(RuleChange(kind, name, change, row.version))
        for name in sorted(set(before) - set(after)):
            body = before[name].model_dump(mode="json")
            row = save_version(
                session, kind=kind, name=name, body=body, author=author, reason=reason, active=False
            )
            if row is not None:
                changes.append(RuleChange(kind, name, "retired", row.version))
    return changes


def install_defaults(session: Session, *, author: str = "system") -> list[RuleChange]:
    """Store the built-in defaults of every kind never saved, as version 1 of each rule."""
    missing = [kind for kind in KINDS if kind not in stored_kinds(session)]
    return save_rules(
        session, DEFAULT_RULES, kinds=missing, author=author, reason="built-in default rules"
    )

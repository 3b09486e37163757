"""Changing one rule at a time, as the console's rules editor does.

A rule is edited as the body its model writes (``model_dump(mode="json")``). Before a dry run
or a save, ``check_edit`` puts the edited rule into the rule set in force and checks the whole
set: every problem comes back as a ``FieldProblem`` naming the field within the rule's body
(``("whitelist", 0, "payment_method")``), in English and Chinese, and nothing is written while
there is one. Saving is optimistic: the editor says which version it opened, and a save over a
version someone else has since replaced is refused with who changed it and when
(``ChangedMeanwhile``), so the second of two admins never overwrites the first unseen. A save
or a restore re-reviews held orders and recomputes deadlines in the same transaction, as
``orderwatch apply`` does, so orders the change releases move on at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from rules.catalog import KINDS, SINGLE, LoadedRules, install_defaults, load_rules, named_items
from rules.checks import RuleProblem, check_rule_set
from rules.config import parse_where
from rules.definitions import RuleSet
from rules.diff import BodyChange, Path, body_changes
from rules.dry_run import DryRunReport
from rules.dry_run_bounds import DryRunLimits, bounded_dry_run
from rules.review import ReviewResult, review_paid_orders
from rules.sla import refresh_deadlines
from store.errors import Conflict, InvalidInput, NotFound
from store.models import Channel, Rule, utcnow
from store.rule_versions import history, latest_version, restore_version, save_version

RISK_KINDS = frozenset({"risk", "risk_whitelist"})
"""Kinds whose change re-reviews orders held in 待审核."""
DEADLINE_KINDS = frozenset({"sla", "ship_by", "calendar"})
"""Kinds whose change (or a risk change) recomputes the open orders' deadlines."""
SECTIONS = {
    "risk": "risk.rules",
    "risk_whitelist": "risk.whitelists",
    "sla": "sla.stages",
    "ship_by": "sla.ship_by",
    "calendar": "sla.calendar",
    "safety_stock": "safety_stock",
    "refund_approval": "refund",
}
"""Where each kind lives in the configuration file, the terms ``RuleProblem.where`` uses."""
BUILT_IN = "orderwatch"
"""The author shown for a built-in default never saved (version 0)."""


@dataclass(frozen=True, slots=True)
class RuleEntry:
    """One version of one rule: the one in force, or one from its history."""

    kind: str
    name: str
    version: int
    """0: the built-in default, never saved."""
    author: str
    reason: str | None
    at: datetime | None
    body: dict[str, Any]
    active: bool = True


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One reason an edited rule cannot be saved, and the field it is about."""

    path: Path
    """Within the rule's body; ``()`` for the rule as a whole."""
    message: str
    message_zh: str | None = None
    """None where the problem has a ``code`` the console translates."""
    code: str | None = None
    """The model's error type (``greater_than``, ``amount_range``) for a field's own problem."""
    values: dict[str, str] = field(default_factory=dict)
    """What the message names (``{"gt": "0"}``), for translating by ``code``."""


class RuleRejected(InvalidInput):
    """An edited rule with problems; nothing was written."""

    code = "rule_rejected"

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


class ChangedMeanwhile(Conflict):
    """The rule was saved by someone else after the editor opened it."""

    code = "rule_changed"

    def __init__(self, latest: RuleEntry, opened: int, zone: ZoneInfo) -> None:
        at = f"{latest.at.astimezone(zone):%H:%M}" if latest.at else "?"
        super().__init__(
            f"{latest.kind} rule {latest.name!r} was changed by {latest.author} at {at} since "
            f"you opened it (v{opened} → v{latest.version})"
        )
        self.latest = latest
        self.opened = opened


@dataclass(frozen=True, slots=True)
class Checked:
    """An edited rule that fits the rule set, and the set it would make."""

    item: BaseModel
    proposed: RuleSet
    current: LoadedRules


@dataclass(frozen=True, slots=True)
class Saved:
    kind: str
    name: str
    version: int
    review: ReviewResult | None
    """What re-reviewing the held orders did (risk kinds only)."""


def rules_in_force(session: Session) -> list[RuleEntry]:
    """Every rule in force, kind by kind (in ``KINDS`` order), each with its version."""
    loaded = load_rules(session)
    rows = {
        (row.kind, row.name): row for row in session.scalars(select(Rule).where(Rule.is_active))
    }
    entries = []
    for kind in KINDS:
        for name, item in named_items(loaded.rules, kind).items():
            entries.append(_entry(kind, name, item, rows.get((kind, name))))
    return entries


def rule_in_force(session: Session, kind: str, name: str) -> RuleEntry | None:
    _known_kind(kind)
    return next((e for e in rules_in_force(session) if (e.kind, e.name) == (kind, name)), None)


def _entry(kind: str, name: str, item: BaseModel, row: Rule | None) -> RuleEntry:
    body = item.model_dump(mode="json")
    if row is None:
        return RuleEntry(kind, name, 0, BUILT_IN, None, None, body)
    return RuleEntry(kind, name, row.version, row.author, row.reason, row.created_at, body)


def _known_kind(kind: str) -> None:
    if kind not in KINDS:
        raise NotFound("rule_kind", f"no rule kind {kind!r}; kinds: {', '.join(KINDS)}")


def check_edit(
    session: Session, kind: str, name: str, body: dict[str, Any], *, new: bool = False
) -> Checked:
    """The edited rule ``kind``/``name`` with ``body`` in place of its current version (or
    added, when ``new``), checked alone and within the whole set; ``RuleRejected`` otherwise."""
    _known_kind(kind)
    _attribute, model, many = KINDS[kind]
    try:
        item = model.model_validate(body)
    except ValidationError as exc:
        raise RuleRejected(_field_problems(exc)) from None
    current = load_rules(session)
    existing = named_items(current.rules, kind)
    if many and (problem := _name_problem(kind, name, item, existing, new)):
        raise RuleRejected([problem])
    if not many and name != SINGLE:
        raise NotFound("rule", f"the {kind} rules are one rule named {SINGLE!r}")
    proposed, prefix = _replace(current.rules, kind, name, item)
    known = {str(n) for n in session.scalars(select(Channel.name))}
    before = {p.message for p in check_rule_set(current.rules, known)}
    fields = set(type(item).model_fields)
    problems = [
        _located(p, prefix, fields)
        for p in check_rule_set(proposed, known)
        if p.message not in before  # what the edit causes, not what was there already
    ]
    if problems:
        raise RuleRejected(problems)
    return Checked(item, proposed, current)


def _name_problem(
    kind: str, name: str, item: BaseModel, existing: dict[str, BaseModel], new: bool
) -> FieldProblem | None:
    given = str(getattr(item, "name", ""))
    if new and given in existing:
        return FieldProblem(
            ("name",), f"a {kind} rule named {given!r} exists already", f"已有同名规则 {given!r}"
        )
    if not new and given != name:
        return FieldProblem(
            ("name",),
            f"a rule keeps its name (here {name!r}): to rename it, add a new rule",
            f"规则名称不能修改（此处为 {name!r}）；如需改名，请新增一条规则",
        )
    if not new and name not in existing:
        raise NotFound("rule", f"no {kind} rule named {name!r} in force")
    return None


def _replace(rules: RuleSet, kind: str, name: str, item: BaseModel) -> tuple[RuleSet, str]:
    """``rules`` with ``item`` as rule ``name`` of ``kind``, and where it is in them."""
    attribute, _model, many = KINDS[kind]
    if not many:
        return rules.model_copy(update={attribute: item}), SECTIONS[kind]
    items = list(getattr(rules, attribute))
    index = next((i for i, x in enumerate(items) if x.name == name), len(items))
    items[index : index + 1] = [item]
    return rules.model_copy(update={attribute: tuple(items)}), f"{SECTIONS[kind]}[{index}]"


def _field_problems(exc: ValidationError) -> list[FieldProblem]:
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        context = {k: str(v) for k, v in (error.get("ctx") or {}).items()}
        path: Path = tuple(error["loc"])
        if "field" in context:  # a model's own check names the field it is about
            path = (*path, context.pop("field"))
        message = error["msg"].removeprefix("Value error, ")
        problems.append(FieldProblem(path, message, None, error["type"], context))
    return problems


def _located(problem: RuleProblem, prefix: str, fields: set[str]) -> FieldProblem:
    """A set-wide problem as a problem of the edited rule's field: its own where it is in the
    edited rule; the same field of the edited rule where another rule clashes with it (two
    priorities); the rule as a whole otherwise."""
    where = problem.where
    path: Path
    if where == prefix or where.startswith((f"{prefix}.", f"{prefix}[")):
        path = tuple(parse_where(where[len(prefix) :]))
    else:
        leaf = parse_where(where)[-1:]
        path = leaf if leaf and leaf[0] in fields else ()
    return FieldProblem(path, problem.message, problem.message_zh)


def dry_run_edit(
    session: Session,
    kind: str,
    name: str,
    body: dict[str, Any],
    *,
    days: int,
    new: bool = False,
    limits: DryRunLimits | None = None,
    now: datetime | None = None,
) -> DryRunReport:
    """What saving the edited rule would change over the last ``days`` days; nothing is
    written (``RuleRejected`` or ``DryRunTooLarge`` instead of a report)."""
    checked = check_edit(session, kind, name, body, new=new)
    return bounded_dry_run(
        session,
        checked.proposed,
        days=days,
        limits=limits or DryRunLimits(),
        now=now,
        current=checked.current,
    )


def save_edit(
    session: Session,
    *,
    kind: str,
    name: str,
    body: dict[str, Any],
    opened_version: int | None,
    author: str,
    reason: str,
    zone: ZoneInfo,
) -> Saved:
    """Save the edited rule as its next version. ``opened_version`` is the version the editor
    showed (0: the built-in default; None: a new rule); anything newer in the store refuses the
    save with ``ChangedMeanwhile``."""
    why = _reason(reason)
    _known_kind(kind)
    latest = latest_version(session, kind, name)
    if opened_version is not None:
        _not_changed_since(latest, kind, name, opened_version, zone)
    checked = check_edit(session, kind, name, body, new=opened_version is None)
    if named_items(checked.current.rules, kind).get(name) == checked.item:
        raise InvalidInput(f"{kind} rule {name!r} is unchanged: nothing to save", code="unchanged")
    install_defaults(session)  # a kind never saved is stored whole first, or it would shrink
    try:
        row = save_version(
            session,
            kind=kind,
            name=name,
            body=checked.item.model_dump(mode="json"),
            author=author,
            reason=why,
        )
    except Conflict:  # another save of the version opened won the race
        now = latest_version(session, kind, name)
        _not_changed_since(now, kind, name, opened_version or 0, zone)
        raise
    assert row is not None  # the item differs from the version in force
    return Saved(kind, name, row.version, apply_effects(session, {kind}, zone))


def _reason(reason: str) -> str:
    why = (reason or "").strip()
    if not why:
        raise InvalidInput("a change to a rule needs a reason", code="reason_required")
    return why


def _not_changed_since(
    latest: Rule | None, kind: str, name: str, opened: int, zone: ZoneInfo
) -> None:
    version = latest.version if latest is not None else 0
    if latest is not None and version != opened:
        entry = RuleEntry(
            kind,
            name,
            version,
            latest.author,
            latest.reason,
            latest.created_at,
            dict(latest.body),
            latest.is_active,
        )
        raise ChangedMeanwhile(entry, opened, zone)


def restore_edit(
    session: Session,
    *,
    kind: str,
    name: str,
    version: int,
    author: str,
    reason: str,
    zone: ZoneInfo,
) -> Saved:
    """Put version ``version`` back in force as the next version, once it is checked against
    the rules in force now (a restored rule may clash with what changed since)."""
    why = _reason(reason)
    old = next((e for e in rule_versions(session, kind, name) if e.version == version), None)
    if old is None:
        raise NotFound("rule_version", f"{kind} rule {name!r} has no version {version}")
    check_edit(session, kind, name, old.body, new=rule_in_force(session, kind, name) is None)
    row = restore_version(session, kind=kind, name=name, version=version, author=author, reason=why)
    return Saved(kind, name, row.version, apply_effects(session, {kind}, zone))


def rule_versions(session: Session, kind: str, name: str) -> list[RuleEntry]:
    """Every saved version of one rule, oldest first (none for a default never saved)."""
    _known_kind(kind)
    _attribute, model, _many = KINDS[kind]
    try:
        rows = history(session, kind, name)
    except NotFound:
        return []
    # Bodies as the model writes them today, so fields added since compare as their defaults.
    return [
        RuleEntry(
            kind,
            name,
            row.version,
            row.author,
            row.reason,
            row.created_at,
            model.model_validate(row.body).model_dump(mode="json"),
            row.is_active,
        )
        for row in rows
    ]


def compare_versions(
    session: Session, kind: str, name: str, older: int, newer: int
) -> list[BodyChange]:
    """What changed from version ``older`` to version ``newer``, field by field."""
    bodies = {e.version: e.body for e in rule_versions(session, kind, name)}
    for wanted in (older, newer):
        if wanted not in bodies:
            raise NotFound("rule_version", f"{kind} rule {name!r} has no version {wanted}")
    return body_changes(bodies[older], bodies[newer])


def apply_effects(session: Session, kinds: Iterable[str], zone: ZoneInfo) -> ReviewResult | None:
    """After a rule change: re-review what risk review holds, and recompute the deadlines."""
    changed = set(kinds)
    review = review_paid_orders(session) if changed & RISK_KINDS else None
    if changed & (RISK_KINDS | DEADLINE_KINDS):
        refresh_deadlines(session, load_rules(session), zone=zone, now=utcnow())
    return review

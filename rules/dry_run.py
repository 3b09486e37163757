"""Dry run: what a proposed rule set would change over the last N days, changing nothing.

Both rule sets are compiled to SQL and evaluated side by side in one grouped scan of the
window's orders, so a dry run costs about one pass over them whatever the number of orders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, literal, or_, select, text
from sqlalchemy.orm import Session

from rules.catalog import KINDS, LoadedRules, channel_ids, load_rules, named_items
from rules.compile_sql import BuyerHistory, RiskSql, SlaSql
from rules.definitions import RuleSet
from rules.risk import RiskVerdict
from rules.sla import promise_for
from store.models import Order, utcnow


@dataclass
class ChannelDiff:
    """One channel's orders under the rules in force and under the proposal."""

    channel: str
    orders: int = 0
    held_now: int = 0
    held_proposed: int = 0
    newly_held: int = 0
    released: int = 0
    breaches_now: int = 0
    breaches_proposed: int = 0
    examples_newly_held: list[str] = field(default_factory=list)
    examples_released: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class VerdictShift:
    """Orders of one channel whose deciding rule would change from one to another."""

    channel: str
    now: str
    proposed: str
    orders: int
    examples: tuple[str, ...]


@dataclass
class DryRunReport:
    since: datetime
    until: datetime
    rule_changes: list[str]
    channels: list[ChannelDiff]
    shifts: list[VerdictShift]

    def total(self, attribute: str) -> int:
        return sum(int(getattr(c, attribute)) for c in self.channels)

    def as_dict(self) -> dict[str, Any]:
        totals = (
            "orders",
            "held_now",
            "held_proposed",
            "newly_held",
            "released",
            "breaches_now",
            "breaches_proposed",
        )
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "rule_changes": self.rule_changes,
            "totals": {name: self.total(name) for name in totals},
            "channels": [vars(c) for c in self.channels],
            "shifts": [
                {
                    "channel": s.channel,
                    "now": s.now,
                    "proposed": s.proposed,
                    "orders": s.orders,
                    "examples": list(s.examples),
                }
                for s in self.shifts
            ],
        }


def dry_run(
    session: Session,
    proposed: RuleSet,
    *,
    days: int = 7,
    now: datetime | None = None,
    current: LoadedRules | None = None,
) -> DryRunReport:
    """Compare ``proposed`` with the rules in force over orders created in the last ``days``."""
    until = now or utcnow()
    since = until - timedelta(days=days)
    before = current or load_rules(session)
    after = LoadedRules(proposed, proposed_versions(before, proposed))
    groups = _grouped(session, before, after, channel_ids(session), since, until)
    report = DryRunReport(since, until, describe_changes(before, after), [], [])
    _fill(report, groups, session)
    return report


@dataclass(frozen=True, slots=True)
class _Group:
    """Orders of one channel with the same verdict under both rule sets."""

    channel_id: int
    now: RiskVerdict
    new: RiskVerdict
    orders: int
    breaches_now: int
    breaches_new: int
    examples: tuple[int, ...]
    """Ids of the first and last order of the group."""


def _grouped(
    session: Session,
    before: LoadedRules,
    after: LoadedRules,
    channels: dict[str, int],
    since: datetime,
    until: datetime,
) -> list[_Group]:
    history = BuyerHistory(session)
    risk_now, risk_new = RiskSql(before, channels, history), RiskSql(after, channels, history)
    dialect = session.get_bind().dialect.name
    sla_now = SlaSql(before, channels, _promises(before, channels), dialect=dialect, now=until)
    sla_new = SlaSql(after, channels, _promises(after, channels), dialect=dialect, now=until)
    differences = risk_new.differences(risk_now)
    same_sla = _same(before, after, "sla", "ship_by")
    # Only orders that match a changed rule can change verdict; code ``same`` marks the others.
    same = len(risk_new.verdicts)
    code_new = (
        case((or_(*differences), risk_new.code()), else_=same) if differences else literal(same)
    )
    # Channel and both verdicts as one integer per order: hashing one column is cheaper than
    # three. (Channel ids and verdict counts are small; past int4 the query would fail.)
    now_codes, new_codes = len(risk_now.verdicts), same + 1
    key = ((Order.channel_id * now_codes + risk_now.code()) * new_codes + code_new).label("key")
    breach_now = sla_now.breached().label("breach_now")
    breach_new = breach_now if same_sla else sla_new.breached().label("breach_new")
    inner = (
        select(key, Order.id, breach_now)
        .add_columns(*([] if same_sla else [breach_new]))
        .select_from(history.join(Order.__table__))
        .where(Order.created_at >= since, Order.created_at <= until)
        .subquery("judged")
    )
    breaches_now = func.sum(inner.c.breach_now)
    query = select(
        inner.c.key,
        func.count(),
        breaches_now,
        breaches_now if same_sla else func.sum(inner.c.breach_new),
        func.min(inner.c.id),
        func.max(inner.c.id),
    ).group_by(inner.c.key)
    if dialect == "postgresql":
        _tune_postgresql(session)
    groups = []
    for number, orders, breaches, breaches_new, first, last in session.execute(query):
        codes, new = divmod(number, new_codes)
        channel_id, now = divmod(codes, now_codes)
        groups.append(
            _Group(
                channel_id,
                risk_now.verdicts[now],
                risk_now.verdicts[now] if new == same else risk_new.verdicts[new],
                int(orders),
                int(breaches or 0),
                int(breaches_new or 0),
                (first,) if first == last else (first, last),
            )
        )
    return groups


def _tune_postgresql(session: Session) -> None:
    """Settings for the grouped query, for the rest of the transaction."""
    # A few dozen groups, but the planner cannot know that from CASE expressions; with room
    # for a hash table it aggregates in one pass instead of sorting every order.
    session.execute(text("SET LOCAL work_mem = '64MB'"))
    # Evaluating the rules' expressions is most of a large dry run. Compiled (JIT) the query
    # runs about a tenth faster for 10-20 ms of compiling per process, which pays from about
    # 100k orders in the table (plan cost ~20000), well below the server's default threshold.
    session.execute(text("SET LOCAL jit = on"))
    session.execute(text("SET LOCAL jit_above_cost = 20000"))
    # The backend keeps LLVM loaded afterwards, so its later parallel queries start their
    # workers ~10 ms slower (they load it too), as after any query over the server's own
    # jit_above_cost. Closing the connection instead measured 40 ms more per dry run (a new
    # backend loads LLVM again), so it goes back to the pool.


def _same(before: LoadedRules, after: LoadedRules, *attributes: str) -> bool:
    return all(getattr(before.rules, a) == getattr(after.rules, a) for a in attributes)


def _promises(loaded: LoadedRules, channels: dict[str, int]) -> dict[str, list[int]]:
    kinds: dict[str, list[int]] = {}
    for name, channel_id in channels.items():
        promise = promise_for(loaded.rules, name)
        if promise is not None:
            kinds.setdefault(promise.promise_type, []).append(channel_id)
    return kinds


def _fill(report: DryRunReport, groups: list[_Group], session: Session) -> None:
    names = {v: k for k, v in channel_ids(session).items()}
    ids = [order_id for group in groups for order_id in group.examples]
    query = select(Order.id, Order.order_no).where(Order.id.in_(ids))
    numbers = {int(order_id): str(no) for order_id, no in session.execute(query)}
    diffs: dict[str, ChannelDiff] = {}
    for group in groups:
        name = names.get(group.channel_id, f"#{group.channel_id}")
        diff = diffs.setdefault(name, ChannelDiff(name))
        examples = [numbers[order_id] for order_id in group.examples]
        now, new, count = group.now, group.new, group.orders
        diff.orders += count
        diff.breaches_now += group.breaches_now
        diff.breaches_proposed += group.breaches_new
        diff.held_now += count if now.hold else 0
        diff.held_proposed += count if new.hold else 0
        if new.hold and not now.hold:
            diff.newly_held += count
            diff.examples_newly_held.extend(examples)
        if now.hold and not new.hold:
            diff.released += count
            diff.examples_released.extend(examples)
        if (now.kind, now.name, now.action) != (new.kind, new.name, new.action):
            report.shifts.append(VerdictShift(name, now.label, new.label, count, tuple(examples)))
    report.channels = sorted(diffs.values(), key=lambda d: d.channel)
    report.shifts.sort(key=lambda s: (s.channel, -s.orders))


def proposed_versions(current: LoadedRules, proposed: RuleSet) -> dict[tuple[str, str], int]:
    """The version each proposed rule would get: unchanged ones keep theirs, changed ones the
    next number."""
    versions: dict[tuple[str, str], int] = {}
    for kind in KINDS:
        before = named_items(current.rules, kind)
        for name, item in named_items(proposed, kind).items():
            version = current.version(kind, name)
            versions[(kind, name)] = version if before.get(name) == item else version + 1
    return versions


def describe_changes(current: LoadedRules, proposed: LoadedRules) -> list[str]:
    """One line per rule the proposal adds, changes or removes."""
    lines = []
    for kind in KINDS:
        before = named_items(current.rules, kind)
        after = named_items(proposed.rules, kind)
        for name in sorted(set(before) | set(after)):
            if name not in after:
                lines.append(f"{kind} {name}: removed (was v{current.version(kind, name)})")
            elif name not in before:
                lines.append(f"{kind} {name}: added as v{proposed.version(kind, name)}")
            elif before[name] != after[name]:
                old, new = current.version(kind, name), proposed.version(kind, name)
                lines.append(f"{kind} {name}: changed v{old} → v{new}")
    return lines

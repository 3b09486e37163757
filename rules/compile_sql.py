"""Rules compiled to SQL expressions, so a dry run over millions of orders is one scan.

``RiskSql`` turns a rule set into a ``CASE`` that yields, per order, the index of the deciding
verdict (0: no rule matched); it decides exactly like ``rules.risk.RiskEvaluator``, which the
tests check order by order. ``SlaSql`` turns stage SLA policies into "was this order over its
stage limit" flags. Both are SQLAlchemy Core and mean the same on PostgreSQL and SQLite.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import (
    Float,
    Interval,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import QueryableAttribute, Session, aliased
from sqlalchemy.sql import FromClause, Select
from sqlalchemy.sql.elements import ColumnElement

from rules.catalog import LoadedRules
from rules.definitions import RiskConditions, SlaPolicy
from rules.risk import NO_MATCH, RiskVerdict, exempt_verdict, rule_verdict, whitelist_verdict
from store.models import Order, OrderItem, Sku, StageEvent
from store.models.base import UtcDateTime
from store.models.rules import ORDERS_TABLE
from store.stages import OPEN_STAGES, STAGE_SPANS, Stage

Expr = ColumnElement[Any]
Cond = ColumnElement[bool]


class BuyerHistory:
    """Buyer-history conditions. Repeat refusers are few, so their phones are read once and
    matched as a list; first orders need each buyer's first order time, joined only when a
    rule asks for it."""

    LIST_LIMIT = 5000
    """Above this many phones the refusers are matched by a subquery instead of a list."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._refusers: dict[int, Cond] = {}
        self.firsts = (
            select(Order.buyer_phone.label("phone"), func.min(Order.created_at).label("first_at"))
            .where(Order.buyer_phone.is_not(None))
            .group_by(Order.buyer_phone)
            .subquery("buyer_firsts")
        )
        self.uses_firsts = False

    def first_order(self) -> Cond:
        self.uses_firsts = True
        first_at = self.firsts.c.first_at
        return or_(first_at.is_(None), Order.created_at <= first_at)

    def refused_at_least(self, count: int) -> Cond:
        """The buyer refused at least ``count`` earlier orders."""
        if count not in self._refusers:
            query = refuser_phones(count)
            phones = list(self._session.scalars(query.limit(self.LIST_LIMIT + 1)))
            if not phones:
                self._refusers[count] = false()
            elif len(phones) > self.LIST_LIMIT:
                self._refusers[count] = Order.buyer_phone.in_(query)
            else:
                self._refusers[count] = Order.buyer_phone.in_(phones)
        return self._refusers[count]

    def join(self, base: FromClause) -> FromClause:
        if self.uses_firsts:
            base = base.outerjoin(self.firsts, self.firsts.c.phone == Order.buyer_phone)
        return base


def refuser_phones(count: int) -> Select[str | None]:
    """Phones of buyers with at least ``count`` orders held as customer refused (客户拒收)."""
    buyer = aliased(Order)
    return (
        select(buyer.buyer_phone)
        .join(StageEvent, StageEvent.order_id == buyer.id)
        .where(
            StageEvent.to_stage == "on_hold",
            StageEvent.hold_category == "customer_refused",
            buyer.buyer_phone.is_not(None),
        )
        .group_by(buyer.buyer_phone)
        .having(func.count(func.distinct(StageEvent.order_id)) >= count)
    )


def missing_district_sql() -> Cond:
    """The address names no district or county: the flag stored when the address was written
    (matching Chinese text per order is the costliest part of a dry run), which looks for the
    same marks as risk review."""
    return ORDERS_TABLE.c.address_names_district.is_not(True)


def address_shorter_sql(limit: int) -> Cond:
    """Fewer than ``limit`` characters (no address: none), from the stored length."""
    return func.coalesce(ORDERS_TABLE.c.address_chars, 0) < limit


class RiskSql:
    """One rule set's risk decision as a SQL ``CASE`` over ``orders``."""

    def __init__(
        self, loaded: LoadedRules, channel_ids: dict[str, int], history: BuyerHistory
    ) -> None:
        self._channels = channel_ids
        self._history = history
        self.verdicts: list[RiskVerdict] = [NO_MATCH]
        self._whens: list[tuple[Cond, int]] = []
        self._items: dict[tuple[str, str], tuple[BaseModel, Cond]] = {}
        for item in loaded.rules.whitelists:
            condition = self._whitelist(item.channel, item.payment_method, item.below)
            self._add(
                ("risk_whitelist", item.name), item, condition, whitelist_verdict(item, loaded)
            )
        spared: list[tuple[Cond, RiskVerdict]] = []
        for rule in loaded.rules.ordered_risk_rules:
            condition = self.conditions(rule.when)
            entries = [
                (self._whitelist(e.channel, e.payment_method, e.below), e) for e in rule.whitelist
            ]
            decides = and_(condition, not_(or_(*[c for c, _ in entries]))) if entries else condition
            self._add(("risk", rule.name), rule, condition, rule_verdict(rule, loaded), decides)
            spared += [(and_(condition, c), exempt_verdict(rule, e, loaded)) for c, e in entries]
        # An order a rule's whitelist lets through is decided by a later rule if one matches,
        # so the whitelist verdicts come after every rule (the first one's entry wins).
        for condition, verdict in spared:
            self.verdicts.append(verdict)
            self._whens.append((condition, len(self.verdicts) - 1))

    def _add(
        self,
        key: tuple[str, str],
        item: BaseModel,
        condition: Cond,
        verdict: RiskVerdict,
        decides: Cond | None = None,
    ) -> None:
        """Register an item matching ``condition`` that gives ``verdict`` where ``decides``
        (default: wherever it matches)."""
        self.verdicts.append(verdict)
        self._whens.append((condition if decides is None else decides, len(self.verdicts) - 1))
        self._items[key] = (item, condition)

    def differences(self, other: RiskSql) -> list[Cond]:
        """Conditions of the items (rules, whitelists) that differ between the two sets.

        An order matching none of them is decided by the same unchanged item in both sets:
        the common items keep their priorities and so their order. Only orders matching a
        difference need evaluating twice, which is what makes a dry run cheap.
        """
        changed = []
        for mine, theirs in ((self, other), (other, self)):
            for key, (item, condition) in mine._items.items():
                if key not in theirs._items or theirs._items[key][0] != item:
                    changed.append(condition)
        return changed

    def code(self) -> Expr:
        """The index into ``verdicts`` of each order's deciding verdict."""
        if not self._whens:
            return literal(0)
        return case(*self._whens, else_=0)

    def hold_codes(self) -> list[int]:
        return [i for i, verdict in enumerate(self.verdicts) if verdict.hold]

    def _channel_in(self, names: tuple[str, ...]) -> Cond:
        return _one_of(Order.channel_id, [self._channels[n] for n in names if n in self._channels])

    def _whitelist(self, channel: str, method: str, below: Any) -> Cond:
        return and_(
            self._channel_in((channel,)), Order.payment_method == method, Order.amount < below
        )

    def conditions(self, when: RiskConditions) -> Cond:
        parts: list[Cond] = []
        if when.channels is not None:
            parts.append(self._channel_in(when.channels))
        if when.payment_methods is not None:
            parts.append(_one_of(Order.payment_method, when.payment_methods))
        if when.amount_at_least is not None:
            parts.append(Order.amount >= when.amount_at_least)
        if when.amount_below is not None:
            parts.append(Order.amount < when.amount_below)
        if when.first_order is not None:
            first = self._history.first_order()
            parts.append(first if when.first_order else not_(first))
        if when.past_refusals_at_least is not None:
            parts.append(self._history.refused_at_least(when.past_refusals_at_least))
        if when.address_missing_district is not None:
            missing = missing_district_sql()
            parts.append(missing if when.address_missing_district else not_(missing))
        if when.address_shorter_than is not None:
            parts.append(address_shorter_sql(when.address_shorter_than))
        if when.sku_categories is not None:
            parts.append(_has_category(when.sku_categories))
        return and_(*parts) if parts else literal(True)


def _one_of(column: QueryableAttribute[Any], values: Iterable[Any]) -> Cond:
    """``column IN values`` spelled as equalities (none: false). For every order PostgreSQL
    walks an IN list as a generic array, which costs more than the few comparisons a rule's
    list (a handful of channels or payment methods) needs."""
    return or_(false(), *[column == value for value in values])


def _has_category(categories: tuple[str, ...]) -> Cond:
    return exists().where(
        OrderItem.order_id == Order.id,
        Sku.code == OrderItem.sku,
        Sku.category.in_(categories),
    )


class SlaSql:
    """Whether each order overstayed a stage under one rule set's SLA policies."""

    def __init__(
        self,
        loaded: LoadedRules,
        channel_ids: dict[str, int],
        promise_channels: dict[str, list[int]],
        *,
        dialect: str,
        now: datetime,
    ) -> None:
        self._policies = loaded.rules.sla
        self._channels = channel_ids
        self._promises = promise_channels
        self._dialect = dialect
        self._now = literal(now, UtcDateTime())

    def breached(self) -> Expr:
        """1 when the order overstayed any stage it went through, else 0: the stages SLA
        policies can bound, each spanned as the store's stage table says (the live timers
        start a stage at its entry and stop it when the order leaves)."""
        flags = [self._stage_breach(stage) for stage in OPEN_STAGES]
        present = [flag for flag in flags if flag is not None]
        if not present:
            return literal(0)
        return case((or_(*present), 1), else_=0)

    def _stage_breach(self, stage: Stage) -> Cond | None:
        policies = sorted(
            (p for p in self._policies if p.stage == stage), key=lambda p: -p.specificity
        )
        if not policies:
            return None
        span = STAGE_SPANS[stage]
        entry = getattr(Order, span.start)
        end: Expr
        if span.ends:
            end = func.coalesce(*[getattr(Order, name) for name in span.ends], self._now)
        else:  # the exit is not stamped: only an order still in the stage is measured
            end = case((Order.stage == stage.value, self._now), else_=None)
        over = case(*[(self._scope(p), self._over(entry, end, p)) for p in policies], else_=False)
        return and_(entry.is_not(None), over)

    def _over(self, start: Expr, end: Expr, policy: SlaPolicy) -> Cond:
        """``end`` is more than the policy's limit after ``start``."""
        if self._dialect == "postgresql":  # timestamp arithmetic, much cheaper than numerics
            return end > start + literal(timedelta(hours=policy.max_hours), Interval())
        return self._seconds(start, end) > policy.max_hours * 3600.0

    def _scope(self, policy: SlaPolicy) -> Cond:
        parts: list[Cond] = []
        if policy.channel is not None:
            channel_id = self._channels.get(policy.channel)
            parts.append(Order.channel_id == channel_id if channel_id else false())
        if policy.warehouse is not None:
            parts.append(Order.warehouse == policy.warehouse)
        if policy.promise_type is not None:
            parts.append(_one_of(Order.channel_id, self._promises.get(policy.promise_type, [])))
        return and_(*parts) if parts else literal(True)

    def _seconds(self, start: Expr, end: Expr) -> Expr:
        if self._dialect == "postgresql":
            return func.extract("epoch", end - start)
        days = func.julianday(end) - func.julianday(start)
        return (days * 86400.0).cast(Float)

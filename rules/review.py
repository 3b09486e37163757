"""Risk review of paid orders: hold the risky ones in 待审核, release those the rules now pass.

A held order moves ``paid → pending_review`` (source ``rule``, the rule name and version in the
stage event's note) and a risk decision row records the matching conditions for explain. An
order a person sent to review, or one that has been through review once, is never held again
by a rule: the reviewer's decision stands.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from rules.catalog import LoadedRules, install_defaults, load_rules
from rules.facts import gather_facts
from rules.risk import RiskEvaluator, RiskVerdict
from store.errors import DomainError, InvalidInput, TransitionRefused
from store.models import Order, RiskDecision, utcnow
from store.orders import get_order
from store.stages import Source, Stage
from store.transitions import move_order

ACTOR = "risk-review"


@dataclass
class ReviewResult:
    """What one review pass did."""

    held: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    passed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    """Orders that could not be moved, with the reason; the rest of the pass went on."""


def current_rules(session: Session) -> LoadedRules:
    """The rules in force, storing the built-in defaults first if they were never saved, so
    every decision names a real stored version."""
    install_defaults(session)
    return load_rules(session)


def review_paid_orders(
    session: Session,
    *,
    now: datetime | None = None,
    rules: LoadedRules | None = None,
    limit: int | None = None,
) -> ReviewResult:
    """Hold the paid orders the rules hold and release rule-held orders the rules now pass."""
    when = now or utcnow()
    evaluate = RiskEvaluator(rules or current_rules(session))
    result = ReviewResult()
    to_check = _unreviewed_paid(session, limit)
    for order_id, order_no, verdict in _verdicts(session, to_check, evaluate):
        if not verdict.hold:
            result.passed += 1
        elif _move(session, order_id, order_no, Stage.PENDING_REVIEW, verdict, when, result):
            result.held.append(order_no)
    held = _held_by_rule(session, limit)
    for order_id, order_no, verdict in _verdicts(session, held, evaluate):
        if verdict.hold:
            continue
        if _move(session, order_id, order_no, Stage.PAID, verdict, when, result):
            result.released.append(order_no)
    return result


def _verdicts(
    session: Session, orders: Sequence[tuple[int, str]], evaluate: RiskEvaluator
) -> Iterator[tuple[int, str, RiskVerdict]]:
    facts = gather_facts(session, [order_id for order_id, _ in orders])
    for order_id, order_no in orders:
        yield order_id, order_no, evaluate(facts[order_id])


def review_order(
    session: Session, order: Order, *, now: datetime | None = None, rules: LoadedRules | None = None
) -> RiskVerdict:
    """Review one paid order; a hold moves it to ``pending_review``. An order that has been in
    review before passes without evaluation (its reviewer decided)."""
    if order.stage != Stage.PAID.value or order.pending_review_at is not None:
        return RiskVerdict(action="pass")
    loaded = rules or current_rules(session)
    verdict = RiskEvaluator(loaded)(gather_facts(session, [order.id])[order.id])
    if verdict.hold:
        result = ReviewResult()
        when = now or utcnow()
        _move(session, order.id, order.order_no, Stage.PENDING_REVIEW, verdict, when, result)
        if result.failed:
            raise DomainError(result.failed[0][1])
    return verdict


class Reviewer:
    """The ``review`` callable of automatic release (``ingest.release.release_paid_orders``):
    ``reviewer(session, order)`` is True when the order may go to the warehouse, False when
    risk review has just held it. The rules are read once per reviewer."""

    def __init__(self, *, now: datetime | None = None) -> None:
        self._now = now
        self._rules: LoadedRules | None = None

    def __call__(self, session: Session, order: Order) -> bool:
        if self._rules is None:
            self._rules = current_rules(session)
        verdict = review_order(session, order, now=self._now, rules=self._rules)
        return not verdict.hold


def _unreviewed_paid(session: Session, limit: int | None) -> Sequence[tuple[int, str]]:
    query = (
        select(Order.id, Order.order_no)
        .where(Order.stage == Stage.PAID.value, Order.pending_review_at.is_(None))
        .order_by(Order.id)
        .limit(limit)
    )
    return [(row.id, row.order_no) for row in session.execute(query)]


def _held_by_rule(session: Session, limit: int | None) -> Sequence[tuple[int, str]]:
    held_by_rule = exists().where(
        RiskDecision.order_id == Order.id, RiskDecision.action == "hold", RiskDecision.moved
    )
    query = (
        select(Order.id, Order.order_no)
        .where(Order.stage == Stage.PENDING_REVIEW.value, held_by_rule)
        .order_by(Order.id)
        .limit(limit)
    )
    return [(row.id, row.order_no) for row in session.execute(query)]


def _move(
    session: Session,
    order_id: int,
    order_no: str,
    to: Stage,
    verdict: RiskVerdict,
    when: datetime,
    result: ReviewResult,
) -> bool:
    """Move one order in a savepoint, so one refusal never undoes the rest of the pass."""
    try:
        with session.begin_nested():
            move_order(
                session,
                order_no=order_no,
                to=to,
                source=Source.RULE,
                actor=ACTOR,
                at=when,
                note=verdict.note(),
            )
            session.add(
                RiskDecision(
                    order_id=order_id,
                    at=when,
                    action=verdict.action,
                    rule_kind=verdict.kind,
                    rule_name=verdict.name,
                    rule_version=verdict.version,
                    matched=list(verdict.matched),
                    moved=True,
                )
            )
    except DomainError as exc:
        result.failed.append((order_no, exc.message))
        return False
    return True


def approve_review(
    session: Session, *, order_no: str, actor: str, source: Source, note: str | None = None
) -> Order:
    """A reviewer passes an order held in 待审核: it returns to ``paid`` and automatic release
    sends it to the warehouse (the rules never hold it again, see the module docstring)."""
    _check_in_review(session, order_no, "approve")
    return move_order(
        session, order_no=order_no, to=Stage.PAID, source=source, actor=actor, note=note
    )


def reject_review(
    session: Session, *, order_no: str, actor: str, source: Source, reason: str
) -> Order:
    """A reviewer refuses an order held in 待审核: it is cancelled, the reason on its timeline."""
    if not reason.strip():
        raise InvalidInput("rejecting an order needs a reason")
    _check_in_review(session, order_no, "reject")
    return move_order(
        session, order_no=order_no, to=Stage.CANCELLED, source=source, actor=actor, note=reason
    )


def _check_in_review(session: Session, order_no: str, verb: str) -> None:
    stage = get_order(session, order_no).stage
    if stage != Stage.PENDING_REVIEW.value:
        raise TransitionRefused(f"cannot {verb} {order_no}: it is {stage}, not pending review")

"""What a supervisor does to stuck orders, one or many at a time: assign a picker, release a
hold, approve or reject a review, put on hold, add a note.

The console's buttons and the REST API both call ``act_on_orders``. Each order is acted on in
its own savepoint, so one refusal never undoes the others, and only if it is still as the person
saw it (the stage and picker sent with the request): an order that shipped, was released or
was reassigned meanwhile is refused with the reason, never acted on blindly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from rules.review import approve_review, current_rules, reject_review
from rules.sla import refresh_deadlines
from store.audit import write_audit
from store.errors import Conflict, DomainError, InvalidInput
from store.floor import release_hold
from store.models import Order
from store.orders import get_order, lock_orders
from store.picking import ASSIGNABLE, assign_picker
from store.stages import HOLDABLE, STAGE_LABELS, Source, Stage
from store.transitions import move_order

MAX_BATCH = 500
NOTE_MAX = 500


class ActionKind(StrEnum):
    ASSIGN = "assign"
    RELEASE = "release"
    APPROVE = "approve"
    REJECT = "reject"
    HOLD = "hold"
    NOTE = "note"


def offered_actions(stage: str) -> tuple[ActionKind, ...]:
    """The actions that can apply to an order in ``stage``, in ``ActionKind`` order: what a
    page about one order offers. Each is still checked against the order when it runs."""
    current = Stage(stage)
    fits = {
        ActionKind.ASSIGN: current in ASSIGNABLE,
        ActionKind.RELEASE: current is Stage.ON_HOLD,
        ActionKind.APPROVE: current is Stage.PENDING_REVIEW,
        ActionKind.REJECT: current is Stage.PENDING_REVIEW,
        ActionKind.HOLD: current in HOLDABLE,
        ActionKind.NOTE: True,
    }
    return tuple(kind for kind in ActionKind if fits[kind])


@dataclass(frozen=True, slots=True)
class OrderAction:
    """One action and its arguments; ``check`` says what is missing before any order is
    touched."""

    kind: ActionKind
    picker: str | None = None
    """For ``assign``: the picker; ``None`` returns the order to the unassigned pool."""
    category: str | None = None
    """For ``hold``: the hold category."""
    note: str | None = None
    """The reason (required to reject, hold as ``other`` and for a note), else optional."""

    def check(self) -> None:
        text = (self.note or "").strip()
        if len(text) > NOTE_MAX:
            raise InvalidInput(f"a note or reason is at most {NOTE_MAX} characters")
        if self.kind is ActionKind.REJECT and not text:
            raise InvalidInput("rejecting a review needs a reason")
        if self.kind is ActionKind.NOTE and not text:
            raise InvalidInput("a note needs text")
        if self.kind is ActionKind.HOLD and not self.category:
            raise InvalidInput("a hold needs a category")
        if self.kind is ActionKind.HOLD and self.category == "other" and not text:
            raise InvalidInput("a hold of category 'other' needs a note saying what is wrong")


@dataclass(frozen=True, slots=True)
class Seen:
    """An order as the person saw it when they chose to act."""

    order_no: str
    stage: str
    assignee: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one order: applied, or refused with a stable code and a reason."""

    order_no: str
    applied: bool
    code: str
    """``applied``, ``stage_changed``, ``reassigned`` or a store refusal code."""
    message: str
    stage: str | None = None
    """The order's stage after the action (or as it now is, when refused)."""
    assignee: str | None = None


@dataclass(slots=True)
class BatchResult:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def applied(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.applied]

    @property
    def refused(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.applied]


def act_on_orders(
    session: Session,
    action: OrderAction,
    orders: Sequence[Seen],
    *,
    actor: str,
    source: Source,
    zone: ZoneInfo,
) -> BatchResult:
    """Apply ``action`` to each order still as it was seen, in the caller's transaction.

    Raises ``InvalidInput`` (touching nothing) for an incomplete action or batch; a refused
    order is an ``Outcome``, the others go on. Moved orders get their SLA deadline recomputed
    at once, so the worklist shows their new state without waiting for the timer.
    """
    action.check()
    if not 0 < len(orders) <= MAX_BATCH:
        raise InvalidInput(f"a batch holds 1–{MAX_BATCH} orders, not {len(orders)}")
    if len({seen.order_no for seen in orders}) != len(orders):
        raise InvalidInput("a batch names an order more than once")
    result = BatchResult()
    moved: list[int] = []
    lock_orders(session, [seen.order_no for seen in orders])
    for seen in orders:
        outcome, order = _act_on_one(session, action, seen, actor, source)
        result.outcomes.append(outcome)
        if outcome.applied and order is not None and action.kind is not ActionKind.NOTE:
            moved.append(order.id)
    if moved:
        refresh_deadlines(session, current_rules(session), zone=zone, order_ids=moved)
    return result


def act_on_order(
    session: Session,
    action: OrderAction,
    order_no: str,
    *,
    actor: str,
    source: Source,
    zone: ZoneInfo,
) -> Order:
    """Apply ``action`` to one order whatever state it is in (a REST call names no state
    seen); a refusal raises its ``DomainError``."""
    action.check()
    _APPLY[action.kind](session, action, order_no, actor, source)
    order = get_order(session, order_no)
    if action.kind is not ActionKind.NOTE:
        refresh_deadlines(session, current_rules(session), zone=zone, order_ids=[order.id])
    return order


def _act_on_one(
    session: Session, action: OrderAction, seen: Seen, actor: str, source: Source
) -> tuple[Outcome, Order | None]:
    try:
        with session.begin_nested():
            order = get_order(session, seen.order_no, for_update=True)
            check_unchanged(order, seen)
            _APPLY[action.kind](session, action, seen.order_no, actor, source)
    except DomainError as exc:
        current = _current(session, seen.order_no)
        stage, assignee = (current.stage, current.assignee) if current else (None, None)
        return Outcome(seen.order_no, False, exc.code, exc.message, stage, assignee), current
    return Outcome(seen.order_no, True, "applied", "", order.stage, order.assignee), order


def _current(session: Session, order_no: str) -> Order | None:
    try:
        return get_order(session, order_no)
    except DomainError:
        return None


def check_unchanged(order: Order, seen: Seen) -> None:
    """Refuse to act on an order that moved or changed hands since the person saw it."""
    if order.stage != seen.stage:
        now, then = (STAGE_LABELS[Stage(s)][1].lower() for s in (order.stage, seen.stage))
        raise Conflict(
            f"{order.order_no} is {now} now, not {then} as shown: it changed meanwhile",
            code="stage_changed",
        )
    if order.assignee != seen.assignee:
        now = order.assignee or "nobody"
        raise Conflict(f"{order.order_no} was reassigned to {now} meanwhile", code="reassigned")


Apply = Callable[[Session, OrderAction, str, str, Source], object]


def _assign(session: Session, action: OrderAction, order_no: str, actor: str, _s: Source) -> object:
    return assign_picker(session, order_no=order_no, picker=action.picker, actor=actor)


def _release(
    session: Session, _action: OrderAction, order_no: str, actor: str, source: Source
) -> object:
    return release_hold(session, order_no=order_no, actor=actor, source=source)


def _approve(
    session: Session, action: OrderAction, order_no: str, actor: str, source: Source
) -> object:
    return approve_review(session, order_no=order_no, actor=actor, source=source, note=action.note)


def _reject(
    session: Session, action: OrderAction, order_no: str, actor: str, source: Source
) -> object:
    reason = str(action.note)
    return reject_review(session, order_no=order_no, actor=actor, source=source, reason=reason)


def _hold(
    session: Session, action: OrderAction, order_no: str, actor: str, source: Source
) -> object:
    return move_order(
        session,
        order_no=order_no,
        to=Stage.ON_HOLD,
        source=source,
        actor=actor,
        hold_category=action.category,
        note=action.note,
    )


def _note(
    session: Session, action: OrderAction, order_no: str, actor: str, source: Source
) -> object:
    return add_note(session, order_no=order_no, note=str(action.note), actor=actor, source=source)


def add_note(session: Session, *, order_no: str, note: str, actor: str, source: Source) -> Order:
    """A remark on the order's audit trail (who, when, from where); the order is unchanged."""
    if not note.strip():
        raise InvalidInput("a note needs text")
    order = get_order(session, order_no)
    write_audit(
        session,
        actor=actor,
        action="order.noted",
        entity_type="order",
        entity_id=order_no,
        after={"note": note.strip(), "source": source.value, "stage": order.stage},
    )
    session.flush()
    return order


_APPLY: dict[ActionKind, Apply] = {
    ActionKind.ASSIGN: _assign,
    ActionKind.RELEASE: _release,
    ActionKind.APPROVE: _approve,
    ActionKind.REJECT: _reject,
    ActionKind.HOLD: _hold,
    ActionKind.NOTE: _note,
}

"""Order stages and the one table of allowed moves between them.

The table is the business rule people read: every allowed move and who may make it. Anything
not in it is refused with a message that says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from store.errors import InvalidInput, TransitionRefused


class Stage(StrEnum):
    """Stable stage codes; labels live in ``STAGE_LABELS``."""

    PENDING_REVIEW = "pending_review"
    PAID = "paid"
    AWAITING_PICK = "awaiting_pick"
    PICKED = "picked"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    ON_HOLD = "on_hold"
    CANCELLED = "cancelled"


class Source(StrEnum):
    """Who or what made a move."""

    CHANNEL = "channel"
    HANDHELD = "handheld"
    CONSOLE = "console"
    RULE = "rule"
    API = "api"


STAGE_LABELS: dict[Stage, tuple[str, str]] = {
    Stage.PENDING_REVIEW: ("待审核", "Pending review"),
    Stage.PAID: ("已支付", "Paid"),
    Stage.AWAITING_PICK: ("待拣货", "Awaiting pick"),
    Stage.PICKED: ("已拣货", "Picked"),
    Stage.PACKED: ("已打包", "Packed"),
    Stage.SHIPPED: ("已出库", "Shipped"),
    Stage.DELIVERED: ("已签收", "Delivered"),
    Stage.ON_HOLD: ("异常拦截", "On hold"),
    Stage.CANCELLED: ("已取消", "Cancelled"),
}

# The main line an order walks; its position explains refusals ("it has not been picked").
FLOW: tuple[Stage, ...] = (
    Stage.PAID,
    Stage.AWAITING_PICK,
    Stage.PICKED,
    Stage.PACKED,
    Stage.SHIPPED,
    Stage.DELIVERED,
)
TERMINAL: frozenset[Stage] = frozenset({Stage.DELIVERED, Stage.CANCELLED})
# Stages an order can be held from, and so the stages a release can return it to.
HOLDABLE: tuple[Stage, ...] = (
    Stage.PENDING_REVIEW,
    Stage.PAID,
    Stage.AWAITING_PICK,
    Stage.PICKED,
    Stage.PACKED,
)
OPEN_STAGES: tuple[Stage, ...] = (
    Stage.PENDING_REVIEW,
    Stage.PAID,
    Stage.AWAITING_PICK,
    Stage.PICKED,
    Stage.PACKED,
    Stage.ON_HOLD,
)
"""Stages an order waits in, as it walks them: the work in progress, and what SLAs bound."""
PEOPLE: frozenset[Source] = frozenset({Source.CONSOLE, Source.API})
"""Sources whose moves are a person's decision and so are written to the audit log."""

_C, _H, _K, _R, _A = Source.CHANNEL, Source.HANDHELD, Source.CONSOLE, Source.RULE, Source.API
_S = Stage

TRANSITIONS: dict[tuple[Stage, Stage], frozenset[Source]] = {
    # risk review (待审核): a rule or a reviewer decides
    (_S.PAID, _S.PENDING_REVIEW): frozenset({_R, _K}),
    (_S.PENDING_REVIEW, _S.PAID): frozenset({_R, _K, _A}),
    (_S.PENDING_REVIEW, _S.CANCELLED): frozenset({_C, _K, _A}),
    (_S.PENDING_REVIEW, _S.SHIPPED): frozenset({_C}),
    # release to the warehouse once stock is reserved
    (_S.PAID, _S.AWAITING_PICK): frozenset({_R, _K, _A}),
    (_S.PAID, _S.CANCELLED): frozenset({_C, _K, _A}),
    (_S.PAID, _S.SHIPPED): frozenset({_C}),
    # the warehouse floor
    (_S.AWAITING_PICK, _S.PICKED): frozenset({_H, _A}),
    (_S.AWAITING_PICK, _S.CANCELLED): frozenset({_C, _K, _A}),
    (_S.AWAITING_PICK, _S.SHIPPED): frozenset({_C}),
    (_S.PICKED, _S.PACKED): frozenset({_H, _A}),
    (_S.PICKED, _S.CANCELLED): frozenset({_C, _K, _A}),
    (_S.PICKED, _S.SHIPPED): frozenset({_C}),
    (_S.PACKED, _S.SHIPPED): frozenset({_H, _A, _C}),
    (_S.PACKED, _S.CANCELLED): frozenset({_C, _K, _A}),
    (_S.SHIPPED, _S.DELIVERED): frozenset({_C, _A}),
    # exception interception (异常拦截) and its release to the stage the order left
    **{(stage, _S.ON_HOLD): frozenset({_H, _K, _R, _A}) for stage in HOLDABLE},
    **{(_S.ON_HOLD, stage): frozenset({_K, _R, _A}) for stage in HOLDABLE},
    (_S.ON_HOLD, _S.CANCELLED): frozenset({_C, _K, _A}),
    (_S.ON_HOLD, _S.SHIPPED): frozenset({_C}),
}


STAGE_COLUMNS: dict[Stage, str] = {stage: f"{stage.value}_at" for stage in Stage}
"""Stage → the order column stamped when the order enters it (``store.moves`` says when)."""


@dataclass(frozen=True, slots=True)
class StageSpan:
    """Where an order's time in a stage starts and ends, as order columns."""

    start: str
    ends: tuple[str, ...]
    """The exits, in flow order; the first one set ends the stage. None: the exit is not
    stamped, so only an order still in the stage can be measured (until now)."""


def _span(stage: Stage, *exits: Stage) -> StageSpan:
    return StageSpan(STAGE_COLUMNS[stage], tuple(STAGE_COLUMNS[e] for e in exits))


# An order is in a stage until it leaves it along the table: awaiting pick ends when the order
# is picked (its first picked item is a warehouse node, not the end of the stage), or shipped
# without a pick scan, or cancelled. Review ends at the release to the warehouse (its pass
# back to paid is not stamped: ``paid_at`` keeps the payment). Time on hold counts in the
# stage it interrupted.
STAGE_SPANS: dict[Stage, StageSpan] = {
    _S.PENDING_REVIEW: _span(_S.PENDING_REVIEW, _S.AWAITING_PICK, _S.SHIPPED, _S.CANCELLED),
    _S.PAID: _span(_S.PAID, _S.PENDING_REVIEW, _S.AWAITING_PICK, _S.SHIPPED, _S.CANCELLED),
    _S.AWAITING_PICK: _span(_S.AWAITING_PICK, _S.PICKED, _S.SHIPPED, _S.CANCELLED),
    _S.PICKED: _span(_S.PICKED, _S.PACKED, _S.SHIPPED, _S.CANCELLED),
    _S.PACKED: _span(_S.PACKED, _S.SHIPPED, _S.CANCELLED),
    _S.SHIPPED: _span(_S.SHIPPED, _S.DELIVERED),
    _S.ON_HOLD: _span(_S.ON_HOLD),
}
"""Stage → where its time starts and the exits that end it: what every dwell, SLA breach
and dry run measures."""


@dataclass(frozen=True, slots=True)
class Move:
    """A proposed stage change, checked by ``check_move``."""

    order_no: str
    current: Stage
    target: Stage
    source: Source
    held_from: Stage | None = None


def parse_stage(value: str) -> Stage:
    try:
        return Stage(value)
    except ValueError:
        known = ", ".join(s.value for s in Stage)
        raise InvalidInput(f"unknown stage {value!r}; known stages: {known}") from None


def parse_source(value: str) -> Source:
    try:
        return Source(value)
    except ValueError:
        known = ", ".join(s.value for s in Source)
        raise InvalidInput(f"unknown source {value!r}; known sources: {known}") from None


def check_move(move: Move) -> None:
    """Raise ``TransitionRefused`` unless the table allows ``move``."""
    head = f"cannot move {move.order_no} from {move.current} to {move.target}"
    allowed = TRANSITIONS.get((move.current, move.target))
    if allowed is None:
        raise TransitionRefused(f"{head}: {_why_not(move.current, move.target)}")
    if move.source not in allowed:
        who = ", ".join(sorted(s.value for s in allowed))
        raise TransitionRefused(f"{head}: only {who} may make this move, not {move.source}")
    if move.current is Stage.ON_HOLD and move.target in HOLDABLE and move.target != move.held_from:
        raise TransitionRefused(
            f"{head}: a release returns the order to the stage it left ({move.held_from})"
        )


_DONE = {
    Stage.PAID: "paid",
    Stage.AWAITING_PICK: "released to the warehouse",
    Stage.PICKED: "picked",
    Stage.PACKED: "packed",
    Stage.SHIPPED: "shipped",
}


def _why_not(current: Stage, target: Stage) -> str:
    if current == target:
        return f"it is already {current}"
    if current in TERMINAL:
        return f"it is {current}, which is final"
    if current in FLOW and target in FLOW:
        here, there = FLOW.index(current), FLOW.index(target)
        if there < here:
            return "orders never move backwards"
        return f"it has not been {_DONE[FLOW[there - 1]]}"
    return "the transition table has no such move"

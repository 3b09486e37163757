"""What a stage move writes, defined once for the three ways the store applies moves.

``store.transitions`` moves one order through the ORM, ``store.scans`` writes a batch of
handheld scans with executemany statements and ``store.upsert`` merges a channel's batch in
set-based SQL. Each renders ``move_writes`` and ``stage_event`` in its own terms, so a new
stage, stage column or piece of a move's bookkeeping is added here once. A move of an order
from ``current`` to ``target`` at ``at``:

- sets ``stage`` and ``stage_entered_at``;
- stamps the target's column (``STAGE_COLUMNS``): a stage's time is the order's first entry,
  except a hold's, which is the latest (when the current or last hold began);
- on a hold, records the stage held from, the hold's category and note; leaving a hold
  clears them;
- writes a stage event.

Each path bumps the order's ``version`` as well. The next SLA deadline is not a move's to
write: the rules compute it (``rules.sla.refresh_deadlines``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from store.stages import STAGE_COLUMNS, Stage

LATEST_ENTRY = frozenset({Stage.ON_HOLD})
"""Stages whose column keeps the latest entry rather than the first."""
HOLD_COLUMNS = ("held_from_stage", "hold_category", "hold_note")


class Keep(Enum):
    """Whether a column a move writes keeps the value it holds."""

    FIRST = "first"
    """Written only while empty: the first such move's value stays."""
    LATEST = "latest"
    """Every move overwrites it."""


@dataclass(frozen=True, slots=True)
class Write:
    """One column's new value after a move (a time, a code, or an SQL expression where the
    move is rendered as SQL)."""

    value: object
    keep: Keep

    def over(self, old: object) -> object:
        """The column's value after the write, over ``old``."""
        return old if self.keep is Keep.FIRST and old is not None else self.value


def move_writes(
    current: Stage,
    target: Stage,
    at: object,
    *,
    hold_category: str | None = None,
    note: str | None = None,
) -> dict[str, Write]:
    """The columns of ``orders`` a move from ``current`` to ``target`` at ``at`` writes."""
    stamp = Keep.LATEST if target in LATEST_ENTRY else Keep.FIRST
    writes = {
        "stage": Write(target.value, Keep.LATEST),
        "stage_entered_at": Write(at, Keep.LATEST),
        STAGE_COLUMNS[target]: Write(at, stamp),
    }
    if target is Stage.ON_HOLD:
        held: tuple[str | None, ...] = (current.value, hold_category, note)
    elif current is Stage.ON_HOLD:
        held = (None, None, None)
    else:
        return writes
    return writes | {c: Write(v, Keep.LATEST) for c, v in zip(HOLD_COLUMNS, held, strict=True)}


def folded(moves: Iterable[dict[str, Write]]) -> dict[str, Write]:
    """The writes of one order's moves in a row, one per column, as a batch applies them at
    once: the first move's value for a column that keeps its first, else the last's."""
    found: dict[str, Write] = {}
    for writes in moves:
        for column, write in writes.items():
            if write.keep is Keep.LATEST or column not in found:
                found[column] = write
    return found


def stage_event(
    order_id: object, current: object, target: object, at: object, source: object, actor: object
) -> dict[str, object]:
    """A move's row of ``stage_events``: the order, the stage codes it left and entered, when,
    who or what made it (a ``Source`` code) and the actor."""
    return {
        "order_id": order_id,
        "from_stage": current,
        "to_stage": target,
        "at": at,
        "source": source,
        "actor": actor,
    }

"""Why a worklist row is stuck, in one line: how long it has been in its stage, how far past
(or how close to) its deadline it is, and what it waits for.

Built from the row's own fields (no query per row), so a page of the worklist explains every
row at the cost of the page. The full answer with rule versions is ``rules.explain``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from rules.explain import HOLD_WAITING, OTHER_HOLD, WAITING, Waiting
from store.stages import STAGE_LABELS, Stage
from store.worklist import DUE_SOON, WorkRow

Duration = Callable[[timedelta, str], str]
"""Formats a (positive) span in a language: the console's ``formatting.duration``."""


@dataclass(frozen=True, slots=True)
class StuckSummary:
    """The parts of the one-line answer; ``text`` words them in a language."""

    stage: Stage
    in_stage: timedelta
    late_by: timedelta | None
    """Past the earliest deadline by this much; ``None`` when not late."""
    left: timedelta | None
    """Time to the deadline when it is due soon; ``None`` otherwise."""
    waiting: Waiting
    assignee: str | None

    def text(self, lang: str, duration: Duration) -> str:
        zh = lang != "en"
        label = STAGE_LABELS[self.stage][0 if zh else 1]
        head = f"{label} {duration(self.in_stage, lang)}"
        if self.late_by is not None:
            over = duration(self.late_by, lang)
            head += f"，超出 SLA {over}" if zh else f", {over} over SLA"
        elif self.left is not None:
            left = duration(self.left, lang)
            head += f"，距 SLA 还剩 {left}" if zh else f", {left} left to SLA"
        return head + ("；" if zh else "; ") + self._waits(zh)

    def _waits(self, zh: bool) -> str:
        if self.waiting.code == "picker":
            if self.assignee:
                return (
                    f"等待拣货员 {self.assignee}" if zh else f"waiting for picker {self.assignee}"
                )
            return "等待分配拣货员" if zh else "waiting for a picker to be assigned"
        return self.waiting.zh if zh else f"waiting for {self.waiting.en}"


def summarize(row: WorkRow, now: datetime) -> StuckSummary:
    deadline = row.next_deadline_at
    late = deadline is not None and deadline <= now
    soon = deadline is not None and not late and deadline - now <= DUE_SOON
    return StuckSummary(
        stage=Stage(row.stage),
        in_stage=max(now - row.stage_entered_at, timedelta(0)),
        late_by=now - deadline if deadline is not None and late else None,
        left=deadline - now if deadline is not None and soon else None,
        waiting=_waiting(row),
        assignee=row.assignee,
    )


def _waiting(row: WorkRow) -> Waiting:
    if row.stage == Stage.ON_HOLD.value:
        return HOLD_WAITING.get(row.hold_category or "", OTHER_HOLD)
    return WAITING[row.stage]

"""A stage's backlog growing beyond its usual range for the hour of the week (积压异常).

Orders pile up in 待拣货 every evening peak; that is not news. What is news is more than
usual *for this hour of this weekday*: the backlog now is compared with the backlog at the same
local hour of the same weekday in each of the last ``weeks`` weeks (``metrics.backlog``, from
the hourly rollups: never a scan of the order history). Above the median of those weeks by
more than ``k`` robust standard deviations (1.4826 × the median absolute deviation), and by at
least ``min_excess`` orders and ``min_ratio`` × the median (a quiet hour's tiny spread would
otherwise alert on a handful of orders), ``backlog_growth`` is raised for the warehouse and
stage. It resolves when the backlog is back within half of that margin, so a backlog hovering
at the line does not raise and resolve at every check.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.sources import SourceReport, settle
from metrics.backlog import Key, backlog_at, backlog_now
from store.alerts import AlertSpec
from store.models import Alert
from store.wording import say

BACKLOG_GROWTH = "backlog_growth"
MAD_SIGMA = 1.4826
"""The median absolute deviation times this estimates a normal distribution's σ."""
WEEKDAYS = {
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


@dataclass(frozen=True, slots=True)
class UsualRange:
    """How the usual backlog for an hour of the week is judged."""

    weeks: int = 8
    min_weeks: int = 3
    """Fewer weeks of history than this: no judgement yet."""
    k: float = 3.0
    min_excess: int = 10
    min_ratio: float = 1.5

    def margin(self, median: float, values: list[float]) -> float:
        """How far above the median a backlog may go before it is unusual."""
        mad = statistics.median(abs(v - median) for v in values)
        return max(self.k * MAD_SIGMA * mad, self.min_excess, (self.min_ratio - 1) * median)


@dataclass(frozen=True, slots=True)
class Judgement:
    count: int
    median: float
    margin: float
    past: list[float]

    @property
    def limit(self) -> float:
        return self.median + self.margin


def same_hour_of_week(now: datetime, zone: ZoneInfo, weeks: int) -> list[datetime]:
    """``now`` one, two … ``weeks`` weeks ago on the local clock (the same weekday and local
    time, across daylight-saving changes)."""
    local = now.astimezone(zone)
    return [(local - timedelta(weeks=n)).astimezone(now.tzinfo) for n in range(1, weeks + 1)]


def judge(
    session: Session, now: datetime, zone: ZoneInfo, usual: UsualRange
) -> dict[Key, Judgement]:
    """Each warehouse and stage's backlog now against its usual range for this hour of the
    week (the keys with too little history are left out)."""
    current = backlog_now(session)
    history = backlog_at(session, same_hour_of_week(now, zone, usual.weeks), now, current)
    found = {}
    for key, values in history.items():
        past = [v for v in values if v is not None]
        if len(past) < usual.min_weeks:
            continue
        median = statistics.median(past)
        found[key] = Judgement(current.get(key, 0), median, usual.margin(median, past), past)
    return found


def check_backlog(
    session: Session, now: datetime, zone: ZoneInfo, usual: UsualRange | None = None
) -> SourceReport:
    """Raise ``backlog_growth`` per warehouse and stage above its usual range; resolve those
    back within half the margin."""
    usual = usual or UsualRange()
    query = select(Alert.dedupe_key).where(Alert.kind == BACKLOG_GROWTH, Alert.status != "resolved")
    standing = set(session.scalars(query))
    specs = []
    for key, judged in sorted(judge(session, now, zone, usual).items()):
        over = judged.count > judged.limit
        lingering = _key(key) in standing and judged.count > judged.median + judged.margin / 2
        if over or lingering:
            specs.append(_spec(key, judged, now, zone))
    return settle(session, BACKLOG_GROWTH, specs, now)


def _key(key: Key) -> str:
    warehouse, stage = key
    return f"{BACKLOG_GROWTH}:{warehouse or '-'}:{stage}"


def _spec(key: Key, judged: Judgement, now: datetime, zone: ZoneInfo) -> AlertSpec:
    warehouse, stage = key
    labels = {"stage": stage}
    if warehouse:
        labels["warehouse"] = warehouse
    local = now.astimezone(zone)
    hours = {lang: f"{days[local.weekday()]} {local:%H}:00" for lang, days in WEEKDAYS.items()}
    low, high = round(min(judged.past)), round(max(judged.past))
    where = warehouse or "—"
    return AlertSpec(
        kind=BACKLOG_GROWTH,
        key=_key(key),
        severity="warning",
        title=say(
            "{n:order|orders} backed up in {stage} at {where}, usually {low}–{high}",
            {"n": judged.count, "stage": stage, "where": where, "low": low, "high": high},
        ),
        details={
            "zh": f"{where} {stage} 积压 {judged.count} 单，{hours['zh']} 通常为 {low}–{high} 单",
            "en": say(
                "{n:order|orders} in {stage} at {where}; on {hour} usually {low}–{high}",
                {
                    "n": judged.count,
                    "stage": stage,
                    "where": where,
                    "hour": hours["en"],
                    "low": low,
                    "high": high,
                },
            ),
            "warehouse": warehouse or None,
            "stage": stage,
            "count": judged.count,
            "median": round(judged.median, 1),
            "limit": round(judged.limit, 1),
            "usual_low": low,
            "usual_high": high,
            "weeks": [round(v, 1) for v in judged.past],
            "hour_of_week": hours["en"],
        },
        labels=labels,
    )

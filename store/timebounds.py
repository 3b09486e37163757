"""The span of time orderwatch reads dates in: 2000-01-01 to 2100-01-01 (UTC).

Python's dates end at 9999-12-31 and start at 0001-01-01, so a window "to 9999-12-31" overflows
as soon as a day is added to it, and a year-1 time overflows when moved to another zone. No
order, scan or metric of a shop lies outside this span: every date that enters (API
parameters, command options, channel payloads, imported files) is checked against it first,
and refused with a message instead of an ``OverflowError`` half way through.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from store.errors import InvalidInput

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
SPAN = "between 2000-01-01 and 2100-01-01"
# Naive values are checked with a day's margin, whatever zone they turn out to be read in.
_MARGIN = timedelta(days=1)


def check_moment(moment: datetime, what: str) -> datetime:
    """``moment`` when it lies in the span (naive: in any zone); ``InvalidInput`` otherwise."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        earliest, latest = EARLIEST.replace(tzinfo=None), LATEST.replace(tzinfo=None)
        inside = earliest - _MARGIN <= moment < latest + _MARGIN
    else:
        inside = EARLIEST <= moment < LATEST
    if not inside:
        raise InvalidInput(f"{what}: {moment.isoformat()} is not {SPAN}")
    return moment


def check_day(day: date, what: str) -> date:
    check_moment(datetime(day.year, day.month, day.day), what)
    return day

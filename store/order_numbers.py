"""Internal order numbers: ``OW`` and the order's id in ten digits, never reused.

PostgreSQL hands them out from the sequence ``order_no_seq``, which takes no lock, so parallel
ingest writers never wait for each other's commit. SQLite has one writer at a time and keeps the
next number in the ``counters`` table.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

PREFIX = "OW"
DIGITS = 10
_FORMAT = f"{PREFIX}%0{DIGITS}d"


def format_order_no(number: int) -> str:
    return _FORMAT % number


def reserve_order_numbers(session: Session, count: int) -> list[int]:
    """``count`` new, increasing order numbers."""
    if session.get_bind().dialect.name == "postgresql":
        query = text("SELECT nextval('order_no_seq') FROM generate_series(1, :n)")
        return [int(n) for n in session.scalars(query, {"n": count})]
    last = session.execute(
        text("UPDATE counters SET value = value + :n WHERE name = 'order_no' RETURNING value"),
        {"n": count},
    ).scalar_one()
    return list(range(int(last) - count + 1, int(last) + 1))

"""Internal order numbers: ``OW`` and ten digits from a counter shared by all processes."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

PREFIX = "OW"
DIGITS = 10


def format_order_no(number: int) -> str:
    return f"{PREFIX}{number:0{DIGITS}d}"


def reserve_numbers(session: Session, counter: str, count: int) -> int:
    """Reserve ``count`` consecutive numbers; returns the first. Holds the counter's row lock
    until the transaction ends, so concurrent batches get disjoint ranges."""
    last = session.execute(
        text("UPDATE counters SET value = value + :n WHERE name = :name RETURNING value"),
        {"n": count, "name": counter},
    ).scalar_one()
    return int(last) - count + 1


def order_no_sql(session: Session, number_sql: str) -> str:
    """SQL expression formatting the integer ``number_sql`` as an order number."""
    if session.get_bind().dialect.name == "postgresql":
        return f"'{PREFIX}' || lpad(CAST(({number_sql}) AS text), {DIGITS}, '0')"
    return f"printf('{PREFIX}%0{DIGITS}d', {number_sql})"

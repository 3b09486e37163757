"""Idempotent batch upsert of canonical orders, in set-based SQL.

One query reads which orders of the batch the store already holds, and at which version. New
orders are written straight to ``orders`` and ``order_items`` with ``COPY`` (a prepared INSERT
on SQLite) under numbers from ``store.order_numbers``; should a concurrent writer store one of
them first (a unique violation of the natural key), the copy is rolled back to its savepoint
and the batch is sorted again, while any other violation is raised as the bad data it is. Newer
versions of known orders are staged in a temporary table and merged by two statements: one
records the stage moves, one applies the versions. A stage changes only along a move the
transition table allows a channel to make, so a replay or a late update never moves an order
backwards. An order's arrival is recorded on its row (stage, stage time, channel times); stage
events record the moves after it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from psycopg.errors import UniqueViolation
from sqlalchemy import String, column, func, select, text
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.selectable import TextualSelect

from store.canonical import CanonicalOrder, stage_time
from store.channels import get_channel
from store.events import ChangeEvent, record_changes
from store.listed import listed
from store.models import Order, utcnow
from store.models.base import UtcDateTime
from store.models.orders import NATURAL_KEY
from store.moves import Keep, move_writes, stage_event
from store.order_numbers import format_order_no, reserve_order_numbers
from store.stages import STAGE_COLUMNS, TRANSITIONS, Source, Stage

# Stage columns a channel can fill in; the warehouse stages are the handhelds' to record.
CHANNEL_STAGE_COLUMNS = (Stage.PENDING_REVIEW, Stage.SHIPPED, Stage.DELIVERED, Stage.CANCELLED)
# What a channel says about an order, stored as it comes; the same in both row shapes below.
PAYLOAD_COLUMNS = (
    "amount",
    "payment_method",
    "warehouse",
    "buyer_name",
    "buyer_phone",
    "buyer_address",
    "buyer_ciphertext",
    "ship_by",
    "created_at",
)
STAGED_COLUMNS = (
    "channel_order_id",
    "stage",
    "stage_at",
    *PAYLOAD_COLUMNS,
    "modified_at",
    "paid_at",
)
ORDER_COLUMNS = (
    "id",
    "order_no",
    "channel_id",
    "channel_order_id",
    "stage",
    "stage_entered_at",
    *PAYLOAD_COLUMNS,
    "channel_modified_at",
    "paid_at",
    *(STAGE_COLUMNS[stage] for stage in CHANNEL_STAGE_COLUMNS),
    "version",
    "updated_at",
)
ITEM_COLUMNS = ("order_id", "line_no", "sku", "name", "quantity", "unit_price", "picked_quantity")
# Typed result columns, so that SQLite's text timestamps come back as aware datetimes.
CHANGED = (
    column("order_no", String),
    column("stage", String),
    column("stage_entered_at", UtcDateTime()),
)
_RACE_RETRIES = 3
_SQLITE_NATURAL_KEY = "UNIQUE constraint failed: orders.channel_id, orders.channel_order_id"
_ANALYZE_AFTER = 1000
"""Rows a writer inserts before it first refreshes the planner statistics itself."""
_ANALYZE_GROWTH = 4
"""...and then whenever it has inserted this many times the channel's rows at the last look."""


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """What one batch did; ``stale`` counts replays and updates older than the stored one."""

    inserted: int
    updated: int
    stale: int
    stage_changes: int

    @property
    def received(self) -> int:
        return self.inserted + self.updated + self.stale


def upsert_orders(session: Session, channel: str, orders: Sequence[CanonicalOrder]) -> UpsertResult:
    """Merge ``orders`` from ``channel`` into the store in the caller's transaction."""
    channel_row = get_channel(session, channel)
    latest = _latest_per_order(orders)
    inserted: list[ChangeEvent] = []
    known: list[CanonicalOrder] = []
    pending = latest
    for _attempt in range(_RACE_RETRIES):
        stored = stored_versions(session, channel_row.id, [o.channel_order_id for o in pending])
        # Only newer versions go on to the merge, whose SQL checks again under the row lock.
        known += [
            o
            for o in pending
            if o.channel_order_id in stored and o.modified_at > stored[o.channel_order_id]
        ]
        fresh = [o for o in pending if o.channel_order_id not in stored]
        pending = _insert_new(session, channel_row.id, fresh, inserted)
        if not pending:
            break
    known += pending  # still racing after the retries: they exist now, merge them
    updated, moved = _apply_updates(session, channel_row.id, channel_row.name, known)
    record_changes(session, inserted + updated)
    return UpsertResult(
        inserted=len(inserted),
        updated=len(updated),
        stale=len(orders) - len(inserted) - len(updated),
        stage_changes=moved,
    )


def _latest_per_order(orders: Iterable[CanonicalOrder]) -> list[CanonicalOrder]:
    """One version per order: a batch that repeats an order keeps its newest."""
    latest: dict[str, CanonicalOrder] = {}
    for order in orders:
        seen = latest.get(order.channel_order_id)
        if seen is None or order.modified_at > seen.modified_at:
            latest[order.channel_order_id] = order
    return list(latest.values())


def stored_versions(session: Session, channel_id: int, ids: list[str]) -> dict[str, datetime]:
    """The channel-modified time of each of ``ids`` the store already holds, in one query with
    one parameter (an array on PostgreSQL, a JSON list on SQLite), however long the list."""
    if not ids:
        return {}
    query = select(Order.channel_order_id, Order.channel_modified_at).where(
        Order.channel_id == channel_id, listed(session, Order.channel_order_id, ids, String())
    )
    return {row.channel_order_id: row.channel_modified_at for row in session.execute(query)}


def _insert_new(
    session: Session, channel_id: int, fresh: list[CanonicalOrder], events: list[ChangeEvent]
) -> list[CanonicalOrder]:
    """Write ``fresh`` orders and their lines; returns them all if another writer was first."""
    if not fresh:
        return []
    numbered = list(zip(reserve_order_numbers(session, len(fresh)), fresh, strict=True))
    now = utcnow()
    rows = [_new_row(number, channel_id, order, now) for number, order in numbered]
    try:
        with session.begin_nested():
            _load(session, "orders", ORDER_COLUMNS, rows)
            _load(session, "order_items", ITEM_COLUMNS, _item_rows(numbered))
    except session.get_bind().dialect.loaded_dbapi.IntegrityError as error:
        # The savepoint is rolled back either way. Only a clash on the natural key means
        # another writer stored one of these orders after ``stored_versions`` looked; any
        # other violation is bad data that no retry or merge would fix.
        if not _lost_race(error):
            raise
        return fresh
    # row = (id, order_no, channel_id, channel_order_id, stage, stage_entered_at, ...)
    events.extend(ChangeEvent(row[1], row[4], row[5]) for row in rows)  # type: ignore[arg-type]
    return []


def _lost_race(error: Exception) -> bool:
    """Whether ``error`` (the driver's IntegrityError) is a unique violation of the orders'
    natural key: PostgreSQL names the constraint (SQLSTATE 23505), SQLite only the columns."""
    if isinstance(error, UniqueViolation):
        return error.diag.constraint_name == NATURAL_KEY
    return isinstance(error, sqlite3.IntegrityError) and str(error) == _SQLITE_NATURAL_KEY


def _new_row(number: int, channel_id: int, o: CanonicalOrder, now: datetime) -> tuple[object, ...]:
    entered = stage_time(o)
    paid = o.paid_at or (entered if o.stage is Stage.PAID else None)
    stage_times = tuple(entered if o.stage is s else None for s in CHANNEL_STAGE_COLUMNS)
    return (
        number,
        format_order_no(number),
        channel_id,
        o.channel_order_id,
        o.stage.value,
        entered,
        *_payload(o),
        o.modified_at,
        paid,
        *stage_times,
        1,
        now,
    )


def _payload(o: CanonicalOrder) -> tuple[object, ...]:
    return (
        o.amount,
        o.payment_method,
        o.warehouse,
        o.buyer_name,
        o.buyer_phone,
        o.buyer_address,
        o.buyer_ciphertext,
        o.ship_by,
        o.created_at,
    )


def _item_rows(numbered: Iterable[tuple[int, CanonicalOrder]]) -> Iterable[tuple[object, ...]]:
    for order_id, order in numbered:
        for line_no, item in enumerate(order.items, start=1):
            yield (order_id, line_no, item.sku, item.name, item.quantity, item.unit_price, 0)


def _staged_row(o: CanonicalOrder) -> tuple[object, ...]:
    return (
        o.channel_order_id,
        o.stage.value,
        stage_time(o),
        *_payload(o),
        o.modified_at,
        o.paid_at,
    )


def _load(
    session: Session, table: str, columns: Sequence[str], rows: Iterable[tuple[object, ...]]
) -> None:
    """Bulk-load rows: COPY on PostgreSQL, one prepared INSERT on SQLite."""
    raw = session.connection().connection.dbapi_connection
    names = ", ".join(columns)
    cursor = raw.cursor()  # type: ignore[union-attr]
    if session.get_bind().dialect.name == "postgresql":
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
    cursor.executemany(sql, [tuple(_sqlite_value(v) for v in row) for row in rows])


def _sqlite_value(value: object) -> object:
    # Written exactly as SQLAlchemy writes them, so that stored and staged values compare.
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, Decimal):
        return str(value)
    return value


def _stage(session: Session, orders: list[CanonicalOrder]) -> None:
    """Load ``orders`` into the temporary table ``ow_in`` (gone at the end of the transaction)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    ts = "timestamptz" if postgres else "TIMESTAMP"
    session.execute(text("DROP TABLE IF EXISTS ow_in"))
    session.execute(
        text(
            f"CREATE TEMPORARY TABLE ow_in (channel_order_id varchar(64), "
            f"stage varchar(16), stage_at {ts}, amount numeric(12, 2), "
            "payment_method varchar(32), warehouse varchar(32), buyer_name varchar(128), "
            f"buyer_phone varchar(32), buyer_address text, buyer_ciphertext text, ship_by {ts}, "
            f"created_at {ts}, "
            f"modified_at {ts}, paid_at {ts})"
        )
    )
    _load(session, "ow_in", STAGED_COLUMNS, (_staged_row(o) for o in orders))


class _Sql(str):
    """An SQL expression, where a move is rendered as SQL; other values are literals."""


CHANNEL_MOVES = tuple(move for move, sources in TRANSITIONS.items() if Source.CHANNEL in sources)
"""The moves a channel's update may make (``o``: the stored order, ``i``: the staged one)."""
_AT = _Sql("i.stage_at")


def _moves_sql(moves: Iterable[tuple[Stage, Stage]]) -> str:
    """SQL truth value: the staged update moves the stored order along one of ``moves``
    (grouped by the side, stored or staged stage, that makes fewer groups)."""
    by_current: dict[Stage, list[str]] = {}
    by_target: dict[Stage, list[str]] = {}
    for current, target in moves:
        by_current.setdefault(current, []).append(f"'{target.value}'")
        by_target.setdefault(target, []).append(f"'{current.value}'")
    one, other, groups = "o", "i", by_current
    if len(by_target) < len(by_current):
        one, other, groups = "i", "o", by_target
    cases = " OR ".join(
        f"({one}.stage = '{stage.value}' AND {other}.stage IN ({', '.join(sorted(names))}))"
        for stage, names in sorted(groups.items())
    )
    return f"({cases})"


def _literal(value: object) -> str:
    if isinstance(value, _Sql):
        return value
    if value is None:
        return "NULL"
    return "'" + str(value).replace("'", "''") + "'"


def _move_assignments() -> str:
    """The SET clauses that apply a channel's moves as ``store.moves`` defines them: for each
    column a move writes, a CASE over the moves, grouped by the value they write."""
    cases: dict[str, dict[str, list[tuple[Stage, Stage]]]] = {}
    keeps: dict[str, Keep] = {}
    for current, target in CHANNEL_MOVES:
        for name, write in move_writes(current, target, _AT).items():
            by_value = cases.setdefault(name, {})
            by_value.setdefault(_literal(write.value), []).append((current, target))
            keeps[name] = write.keep
    clauses = []
    for name, by_value in cases.items():
        whens = " ".join(f"WHEN {_moves_sql(m)} THEN {value}" for value, m in by_value.items())
        if keeps[name] is Keep.FIRST:
            clauses.append(f"{name} = COALESCE(o.{name}, CASE {whens} END)")
        else:
            clauses.append(f"{name} = CASE {whens} ELSE o.{name} END")
    return ", ".join(clauses)


MOVED = _moves_sql(CHANNEL_MOVES)
MOVE_ASSIGNMENTS = _move_assignments()
_EVENT = stage_event(
    _Sql("o.id"), _Sql("o.stage"), _Sql("i.stage"), _AT, Source.CHANNEL.value, _Sql(":channel")
)
NEWER = (
    "o.channel_id = :channel_id AND o.channel_order_id = i.channel_order_id "
    "AND o.channel_modified_at < i.modified_at"
)


def _apply_updates(
    session: Session, channel_id: int, channel: str, known: list[CanonicalOrder]
) -> tuple[list[ChangeEvent], int]:
    """Apply strictly newer versions; returns their change events and how many moved stage."""
    if not known:
        return [], 0
    _stage(session, known)
    params = {"channel_id": channel_id, "channel": channel, "now": utcnow()}
    moves: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        text(
            f"INSERT INTO stage_events ({', '.join(_EVENT)}, recorded_at) "
            f"SELECT {', '.join(_literal(v) for v in _EVENT.values())}, :now "
            f"FROM ow_in i JOIN orders o ON {NEWER} WHERE {MOVED}"
        ),
        params,
    )
    rows = session.execute(_update_statement(session), params).all()
    session.execute(text("DROP TABLE ow_in"))
    return [ChangeEvent(*row) for row in rows], moves.rowcount


def _update_statement(session: Session) -> TextualSelect:
    # SQLite's RETURNING sees only the updated table and refuses its alias; PostgreSQL
    # needs the alias because the staged rows have columns of the same names.
    qualify = "o." if session.get_bind().dialect.name == "postgresql" else ""
    return text(
        f"UPDATE orders AS o SET {MOVE_ASSIGNMENTS}, "
        "amount = i.amount, payment_method = i.payment_method, "
        "warehouse = COALESCE(o.warehouse, i.warehouse), buyer_name = i.buyer_name, "
        "buyer_phone = i.buyer_phone, buyer_address = i.buyer_address, "
        "buyer_ciphertext = i.buyer_ciphertext, ship_by = i.ship_by, "
        "paid_at = COALESCE(o.paid_at, i.paid_at), channel_modified_at = i.modified_at, "
        "version = o.version + 1, updated_at = :now "
        f"FROM ow_in i WHERE {NEWER} "
        f"RETURNING {qualify}order_no, {qualify}stage, {qualify}stage_entered_at"
    ).columns(*CHANGED)


class PlannerStatistics:
    """Keeps PostgreSQL's planner statistics of ``orders`` current while one long ingest of one
    channel grows it.

    Without statistics that know the channel (a new store or a new shop, autovacuum off or not
    there yet: it looks once a minute) the planner takes the channel's rows for a handful and
    answers ``stored_versions`` by reading every row of the channel, with a generic plan that
    compares each to every id of the batch, so each batch costs more than the one before and a
    first sync of 100k orders spent most of its time there. PostgreSQL's advice after a bulk
    load is ``ANALYZE``; this runs it once the writer has inserted ``_ANALYZE_AFTER`` rows, and
    again whenever it has inserted ``_ANALYZE_GROWTH`` times the channel's rows at the last
    look, so a load of 100k orders samples the table three times. SQLite plans these
    statements by their unique index without statistics: nothing to do.
    """

    def __init__(self) -> None:
        self._inserted = 0
        self._threshold = _ANALYZE_AFTER
        self._channel_id = 0

    def start(self, session: Session, channel_id: int) -> None:
        """Take the channel's current size as the growth that calls for a fresh look."""
        self._channel_id = channel_id
        self._threshold = max(_ANALYZE_AFTER, _ANALYZE_GROWTH * _stored(session, channel_id))

    def grown(self, sessions: sessionmaker[Session], inserted: int) -> None:
        """Count ``inserted`` committed rows; analyze in a short transaction of its own once
        they are enough."""
        self._inserted += inserted
        if self._inserted < self._threshold:
            return
        with sessions.begin() as session:
            if session.get_bind().dialect.name != "postgresql":
                self._threshold = 2**62
                return
            session.execute(text("ANALYZE orders"))  # the table the upsert's statements read
            self._inserted = 0
            stored = _stored(session, self._channel_id)
            self._threshold = max(_ANALYZE_AFTER, _ANALYZE_GROWTH * stored)


def _stored(session: Session, channel_id: int) -> int:
    """How many orders of the channel the store holds (0 on SQLite, which needs no count)."""
    if session.get_bind().dialect.name != "postgresql":
        return 0
    query = select(func.count()).select_from(Order).where(Order.channel_id == channel_id)
    return session.scalar(query) or 0

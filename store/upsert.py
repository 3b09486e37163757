"""Idempotent batch upsert of canonical orders, in set-based SQL.

A batch is loaded into a temporary table (``COPY`` on PostgreSQL) and merged with a handful of
statements whatever its size: new orders get an ``order_no`` and their lines, existing ones are
updated only by a strictly newer channel-modified time, and a stage changes only along a move the
transition table allows a channel to make, so a replay or a late update never moves an order
backwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import String, column, text
from sqlalchemy.orm import Session

from store.canonical import CanonicalOrder, stage_time
from store.channels import get_channel
from store.events import ChangeEvent, record_changes
from store.models import utcnow
from store.models.base import UtcDateTime
from store.order_numbers import format_order_no, order_no_sql, reserve_numbers
from store.stages import TRANSITIONS, Source, Stage

ORDER_COLUMNS = (
    "channel_order_id",
    "stage",
    "stage_at",
    "amount",
    "payment_method",
    "warehouse",
    "buyer_name",
    "buyer_phone",
    "buyer_address",
    "ship_by",
    "created_at",
    "modified_at",
    "paid_at",
)
ITEM_COLUMNS = ("channel_order_id", "line_no", "sku", "name", "quantity", "unit_price")
# Stage columns a channel can fill in; the warehouse stages are the handhelds' to record.
CHANNEL_STAGE_COLUMNS = (Stage.PENDING_REVIEW, Stage.SHIPPED, Stage.DELIVERED, Stage.CANCELLED)
# Typed result columns, so that SQLite's text timestamps come back as aware datetimes.
CHANGED = (
    column("order_no", String),
    column("stage", String),
    column("stage_entered_at", UtcDateTime()),
)


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


def upsert_orders(
    session: Session, channel: str, orders: Sequence[CanonicalOrder]
) -> UpsertResult:
    """Merge ``orders`` from ``channel`` into the store in the caller's transaction."""
    channel_row = get_channel(session, channel)
    latest = _latest_per_order(orders)
    if not latest:
        return UpsertResult(0, 0, len(orders), 0)
    _stage_batch(session, latest)
    params = {"channel_id": channel_row.id, "channel": channel_row.name, "now": utcnow()}
    inserted = _insert_new(session, params)
    updated, moved = _apply_updates(session, params)
    session.execute(text("DROP TABLE ow_in"))
    session.execute(text("DROP TABLE ow_in_items"))
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


def _order_row(o: CanonicalOrder) -> tuple[object, ...]:
    return (
        o.channel_order_id,
        o.stage.value,
        stage_time(o),
        o.amount,
        o.payment_method,
        o.warehouse,
        o.buyer_name,
        o.buyer_phone,
        o.buyer_address,
        o.ship_by,
        o.created_at,
        o.modified_at,
        o.paid_at,
    )


def _item_rows(orders: Iterable[CanonicalOrder]) -> Iterable[tuple[object, ...]]:
    for o in orders:
        for line_no, item in enumerate(o.items, start=1):
            yield (o.channel_order_id, line_no, item.sku, item.name, item.quantity, item.unit_price)


def _stage_batch(session: Session, orders: list[CanonicalOrder]) -> None:
    postgres = session.get_bind().dialect.name == "postgresql"
    temporary = "TEMPORARY TABLE" if postgres else "TEMP TABLE"
    ts = "timestamptz" if postgres else "TIMESTAMP"
    session.execute(
        text(
            f"CREATE {temporary} ow_in (channel_order_id varchar(64) PRIMARY KEY, "
            f"stage varchar(16), stage_at {ts}, amount numeric(12, 2), "
            "payment_method varchar(32), warehouse varchar(32), buyer_name varchar(128), "
            f"buyer_phone varchar(32), buyer_address text, ship_by {ts}, created_at {ts}, "
            f"modified_at {ts}, paid_at {ts})"
        )
    )
    session.execute(
        text(
            f"CREATE {temporary} ow_in_items (channel_order_id varchar(64), line_no integer, "
            "sku varchar(64), name varchar(255), quantity integer, unit_price numeric(12, 2))"
        )
    )
    rows = (_order_row(o) for o in orders)
    if postgres:
        _copy(session, "ow_in", ORDER_COLUMNS, rows)
        _copy(session, "ow_in_items", ITEM_COLUMNS, _item_rows(orders))
    else:
        _insert_many(session, "ow_in", ORDER_COLUMNS, rows)
        _insert_many(session, "ow_in_items", ITEM_COLUMNS, _item_rows(orders))


def _copy(
    session: Session, table: str, columns: Sequence[str], rows: Iterable[tuple[object, ...]]
) -> None:
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _insert_many(
    session: Session, table: str, columns: Sequence[str], rows: Iterable[tuple[object, ...]]
) -> None:
    raw = session.connection().connection.dbapi_connection
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
    cursor = raw.cursor()  # type: ignore[union-attr]
    cursor.executemany(sql, (tuple(_sqlite_value(v) for v in row) for row in rows))


def _sqlite_value(value: object) -> object:
    # Written exactly as SQLAlchemy writes them, so that stored and staged values compare.
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, Decimal):
        return str(value)
    return value


def _channel_moves() -> str:
    """SQL truth value: the transition table allows the channel to move ``o`` to ``i.stage``."""
    targets: dict[Stage, list[str]] = {}
    for (current, target), sources in TRANSITIONS.items():
        if Source.CHANNEL in sources:
            targets.setdefault(current, []).append(f"'{target.value}'")
    cases = " OR ".join(
        f"(o.stage = '{current.value}' AND i.stage IN ({', '.join(sorted(names))}))"
        for current, names in sorted(targets.items())
    )
    return f"({cases})"


MOVED = _channel_moves()


def _insert_new(session: Session, params: dict[str, object]) -> list[ChangeEvent]:
    missing = (
        "FROM ow_in i WHERE NOT EXISTS (SELECT 1 FROM orders o "
        "WHERE o.channel_id = :channel_id AND o.channel_order_id = i.channel_order_id)"
    )
    count = session.execute(text(f"SELECT count(*) {missing}"), params).scalar_one()
    if not count:
        return []
    first = reserve_numbers(session, "order_no", count)
    number = f"{first - 1} + row_number() OVER (ORDER BY i.created_at, i.channel_order_id)"
    stage_columns = "".join(f", {stage.value}_at" for stage in CHANNEL_STAGE_COLUMNS)
    stage_values = "".join(
        f", CASE WHEN i.stage = '{stage.value}' THEN i.stage_at END"
        for stage in CHANNEL_STAGE_COLUMNS
    )
    inserted = session.execute(
        text(
            "INSERT INTO orders (order_no, channel_id, channel_order_id, stage, stage_entered_at, "
            "amount, payment_method, warehouse, buyer_name, buyer_phone, buyer_address, ship_by, "
            f"created_at, channel_modified_at, paid_at{stage_columns}, version, updated_at) "
            f"SELECT {order_no_sql(session, number)}, :channel_id, i.channel_order_id, i.stage, "
            "i.stage_at, i.amount, i.payment_method, i.warehouse, i.buyer_name, i.buyer_phone, "
            "i.buyer_address, i.ship_by, i.created_at, i.modified_at, "
            f"COALESCE(i.paid_at, CASE WHEN i.stage = 'paid' THEN i.stage_at END){stage_values}, "
            f"1, :now {missing} "
            "ON CONFLICT (channel_id, channel_order_id) DO NOTHING "
            "RETURNING order_no, stage, stage_entered_at"
        ).columns(*CHANGED),
        params,
    ).all()
    if not inserted:
        return []
    bounds = {"lo": format_order_no(first), "hi": format_order_no(first + count - 1)}
    fresh = "o.channel_id = :channel_id AND o.order_no BETWEEN :lo AND :hi"
    session.execute(
        text(
            "INSERT INTO order_items (order_id, line_no, sku, name, quantity, unit_price, "
            "picked_quantity) SELECT o.id, it.line_no, it.sku, it.name, it.quantity, "
            "it.unit_price, 0 FROM ow_in_items it JOIN orders o "
            f"ON o.channel_order_id = it.channel_order_id WHERE {fresh}"
        ),
        {**params, **bounds},
    )
    session.execute(
        text(
            "INSERT INTO stage_events (order_id, from_stage, to_stage, at, source, actor, "
            f"recorded_at) SELECT o.id, NULL, o.stage, o.stage_entered_at, 'channel', :channel, "
            f":now FROM orders o WHERE {fresh}"
        ),
        {**params, **bounds},
    )
    return [ChangeEvent.of(*row) for row in inserted]


def _apply_updates(session: Session, params: dict[str, object]) -> tuple[list[ChangeEvent], int]:
    """Apply strictly newer versions; returns their change events and how many moved stage."""
    newer = (
        "o.channel_id = :channel_id AND o.channel_order_id = i.channel_order_id "
        "AND o.channel_modified_at < i.modified_at"
    )
    moved = session.execute(
        text(
            "INSERT INTO stage_events (order_id, from_stage, to_stage, at, source, actor, "
            "recorded_at) SELECT o.id, o.stage, i.stage, i.stage_at, 'channel', :channel, :now "
            f"FROM ow_in i JOIN orders o ON {newer} WHERE {MOVED}"
        ),
        params,
    ).rowcount
    # SQLite's RETURNING sees only the updated table and refuses its alias; PostgreSQL
    # needs the alias because the staged rows have columns of the same names.
    qualify = "o." if session.get_bind().dialect.name == "postgresql" else ""
    stage_times = "".join(
        f", {stage.value}_at = COALESCE(o.{stage.value}_at, "
        f"CASE WHEN {MOVED} AND i.stage = '{stage.value}' THEN i.stage_at END)"
        for stage in CHANNEL_STAGE_COLUMNS
    )
    rows = session.execute(
        text(
            f"UPDATE orders AS o SET stage = CASE WHEN {MOVED} THEN i.stage ELSE o.stage END, "
            f"stage_entered_at = CASE WHEN {MOVED} THEN i.stage_at ELSE o.stage_entered_at END, "
            "amount = i.amount, payment_method = i.payment_method, "
            "warehouse = COALESCE(o.warehouse, i.warehouse), buyer_name = i.buyer_name, "
            "buyer_phone = i.buyer_phone, buyer_address = i.buyer_address, ship_by = i.ship_by, "
            "paid_at = COALESCE(o.paid_at, i.paid_at), channel_modified_at = i.modified_at, "
            f"version = o.version + 1, updated_at = :now{stage_times} "
            f"FROM ow_in i WHERE {newer} "
            f"RETURNING {qualify}order_no, {qualify}stage, {qualify}stage_entered_at"
        ).columns(*CHANGED),
        params,
    ).all()
    return [ChangeEvent.of(*row) for row in rows], moved

"""Stage timestamps written as given, for orders loaded from another system's history.

The batch upsert records only what a channel can say (paid, review, shipped, delivered,
cancelled); an export from an ERP also knows when the warehouse picked and packed. These are
written here in one set-based UPDATE per batch, and only where they differ from what the store
holds, so loading the same history twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import Column, MetaData, String, Table, insert, text
from sqlalchemy.orm import Session

from store.channels import get_channel
from store.models import utcnow
from store.models.base import UtcDateTime
from store.stages import Stage

HISTORY_COLUMNS = (
    "pending_review_at",
    "paid_at",
    "awaiting_pick_at",
    "first_picked_at",
    "picked_at",
    "packed_at",
    "shipped_at",
    "delivered_at",
    "cancelled_at",
    "on_hold_at",
)
"""Order timestamps a history import may set."""

_STAGED = Table(
    "ow_history_in",
    MetaData(),
    Column("channel_order_id", String(64), primary_key=True),
    *(Column(name, UtcDateTime()) for name in HISTORY_COLUMNS),
    prefixes=["TEMPORARY"],
)

StageTimes = Mapping[str, datetime | None]
"""Column name (one of ``HISTORY_COLUMNS``) → its time; ``None`` keeps the stored value."""


def set_stage_times(session: Session, channel: str, rows: Sequence[tuple[str, StageTimes]]) -> int:
    """Write the stage times of ``(channel_order_id, times)`` rows of ``channel``'s orders, in
    the caller's transaction; an order's stage time follows its current stage. Returns how
    many orders changed."""
    if not rows:
        return 0
    unknown = {name for _id, times in rows for name in times} - set(HISTORY_COLUMNS)
    if unknown:
        raise ValueError(f"not a stage time column: {', '.join(sorted(unknown))}")
    channel_id = get_channel(session, channel).id
    connection = session.connection()
    _STAGED.drop(connection, checkfirst=True)
    _STAGED.create(connection)
    session.execute(
        insert(_STAGED),
        [
            {"channel_order_id": order_id, **dict.fromkeys(HISTORY_COLUMNS), **times}
            for order_id, times in rows
        ],
    )
    changed = session.execute(
        text(_update_sql(connection.dialect.name == "postgresql")),
        {"channel_id": channel_id, "now": utcnow()},
    )
    _STAGED.drop(connection)
    return int(changed.rowcount)  # type: ignore[attr-defined]


def _update_sql(postgres: bool) -> str:
    differs = "IS DISTINCT FROM" if postgres else "IS NOT"
    sets = ", ".join(f"{c} = COALESCE(t.{c}, o.{c})" for c in HISTORY_COLUMNS)
    entered = " ".join(
        f"WHEN '{stage.value}' THEN COALESCE(t.{stage.value}_at, o.stage_entered_at)"
        for stage in Stage
    )
    changes = " OR ".join(f"(t.{c} IS NOT NULL AND o.{c} {differs} t.{c})" for c in HISTORY_COLUMNS)
    # Assembled from this module's column names and the stage table; values are parameters.
    return (
        f"UPDATE orders AS o SET {sets}, stage_entered_at = CASE o.stage {entered} "  # noqa: S608
        "ELSE o.stage_entered_at END, version = o.version + 1, updated_at = :now "
        "FROM ow_history_in AS t WHERE o.channel_id = :channel_id "
        f"AND o.channel_order_id = t.channel_order_id AND ({changes})"
    )

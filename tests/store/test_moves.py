"""The three ways the store applies stage moves leave the same rows for the same moves.

``move_order`` (one order, ORM), ``apply_scans`` (handheld batches, executemany) and
``upsert_orders`` (channel batches, set-based SQL) all render ``store.moves``; hypothesis
draws walks of the floor and runs of channel updates, applies them to one order through the
fast path and to a twin through ``move_order``, and compares the two orders' rows and
timelines. Moves a path refuses are refused by the other as well.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import count
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Table, select
from sqlalchemy.orm import Session, sessionmaker

from store.channels import create_channel
from store.errors import TransitionRefused
from store.models import Channel, Order, StageEvent
from store.orders import find_order
from store.scans import ScanInput, ScanKind, apply_scans
from store.stages import Stage
from store.transitions import move_order
from store.upsert import upsert_orders
from tests.factories import T0, canonical

CHANNEL = "tmall-main"
DEVICE = "pda-1"
# Columns that are no move's: identity, the channel's own version, the write time, the first
# pick (only scans record it) and the version, which counts writes, not moves (an update
# from the channel bumps it moved or not, a batch that records a first pick bumps it too).
NOT_MOVES = {
    "id", "order_no", "channel_order_id", "channel_modified_at", "updated_at", "version",
    "first_picked_at",
}  # fmt: skip
RUNS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
_ids = count()
_ORDERS: Table = Order.__table__  # type: ignore[assignment]


def _items(quantities: list[int]) -> list[dict[str, Any]]:
    return [
        {"sku": f"SKU-{n}", "quantity": q, "unit_price": "10.00"} for n, q in enumerate(quantities)
    ]


def _twins(sessions: sessionmaker[Session], names: list[str], quantities: list[int]) -> list[str]:
    """Orders of the same lines (one SKU each) paid at ``T0``; returns their numbers."""
    with sessions.begin() as session:
        if session.scalar(select(Channel.id).where(Channel.name == CHANNEL)) is None:
            create_channel(session, name=CHANNEL, platform="tmall")
        items = _items(quantities)
        upsert_orders(session, CHANNEL, [canonical(name, items=items) for name in names])
        return [find_order(session, CHANNEL, name).order_no for name in names]


def _state(session: Session, order_no: str) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    stored = session.execute(select(_ORDERS).where(Order.order_no == order_no)).mappings().one()
    row = {column: value for column, value in stored.items() if column not in NOT_MOVES}
    events = session.execute(
        select(
            StageEvent.from_stage, StageEvent.to_stage, StageEvent.at, StageEvent.source,
            StageEvent.actor, StageEvent.hold_category, StageEvent.note,
        )
        .where(StageEvent.order_id == stored["id"])
        .order_by(StageEvent.at, StageEvent.id)
    ).all()  # fmt: skip
    return row, [tuple(event) for event in events]


def _move(session: Session, order_no: str, to: Stage, at: datetime, **kwargs: Any) -> None:
    """``move_order``, a refused move leaving the order as it was (as the fast paths do)."""
    with suppress(TransitionRefused):
        move_order(session, order_no=order_no, to=to, at=at, **kwargs)


# --- the floor: handheld scans against move_order ------------------------------------------


@dataclass(frozen=True, slots=True)
class Walk:
    quantities: list[int]
    scans: list[tuple[str, int]]
    """(kind, line) in scanning order; a pick scan picks one unit of the line."""
    gaps: list[int]
    """Minutes before each scan."""
    batches: list[bool]
    """Whether each scan starts a new batch."""


@st.composite
def walks(draw: st.DrawFn) -> Walk:
    quantities = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    picks = [("pick", line) for line, q in enumerate(quantities) for _unit in range(q)]
    picks = draw(st.permutations(picks))
    picks = picks[: draw(st.integers(1, len(picks)))]  # stop short of the last unit sometimes
    # pack and pickup scans, possibly early (refused) or repeated, anywhere in the walk
    extra = draw(st.lists(st.sampled_from(["pack", "pickup"]), max_size=4))
    scans = list(picks)
    for kind in extra:
        scans.insert(draw(st.integers(0, len(scans))), (kind, -1))
    gaps = draw(st.lists(st.integers(1, 600), min_size=len(scans), max_size=len(scans)))
    batches = draw(st.lists(st.booleans(), min_size=len(scans), max_size=len(scans)))
    return Walk(quantities, scans, gaps, batches)


def _release(session: Session, *order_nos: str) -> None:
    for order_no in order_nos:
        move_order(session, order_no=order_no, to="awaiting_pick", source="rule", at=T0)


@RUNS
@given(walk=walks())
def test_scans_write_what_move_order_writes(sessions: sessionmaker[Session], walk: Walk) -> None:
    scanned, moved = _twins(sessions, [f"S{next(_ids)}", f"M{next(_ids)}"], walk.quantities)
    with sessions.begin() as session:
        _release(session, scanned, moved)
        at, units, batch = T0, sum(walk.quantities), list[ScanInput]()
        for n, ((kind, line), gap, new_batch) in enumerate(
            zip(walk.scans, walk.gaps, walk.batches, strict=True)
        ):
            at += timedelta(minutes=gap)
            if new_batch and batch:
                apply_scans(session, batch, device=DEVICE)
                batch = []
            sku = f"SKU-{line}"
            batch.append(ScanInput(f"{scanned}-{n}", ScanKind(kind), scanned, at, sku=sku,
                                   quantity=1, carrier="SF", waybill="SF1"))  # fmt: skip
            if kind == "pick":
                units -= 1
            target = {"pick": Stage.PICKED, "pack": Stage.PACKED, "pickup": Stage.SHIPPED}[kind]
            if kind != "pick" or units == 0:
                _move(session, moved, target, at, source="handheld", actor=DEVICE)
        apply_scans(session, batch, device=DEVICE)
        assert _state(session, scanned) == _state(session, moved)


# --- the channel: batch upserts against move_order ------------------------------------------

CHANNEL_SAYS = ["paid", "pending_review", "awaiting_pick", "shipped", "delivered", "cancelled"]
PRELUDES: list[list[tuple[Stage, dict[str, Any]]]] = [
    [],
    [(Stage.PENDING_REVIEW, {"source": "rule"})],
    [(Stage.AWAITING_PICK, {"source": "rule"})],
    [(Stage.ON_HOLD, {"source": "console", "actor": "ann", "hold_category": "damaged",
                      "note": "box crushed"})],
    [(Stage.AWAITING_PICK, {"source": "rule"}),
     (Stage.ON_HOLD, {"source": "handheld", "actor": DEVICE, "hold_category": "out_of_stock"})],
]  # fmt: skip


@RUNS
@given(
    prelude=st.sampled_from(PRELUDES),
    updates=st.lists(st.tuples(st.sampled_from(CHANNEL_SAYS), st.integers(1, 600)), max_size=5),
)
def test_upserts_write_what_move_order_writes(
    sessions: sessionmaker[Session],
    prelude: list[tuple[Stage, dict[str, Any]]],
    updates: list[tuple[str, int]],
) -> None:
    name = f"U{next(_ids)}"
    upserted, moved = _twins(sessions, [name, f"M{next(_ids)}"], [1])
    items = _items([1])
    with sessions.begin() as session:
        for stage, how in prelude:
            for order_no in (upserted, moved):
                move_order(session, order_no=order_no, to=stage, at=T0, **how)
        at = T0
        for says, gap in updates:
            at += timedelta(minutes=gap)
            upsert_orders(
                session, CHANNEL, [canonical(name, stage=says, modified_at=at, items=items)]
            )
            current = session.scalar(select(Order.stage).where(Order.order_no == moved))
            if says != current:
                _move(session, moved, Stage(says), at, source="channel", actor=CHANNEL)
        assert _state(session, upserted) == _state(session, moved)

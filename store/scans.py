"""Handheld scans: the store derives each order's warehouse stage from them.

A first pick scan records "first item picked" (``first_picked_at``), the scan that completes
the last line moves the order to ``picked``, pack complete to ``packed`` and carrier pickup to
``shipped`` (using up the stock reserved for it).

A batch is applied in three steps, so that a refused scan never leaves half of itself behind
and a batch of hundreds costs a handful of statements:

1. lock the batch's orders (in id order, so concurrent batches never deadlock) and read their
   lines and the scan ids already received;
2. judge the scans one by one against that state in memory, in the order they were scanned: a
   scan is refused before any of its effects touch the state, so only whole scans count;
3. write the accepted scans' effects set-based: line quantities, order stages and times, stage
   events, the scans themselves, and a warehouse exception for each refusal.

Every scan is kept with its answer, so a repeated ``scan_id`` changes nothing and gets the
first answer again; the same ``scan_id`` sent for another scan (another order, kind, SKU or
quantity) is refused with ``idempotency_key_reused``, and kept nowhere.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Any, Literal, NamedTuple

from sqlalchemy import Table, Update, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.errors import Conflict, TransitionRefused
from store.events import record_change
from store.idempotency import CODE as IDEMPOTENCY_CODE
from store.idempotency import differences, reuse_message
from store.inventory import free_reservations
from store.models import Order, OrderItem, Scan, StageEvent, WarehouseException, utcnow
from store.moves import Keep, Write, folded, move_writes, stage_event
from store.stages import Move, Source, Stage, check_move

MAX_BATCH = 500


class ScanKind(StrEnum):
    PICK = "pick"
    PACK = "pack"
    PICKUP = "pickup"


REFUSALS: dict[str, tuple[str, str]] = {
    "unknown_order": ("订单不存在", "Unknown order"),
    "order_cancelled": ("订单已取消", "Order cancelled"),
    "order_on_hold": ("订单已拦截", "Order on hold"),
    "order_not_released": ("订单未下发仓库", "Order not released to the warehouse"),
    "sku_not_on_order": ("SKU 不在订单中", "SKU not on the order"),
    "quantity_over_ordered": ("拣货数量超过订购数量", "Quantity over the ordered amount"),
    "order_already_picked": ("订单已拣完", "Order already picked"),
    "pack_before_pick": ("未拣完先打包", "Pack before pick"),
    "order_already_packed": ("订单已打包", "Order already packed"),
    "pickup_before_pack": ("未打包先揽收", "Carrier pickup before pack"),
    "order_already_shipped": ("订单已出库", "Order already shipped"),
    "transition_refused": ("状态流转不允许", "Stage move not allowed"),
    IDEMPOTENCY_CODE: ("扫描编号已用于另一次扫描", "Scan id already used for another scan"),
}
"""Every reason a scan can be refused: stable code → (Chinese, English) label."""

_NOT_RELEASED = frozenset({Stage.PENDING_REVIEW, Stage.PAID})


@dataclass(frozen=True, slots=True)
class ScanInput:
    """One scan as the handheld made it; which fields matter depends on ``kind``."""

    scan_id: str
    kind: ScanKind
    order_no: str
    at: datetime
    sku: str | None = None
    quantity: int | None = None
    weight_kg: Decimal | None = None
    carrier: str | None = None
    waybill: str | None = None
    device: str | None = None
    """Who sent it (an API token's name); ``apply_scans``'s ``device`` when not given."""


Status = Literal["accepted", "duplicate", "refused"]


@dataclass(frozen=True, slots=True)
class ScanResult:
    scan_id: str
    status: Status
    order_no: str
    stage: str | None = None
    """The order's stage once the whole batch was applied."""
    code: str | None = None
    message: str | None = None


class _Refused(Exception):
    """Internal control flow: why one scan is impossible; never leaves this module."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(slots=True)
class _Line:
    line_no: int
    sku: str
    quantity: int
    picked: int
    changed: bool = False


class _Move(NamedTuple):
    source: Stage
    target: Stage
    at: datetime
    device: str


@dataclass(slots=True)
class _Order:
    """An order as this batch sees it, with the moves the batch makes."""

    id: int
    order_no: str
    stage: Stage
    hold_category: str | None
    warehouse: str | None
    first_picked_at: datetime | None
    lines: list[_Line] = field(default_factory=list)
    moves: list[_Move] = field(default_factory=list)
    first_pick: datetime | None = None
    """Set when this batch records the order's first pick."""


def apply_scans(
    session: Session, scans: Sequence[ScanInput], *, device: str | None = None
) -> list[ScanResult]:
    """Apply ``scans`` (answers in the same order) in the caller's transaction; ``device``
    names the sender of the scans that do not name their own."""
    scans = [scan if scan.device else replace(scan, device=device or "unknown") for scan in scans]
    orders = _lock_orders(session, sorted({scan.order_no for scan in scans}))
    answered = _answered(session, [scan.scan_id for scan in scans])
    results: dict[int, ScanResult] = {}
    kept: list[tuple[ScanInput, _Order | None, _Refused | None]] = []
    # Judge in scanning order (an offline handheld may send its queue out of order); a
    # stable sort keeps the sent order for scans made in the same instant.
    for index in sorted(range(len(scans)), key=lambda i: scans[i].at):
        scan = scans[index]
        if scan.scan_id in answered:
            results[index] = _repeat(scan, answered[scan.scan_id])
            continue
        order = orders.get(scan.order_no)
        refusal = _judge(scan, order)
        answered[scan.scan_id] = _Answer(_content(scan), refusal)
        kept.append((scan, order, refusal))
        results[index] = _fresh(scan, refusal)
    _write(session, kept, orders.values())
    session.expire_all()  # ORM objects the caller holds must re-read what was written here
    return [_with_stage(results[i], orders) for i in range(len(scans))]


_LOCK_ORDERS = (
    select(
        Order.id,
        Order.order_no,
        Order.stage,
        Order.hold_category,
        Order.warehouse,
        Order.first_picked_at,
        OrderItem.line_no,
        OrderItem.sku,
        OrderItem.quantity,
        OrderItem.picked_quantity,
    )
    .outerjoin(OrderItem, OrderItem.order_id == Order.id)
    .where(Order.order_no.in_(bindparam("order_nos", expanding=True)))
    .order_by(Order.id, OrderItem.line_no)
    .with_for_update(of=Order)
)
"""A batch's orders with their lines, the orders locked in id order (so concurrent batches
never deadlock); built once, as every scan request runs it."""


def _lock_orders(session: Session, order_nos: list[str]) -> dict[str, _Order]:
    orders: dict[str, _Order] = {}
    for row in session.execute(_LOCK_ORDERS, {"order_nos": order_nos}):
        order = orders.get(row.order_no)
        if order is None:
            order = orders[row.order_no] = _Order(
                row.id, row.order_no, Stage(row.stage), row.hold_category, row.warehouse,
                row.first_picked_at,
            )  # fmt: skip
        if row.line_no is not None:
            order.lines.append(_Line(row.line_no, row.sku, row.quantity, row.picked_quantity))
    return orders


_CONTENT = ("kind", "order_no", "sku", "quantity", "weight_kg", "carrier", "waybill")
"""What makes a scan the scan it is; its time and device do not (a handheld's retry of one
scan may stamp it anew)."""
_ANSWERED = select(
    Scan.scan_id, Scan.refused_code, Scan.refused_message, *(Scan.__table__.c[c] for c in _CONTENT)
).where(Scan.scan_id.in_(bindparam("scan_ids", expanding=True)))


class _Answer(NamedTuple):
    content: dict[str, object]
    refusal: _Refused | None


def _content(scan: ScanInput) -> dict[str, object]:
    return {name: getattr(scan, name) for name in _CONTENT} | {"kind": scan.kind.value}


def _answered(session: Session, scan_ids: list[str]) -> dict[str, _Answer]:
    """Scan ids received before (read after the orders are locked, so a concurrent request
    with the same scan of the same order has committed by now): id → content and answer."""
    rows = session.execute(_ANSWERED, {"scan_ids": scan_ids}).all()
    return {
        row.scan_id: _Answer(
            {name: getattr(row, name) for name in _CONTENT},
            None if row.refused_code is None else _Refused(row.refused_code, row.refused_message),
        )
        for row in rows
    }


def _repeat(scan: ScanInput, answer: _Answer) -> ScanResult:
    changed = differences(answer.content, _content(scan))
    if changed:
        message = reuse_message("scan_id", scan.scan_id, changed)
        return ScanResult(scan.scan_id, "refused", scan.order_no, code=IDEMPOTENCY_CODE,
                          message=message)  # fmt: skip
    if answer.refusal is None:
        return ScanResult(scan.scan_id, "duplicate", scan.order_no)
    refusal = answer.refusal
    return ScanResult(
        scan.scan_id, "refused", scan.order_no, code=refusal.code, message=refusal.message
    )


def _fresh(scan: ScanInput, refusal: _Refused | None) -> ScanResult:
    if refusal is None:
        return ScanResult(scan.scan_id, "accepted", scan.order_no)
    return ScanResult(
        scan.scan_id, "refused", scan.order_no, code=refusal.code, message=refusal.message
    )


def _with_stage(result: ScanResult, orders: dict[str, _Order]) -> ScanResult:
    order = orders.get(result.order_no)
    if order is None:
        return result
    return ScanResult(
        result.scan_id, result.status, result.order_no, order.stage.value, result.code,
        result.message,
    )  # fmt: skip


# --- judging one scan ---------------------------------------------------------------------


def _judge(scan: ScanInput, order: _Order | None) -> _Refused | None:
    """Check ``scan`` against ``order`` and, when it is possible, apply it to the state."""
    try:
        if order is None:
            raise _Refused("unknown_order", f"unknown order {scan.order_no!r}")
        _require_open(order)
        if scan.kind is ScanKind.PICK:
            _pick(order, scan)
        elif scan.kind is ScanKind.PACK:
            _pack(order, scan)
        else:
            _pickup(order, scan)
    except _Refused as refusal:
        return refusal
    return None


def _require_open(order: _Order) -> None:
    if order.stage is Stage.CANCELLED:
        raise _Refused("order_cancelled", f"order {order.order_no} is cancelled")
    if order.stage is Stage.ON_HOLD:
        raise _Refused(
            "order_on_hold",
            f"order {order.order_no} is on hold ({order.hold_category}); "
            "a supervisor must release it first",
        )
    if order.stage in _NOT_RELEASED:
        raise _Refused(
            "order_not_released",
            f"order {order.order_no} is {order.stage}, not yet released to the warehouse",
        )


def _pick(order: _Order, scan: ScanInput) -> None:
    quantity, sku = scan.quantity or 0, str(scan.sku)
    if order.stage is not Stage.AWAITING_PICK:
        raise _Refused(
            "order_already_picked", f"order {order.order_no} is {order.stage}: every line is picked"
        )
    lines = [line for line in order.lines if line.sku == sku]
    if not lines:
        raise _Refused("sku_not_on_order", f"SKU {sku!r} is not on order {order.order_no}")
    ordered, picked = sum(ln.quantity for ln in lines), sum(ln.picked for ln in lines)
    if picked + quantity > ordered:
        raise _Refused(
            "quantity_over_ordered",
            f"order {order.order_no} has {ordered} × {sku}, {picked} picked already; "
            f"picking {quantity} more would exceed it",
        )
    _fill(lines, quantity)
    if order.first_picked_at is None:
        order.first_picked_at = order.first_pick = scan.at
    if all(line.picked == line.quantity for line in order.lines):
        _move(order, Stage.PICKED, scan)


def _fill(lines: list[_Line], quantity: int) -> None:
    """Count picked units against the SKU's lines in line order."""
    for line in lines:
        take = min(quantity, line.quantity - line.picked)
        if take:
            line.picked += take
            line.changed = True
            quantity -= take


def _pack(order: _Order, scan: ScanInput) -> None:
    if order.stage is Stage.AWAITING_PICK:
        open_lines = sum(1 for line in order.lines if line.picked < line.quantity)
        raise _Refused(
            "pack_before_pick",
            f"order {order.order_no} cannot be packed: {open_lines} line(s) not picked yet",
        )
    if order.stage is not Stage.PICKED:
        raise _Refused("order_already_packed", f"order {order.order_no} is {order.stage} already")
    _move(order, Stage.PACKED, scan)


def _pickup(order: _Order, scan: ScanInput) -> None:
    if order.stage in (Stage.AWAITING_PICK, Stage.PICKED):
        raise _Refused(
            "pickup_before_pack",
            f"order {order.order_no} is {order.stage}: it must be packed before carrier pickup",
        )
    if order.stage is not Stage.PACKED:
        raise _Refused("order_already_shipped", f"order {order.order_no} is {order.stage} already")
    _move(order, Stage.SHIPPED, scan)


def _move(order: _Order, target: Stage, scan: ScanInput) -> None:
    try:  # the stage table stays the one authority on what may move
        check_move(Move(order.order_no, order.stage, target, Source.HANDHELD))
    except TransitionRefused as refused:
        raise _Refused("transition_refused", refused.message) from None
    order.moves.append(_Move(order.stage, target, scan.at, str(scan.device)))
    order.stage = target


# --- writing the batch ----------------------------------------------------------------------


def _write(
    session: Session,
    kept: list[tuple[ScanInput, _Order | None, _Refused | None]],
    orders: Collection[_Order],
) -> None:
    if not kept:
        return
    _insert_scans(session, kept)
    moved = [order for order in orders if order.moves or order.first_pick]
    _update_lines(session, orders)
    _update_orders(session, moved)
    _insert_events(session, moved)
    _insert_exceptions(session, kept)
    shipped = [o.id for o in moved if any(m.target is Stage.SHIPPED for m in o.moves)]
    free_reservations(session, shipped, consume=True)
    for order in moved:
        at = order.moves[-1].at if order.moves else order.first_pick
        record_change(session, order.order_no, order.stage.value, at or utcnow())


def _insert_scans(
    session: Session, kept: list[tuple[ScanInput, _Order | None, _Refused | None]]
) -> None:
    rows = [
        {
            "scan_id": scan.scan_id,
            "kind": scan.kind.value,
            "order_id": order.id if order else None,
            "order_no": scan.order_no,
            "sku": scan.sku,
            "quantity": scan.quantity,
            "weight_kg": scan.weight_kg,
            "carrier": scan.carrier,
            "waybill": scan.waybill,
            "at": scan.at,
            "device": scan.device,
            "refused_code": refusal.code if refusal else None,
            "refused_message": refusal.message if refusal else None,
        }
        for scan, order, refusal in kept
    ]
    try:
        session.execute(insert(_SCANS), rows)
    except IntegrityError:
        # Only possible when another request used one of these scan ids for a different
        # order at the same moment (the orders' locks order all other repeats); nothing of
        # this request is kept and a retry gets the right answers.
        raise Conflict(
            "another request is applying one of these scan ids right now; send the batch again",
            code="scan_id_in_use",
        ) from None


def _update_lines(session: Session, orders: Collection[_Order]) -> None:
    rows = [
        {"p_order": order.id, "p_line": line.line_no, "p_picked": line.picked}
        for order in orders
        for line in order.lines
        if line.changed
    ]
    if rows:
        statement = (
            update(_LINES)
            .where(
                _LINES.c.order_id == bindparam("p_order"), _LINES.c.line_no == bindparam("p_line")
            )
            .values(picked_quantity=bindparam("p_picked"))
        )
        session.execute(statement, rows)


# Core tables: the batch writes are executemany statements, without the ORM's per-row work.
_ORDERS: Table = Order.__table__  # type: ignore[assignment]
_LINES: Table = OrderItem.__table__  # type: ignore[assignment]
_SCANS: Table = Scan.__table__  # type: ignore[assignment]
_EVENTS: Table = StageEvent.__table__  # type: ignore[assignment]
_EXCEPTIONS: Table = WarehouseException.__table__  # type: ignore[assignment]
_TIME = _ORDERS.c.stage_entered_at.type


def _update_orders(session: Session, moved: list[_Order]) -> None:
    """One executemany for every order the batch moved: each order's moves written as
    ``store.moves`` defines them, and its first pick."""
    if not moved:
        return
    writes = []
    for order in moved:
        found = folded(move_writes(m.source, m.target, m.at) for m in order.moves)
        if order.first_pick:
            found["first_picked_at"] = Write(order.first_pick, Keep.FIRST)
        writes.append(found)
    columns = {column: w.keep for found in writes for column, w in found.items()}
    now = utcnow()
    rows = [
        {
            "p_id": order.id,
            "p_moves": max(len(order.moves), 1),
            "p_now": now,
            **{f"p_{c}": found[c].value if c in found else None for c in columns},
        }
        for order, found in zip(moved, writes, strict=True)
    ]
    statement = _order_update(tuple(sorted(columns.items(), key=lambda item: item[0])))
    session.execute(statement, rows)


@cache
def _order_update(columns: tuple[tuple[str, Keep], ...]) -> Update:
    """The executemany statement writing ``columns``. A row passes no value (NULL) for a column
    its order's moves do not write, which keeps what the column holds: handheld moves write
    no empty values (a held order's scans are refused, so none enters or leaves a hold)."""
    values: dict[str, Any] = {
        "version": _ORDERS.c.version + bindparam("p_moves"),
        "updated_at": bindparam("p_now", type_=_TIME),
    }
    for column, keep in columns:
        old = _ORDERS.c[column]
        new = bindparam(f"p_{column}", type_=old.type)
        values[column] = func.coalesce(old, new) if keep is Keep.FIRST else func.coalesce(new, old)
    return update(_ORDERS).where(_ORDERS.c.id == bindparam("p_id")).values(values)


def _insert_events(session: Session, moved: list[_Order]) -> None:
    rows = [
        stage_event(order.id, move.source.value, move.target.value, move.at,
                    Source.HANDHELD.value, move.device)
        for order in moved
        for move in order.moves
    ]  # fmt: skip
    if rows:
        session.execute(insert(_EVENTS), rows)


def _insert_exceptions(
    session: Session, kept: list[tuple[ScanInput, _Order | None, _Refused | None]]
) -> None:
    """Every refused scan is a warehouse exception the board counts (once: a repeated scan
    id is answered from the scans table and recorded nowhere)."""
    rows = [
        {
            "order_id": order.id if order else None,
            "order_no": scan.order_no,
            "code": refusal.code,
            "message": refusal.message,
            "scan_id": scan.scan_id,
            "device": scan.device,
            "warehouse": order.warehouse if order else None,
            "at": scan.at,
        }
        for scan, order, refusal in kept
        if refusal is not None
    ]
    if rows:
        session.execute(insert(_EXCEPTIONS), rows)

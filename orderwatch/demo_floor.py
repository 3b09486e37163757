"""The demo's warehouse floor: plays the handhelds so the board moves.

Every few seconds the floor looks at the released orders and records the scans a picker, a
packer and the carrier would have made by now, through ``store.scans.apply_scans`` (what
``POST /api/v1/scans`` calls) and ``store.floor.report_exception``. Each order gets its own
delays, drawn from its order number, so a restart continues the same story: most are picked
within half an hour, some wait an hour or two, and a few are forgotten for more than two hours
(the SLA breaches the board should show). About one order in fifty has an address the picker
cannot read (地址不清) and is put on hold instead.

A scan is recorded at the moment it was due, not when the floor noticed, so the two-day backlog
the demo starts with is worked through at its own times in the first rounds.

The demo also plays the order router here: orders synced from a platform name no warehouse, and
automatic release only sends orders that have one.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import structlog
from sqlalchemy import case, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from ingest.release import release_paid_orders
from rules.review import Reviewer
from store.errors import DomainError
from store.floor import report_exception
from store.models import Order, utcnow
from store.scans import ScanInput, ScanKind, apply_scans
from store.stages import Stage

log = structlog.get_logger(__name__)

DEVICE = "demo-pda"
WAREHOUSES = ("SH-01", "HZ-02")
CARRIERS = ("SF", "ZTO", "YTO", "STO", "JD")
UNCLEAR_ADDRESS_SHARE = 0.02
MAX_ORDERS_PER_ROUND = 500
MAX_ROUNDS = 4
"""A backlog order can need pick, pack and pickup in one step."""

Clock = Callable[[], datetime]


def assign_warehouses(session: Session, *, paid_before: datetime | None = None) -> int:
    """Give every order without a warehouse one of the demo's two (by id, half each)."""
    statement = (
        update(Order)
        .where(Order.warehouse.is_(None))
        .values(warehouse=case((Order.id % 2 == 0, WAREHOUSES[0]), else_=WAREHOUSES[1]))
        .execution_options(synchronize_session=False)
    )
    if paid_before is not None:
        statement = statement.where(Order.paid_at <= paid_before)
    return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


def release_backlog(
    sessions: sessionmaker[Session],
    *,
    start: datetime,
    end: datetime,
    step: timedelta = timedelta(minutes=20),
) -> int:
    """Route, review and release the backlog slice by slice at the times it would have been
    (so waiting times on the board are real ones); returns how many orders were released."""
    released, moment = 0, start
    while moment < end:
        moment = min(moment + step, end)
        with sessions.begin() as session:
            assign_warehouses(session, paid_before=moment)
            report = release_paid_orders(session, review=Reviewer(now=moment), at=moment)
        released += len(report.released)
    return released


@dataclass(frozen=True, slots=True)
class Delays:
    """How long one order waits at each floor step, and whether its address stops the picker."""

    pick: timedelta
    pack: timedelta
    pickup: timedelta
    unclear_address: bool

    @classmethod
    def of(cls, order_no: str) -> Delays:
        rng = random.Random(order_no)
        roll = rng.random()
        if roll < 0.12:  # forgotten at the back of the shelf: breaches the 2 h pick SLA
            pick = rng.uniform(130, 300)
        elif roll < 0.35:
            pick = rng.uniform(30, 110)
        else:
            pick = rng.uniform(2, 30)
        return cls(
            pick=timedelta(minutes=pick),
            pack=timedelta(minutes=rng.uniform(2, 25)),
            pickup=timedelta(minutes=rng.uniform(10, 120)),  # carriers come by in rounds
            unclear_address=rng.random() < UNCLEAR_ADDRESS_SHARE,
        )


@dataclass(slots=True)
class FloorReport:
    scans: int = 0
    exceptions: int = 0
    routed: int = 0


class Floor:
    """Records the due scans every ``every_s`` seconds in a background thread."""

    def __init__(
        self, sessions: sessionmaker[Session], *, every_s: float = 3.0, clock: Clock = utcnow
    ) -> None:
        self.sessions = sessions
        self.every_s = every_s
        self.clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="demo-floor", daemon=True)

    def start(self) -> Floor:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # the floor carries on; the next round tries again
                log.exception("demo_floor.crashed")
            self._stop.wait(self.every_s)

    def step(self) -> FloorReport:
        """Route new orders, then record every scan due by now (a few rounds, for backlog)."""
        report = FloorReport()
        with self.sessions.begin() as session:
            report.routed = assign_warehouses(session)
        for _ in range(MAX_ROUNDS):
            with self.sessions.begin() as session:
                scans, exceptions = self._round(session, self.clock())
            report.scans += scans
            report.exceptions += exceptions
            if not scans and not exceptions:
                break
        return report

    def _round(self, session: Session, now: datetime) -> tuple[int, int]:
        orders = session.scalars(
            select(Order)
            .options(selectinload(Order.items))
            .where(Order.stage.in_(_FLOOR_STAGES))
            .order_by(Order.stage_entered_at, Order.id)
            .limit(MAX_ORDERS_PER_ROUND)
        ).all()
        scans: list[ScanInput] = []
        exceptions = 0
        for order in orders:
            delays = Delays.of(order.order_no)
            if order.stage == Stage.AWAITING_PICK.value and delays.unclear_address:
                exceptions += self._unclear_address(session, order, delays, now)
            else:
                scans.extend(_due_scans(order, delays, now))
        if scans:
            apply_scans(session, scans, device=DEVICE)
        return len(scans), exceptions

    @staticmethod
    def _unclear_address(session: Session, order: Order, delays: Delays, now: datetime) -> int:
        at = order.stage_entered_at + delays.pick
        if at > now:
            return 0
        try:
            report_exception(
                session,
                order_no=order.order_no,
                category="unclear_address",
                note="面单地址不清 / the address on the label cannot be read",
                device=DEVICE,
                report_id=f"demo-{order.order_no}",
                at=at,
            )
        except DomainError as refused:  # the order moved meanwhile; nothing to report
            log.info("demo_floor.exception_refused", order_no=order.order_no, code=refused.code)
            return 0
        return 1


_FLOOR_STAGES = (Stage.AWAITING_PICK.value, Stage.PICKED.value, Stage.PACKED.value)


def _due_scans(order: Order, delays: Delays, now: datetime) -> list[ScanInput]:
    """The scans of ``order``'s current step, if that step is due by ``now``."""
    entered, no = order.stage_entered_at, order.order_no
    if order.stage == Stage.AWAITING_PICK.value:
        at = entered + delays.pick
        if at > now:
            return []
        left = [item for item in order.items if item.picked_quantity < item.quantity]
        return [
            ScanInput(
                f"demo-{no}-pick-{item.line_no}",
                ScanKind.PICK,
                no,
                min(at + timedelta(seconds=40 * n), now),  # one line after the other
                sku=item.sku,
                quantity=item.quantity - item.picked_quantity,
            )
            for n, item in enumerate(left)
        ]
    if order.stage == Stage.PICKED.value:
        at = entered + delays.pack
        if at > now:
            return []
        weight = Decimal("0.35") * sum(item.quantity for item in order.items)
        return [ScanInput(f"demo-{no}-pack", ScanKind.PACK, no, at, weight_kg=weight)]
    at = entered + delays.pickup
    if at > now:
        return []
    carrier = random.Random(f"{no}:carrier").choice(CARRIERS)
    waybill = f"{carrier}{order.id:012d}"
    return [
        ScanInput(f"demo-{no}-pickup", ScanKind.PICKUP, no, at, carrier=carrier, waybill=waybill)
    ]

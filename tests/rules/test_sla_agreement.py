"""The dry run's SLA breaches are the breaches the live timer raises, on the same orders.

Orders walk the floor through the store's own paths (moves and handheld scans); the live
timer (``refresh_deadlines`` then ``due_orders``) ticks at every move and at the end, which is
as often as a stage can end. Every order it ever raised must be a breach in the dry run of the
same rules, and nothing else.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from rules.catalog import LoadedRules
from rules.defaults import DEFAULT_RULES
from rules.definitions import SlaPolicy
from rules.dry_run import dry_run
from rules.sla import due_orders, refresh_deadlines
from store.orders import find_order
from store.scans import ScanInput, ScanKind, apply_scans
from store.transitions import move_order
from store.upsert import upsert_orders
from tests.factories import T0, add_channel, canonical

ZONE = ZoneInfo("Asia/Shanghai")
NOW = T0 + timedelta(hours=3)
# Stage limits only: a ship-by promise is a deadline of the timer that no stage span measures.
RULES = DEFAULT_RULES.model_copy(
    update={
        "sla": (
            SlaPolicy(name="review-1h", stage="pending_review", max_hours=1),
            SlaPolicy(name="pick-2h", stage="awaiting_pick", max_hours=2),
            SlaPolicy(name="packed-12h", stage="packed", max_hours=12),
            SlaPolicy(name="hold-1h", stage="on_hold", max_hours=1),
        ),
        "ship_by": (),
    }
)
# Each order's steps, as (minutes after payment, step); every order has two units of one SKU.
ORDERS: dict[str, list[tuple[int, str]]] = {
    "first-pick-then-stuck": [(10, "release"), (30, "pick")],
    "picked-late": [(10, "release"), (20, "pick"), (160, "pick")],
    "on-time": [(10, "release"), (40, "pick"), (70, "pick"), (80, "pack"), (100, "pickup")],
    "in-review": [(5, "review")],
    "held-on-the-floor": [(10, "release"), (50, "hold")],
    "just-released": [(150, "release")],
    "paid": [],
}
RAISED = {"first-pick-then-stuck", "picked-late", "in-review", "held-on-the-floor"}


def _step(session: Session, order_no: str, minutes: int, step: str) -> None:
    at = T0 + timedelta(minutes=minutes)
    if step == "release":
        move_order(session, order_no=order_no, to="awaiting_pick", source="rule", at=at)
    elif step == "review":
        move_order(session, order_no=order_no, to="pending_review", source="rule", at=at)
    elif step == "hold":
        move_order(session, order_no=order_no, to="on_hold", source="console", actor="ann",
                   at=at, hold_category="damaged")  # fmt: skip
    else:
        scan = ScanInput(f"{order_no}-{minutes}", ScanKind(step), order_no, at, sku="SKU-1",
                         quantity=1, carrier="SF", waybill=f"SF{minutes}")  # fmt: skip
        [result] = apply_scans(session, [scan], device="pda-1")
        assert result.status == "accepted", result


def test_dry_run_breaches_are_what_the_live_timer_raises(sessions: sessionmaker[Session]) -> None:
    channel = add_channel(sessions)
    loaded = LoadedRules(RULES)
    raised: set[str] = set()
    with sessions.begin() as session:
        upsert_orders(session, channel, [canonical(name) for name in ORDERS])
        names = {find_order(session, channel, name).order_no: name for name in ORDERS}
        numbers = {name: no for no, name in names.items()}
        steps = sorted((m, step, numbers[name]) for name, s in ORDERS.items() for m, step in s)
        for minutes, step, order_no in [*steps, (180, "", "")]:
            refresh_deadlines(session, loaded, zone=ZONE)
            raised |= {
                names[no] for _id, no, _due in due_orders(session, T0 + timedelta(minutes=minutes))
            }
            if step:
                _step(session, order_no, minutes, step)
        report = dry_run(session, RULES, now=NOW, current=loaded)
    assert raised == RAISED
    assert report.total("breaches_now") == report.total("breaches_proposed") == len(RAISED)

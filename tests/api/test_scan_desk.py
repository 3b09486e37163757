"""Concurrent scan requests share transactions (``dashboard.api.scan_desk``) and still get
their own answers: per-request tokens, per-scan devices, and a failed shared transaction
retried request by request."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session, sessionmaker

from dashboard.api import create_api
from dashboard.api.scan_desk import ScanDesk
from store.db import session_factory
from store.errors import Conflict
from store.models import Scan, StageEvent
from store.orders import get_order
from store.scans import ScanInput, ScanKind, apply_scans
from tests.api.floor import at, client, paid_order, release, stock, token
from tests.factories import T0

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _released(sessions: sessionmaker[Session], count: int) -> list[str]:
    client(sessions)  # the channel
    stock(sessions, {"SKU-A": count})
    numbers = [paid_order(sessions, f"D{n}", [("SKU-A", 1)]) for n in range(count)]
    release(sessions)
    return numbers


def _pick(order_no: str, scan_id: str | None = None) -> dict[str, Any]:
    scan_id = scan_id or f"{order_no}-pick"
    return {"kind": "pick", "scan_id": scan_id, "order_no": order_no, "sku": "SKU-A", "at": at(5)}


async def _send_all(
    sessions: sessionmaker[Session], sends: list[tuple[dict[str, str], Any]]
) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=create_api(sessions, zone=SHANGHAI))
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        return list(
            await asyncio.gather(
                *(http.post("/v1/scans", json=body, headers=h) for h, body in sends)
            )
        )


def test_concurrent_requests_keep_their_own_tokens_devices_and_answers(
    sessions: sessionmaker[Session],
) -> None:
    numbers = _released(sessions, 6)
    pda = [token(sessions, f"pda-{n}", "scans") for n in (1, 2)]
    reader = token(sessions, "reader", "orders:read")
    sends = [(pda[n % 2], _pick(no)) for n, no in enumerate(numbers[:5])]
    sends.append((pda[0], _pick(numbers[0])))  # a resend of the first scan
    sends.append((reader, _pick(numbers[5])))
    sends.append(({"Authorization": "Bearer owt_unknown"}, _pick(numbers[5])))

    answers = asyncio.run(_send_all(sessions, sends))

    assert [a.status_code for a in answers] == [200] * 6 + [403, 401]
    assert sorted(a.json()["status"] for a in (answers[0], answers[5])) == ["accepted", "duplicate"]
    assert [(a.json()["status"], a.json()["stage"]) for a in answers[1:5]] == [
        ("accepted", "picked")
    ] * 4
    assert [a.json()["code"] for a in answers[6:]] == ["missing_scope", "invalid_token"]
    with sessions() as session:
        devices = dict(session.execute(select(Scan.order_no, Scan.device)).all())
        actors = set(
            session.scalars(select(StageEvent.actor).where(StageEvent.to_stage == "picked"))
        )
        untouched = get_order(session, numbers[5]).stage
    assert devices == {no: f"pda-{n % 2 + 1}" for n, no in enumerate(numbers[:5])}
    assert actors == {"pda-1", "pda-2"}
    assert untouched == "awaiting_pick"


def test_requests_arriving_during_a_transaction_share_the_next(sqlite_engine: Engine) -> None:
    sessions = session_factory(sqlite_engine)
    numbers = _released(sessions, 20)
    secret = token(sessions, "pda-1", "scans")["Authorization"].removeprefix("Bearer ")
    desk = ScanDesk(sessions)
    commits: list[int] = []
    event.listen(sqlite_engine, "commit", lambda _connection: commits.append(1))

    async def scan_all() -> list[list[Any]]:
        with sqlite_engine.connect() as blocker:
            blocker.begin()  # BEGIN IMMEDIATE: the desk's first transactions wait for it
            sent = [asyncio.create_task(desk.submit(secret, [_input(no)])) for no in numbers]
            await asyncio.sleep(0.3)
            blocker.rollback()
        return list(await asyncio.gather(*sent))

    answers = asyncio.run(scan_all())

    assert [result.status for (result,) in answers] == ["accepted"] * 20
    # Whatever queued while the store was busy went in one transaction (two, if the lane
    # took the first request alone before the others arrived).
    assert len(commits) <= 2


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_a_failed_shared_transaction_is_retried_request_by_request(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    first, second, third = _released(sessions, 3)
    secret = token(sessions, "pda-1", "scans")["Authorization"].removeprefix("Bearer ")
    desk = ScanDesk(sessions)
    # Another request holds scan id X (for the first order) in a transaction not yet
    # committed; the desk's batch uses X for the second order and must wait for it.
    holder = sessions()
    apply_scans(holder, [_input(first, "X")], device="pda-9")
    threading.Thread(target=_commit_when_waited_on, args=(engine, holder)).start()

    async def both() -> list[Any]:
        return list(
            await asyncio.gather(
                desk.submit(secret, [_input(second, "X")]),
                desk.submit(secret, [_input(third)]),
                return_exceptions=True,
            )
        )

    reused, fresh = asyncio.run(both())

    # Together the two failed on the unique scan id; alone, X is found used for another
    # order (refused, applied nowhere) and the other request is applied instead of sharing
    # the failure.
    assert not isinstance(reused, Conflict)
    assert [(r.status, r.code) for r in reused] == [("refused", "idempotency_key_reused")]
    assert [r.status for r in fresh] == ["accepted"]
    with sessions() as session:
        assert [get_order(session, no).stage for no in (first, second, third)] == [
            "picked",
            "awaiting_pick",
            "picked",
        ]


def _commit_when_waited_on(engine: Engine, holder: Session) -> None:
    waiting = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
    deadline = time.monotonic() + 30
    with engine.connect() as watcher:
        while watcher.execute(waiting).scalar_one() == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
    holder.commit()
    holder.close()


def _input(order_no: str, scan_id: str | None = None) -> ScanInput:
    return ScanInput(
        scan_id or f"{order_no}-pick",
        ScanKind.PICK,
        order_no,
        T0 + timedelta(minutes=5),
        sku="SKU-A",
        quantity=1,
    )

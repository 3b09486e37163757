"""Many concurrent API requests on a small connection pool: each waits its turn on the event
loop instead of starving the worker threads (``dashboard.api.deps.db_session``)."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dashboard.api import create_api
from store.db import make_engine, session_factory
from tests.api.floor import client, token

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_more_requests_than_connections_all_get_answers(pg_engine: Engine) -> None:
    # Two connections, and a pool that gives up after 3 s: more requests than connections,
    # each keeping its connection between thread trips, would otherwise leave all worker
    # threads waiting for connections held by requests that wait for a thread.
    url = pg_engine.url.render_as_string(hide_password=False)
    engine = make_engine(url, pool_size=2, max_overflow=0, pool_timeout=3)
    try:
        sessions = session_factory(engine)
        statuses = asyncio.run(_many_pick_task_reads(sessions, 60))
    finally:
        engine.dispose()
    assert statuses == [200] * 60


async def _many_pick_task_reads(sessions: sessionmaker[Session], count: int) -> list[int]:
    client(sessions)  # the channel
    headers = token(sessions, "pda-1", "scans")
    transport = httpx.ASGITransport(app=create_api(sessions, zone=SHANGHAI))
    async with httpx.AsyncClient(transport=transport, base_url="http://api", timeout=60) as http:
        answers = await asyncio.gather(
            *(http.get("/v1/pick-tasks", headers=headers) for _ in range(count))
        )
    return [answer.status_code for answer in answers]

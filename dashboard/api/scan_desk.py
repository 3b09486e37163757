"""The scans of concurrent requests, applied together ("group commit").

Dozens of handhelds send one scan per request. On its own, each would cost a connection
checkout, a token query, the scan's reads and writes and a commit, while
``store.scans.apply_scans`` applies a whole batch set-based for little more than one scan.
So the desk queues what arrives while a transaction runs and applies the queue as one batch.
Nothing waits for a timer: an idle desk applies a scan at once; under load, each transaction
takes whatever queued behind the one before.

A request's scans keep their own answers: a refused scan changes nothing while the rest
apply, exactly as in one client's batch, and a request with a bad token is refused alone. A
transaction that fails as a whole (two requests sending one scan id at the same moment, a
lost connection) is retried one request at a time, so only the request at fault sees the
error.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from dashboard.api.deps import ApiRefusal, caller_of
from store.people import verify_tokens
from store.scans import MAX_BATCH, ScanInput, ScanResult, apply_scans

SCOPE = "scans"


@dataclass(slots=True)
class _Request:
    secret: str
    scans: list[ScanInput]
    answer: asyncio.Future[list[ScanResult]]


class ScanDesk:
    """Applies the scans of concurrent requests in shared transactions, ``lanes`` at a time.

    One lane per process: ``serve`` runs a process per core, and on two cores a second lane
    only made the batches smaller and each scan dearer (measured with 32 handhelds: fewer
    requests per second with two lanes, in every run)."""

    def __init__(self, sessions: sessionmaker[Session], *, lanes: int = 1) -> None:
        self._sessions = sessions
        self._lanes = lanes
        self._running = 0
        self._queue: deque[_Request] = deque()
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, secret: str, scans: list[ScanInput]) -> list[ScanResult]:
        """Apply ``scans`` for the token ``secret``: their answers in the order sent; raises
        the request's refusal or error."""
        request = _Request(secret, scans, asyncio.get_running_loop().create_future())
        self._queue.append(request)
        if self._running < self._lanes:
            self._running += 1
            task = asyncio.create_task(self._work())
            self._tasks.add(task)  # the loop keeps only weak references to tasks
            task.add_done_callback(self._tasks.discard)
        return await request.answer

    async def _work(self) -> None:
        try:
            while self._queue:
                group = self._take()
                outcomes = await run_in_threadpool(self._apply, group)
                for request, outcome in zip(group, outcomes, strict=True):
                    if request.answer.done():  # the client went away
                        continue
                    if isinstance(outcome, BaseException):
                        request.answer.set_exception(outcome)
                    else:
                        request.answer.set_result(outcome)
        finally:
            self._running -= 1

    def _take(self) -> list[_Request]:
        """The queue's head, as many requests as fit in one batch (at least one)."""
        group = [self._queue.popleft()]
        room = MAX_BATCH - len(group[0].scans)
        while self._queue and len(self._queue[0].scans) <= room:
            request = self._queue.popleft()
            room -= len(request.scans)
            group.append(request)
        return [request for request in group if not request.answer.done()]

    def _apply(self, group: list[_Request]) -> list[list[ScanResult] | Exception]:
        if not group:
            return []
        try:
            return self._transaction(group)
        except Exception as error:
            if len(group) == 1:
                return [error]
        # Something in the batch failed it as a whole: each request again, on its own.
        return [outcome for request in group for outcome in self._apply([request])]

    def _transaction(self, group: list[_Request]) -> list[list[ScanResult] | Exception]:
        with self._sessions() as session:
            tokens = verify_tokens(session, {request.secret for request in group})
            outcomes: list[list[ScanResult] | Exception] = []
            scans: list[ScanInput] = []
            for request in group:
                try:
                    caller = caller_of(tokens.get(request.secret), SCOPE)
                except ApiRefusal as refusal:
                    outcomes.append(refusal)
                    continue
                outcomes.append([])
                scans += [replace(scan, device=caller.name) for scan in request.scans]
            results = iter(apply_scans(session, scans) if scans else ())
            session.commit()
        for request, outcome in zip(group, outcomes, strict=True):
            if isinstance(outcome, list):
                outcome.extend(next(results) for _scan in request.scans)
        return outcomes

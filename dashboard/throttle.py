"""Sign-in throttling: failed attempts close sign-in for a while, per user name and per client
address, for longer after each failure.

A user name gets ``FREE_PER_USER`` failures in a row, then waits 1 s, 2 s, 4 s, … (at most
``MAX_DELAY``) after each further one; a client address gets more (``FREE_PER_ADDRESS``: an
office shares one address) on the same scale. While closed, no password is checked (a guess
costs nothing but the wait, and the lock cannot be made longer by trying) and the person is
told when to try again. A right password clears its user name's count; failures are forgotten
after a quiet ``FORGET_AFTER``. Counts live in the store, so every ``serve`` process shares
them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from store.models import utcnow
from store.sign_in import clear_failures, locked_until, record_failure

log = structlog.get_logger(__name__)

FREE_PER_USER = 3
FREE_PER_ADDRESS = 10
MAX_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)


def delay_after(key: str, failures: int) -> timedelta:
    """How long sign-in stays closed for ``key`` after its ``failures``-th failure in a row."""
    free = FREE_PER_ADDRESS if key.startswith("addr:") else FREE_PER_USER
    if failures <= free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - free - 1, 20)), MAX_DELAY)


@dataclass(frozen=True, slots=True)
class Attempt:
    """Who is trying: the keys their failures count against."""

    username: str
    client: str

    @property
    def user_key(self) -> str:
        # Case-folded, so "Admin" and "admin" share one count.
        return f"user:{self.username.casefold()[:150]}"

    @property
    def keys(self) -> tuple[str, str]:
        return self.user_key, f"addr:{self.client[:150]}"


class SignInThrottle:
    def __init__(
        self, sessions: sessionmaker[Session], *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.sessions = sessions
        self.clock = clock

    async def wait(self, attempt: Attempt) -> int | None:
        """Seconds until ``attempt`` may be made, when sign-in is closed for it now."""
        now = self.clock()
        until = await run_in_threadpool(self._locked, attempt, now)
        if until is None:
            return None
        seconds = max(math.ceil((until - now).total_seconds()), 1)
        log.warning("login.throttled", username=attempt.username, client=attempt.client,
                    retry_after_s=seconds)  # fmt: skip
        return seconds

    async def failed(self, attempt: Attempt) -> int | None:
        """Count a wrong password; seconds until the next attempt, when it must wait."""
        now = self.clock()
        until = await run_in_threadpool(self._record, attempt, now)
        seconds = max(math.ceil((until - now).total_seconds()), 1) if until else None
        log.warning("login.refused", username=attempt.username, client=attempt.client,
                    retry_after_s=seconds)  # fmt: skip
        return seconds

    async def succeeded(self, attempt: Attempt) -> None:
        await run_in_threadpool(self._clear, attempt)
        log.info("login.ok", username=attempt.username, client=attempt.client)

    def _locked(self, attempt: Attempt, now: datetime) -> datetime | None:
        with self.sessions() as session:
            return locked_until(session, attempt.keys, now)

    def _record(self, attempt: Attempt, now: datetime) -> datetime | None:
        with self.sessions.begin() as session:
            return record_failure(session, attempt.keys, now, delay=delay_after,
                                  forget_after=FORGET_AFTER)  # fmt: skip

    def _clear(self, attempt: Attempt) -> None:
        with self.sessions.begin() as session:
            clear_failures(session, attempt.user_key)

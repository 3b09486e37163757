"""Console sessions: a signed cookie naming a user and a session generation, checked against
the store on every request.

The cookie alone proves nothing but that this server signed it once: the session is current
only while the user is active and their generation is still the one it names. Signing out,
deactivation, a role change and a password change each move the generation on (the last
three in the database itself), so every cookie signed before is refused.

The check is cached per user for ``CHECK_TTL_S``: a burst of callbacks from the board costs
one indexed read, not one each. A change made through this process (signing out) forgets the
cached entry at once; one made elsewhere (the CLI, another ``serve`` worker) is seen within
``CHECK_TTL_S``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import Scope

from dashboard.i18n import lang_of
from store.sign_in import SessionHolder, end_sessions, session_holder

COOKIE = "orderwatch_session"
MAX_AGE_S = 12 * 3600
"""One working shift: long enough for a day at the board, short enough to sign in daily."""
CHECK_TTL_S = 1.0
"""How long a user's current generation is taken from the cache instead of the store."""
SCOPE_KEY = "orderwatch.console_user"
"""Where the middleware leaves the request's user (``None``: nobody) in the ASGI scope."""


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """The signed-in person as the store says they are now (no password, no hash)."""

    user_id: int
    username: str
    display_name: str | None
    role: str
    locale: str

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username

    @classmethod
    def of(cls, holder: SessionHolder) -> ConsoleUser:
        return cls(
            holder.user_id, holder.username, holder.display_name, holder.role,
            lang_of(holder.locale),
        )  # fmt: skip


def user_in(scope: Mapping[str, Any]) -> ConsoleUser | None:
    """The user the middleware found for this request."""
    user = scope.get(SCOPE_KEY)
    return user if isinstance(user, ConsoleUser) else None


class ConsoleSessions:
    """Signs session cookies and tells which user a request's cookie stands for."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        secret: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not secret:
            raise ValueError("console sessions need a secret key")
        self.sessions = sessions
        self.signer = URLSafeTimedSerializer(secret, salt="orderwatch.console-session")
        self.clock = clock
        self._holders: dict[int, tuple[float, SessionHolder | None]] = {}

    def cookie_for(self, holder: SessionHolder) -> str:
        return self.signer.dumps({"u": holder.user_id, "g": holder.generation})

    async def user_of(self, scope: Scope) -> ConsoleUser | None:
        """The user whose current session the request's cookie is, else ``None``."""
        claim = self._claim(scope)
        if claim is None:
            return None
        user_id, generation = claim
        holder = await self._holder(user_id)
        if holder is None or holder.generation != generation:
            return None
        return ConsoleUser.of(holder)

    async def end(self, user: ConsoleUser) -> None:
        """Sign ``user`` out everywhere: every cookie signed for them so far is refused."""
        await run_in_threadpool(self._end, user.user_id)
        self.forget(user.user_id)

    def forget(self, user_id: int) -> None:
        """Check ``user_id``'s session against the store at their next request: for a change
        made through this process (their password, role or active flag) to apply at once."""
        self._holders.pop(user_id, None)

    def _end(self, user_id: int) -> None:
        with self.sessions.begin() as session:
            end_sessions(session, user_id)

    def _claim(self, scope: Scope) -> tuple[int, int] | None:
        raw = _cookie(scope, COOKIE)
        if not raw:
            return None
        try:
            data = self.signer.loads(raw, max_age=MAX_AGE_S)
        except BadSignature:  # forged, signed with another key, or older than MAX_AGE_S
            return None
        if not isinstance(data, dict):
            return None
        user_id, generation = data.get("u"), data.get("g")
        if type(user_id) is not int or type(generation) is not int:
            return None
        return user_id, generation

    async def _holder(self, user_id: int) -> SessionHolder | None:
        now = self.clock()
        cached = self._holders.get(user_id)
        if cached is not None and now - cached[0] < CHECK_TTL_S:
            return cached[1]
        holder = await run_in_threadpool(self._read, user_id)
        self._holders[user_id] = (now, holder)
        return holder

    def _read(self, user_id: int) -> SessionHolder | None:
        with self.sessions() as session:
            return session_holder(session, user_id)


def _cookie(scope: Scope, name: str) -> str | None:
    header = Headers(scope=scope).get("cookie")
    if not header:
        return None
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None

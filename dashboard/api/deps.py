"""Request dependencies of the REST API: a store session per request and bearer tokens with
scopes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from store.db import pool_capacity
from store.models import ApiToken
from store.people import verify_token

_bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer owt_…`")


class ApiRefusal(HTTPException):
    """An HTTP refusal with orderwatch's stable error code (rendered as problem+json)."""

    def __init__(
        self, status: int, code: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status, detail, headers)
        self.code = code


@dataclass(frozen=True, slots=True)
class Caller:
    """The token a request came with: its name (the actor of what it does) and its scopes."""

    name: str
    scopes: frozenset[str]


# The dependencies below are ``async`` although the store is synchronous: FastAPI runs every
# plain ``def`` dependency in the thread pool, and a hop there and back for work that does no
# I/O costs more than the work. Only what talks to the database goes to a thread.


async def store_sessions(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


async def business_zone(request: Request) -> ZoneInfo:
    """The configured business time zone (days, hours and weekdays are counted in it)."""
    zone: ZoneInfo = request.app.state.zone
    return zone


async def db_session(
    request: Request, sessions: Annotated[sessionmaker[Session], Depends(store_sessions)]
) -> AsyncIterator[Session]:
    """One transaction per request: committed when the endpoint returns, rolled back if it
    raises. The session connects on its first statement, so opening it needs no thread.

    A request keeps its pooled connection between its trips to the thread pool (token,
    endpoint, commit). Were more requests holding one than the pool has connections, every
    worker thread could end up waiting for a connection held by requests that wait for a
    thread; the store gate admits only as many requests as there are connections, and the
    others wait on the event loop, not in a thread.
    """
    gate: asyncio.Semaphore | None = request.app.state.store_gate
    async with gate or contextlib.nullcontext():
        session = sessions()
        try:
            yield session
        except BaseException:
            await _finish(session, commit=False)
            raise
        await _finish(session, commit=True)


def store_gate(sessions: sessionmaker[Session]) -> asyncio.Semaphore | None:
    """The gate ``db_session`` passes: one place per connection the store's pool lends."""
    bind = sessions.kw.get("bind")
    capacity = pool_capacity(bind) if isinstance(bind, Engine) else None
    return None if capacity is None else asyncio.Semaphore(capacity)


async def _finish(session: Session, *, commit: bool) -> None:
    if session.in_transaction() or session.new or session.dirty or session.deleted:
        await run_in_threadpool(_end, session, commit=commit)
    else:
        # Nothing begun (a refused token) or already committed by the endpoint (which may
        # commit in its own worker thread to save a trip): closing needs no I/O.
        session.close()


def _end(session: Session, *, commit: bool) -> None:
    with session:  # closing rolls back whatever was not committed
        if commit:
            session.commit()


Store = Annotated[Session, Depends(db_session, scope="function")]
"""The request's store transaction, committed before the response is sent, so a client that
got an answer can rely on it being stored."""


async def bearer_secret(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """Dependency: the token the request presents, not yet verified (401 when there is none)."""
    if credentials is None:
        raise missing_token()
    return credentials.credentials


def missing_token() -> ApiRefusal:
    return ApiRefusal(
        401,
        "missing_token",
        "this endpoint needs an API token: Authorization: Bearer <token>",
        {"WWW-Authenticate": "Bearer"},
    )


def invalid_token() -> ApiRefusal:
    return ApiRefusal(
        401,
        "invalid_token",
        "the API token is unknown or revoked",
        {"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


Secret = Annotated[str, Depends(bearer_secret)]
"""The request's bearer token, present but not yet verified."""


class RequireScope:
    """Dependency: the request carries a live token that has ``scope``.

    The token is checked in the request's own transaction (the same ``Store`` the endpoint
    gets), so a request costs one connection and one commit. Before that, and before the body
    is read, ``dashboard.api.guard`` refuses a request whose token is missing, unknown or
    lacks ``scope``: it finds this dependency on the route and reads ``scope`` from it.
    """

    def __init__(self, scope: str) -> None:
        self.scope = scope

    async def __call__(self, session: Store, secret: Secret) -> Caller:
        token = await run_in_threadpool(verify_token, session, secret)
        return caller_of(token, self.scope)


class DeferredScope:
    """Dependency: the request's token, for an endpoint that verifies it together with its
    work (the scan desk checks a whole group's tokens in the group's transaction). The guard
    still refuses a missing, unknown or under-scoped token before the body is read."""

    def __init__(self, scope: str) -> None:
        self.scope = scope

    async def __call__(self, secret: Secret) -> str:
        return secret


def require_scope(scope: str) -> RequireScope:
    return RequireScope(scope)


def caller_of(token: ApiToken | None, scope: str) -> Caller:
    """The caller a verified token (``None``: unknown or revoked) stands for, when it may use
    ``scope``; the 401/403 refusal otherwise."""
    if token is None:
        raise invalid_token()
    if scope not in token.scopes:
        raise ApiRefusal(403, "missing_scope", f"token {token.name!r} lacks the scope {scope!r}")
    return Caller(token.name, frozenset(token.scopes))

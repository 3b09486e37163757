"""Request dependencies of the REST API: a store session per request and bearer tokens with
scopes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException

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


def store_sessions(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


def business_zone(request: Request) -> ZoneInfo:
    """The configured business time zone (days, hours and weekdays are counted in it)."""
    zone: ZoneInfo = request.app.state.zone
    return zone


def db_session(
    sessions: Annotated[sessionmaker[Session], Depends(store_sessions)],
) -> Iterator[Session]:
    """One transaction per request: committed when the endpoint returns, rolled back if it
    raises."""
    with sessions.begin() as session:
        yield session


def require_scope(scope: str) -> Callable[..., Caller]:
    """Dependency: the request carries a live token that has ``scope``."""

    def check(
        sessions: Annotated[sessionmaker[Session], Depends(store_sessions)],
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Caller:
        if credentials is None:
            raise ApiRefusal(
                401,
                "missing_token",
                "this endpoint needs an API token: Authorization: Bearer <token>",
                {"WWW-Authenticate": "Bearer"},
            )
        with sessions.begin() as session:
            token = verify_token(session, credentials.credentials)
            caller = None if token is None else Caller(token.name, frozenset(token.scopes))
        if caller is None:
            raise ApiRefusal(
                401,
                "invalid_token",
                "the API token is unknown or revoked",
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        if scope not in caller.scopes:
            raise ApiRefusal(
                403, "missing_scope", f"token {caller.name!r} lacks the scope {scope!r}"
            )
        return caller

    return check


Store = Annotated[Session, Depends(db_session, scope="function")]
"""The request's store transaction, committed before the response is sent, so a client that
got an answer can rely on it being stored."""

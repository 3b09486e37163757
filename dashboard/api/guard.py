"""What the REST API refuses before it reads a request body.

FastAPI reads and parses a request's body before it runs the endpoint's dependencies, so the
token check of ``RequireScope`` alone would come after a stranger's body was read and parsed
(and a malformed one answered 400 instead of 401). This ASGI middleware finds the route a
request is for and, when the route takes a body, answers first:

1. the bearer token: missing, unknown or revoked → 401, lacking the route's scope → 403;
2. the media type: a route that takes JSON refuses a body sent as anything else with 415
   (``text/plain`` JSON would otherwise meet a misleading "not a valid object" 422).

How much is then read is bounded per route by the framework's ``max_body_size``
(``dashboard/limits.py``): from ``Content-Length`` here, before anything is read, or while
streaming.

A verified token is remembered for ``VERIFIED_FOR_S`` so that a handheld scanning every second
costs no extra query. This check is a gate, not the authority: the endpoint verifies the token
again in its own transaction, so a revoked token is refused at once all the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.message
import functools
import hashlib
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from fastapi import FastAPI, params
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from dashboard.api.deps import (
    ApiRefusal,
    DeferredScope,
    RequireScope,
    invalid_token,
    missing_token,
)
from dashboard.api.problems import problem_response
from store.people import verify_tokens

VERIFIED_FOR_S = 30.0
REMEMBERED_TOKENS = 1024
REMEMBERED_ROUTES = 1024
_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class _Needs:
    """What a route asks of a request before its body is read."""

    scope: str | None
    """The token scope it needs (``None``: no token, e.g. a platform's signed push)."""
    json: bool
    """It parses its body as JSON."""
    limit: int
    """The most bytes of body it accepts."""


class BodyGuard:
    """ASGI middleware of the API app (see the module's docstring)."""

    def __init__(self, app: ASGIApp, api: FastAPI, default_limit: int) -> None:
        self.app = app
        self.api = api
        self.default_limit = default_limit
        self._needs: dict[int, _Needs] = {}  # by id: routes are not hashable
        self._tokens: TokenGate | None = None
        # The route each (method, path) resolved to, most recent last: matching every route's
        # pattern was a tenth of a handheld's scan request. Paths naming an order are many,
        # so the memory is bounded; a handheld posts to the same few paths all day.
        self._routes: OrderedDict[tuple[str, str, str], APIRoute | None] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in _NO_BODY:
            refusal = await self._refusal(scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _refusal(self, scope: Scope) -> Response | None:
        route = self._route(scope)
        if route is None:
            return None  # the router answers 404 or 405
        needs = self._needs.get(id(route))
        if needs is None:
            needs = self._needs[id(route)] = _needs_of(route, self.default_limit)
        headers = Headers(scope=scope)
        if needs.scope is not None:
            refused = await self._token_gate().refusal(headers.get("authorization"), needs.scope)
            if refused is not None:
                response = problem_response(refused.status_code, refused.code, refused.detail)
                response.headers.update(refused.headers or {})
                return response
        if _declared_length(headers) > needs.limit:
            # The framework would refuse it too, but with a plain-text answer.
            return problem_response(
                413,
                "body_too_large",
                f"the request body is over this endpoint's limit of {needs.limit} bytes",
            )
        if needs.json and _has_body(headers) and not _is_json(headers.get("content-type")):
            sent = headers.get("content-type") or "no Content-Type"
            return problem_response(
                415, "unsupported_media_type", f"send the body as application/json, not {sent}"
            )
        return None

    def _route(self, scope: Scope) -> APIRoute | None:
        key = (scope["method"], scope.get("root_path", ""), scope["path"])
        if key in self._routes:
            self._routes.move_to_end(key)
            return self._routes[key]
        found = next(
            (r for r in _api_routes(self.api.router.routes) if r.matches(scope)[0] is Match.FULL),
            None,
        )
        self._routes[key] = found
        while len(self._routes) > REMEMBERED_ROUTES:
            self._routes.popitem(last=False)
        return found

    def _token_gate(self) -> TokenGate:
        if self._tokens is None:  # the app's state is set once the app is built
            state = self.api.state
            self._tokens = TokenGate(state.sessions, state.store_gate)
        return self._tokens


def _api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """The endpoints among ``routes``, in the order the router tries them. FastAPI keeps an
    included router as one route that resolves its endpoints lazily; its ``original_router``
    holds them as declared (the API includes its routers without a prefix)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (router := getattr(route, "original_router", None)) is not None:
            yield from _api_routes(router.routes)


def _needs_of(route: APIRoute, default_limit: int) -> _Needs:
    body = route.body_field
    takes_json = body is not None and not isinstance(body.field_info, params.Form)
    limit = route.max_body_size if route.max_body_size is not None else default_limit
    return _Needs(scope=_scope_of(route.dependant), json=takes_json, limit=limit)


def _scope_of(dependant: Dependant) -> str | None:
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, RequireScope | DeferredScope):
            return dependency.call.scope
        found = _scope_of(dependency)
        if found is not None:
            return found
    return None


def _declared_length(headers: Headers) -> int:
    try:
        return int(headers.get("content-length", "0"))
    except ValueError:
        return 0  # the server refuses a malformed length before the app sees it


def _has_body(headers: Headers) -> bool:
    return headers.get("content-length", "0") != "0" or "transfer-encoding" in headers


@functools.lru_cache(maxsize=64)
def _is_json(content_type: str | None) -> bool:
    """Whether the media type is JSON (``application/json``, ``application/*+json``), parsed
    as mail headers are; remembered, as clients send the same few all day."""
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


class TokenGate:
    """Bearer tokens verified before a body is read, remembered for a while (by digest)."""

    def __init__(
        self, sessions: sessionmaker[Session], store_gate: asyncio.Semaphore | None
    ) -> None:
        self._sessions = sessions
        self._store_gate = store_gate
        self._verified: OrderedDict[str, tuple[float, str, frozenset[str]]] = OrderedDict()

    async def refusal(self, authorization: str | None, scope: str) -> ApiRefusal | None:
        """Why a request with this ``Authorization`` header may not use ``scope``, or ``None``."""
        scheme, _, secret = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return missing_token()
        digest = hashlib.sha256(secret.strip().encode()).hexdigest()
        known = self._verified.get(digest)
        if known is None or known[0] < time.monotonic():
            known = await self._verify(secret.strip(), digest)
        if known is None:
            return invalid_token()
        _expires, name, scopes = known
        if scope not in scopes:
            return ApiRefusal(403, "missing_scope", f"token {name!r} lacks the scope {scope!r}")
        return None

    async def _verify(self, secret: str, digest: str) -> tuple[float, str, frozenset[str]] | None:
        # Through the store gate like every request's session: a thread waiting here for a
        # pooled connection must never be one that admitted requests need to finish.
        async with self._store_gate or contextlib.nullcontext():
            found = await run_in_threadpool(self._lookup, secret)
        self._verified.pop(digest, None)
        if found is None:
            return None
        known = (time.monotonic() + VERIFIED_FOR_S, *found)
        self._verified[digest] = known
        while len(self._verified) > REMEMBERED_TOKENS:
            self._verified.popitem(last=False)
        return known

    def _lookup(self, secret: str) -> tuple[str, frozenset[str]] | None:
        with self._sessions() as session:
            token = verify_tokens(session, [secret]).get(secret)
            found = None if token is None else (token.name, frozenset(token.scopes))
            session.commit()  # the token's last use
        return found

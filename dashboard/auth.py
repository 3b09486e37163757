"""The guard in front of every console route: cross-site requests refused, a current session
required (``dashboard.sessions``) but for the public paths; and the signed-in user for pages and
callbacks. Signing in and out is ``dashboard.login``.

Routes are protected, not pages: a redirect drawn by a page would leave Dash's callback routes
(and its websocket) open to anyone who posts to them, so the check sits in front of all of them.
"""

from __future__ import annotations

from urllib.parse import quote

from dash.backends._fastapi import get_current_request
from fastapi import FastAPI
from fastapi.responses import JSONResponse, RedirectResponse, Response
from prometheus_client import Counter
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from dashboard.config import WebConfig
from dashboard.origin import Origins
from dashboard.sessions import SCOPE_KEY, ConsoleSessions, ConsoleUser, user_in

__all__ = ["ConsoleUser", "current_user", "protect"]

# Reachable without a session: probes, the sign-in itself, static files, and the REST API
# (which authenticates each call with a bearer token instead).
PUBLIC_PATHS = frozenset({"/healthz", "/metrics", "/login", "/logout", "/_favicon.ico"})
PUBLIC_PREFIXES = ("/api/", "/assets/", "/_dash-component-suites/")

CROSS_SITE = Counter(
    "orderwatch_console_cross_site_refused", "State-changing console requests from another site"
)


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def is_page_request(scope: Scope) -> bool:
    """A browser navigating to a console page (as opposed to Dash's data and callback routes)."""
    path: str = scope["path"]
    return scope.get("method") in {"GET", "HEAD"} and not path.startswith("/_")


class ConsoleGuard:
    """ASGI middleware in front of every console route: a state-changing request from another
    site is refused; without a current session, so is everything but the public paths. The
    request's user is left in the scope for the routes, layouts and callbacks."""

    def __init__(self, app: ASGIApp, sessions: ConsoleSessions, origins: Origins) -> None:
        self.app = app
        self.sessions = sessions
        self.origins = origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        if not self.origins.allows(scope):
            CROSS_SITE.inc()
            await _cross_site(scope, receive, send)
            return
        public = is_public(scope["path"])
        # The sign-in page wants to know too: a signed-in visitor is sent on.
        user = None if public and scope["path"] != "/login" else await self.sessions.user_of(scope)
        scope[SCOPE_KEY] = user
        if public or user is not None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            # Refused before the handshake completes, so no callback ever runs over it.
            await WebSocket(scope, receive, send).close(code=1008, reason="login required")
        else:
            await _refusal(scope)(scope, receive, send)


async def _cross_site(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "websocket":
        await WebSocket(scope, receive, send).close(code=1008, reason="cross-site request")
        return
    answer = JSONResponse(
        {"error": "cross_site_request",
         "message": "refused: the request does not come from a page of this console"},
        status_code=403,
    )  # fmt: skip
    await answer(scope, receive, send)


def _refusal(scope: Scope) -> Response:
    if is_page_request(scope):
        query = scope["query_string"].decode("latin-1")
        target = scope["path"] + (f"?{query}" if query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    return JSONResponse(
        {"error": "login_required", "message": "sign in again: the console session has ended"},
        status_code=401,
    )


def protect(app: FastAPI, sessions: ConsoleSessions, config: WebConfig) -> None:
    """Guard ``app``; call after Dash is mounted so the guard wraps Dash's own middleware."""
    app.add_middleware(ConsoleGuard, sessions=sessions, origins=Origins(config.public_url))


def current_user() -> ConsoleUser | None:
    """The user of the request Dash is serving (a layout or a callback), if signed in."""
    try:
        request = get_current_request()
    except RuntimeError:
        return None
    return user_in(request.scope)

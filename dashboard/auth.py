"""Console sign-in: a signed session cookie, a plain ``/login`` form, and a middleware that
guards every console route on the server.

Routes are protected, not pages: a redirect drawn by a page would leave Dash's callback routes
(and its websocket) open to anyone who posts to them, so the check sits in front of all of them.
"""

from __future__ import annotations

import html
from urllib.parse import parse_qs, quote

from dash.backends._fastapi import get_current_request
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from prometheus_client import Counter
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from dashboard.config import WebConfig
from dashboard.i18n import both
from dashboard.origin import Origins
from dashboard.sessions import (
    COOKIE,
    MAX_AGE_S,
    SCOPE_KEY,
    ConsoleSessions,
    ConsoleUser,
    user_in,
)
from store.people import authenticate
from store.sign_in import SessionHolder, session_holder

__all__ = ["ConsoleUser", "current_user", "login_router", "protect"]

SESSION_COOKIE = COOKIE
MAX_FORM_BYTES = 4096

# Reachable without a session: probes, the sign-in itself, static files, and the REST API
# (which authenticates each call with a bearer token instead).
PUBLIC_PATHS = frozenset({"/healthz", "/metrics", "/login", "/logout", "/_favicon.ico"})
PUBLIC_PREFIXES = ("/api/", "/assets/", "/_dash-component-suites/")

LOGINS = Counter("orderwatch_console_logins", "Console sign-in attempts", ["result"])
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


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site only, never another host."""
    # Browsers drop tabs and newlines from URLs, which would turn "/\t/evil" into "//evil".
    if not value or not value.isprintable() or not value.startswith("/"):
        return "/"
    return "/" if value.startswith(("//", "/\\", "/login")) else value


def secure_cookies(config: WebConfig, scope: Scope) -> bool:
    """Whether the session cookie is marked ``Secure``: in production, behind HTTPS (uvicorn
    takes the scheme from a trusted proxy's ``X-Forwarded-Proto``) and when the public URL
    is HTTPS."""
    public_https = (config.public_url or "").startswith("https://")
    return config.production or public_https or scope.get("scheme") in {"https", "wss"}


def login_router(
    sessions: sessionmaker[Session], console: ConsoleSessions, config: WebConfig
) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/login")
    def login_form(request: Request, next_path: str = Query("/", alias="next")) -> Response:
        if user_in(request.scope) is not None:
            return RedirectResponse(safe_next(next_path), status_code=303)
        return HTMLResponse(render_login(next_path=safe_next(next_path)))

    @router.post("/login")
    async def login_submit(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return Response(status_code=413)
        form = _parse_form(body)
        username, password = form.get("username", ""), form.get("password", "")
        next_path = safe_next(form.get("next"))
        if not username or not password:
            return HTMLResponse(render_login(next_path, "login.missing", username), 400)
        holder = await run_in_threadpool(check_password, sessions, username, password)
        LOGINS.labels(result="ok" if holder else "refused").inc()
        if holder is None:
            return HTMLResponse(render_login(next_path, "login.failed", username), 401)
        response = RedirectResponse(next_path, status_code=303)
        response.set_cookie(
            COOKIE, console.cookie_for(holder), max_age=MAX_AGE_S, path="/", httponly=True,
            samesite="lax", secure=secure_cookies(config, request.scope),
        )  # fmt: skip
        return response

    @router.get("/logout")
    def logout_form() -> Response:
        # Signing out changes state, so it takes a POST (a link or an image cannot sign
        # anyone out); an old bookmark gets a button that sends one.
        return HTMLResponse(render_logout())

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        user = user_in(request.scope) or await console.user_of(request.scope)
        if user is not None:
            await console.end(user)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax",
                               secure=secure_cookies(config, request.scope))  # fmt: skip
        return response

    return router


def check_password(
    sessions: sessionmaker[Session], username: str, password: str
) -> SessionHolder | None:
    """Who these credentials sign in, as a session holds them; runs in a thread (Argon2 is
    slow on purpose)."""
    with sessions() as session:
        user = authenticate(session, username, password)
        return None if user is None else session_holder(session, user.id)


def _parse_form(body: bytes) -> dict[str, str]:
    # A url-encoded form is all /login takes; parsing it here spares a python-multipart dependency.
    fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


def render_login(next_path: str = "/", error: str | None = None, username: str = "") -> str:
    """The sign-in page in both languages: the user's language is unknown until signed in."""
    message = f'<p class="error" role="alert">{html.escape(both(error))}</p>' if error else ""
    return _page(
        "login.title",
        '<form method="post" action="/login">' + _HEADING + message
        + f'<input type="hidden" name="next" value="{html.escape(next_path, quote=True)}">'
        + f'<label for="username">{html.escape(both("login.username"))}</label>'
        + '<input id="username" name="username" autocomplete="username" required autofocus'
        + f' value="{html.escape(username, quote=True)}">'
        + f'<label for="password">{html.escape(both("login.password"))}</label>'
        + '<input id="password" name="password" type="password"'
        + ' autocomplete="current-password" required>'
        + f'<button id="login-submit" type="submit">{html.escape(both("login.submit"))}</button>'
        + "</form>",
    )  # fmt: skip


def render_logout() -> str:
    """What an old sign-out link opens: a button that signs out."""
    return _page(
        "shell.logout",
        '<form method="post" action="/logout">' + _HEADING
        + f'<button id="logout-submit" type="submit">{html.escape(both("shell.logout"))}'
        + "</button></form>",
    )  # fmt: skip


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>orderwatch · {html.escape(both(title))}</title>\n<style>{_STYLE}</style>\n"
        f"</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


_HEADING = f'<h1>orderwatch</h1><p class="tagline">{html.escape(both("app.tagline"))}</p>'
_STYLE = """
body { font-family: system-ui, "PingFang SC", "Microsoft YaHei", sans-serif; background: #f4f6f8;
  display: flex; justify-content: center; padding-top: 12vh; margin: 0; color: #1f2933; }
form { background: #fff; padding: 2rem 2.5rem; border-radius: 8px; width: 20rem;
  box-shadow: 0 1px 4px rgba(0, 0, 0, .12); }
h1 { margin: 0; font-size: 1.4rem; } .tagline { color: #616e7c; margin: .25rem 0 1.5rem; }
label { display: block; margin-top: 1rem; font-size: .9rem; }
input { width: 100%; box-sizing: border-box; padding: .5rem; margin-top: .25rem;
  font-size: 1rem; }
button { margin-top: 1.5rem; width: 100%; padding: .6rem; font-size: 1rem; border: 0;
  border-radius: 4px; background: #1c64f2; color: #fff; cursor: pointer; }
.error { color: #b42318; background: #fef3f2; padding: .5rem; border-radius: 4px; }
"""

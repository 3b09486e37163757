"""Console sign-in: a signed session cookie, a plain ``/login`` form, and a middleware that
guards every console route on the server.

Routes are protected, not pages: a redirect drawn by a page would leave Dash's callback routes
(and its websocket) open to anyone who posts to them, so the check sits in front of all of them.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qs, quote

from dash.backends._fastapi import get_current_request
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from prometheus_client import Counter
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from dashboard.i18n import both, lang_of
from store.people import authenticate

SESSION_COOKIE = "orderwatch_session"
SESSION_MAX_AGE_S = 12 * 3600
"""One working shift: long enough for a day at the board, short enough to sign in daily."""
MAX_FORM_BYTES = 4096

# Reachable without a session: probes, the sign-in itself, static files, and the REST API
# (which authenticates each call with a bearer token instead).
PUBLIC_PATHS = frozenset({"/healthz", "/metrics", "/login", "/logout", "/_favicon.ico"})
PUBLIC_PREFIXES = ("/api/", "/assets/", "/_dash-component-suites/")

LOGINS = Counter("orderwatch_console_logins", "Console sign-in attempts", ["result"])


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """The signed-in person as kept in the session cookie (no password, no hash)."""

    username: str
    display_name: str | None
    role: str
    locale: str

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username

    @classmethod
    def from_session(cls, session: Mapping[str, Any]) -> ConsoleUser | None:
        data = session.get("user")
        if not isinstance(data, dict) or not isinstance(data.get("username"), str):
            return None
        return cls(
            username=data["username"],
            display_name=data.get("display_name"),
            role=str(data.get("role", "viewer")),
            locale=lang_of(data.get("locale")),
        )


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def is_page_request(scope: Scope) -> bool:
    """A browser navigating to a console page (as opposed to Dash's data and callback routes)."""
    path: str = scope["path"]
    return scope.get("method") in {"GET", "HEAD"} and not path.startswith("/_")


class LoginRequired:
    """ASGI middleware: no session, no console. Must sit inside ``SessionMiddleware``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if admitted(scope):
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            # Refused before the handshake completes, so no callback ever runs over it.
            await WebSocket(scope, receive, send).close(code=1008, reason="login required")
        else:
            await _refusal(scope)(scope, receive, send)


def admitted(scope: Scope) -> bool:
    if scope["type"] not in {"http", "websocket"} or is_public(scope["path"]):
        return True
    return ConsoleUser.from_session(scope.get("session", {})) is not None


def _refusal(scope: Scope) -> Response:
    if is_page_request(scope):
        query = scope["query_string"].decode("latin-1")
        target = scope["path"] + (f"?{query}" if query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    return JSONResponse(
        {"error": "login_required", "message": "sign in again: the console session has ended"},
        status_code=401,
    )


def protect(app: FastAPI, *, secret: str) -> None:
    """Guard ``app``; call after Dash is mounted so both middlewares wrap Dash's own."""
    # add_middleware puts each new middleware outermost: the session must be read first.
    app.add_middleware(LoginRequired)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE_S,
        same_site="lax",
    )


def current_user() -> ConsoleUser | None:
    """The user of the request Dash is serving (a layout or a callback), if signed in."""
    try:
        request = get_current_request()
    except RuntimeError:
        return None
    return ConsoleUser.from_session(request.scope.get("session", {}))


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site only, never another host."""
    # Browsers drop tabs and newlines from URLs, which would turn "/\t/evil" into "//evil".
    if not value or not value.isprintable() or not value.startswith("/"):
        return "/"
    return "/" if value.startswith(("//", "/\\", "/login")) else value


def login_router(sessions: sessionmaker[Session]) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/login")
    def login_form(request: Request, next_path: str = Query("/", alias="next")) -> Response:
        if ConsoleUser.from_session(request.session) is not None:
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
        user = await run_in_threadpool(check_password, sessions, username, password)
        LOGINS.labels(result="ok" if user else "refused").inc()
        if user is None:
            return HTMLResponse(render_login(next_path, "login.failed", username), 401)
        request.session.clear()
        request.session["user"] = asdict(user)
        return RedirectResponse(next_path, status_code=303)

    @router.get("/logout")
    @router.post("/logout")
    def logout(request: Request) -> Response:
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    return router


def check_password(
    sessions: sessionmaker[Session], username: str, password: str
) -> ConsoleUser | None:
    """The console user for these credentials; runs in a thread (Argon2 is slow on purpose)."""
    with sessions() as session:
        user = authenticate(session, username, password)
        if user is None:
            return None
        return ConsoleUser(user.username, user.display_name, user.role, lang_of(user.locale))


def _parse_form(body: bytes) -> dict[str, str]:
    # A url-encoded form is all /login takes; parsing it here spares a python-multipart dependency.
    fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


def render_login(next_path: str = "/", error: str | None = None, username: str = "") -> str:
    """The sign-in page in both languages: the user's language is unknown until signed in."""
    message = f'<p class="error" role="alert">{html.escape(both(error))}</p>' if error else ""
    return _LOGIN_PAGE.format(
        title=html.escape(both("login.title")),
        tagline=html.escape(both("app.tagline")),
        message=message,
        username_label=html.escape(both("login.username")),
        password_label=html.escape(both("login.password")),
        submit=html.escape(both("login.submit")),
        username=html.escape(username, quote=True),
        next=html.escape(next_path, quote=True),
    )


_LOGIN_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>orderwatch · {title}</title>
<style>
body {{ font-family: system-ui, "PingFang SC", "Microsoft YaHei", sans-serif; background: #f4f6f8;
  display: flex; justify-content: center; padding-top: 12vh; margin: 0; color: #1f2933; }}
form {{ background: #fff; padding: 2rem 2.5rem; border-radius: 8px; width: 20rem;
  box-shadow: 0 1px 4px rgba(0, 0, 0, .12); }}
h1 {{ margin: 0; font-size: 1.4rem; }} .tagline {{ color: #616e7c; margin: .25rem 0 1.5rem; }}
label {{ display: block; margin-top: 1rem; font-size: .9rem; }}
input {{ width: 100%; box-sizing: border-box; padding: .5rem; margin-top: .25rem;
  font-size: 1rem; }}
button {{ margin-top: 1.5rem; width: 100%; padding: .6rem; font-size: 1rem; border: 0;
  border-radius: 4px; background: #1c64f2; color: #fff; cursor: pointer; }}
.error {{ color: #b42318; background: #fef3f2; padding: .5rem; border-radius: 4px; }}
</style>
</head>
<body>
<form method="post" action="/login">
<h1>orderwatch</h1>
<p class="tagline">{tagline}</p>
{message}
<input type="hidden" name="next" value="{next}">
<label for="username">{username_label}</label>
<input id="username" name="username" value="{username}" autocomplete="username" required autofocus>
<label for="password">{password_label}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button id="login-submit" type="submit">{submit}</button>
</form>
</body>
</html>
"""

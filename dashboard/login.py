"""Signing in and out of the console: a plain ``/login`` form (throttled per user name and
client address, ``dashboard.throttle``) that sets the session cookie (``dashboard.sessions``),
and sign-out by POST, which ends the user's sessions everywhere."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from prometheus_client import Counter
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from dashboard.config import WebConfig
from dashboard.i18n import both, t
from dashboard.sessions import COOKIE, MAX_AGE_S, ConsoleSessions, user_in
from dashboard.throttle import Attempt, SignInThrottle
from store.people import authenticate
from store.sign_in import SessionHolder, session_holder

MAX_FORM_BYTES = 4096
LOGINS = Counter("orderwatch_console_logins", "Console sign-in attempts", ["result"])


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


@dataclass(frozen=True, slots=True)
class SignIn:
    """What signing in and out needs: the store, the sessions, the throttle, the settings."""

    sessions: sessionmaker[Session]
    console: ConsoleSessions
    throttle: SignInThrottle
    config: WebConfig

    async def submit(self, request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return Response(status_code=413)
        form = _parse_form(body)
        username, password = form.get("username", ""), form.get("password", "")
        next_path = safe_next(form.get("next"))
        if not username or not password:
            return HTMLResponse(render_login(next_path, "login.missing", username), 400)
        attempt = Attempt(username, request.client.host if request.client else "unknown")
        wait = await self.throttle.wait(attempt)
        if wait is not None:  # the password is not even checked
            LOGINS.labels(result="throttled").inc()
            page = render_login(next_path, None, username, wait, self.config.zone)
            return _throttled(page, wait)
        holder = await run_in_threadpool(check_password, self.sessions, username, password)
        LOGINS.labels(result="ok" if holder else "refused").inc()
        if holder is None:
            wait = await self.throttle.failed(attempt)
            page = render_login(next_path, "login.failed", username, wait, self.config.zone)
            return _throttled(page, wait) if wait else HTMLResponse(page, 401)
        await self.throttle.succeeded(attempt)
        response = RedirectResponse(next_path, status_code=303)
        response.set_cookie(
            COOKIE, self.console.cookie_for(holder), max_age=MAX_AGE_S, path="/",
            httponly=True, samesite="lax", secure=secure_cookies(self.config, request.scope),
        )  # fmt: skip
        return response

    async def sign_out(self, request: Request) -> Response:
        user = user_in(request.scope) or await self.console.user_of(request.scope)
        if user is not None:
            await self.console.end(user)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax",
                               secure=secure_cookies(self.config, request.scope))  # fmt: skip
        return response


def login_router(sign_in: SignIn) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/login")
    def login_form(request: Request, next_path: str = Query("/", alias="next")) -> Response:
        if user_in(request.scope) is not None:
            return RedirectResponse(safe_next(next_path), status_code=303)
        return HTMLResponse(render_login(next_path=safe_next(next_path)))

    @router.get("/logout")
    def logout_form() -> Response:
        # Signing out changes state, so it takes a POST (a link or an image cannot sign
        # anyone out); an old bookmark gets a button that sends one.
        return HTMLResponse(render_logout())

    router.add_api_route("/login", sign_in.submit, methods=["POST"])
    router.add_api_route("/logout", sign_in.sign_out, methods=["POST"])
    return router


def _throttled(page: str, wait: int) -> HTMLResponse:
    return HTMLResponse(page, 429, headers={"Retry-After": str(wait)})


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


def render_login(
    next_path: str = "/",
    error: str | None = None,
    username: str = "",
    wait_s: int | None = None,
    zone: ZoneInfo | None = None,
) -> str:
    """The sign-in page in both languages: the user's language is unknown until signed in;
    ``wait_s``: sign-in is closed for that long (said in seconds and as a time in ``zone``)."""
    lines = [both(error)] if error else []
    if wait_s is not None:
        at = f"{datetime.now(zone or UTC) + timedelta(seconds=wait_s):%H:%M:%S}"
        lines.append(
            " · ".join(t("login.throttled", lang, seconds=wait_s, at=at)
                       for lang in ("zh", "en"))
        )  # fmt: skip
    message = "".join(f'<p class="error" role="alert">{html.escape(line)}</p>' for line in lines)
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

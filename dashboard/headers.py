"""Security headers on every answer of the web app, console and API alike.

The Content-Security-Policy lets pages run only this server's scripts plus the inline scripts
Dash writes into its page (its renderer's start and the clientside callbacks given as text),
allowed one by one by their SHA-256 (``Dash.csp_hashes``), never ``'unsafe-inline'`` scripts
or ``eval``. Styles may be inline: Mantine, AG Grid and Plotly set them at run time. Nothing may
frame the console (``frame-ancestors``, and ``X-Frame-Options`` for older browsers). The API's
interactive documentation (``/api/docs``) loads Swagger UI from its CDN and gets a policy that
says so. HSTS is sent in production.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Hashes = Callable[[], Sequence[str]]
"""The CSP source expressions of the inline scripts the console's pages carry."""

DOCS_PATH = "/api/docs"
SWAGGER_CDN = "https://cdn.jsdelivr.net"
HSTS = "max-age=31536000; includeSubDomains"

FIXED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def console_policy(script_hashes: Sequence[str]) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            " ".join(["script-src", "'self'", *script_hashes]),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


DOCS_POLICY = "; ".join(
    [
        "default-src 'self'",
        f"script-src 'self' 'unsafe-inline' {SWAGGER_CDN}",
        f"style-src 'self' 'unsafe-inline' {SWAGGER_CDN}",
        "img-src 'self' data: https://fastapi.tiangolo.com",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP answer."""

    def __init__(self, app: ASGIApp, script_hashes: Hashes, production: bool = False) -> None:
        self.app = app
        self.script_hashes = script_hashes
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._add(scope["path"], MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, with_headers)

    def _add(self, path: str, headers: MutableHeaders) -> None:
        for name, value in FIXED.items():
            headers.setdefault(name, value)
        if path == DOCS_PATH:
            policy = DOCS_POLICY
        elif headers.get("content-type", "").startswith("text/html"):
            # Hashed on each page: a page may carry scripts registered after start-up.
            policy = console_policy(self.script_hashes())
        else:
            policy = console_policy(())
        headers.setdefault("Content-Security-Policy", policy)
        if self.production:
            headers.setdefault("Strict-Transport-Security", HSTS)

"""The last line of defence for a request: an error nothing else handled is logged once, with
its traceback, and answered 500 without a word of it to the client.

Each app puts ``ErrorBoundary`` where an error would otherwise escape: Dash's own middleware
answers a failing callback 500 and drops the exception unlogged, and Starlette's error
middleware re-raises after answering, so the server would log it a second time. Logging only
queues the record (``orderwatch.logs``): formatting the traceback never holds the event loop.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from fastapi.responses import JSONResponse
from starlette.middleware import body_limit
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger(__name__)

Answer = Callable[[Scope], Response]

BODY_LIMIT_SIGNALS: tuple[type[Exception], ...] = (
    body_limit._RequestBodyTooLarge,
    body_limit._RequestBodyLimitResponseSent,
)
"""How Starlette's body limit, set around a route, tells its own middleware outside that a
body was too large or that its 413 is already sent: signals, not errors, which a boundary
between them must let through (Starlette exports no public name for them)."""


def internal_error(_scope: Scope) -> Response:
    return JSONResponse(
        {"error": "internal_error", "message": "the server failed; the error was logged"}, 500
    )


class ErrorBoundary:
    """ASGI middleware: an exception from ``app`` is logged and answered with ``answer``
    (when no answer has started; otherwise the connection just ends), but for ``passes``."""

    def __init__(
        self,
        app: ASGIApp,
        answer: Answer = internal_error,
        passes: tuple[type[Exception], ...] = (),
    ) -> None:
        self.app = app
        self.answer = answer
        self.passes = passes
        """Exceptions that are not errors, left to the middleware outside to answer."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except (*self.passes, *BODY_LIMIT_SIGNALS):
            raise
        except Exception as exc:
            log.error(
                "http.unexpected_error",
                method=scope.get("method"),
                path=scope.get("path"),
                error=type(exc).__name__,
                exc_info=exc,
            )
            if not started:
                await self.answer(scope)(scope, receive, send)

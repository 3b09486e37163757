"""One FastAPI application: the Dash console, probes, sign-in and (under ``/api``) the REST API.

Dash 4 runs natively on FastAPI (``dash.Dash(server=fastapi_app)``). Two things about that
backend shape this module:

* Dash answers every unknown GET path with its page shell through a ``{path:path}`` catch-all
  that it appends when the app starts (lifespan). Routes registered before start-up therefore
  win; the REST API is a sub-application mounted at ``/api``, so API routers added to it later
  never fall through to the console, and an unknown ``/api`` path is a JSON 404, not a page.
* Dash collects ``dash.callback`` registrations in process-wide lists and gives them to the
  first app that serves a request (see ``_forget_unclaimed_callbacks``).
"""

from __future__ import annotations

from pathlib import Path

import dash
from dash.exceptions import DependencyException, PreventUpdate
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from alerts.metrics import AlertsCollector
from dashboard import limits, permissions, shell
from dashboard.api import create_api
from dashboard.auth import protect
from dashboard.callback_guard import CallbackGuard
from dashboard.config import WebConfig
from dashboard.errors import ErrorBoundary
from dashboard.headers import SecurityHeaders
from dashboard.login import SignIn, login_router
from dashboard.sessions import ConsoleSessions
from dashboard.throttle import SignInThrottle
from metrics.board import HeatmapCache

HERE = Path(__file__).parent
PAGES = HERE / "pages"
ASSETS = HERE / "assets"


def create_app(config: WebConfig, *, sessions: sessionmaker[Session]) -> FastAPI:
    """The web application of ``orderwatch serve``."""
    app = FastAPI(title="orderwatch", docs_url=None, redoc_url=None, openapi_url=None)
    # Pages and callbacks reach the store through the request's app, not through globals.
    app.state.config = config
    app.state.sessions = sessions
    app.state.heatmaps = HeatmapCache()
    console = app.state.console_sessions = ConsoleSessions(sessions, config.secret_key)
    app.include_router(probe_router(sessions))
    throttle = app.state.sign_in_throttle = SignInThrottle(sessions)
    app.include_router(
        login_router(SignIn(sessions, console, throttle, config)), max_body_size=limits.LOGIN
    )
    api = Mount("/api", app=create_api(sessions, zone=config.zone, secret_key=config.secret_key))
    app.router.routes.append(api)
    # Inside Dash's middleware, which answers a failing callback 500 without logging it (and
    # a callback with nothing to update, PreventUpdate, 204).
    app.add_middleware(ErrorBoundary, passes=(PreventUpdate,))
    pages = mount_console(app)
    # Inside the sign-in check (added after it, outermost): a stranger gets 401 before any
    # of the body is read; outside Dash's own middleware, which reads it first.
    app.add_middleware(CallbackGuard, console=pages)
    app.add_exception_handler(DependencyException, _unknown_resource)
    permissions.install(app)
    protect(app, console, config)
    app.add_middleware(ApiFirst, api=api)
    app.add_middleware(ErrorBoundary)  # the middlewares' own errors
    # Outermost (added last): on every answer, the API's and the error pages' too.
    app.add_middleware(
        SecurityHeaders, script_hashes=pages.csp_hashes, production=config.production
    )
    return app


class ApiFirst:
    """ASGI middleware: requests under ``/api`` go straight to the REST API's mount, past the
    console's session cookie, sign-in check and Dash's middleware, none of which an API call
    needs (it authenticates with its bearer token); everything else takes the normal path."""

    def __init__(self, app: ASGIApp, api: Mount) -> None:
        # The console's requests are bounded here, around Dash's middleware, which reads a
        # callback's body before any route does; the API bounds its own, route by route.
        self.app = RequestBodyLimitMiddleware(app, max_body_size=limits.CONSOLE)
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["path"] + "/").startswith("/api/"):
            match, child_scope = self.api.matches(scope)
            if match is not Match.FULL:
                # The mount's pattern stops at a line break ("/api/v1/orders/OW%0A1"); such a
                # path is still the API's to refuse, with a problem, not the console's page.
                child_scope = {
                    "path_params": {},
                    "app_root_path": scope.get("app_root_path", scope.get("root_path", "")),
                    "root_path": scope.get("root_path", "") + "/api",
                    "endpoint": self.api.app,
                }
            scope.update(child_scope)  # what the router does for a matching mount
            await self.api.handle(scope, receive, send)
            return
        await self.app(scope, receive, send)


def mount_console(app: FastAPI) -> dash.Dash:
    _forget_unclaimed_callbacks()
    console = dash.Dash(
        # The package's name, so Dash imports the pages as ``dashboard.pages.*``, not ``pages.*``.
        "dashboard",
        server=app,  # type: ignore[arg-type]  # Dash types it as a Flask-style factory
        use_pages=True,
        pages_folder=str(PAGES),
        assets_folder=str(ASSETS),
        title="orderwatch",
        update_title="",  # the board refreshes every few seconds; keep the tab title still
    )
    console.index_string = shell.index_string(console.index_string)
    console.layout = shell.create_layout
    shell.register_callbacks(console)
    return console


async def _unknown_resource(request: Request, exc: Exception) -> JSONResponse:
    # Dash raises this for a component suite or file it does not serve: a wrong URL, a 404.
    message = f"no such component resource: {request.url.path[:200]!r}"
    return JSONResponse({"error": "not_found", "message": message}, 404)


def _forget_unclaimed_callbacks() -> None:
    # Page modules are executed again for every new Dash app and re-register their callbacks
    # in Dash's process-wide lists, which the first app to serve a request takes whole. An
    # earlier app that never served (a test that only probed /healthz) would leave its copies
    # behind and the next app would offer every callback twice, so start from empty lists.
    from dash import _callback

    _callback.GLOBAL_CALLBACK_LIST.clear()
    _callback.GLOBAL_CALLBACK_MAP.clear()
    # The same for the clientside callbacks given as text, which the page (and its
    # Content-Security-Policy, dashboard.headers) carries as inline scripts.
    _callback.GLOBAL_INLINE_SCRIPTS.clear()


def probe_router(sessions: sessionmaker[Session]) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    def healthz() -> JSONResponse:
        problem = database_problem(sessions)
        if problem is None:
            return JSONResponse({"status": "ok", "database": "ok"})
        return JSONResponse({"status": "error", "database": f"error: {problem}"}, 503)

    # The process's own metrics, and the alerts engine's, which every process writes to the
    # store and this app reads from it when scraped.
    store_metrics = CollectorRegistry(auto_describe=False)
    store_metrics.register(AlertsCollector(sessions))

    @router.get("/metrics")
    def metrics() -> Response:
        body = generate_latest() + generate_latest(store_metrics)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router


def database_problem(sessions: sessionmaker[Session]) -> str | None:
    """``None`` when the store answers ``SELECT 1``, else the driver's one-line reason."""
    try:
        with sessions() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc)
        return reason.strip().splitlines()[0] if reason.strip() else type(exc).__name__
    return None

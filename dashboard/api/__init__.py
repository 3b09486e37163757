"""The REST API: its own FastAPI app mounted at ``/api`` (OpenAPI at ``/api/openapi.json``,
interactive docs at ``/api/docs``), for handhelds, integrations and scripts."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from dashboard import limits
from dashboard.api import problems
from dashboard.api.deps import store_gate
from dashboard.api.guard import BodyGuard
from dashboard.api.routers import ROUTERS
from dashboard.api.scan_desk import ScanDesk
from metrics.board import HeatmapCache


def create_api(
    sessions: sessionmaker[Session], *, zone: ZoneInfo, secret_key: str | None = None
) -> FastAPI:
    """The API; ``secret_key`` verifies the acknowledge links in alert messages (without it
    they are answered 503)."""
    api = FastAPI(
        title="orderwatch API",
        version="1",
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    api.state.sessions = sessions
    api.state.zone = zone
    api.state.secret_key = secret_key
    api.state.scan_desk = ScanDesk(sessions)
    api.state.heatmaps = HeatmapCache()
    api.state.store_gate = store_gate(sessions)
    problems.install(api)
    for router in ROUTERS:
        # The default limit per router, not on the app: an app-wide limiter would answer an
        # over-long Content-Length in plain text, where the guard answers with a problem.
        api.include_router(router, max_body_size=limits.API)
    api.add_middleware(BodyGuard, api=api, default_limit=limits.API)
    return api

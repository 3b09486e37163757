"""The REST API: its own FastAPI app mounted at ``/api`` (OpenAPI at ``/api/openapi.json``,
interactive docs at ``/api/docs``), for handhelds, integrations and scripts."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from dashboard.api import problems
from dashboard.api.routers import ROUTERS


def create_api(sessions: sessionmaker[Session]) -> FastAPI:
    api = FastAPI(
        title="orderwatch API",
        version="1",
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    api.state.sessions = sessions
    problems.install(api)
    for router in ROUTERS:
        api.include_router(router)
    return api

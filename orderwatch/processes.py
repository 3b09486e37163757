"""What runs in each process kind: ``serve`` (console + API) and ``demo`` (all in one)."""

from __future__ import annotations

import secrets
from pathlib import Path

import structlog
import uvicorn
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from orderwatch.context import open_store
from orderwatch.demo_data import DEMO_USERS, seed_demo
from orderwatch.logs import configure_logging
from orderwatch.settings import Settings
from store.db import make_engine
from store.events import ChangeFeed
from store.migrate import upgrade

log = structlog.get_logger(__name__)


def run_serve(settings: Settings) -> None:
    settings.require_secret()
    configure_logging(settings)
    sessions = open_store(settings, feed=ChangeFeed(settings.redis_url))
    _serve(settings, sessions)


def run_demo(settings: Settings, *, orders_count: int) -> None:
    """Migrate the embedded store, add demo users and orders, then serve the console."""
    if settings.secret_key is None:
        settings.secret_key = SecretStr(secrets.token_urlsafe(32))
    configure_logging(settings)
    upgrade(make_engine(settings.database_url))
    sessions = open_store(settings, feed=ChangeFeed(settings.redis_url))
    passwords = seed_demo(sessions, orders=orders_count, logins=_logins_file(settings))
    print(f"\norderwatch demo on http://{settings.host}:{settings.port}")
    print(f"store: {settings.database_url}")
    for username, role in DEMO_USERS:
        print(f"  login {username:<12} password {passwords[username]:<16} role {role}")
    _serve(settings, sessions)


def _serve(settings: Settings, sessions: sessionmaker[Session]) -> None:
    # Imported here so that CLI commands which never serve start without the web stack.
    from dashboard.app import create_app
    from dashboard.config import WebConfig

    config = WebConfig(secret_key=settings.require_secret(), zone=settings.zone)
    app = create_app(config, sessions=sessions)
    log.info("serve.start", host=settings.host, port=settings.port)
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None)


def _logins_file(settings: Settings) -> Path:
    """Demo passwords are made once and kept beside the demo database."""
    name = settings.database_url.rsplit("/", 1)[-1] or "orderwatch"
    return Path.cwd() / f".{name}.demo-logins.json"

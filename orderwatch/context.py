"""Opening the store a command works on, from the settings."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from orderwatch.settings import Settings
from store.db import make_engine, session_factory
from store.errors import DomainError
from store.events import ChangeFeed
from store.migrate import current_revisions, describe, head_revisions


class StoreNotReady(DomainError):
    code = "store_not_ready"


def open_store(settings: Settings, *, feed: ChangeFeed | None = None) -> sessionmaker[Session]:
    """Sessions on the configured database, which must already be at the latest schema."""
    engine = make_engine(settings.database_url, keyring=settings.keyring())
    require_current_schema(engine)
    return session_factory(engine, feed)


def require_current_schema(engine: Engine) -> None:
    current, heads = current_revisions(engine), head_revisions()
    if current != heads:
        where = "has no orderwatch schema" if current is None else f"is at {describe(current)}"
        raise StoreNotReady(
            f"the database {engine.url.render_as_string()} {where} (latest: {describe(heads)}); "
            "run `orderwatch migrate` first"
        )

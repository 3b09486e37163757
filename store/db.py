"""Engines and sessions for SQLite (zero-setup default) and PostgreSQL (production)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from store.errors import InvalidInput
from store.events import ChangeFeed, feed_info
from store.sealing import Keyring, attach

SUPPORTED = "sqlite:///PATH or postgresql+psycopg://USER@HOST/DATABASE"


def make_engine(url: str, *, keyring: Keyring | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout, and a new
    database file that only its owner can read. A URL orderwatch cannot use is refused with
    ``InvalidInput``, its password hidden. ``keyring`` seals and opens the secrets stored
    (``store.sealing``; default: the development key)."""
    engine = _engine(url, **kwargs)
    if keyring is not None:
        attach(engine.dialect, keyring)
    return engine


def _engine(url: str, **kwargs: Any) -> Engine:
    # orjson reads JSON columns about four times faster than the standard library (a
    # 1,000-alert group's labels and details: 10.5 ms through psycopg's loader, 4.8 with it).
    kwargs.setdefault("json_deserializer", orjson.loads)
    try:
        parsed = make_url(url)
        parsed.get_dialect()  # loads the driver: an unknown scheme fails here
    except (ArgumentError, NoSuchModuleError, ImportError):
        shown = _shown(url)
        raise InvalidInput(f"cannot use the database URL {shown}: write {SUPPORTED}") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise InvalidInput(
            f"orderwatch stores its data in SQLite or PostgreSQL, not {parsed.get_backend_name()}"
            f" ({_shown(url)}): write {SUPPORTED}"
        )
    if parsed.get_backend_name() == "sqlite":
        _create_private(parsed.database)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # Plan every statement for the tables as they are now. psycopg prepares a statement it
    # has run five times, and PostgreSQL then keeps a generic plan made while a table was
    # small (scans, stage events, exceptions and reservations all start empty): a sequential
    # scan, kept until the next ANALYZE. Looking up a batch's scan ids took 6.7 ms at 24k
    # scans that way instead of 0.1 ms; planning anew costs tens of microseconds.
    connect_args = kwargs.setdefault("connect_args", {})
    connect_args.setdefault("options", "-c plan_cache_mode=force_custom_plan")
    return create_engine(url, **kwargs)


def _shown(url: str) -> str:
    try:
        return repr(make_url(url).render_as_string(hide_password=True))
    except ArgumentError:
        return "given" if "@" in url else repr(url)  # unparsable: it may hold a password


def _create_private(database: str | None) -> None:
    """Create a missing SQLite file readable by its owner only (0600): it holds buyers'
    names, phones and addresses. SQLite gives its -wal and -shm files the same mode."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.exists() or not path.parent.is_dir():
        return  # an existing file keeps its mode; a missing folder is SQLite's error to name
    with contextlib.suppress(FileExistsError):  # another process made it meanwhile
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, say when a transaction begins (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take the write lock at BEGIN so that read-then-write transactions in two processes
    # queue up instead of failing with "database is locked" half way through.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def pool_capacity(engine: Engine) -> int | None:
    """How many connections ``engine`` lends at once (``None``: no limit)."""
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return None  # NullPool, StaticPool, SingletonThreadPool: nothing to wait for
    overflow: int = pool._max_overflow  # no public accessor; -1 means unlimited
    return None if overflow < 0 else pool.size() + overflow


def session_factory(engine: Engine, feed: ChangeFeed | None = None) -> sessionmaker[Session]:
    """Sessions on ``engine`` whose committed changes are published to ``feed``."""
    return sessionmaker(engine, expire_on_commit=False, info=feed_info(feed))


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back on any error."""
    with factory.begin() as session:
        yield session

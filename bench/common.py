"""What every benchmark shares: where the benchmark PostgreSQL is, and a database of the run's
own, created and migrated at the start and dropped at the end."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from store.db import make_engine
from store.migrate import upgrade

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def bench_url() -> str:
    """``ORDERWATCH_BENCH_DATABASE_URL``, else the test database's URL, else the local default."""
    return os.environ.get("ORDERWATCH_BENCH_DATABASE_URL") or os.environ.get(
        "ORDERWATCH_TEST_DATABASE_URL", DEFAULT_URL
    )


@contextmanager
def scratch_database(base_url: str, prefix: str = "ow_bench") -> Iterator[Engine]:
    """A freshly migrated database beside ``base_url``'s, dropped when the block ends."""
    base = make_url(base_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(base.set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

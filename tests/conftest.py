"""Shared fixtures: a migrated SQLite file per test and, when configured, a PostgreSQL
database of this test run's own (created at start, dropped at the end); the command line run
in-process."""

from __future__ import annotations

import io
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from orderwatch.cli import main
from orderwatch.logs import flush_logs
from orderwatch.settings import get_settings
from store.db import make_engine, session_factory
from store.migrate import upgrade
from store.models import Base

REQUIRE_SERVICES = os.environ.get("ORDERWATCH_REQUIRE_SERVICES") == "1"
PG_URL = os.environ.get("ORDERWATCH_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("ORDERWATCH_TEST_REDIS_URL")
# Reference rows written by the migrations; every other table is emptied between tests.
KEEP = {"hold_categories", "counters"}

Run = Callable[..., tuple[int, str, str]]
"""``run(*args, database=URL, stdin="", **env)``: the ``run`` fixture's command runner."""


def need_service(value: str | None, name: str) -> str:
    """The service URL, or a skip (a failure when ORDERWATCH_REQUIRE_SERVICES=1)."""
    if value:
        return value
    message = f"{name} is not set"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} but ORDERWATCH_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _logs_written_by_their_test() -> Iterator[None]:
    """What a test logged is written before the next test starts capturing standard error,
    so one test never reads another's records (logs are written by a thread of their own)."""
    yield
    flush_logs()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "orderwatch.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """URL of a freshly migrated PostgreSQL database owned by this test process."""
    base = make_url(need_service(PG_URL, "ORDERWATCH_TEST_DATABASE_URL"))
    name = f"ow_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _sqlite_engine(template: Path, tmp_path: Path) -> Engine:
    path = tmp_path / "orderwatch.db"
    shutil.copyfile(template, path)
    return make_engine(f"sqlite:///{path}")


def _pg_engine(url: str) -> Engine:
    engine = make_engine(url)
    tables = [t for t in Base.metadata.tables if t not in KEEP]
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        connection.execute(text("UPDATE counters SET value = 0"))
        connection.execute(text("ALTER SEQUENCE order_no_seq RESTART"))
    return engine


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty store on each database orderwatch supports."""
    if request.param == "sqlite":
        made = _sqlite_engine(request.getfixturevalue("sqlite_template"), tmp_path)
    else:
        made = _pg_engine(request.getfixturevalue("pg_database"))
    yield made
    made.dispose()


@pytest.fixture
def sqlite_engine(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    made = _sqlite_engine(sqlite_template, tmp_path)
    yield made
    made.dispose()


@pytest.fixture
def pg_engine(pg_database: str) -> Iterator[Engine]:
    made = _pg_engine(pg_database)
    yield made
    made.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def redis_url() -> str:
    return need_service(REDIS_URL, "ORDERWATCH_TEST_REDIS_URL")


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """Run ``orderwatch ARGS`` through its real entry point against ``database``, with
    ``ORDERWATCH_<KEY>`` set from each keyword; returns (exit code, stdout, stderr)."""

    def invoke(*args: str, database: str, stdin: str = "", **env: str) -> tuple[int, str, str]:
        monkeypatch.setenv("ORDERWATCH_DATABASE_URL", database)
        for key, value in env.items():
            monkeypatch.setenv(f"ORDERWATCH_{key.upper()}", value)
        monkeypatch.setattr("sys.argv", ["orderwatch", *args])
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        get_settings.cache_clear()
        with pytest.raises(SystemExit) as exited:
            main()
        out, err = capsys.readouterr()
        return int(exited.value.code or 0), out, err

    return invoke

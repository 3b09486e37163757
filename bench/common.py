"""What every benchmark shares: where the benchmark PostgreSQL is, and a database of the run's
own, created and migrated at the start and dropped at the end."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from store.db import make_engine
from store.migrate import upgrade
from store.sealing import Keyring

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SECRET_KEY = os.environ.setdefault("ORDERWATCH_BENCH_SECRET_KEY", uuid.uuid4().hex)
"""The run's secret key: the bench's own engines, the ``orderwatch`` processes it starts and
its own child processes (which inherit it through the environment) seal and open the stored
secrets (channel credentials, receiver settings) with it alike."""


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
    engine = make_engine(
        base.set(database=name).render_as_string(hide_password=False),
        keyring=Keyring.of(SECRET_KEY),
    )
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def server(database_url: str) -> Iterator[str]:
    """``orderwatch serve`` (its default worker processes) on a free loopback port, against
    ``database_url``, until the block ends; its log is printed if the block fails."""
    port = free_port()
    env = {"ORDERWATCH_HOST": "127.0.0.1", "ORDERWATCH_PORT": str(port)}
    base = f"http://127.0.0.1:{port}"
    with orderwatch("serve", database_url, env) as process:
        _wait_ready(base, process)
        yield base


@contextmanager
def orderwatch(
    command: str, database_url: str, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """``orderwatch COMMAND`` in a process of its own against ``database_url`` (JSON logs, the
    run's secret key) until the block ends; the end of its log is printed if the block fails."""
    full = (
        os.environ
        | {
            "ORDERWATCH_DATABASE_URL": database_url,
            "ORDERWATCH_SECRET_KEY": SECRET_KEY,
            "ORDERWATCH_LOG_FORMAT": "json",
        }
        | (env or {})
    )
    argv = [sys.executable, "-c", "from orderwatch.cli import main; main()", command]
    with tempfile.NamedTemporaryFile(prefix=f"bench-{command}-") as log:
        process = subprocess.Popen(argv, env=full, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield process
        except BaseException:
            log.flush()
            tail = Path(log.name).read_text(errors="replace")[-3000:]
            print(f"{command} log (end):\n{tail}")
            raise
        finally:
            process.terminate()
            process.wait(timeout=30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit(f"orderwatch serve exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("orderwatch serve did not become ready")

"""``orderwatch serve`` with several worker processes: each builds the app from the
environment and all answer on one port."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import Engine


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_runs_the_configured_worker_processes(sqlite_engine: Engine, tmp_path: Path) -> None:
    port = _free_port()
    env = os.environ | {
        "ORDERWATCH_DATABASE_URL": sqlite_engine.url.render_as_string(hide_password=False),
        "ORDERWATCH_PORT": str(port),
        "ORDERWATCH_WEB_WORKERS": "2",
        "ORDERWATCH_LOG_FORMAT": "json",
    }
    env.pop("ORDERWATCH_SECRET_KEY", None)  # development: serve makes one up for all workers
    log = tmp_path / "serve.log"
    command = [sys.executable, "-c", "from orderwatch.cli import main; main()", "serve"]
    with log.open("wb") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            answers = _health(f"http://127.0.0.1:{port}/healthz", server, log)
            workers = _started(log, 2)
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert answers == {"status": "ok", "database": "ok"}
    assert len(workers) == 2
    assert str(server.pid) not in workers


def _health(url: str, server: subprocess.Popen[bytes], log: Path) -> object:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, f"serve exited:\n{log.read_text()}"
        try:
            return httpx.get(url, timeout=2).json()
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"serve did not answer within 60 s:\n{log.read_text()}")


def _started(log: Path, count: int) -> set[str]:
    """The worker processes that said they started, once ``count`` did (or after 60 s)."""
    deadline = time.monotonic() + 60
    while True:
        workers = set(re.findall(r"Started server process \[(\d+)\]", log.read_text()))
        if len(workers) >= count or time.monotonic() > deadline:
            return workers
        time.sleep(0.2)

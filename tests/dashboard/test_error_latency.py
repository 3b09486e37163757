"""A failing request never holds the others: its error is logged off the event loop.

The console runs under uvicorn as ``serve`` runs it, logging into a stream that blocks while
it is handed the failure's traceback (a slow terminal, a full pipe, a traceback that takes
seconds to format). The failing request is still answered, and ``/healthz`` answers, while the
log line waits; once the stream moves again the line is written.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from orderwatch.logs import configure_logging, flush_logs, reset_logging
from orderwatch.settings import Settings
from store.db import make_engine, session_factory
from store.people import create_token
from tests.dashboard.live_console import WAIT_S, live_console
from tests.factories import add_order
from tests.faults import refusing_writes


class GatedStream(io.StringIO):
    """A log stream that stops at the first write of ``marker`` until it is opened."""

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker = marker
        self.stuck = threading.Event()
        self.gate = threading.Event()

    def write(self, text: str) -> int:
        if self.marker in text:
            self.stuck.set()
            self.gate.wait(WAIT_S * 3)
        return super().write(text)


@pytest.fixture
def stream() -> Iterator[GatedStream]:
    gated = GatedStream("unexpected_error")
    configure_logging(Settings(log_format="console"), stream=gated)
    try:
        yield gated
    finally:
        gated.gate.set()
        reset_logging()


def test_healthz_answers_while_an_error_is_being_logged(
    console_store: Path, stream: GatedStream
) -> None:
    engine = make_engine(f"sqlite:///{console_store}")
    sessions = session_factory(engine)
    order_no = add_order(sessions, channel="tmall-main")
    with sessions.begin() as session:
        token = create_token(session, name="bot", scopes=["orders:act"]).secret
    with (
        live_console(console_store, []) as base_url,
        httpx.Client(base_url=base_url, timeout=WAIT_S) as client,
        refusing_writes(engine, "audit_log"),
    ):
        failed = client.post(
            f"/api/v1/orders/{order_no}/notes",
            json={"note": "x"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert failed.status_code == 500
        assert stream.stuck.wait(WAIT_S), "the error was never logged"

        health = client.get("/healthz")

        assert health.status_code == 200
        assert not stream.gate.is_set()  # answered while the error's line was still waiting
        stream.gate.set()
    flush_logs()
    assert "Traceback (most recent call last)" in stream.getvalue()
    engine.dispose()

"""The console's answers to malformed and oversized requests (issue 14, findings 8 and 13):
4xx, never a 500, before Dash reads anything it should not."""

from __future__ import annotations

import io
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from dashboard import limits
from orderwatch.logs import configure_logging, flush_logs, reset_logging
from orderwatch.settings import Settings
from store.db import make_engine
from store.errors import InvalidInput
from tests.conftest import Run
from tests.dashboard.console_client import (
    callback_request,
    callback_spec,
    callback_spec_by_input,
    client_for,
    sign_in,
)


@pytest.fixture
def console(sqlite_engine: Engine) -> Iterator[TestClient]:
    with client_for(sqlite_engine) as made:
        sign_in(made)
        yield made


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[]",
        b"null",
        b'{"output": "nosuch.children"}',
        b'{"output": "nosuch.children", "outputs": {"id": "nosuch", "property": "children"},'
        b' "inputs": [], "changedPropIds": []}',
        b"\xff\xfe",
    ],
)
def test_malformed_callback_bodies_are_400(console: TestClient, body: bytes) -> None:
    response = console.post(
        "/_dash-update-component", content=body, headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


def test_a_callback_called_with_other_inputs_than_it_declares_is_400(console: TestClient) -> None:
    spec = callback_spec(console, "shell-role")
    good = {
        **callback_request(spec, {"shell-lang.data": "en"}),
        "outputs": {"id": "shell-role", "property": "children"},  # one output: not a list
    }
    wrong_id = {**good, "inputs": [{"id": "board-tick", "property": "data", "value": 1}]}
    too_many = {**good, "inputs": [*good["inputs"], *good["inputs"]]}
    listed = {**good, "outputs": [good["outputs"]]}

    assert console.post("/_dash-update-component", json=good).status_code == 200
    for body in (wrong_id, too_many, listed):
        assert console.post("/_dash-update-component", json=body).status_code == 400


def test_a_callback_whose_one_output_is_a_pattern_takes_the_matched_components(
    console: TestClient,
) -> None:
    # The re-send button's state: one ``ALL`` output, sent as the list of the buttons it
    # matched (none, one or several), which Dash expects as such.
    spec = callback_spec_by_input(console, "alerts-deliveries-grid")
    button = {"role": "alerts-action", "action": "resend", "place": "deliveries"}
    dead = [{"id": 2, "status_code": "dead"}]
    body = callback_request(spec, {"alerts-deliveries-grid.selectedRows": dead}, present=[button])

    answer = console.post("/_dash-update-component", json=body)
    lone = console.post("/_dash-update-component", json={**body, "outputs": body["outputs"][0]})

    assert answer.status_code == 200, answer.text
    assert answer.json()["response"] == {json.dumps(button, separators=(",", ":"),
                                          sort_keys=True): {"disabled": False}}  # fmt: skip
    assert lone.status_code == 400


def test_a_stranger_gets_401_not_400(sqlite_engine: Engine) -> None:
    with client_for(sqlite_engine) as stranger:
        response = stranger.post("/_dash-update-component", content=b"{")

    assert response.status_code == 401


def test_an_unknown_component_suite_is_404(console: TestClient) -> None:
    for path in ("/_dash-component-suites/nosuchpkg/x.js", "/_dash-component-suites/dash/no.js"):
        response = console.get(path)
        assert (response.status_code, response.json()["error"]) == (404, "not_found")


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """What the console logs, configured as ``serve`` configures it, into a buffer."""
    stream = io.StringIO()
    configure_logging(Settings(secret_key="test-secret-key"), stream=stream)
    try:
        yield stream
    finally:
        reset_logging()


def test_console_bodies_are_bounded(console: TestClient, logged: io.StringIO) -> None:
    huge = b"x" * (limits.CONSOLE + 1)
    login = console.post(
        "/login",
        content=b"username=lead&password=" + b"x" * limits.LOGIN,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    callback = console.post(
        "/_dash-update-component", content=huge, headers={"content-type": "application/json"}
    )

    assert (login.status_code, callback.status_code) == (413, 413)
    # A body refused is the client's error, answered: nothing for the error log.
    flush_logs()
    assert "unexpected_error" not in logged.getvalue()


def test_an_unknown_database_scheme_is_one_line(run: Run) -> None:
    code, _out, err = run("metrics", "--from", "2026-01-01", "--to", "2026-01-02",
                          database="mongodb://admin:hunter2@db/orders")  # fmt: skip

    assert code == 1
    assert err.count("\n") == 1
    assert "cannot use the database URL" in err and "hunter2" not in err


@pytest.mark.parametrize("url", ["nonsense", "mysql://u:p@h/d"])
def test_make_engine_refuses_what_orderwatch_cannot_use(url: str) -> None:
    with pytest.raises(InvalidInput, match="sqlite:///PATH or postgresql"):
        make_engine(url)


def test_a_new_sqlite_store_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "orderwatch.db"
    previous = os.umask(0o022)
    try:
        engine = make_engine(f"sqlite:///{path}")
        with engine.connect() as connection:
            connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            connection.commit()
        engine.dispose()
    finally:
        os.umask(previous)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600

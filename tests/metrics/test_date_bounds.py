"""Dates outside 2000-2100 (issue 14, finding 5): a 422 from the API, one line from the command
line, never an ``OverflowError``."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.api.floor import client, token
from tests.conftest import Run

OUT_OF_SPAN = [
    {"from": "2026-12-01", "to": "9999-12-31"},
    {"from": "0001-01-01", "to": "2026-01-01"},
    {"from": "2026-01-01T00:00", "to": "9999-12-31T23:59"},
]


@pytest.mark.parametrize("query", OUT_OF_SPAN)
def test_metrics_with_a_date_out_of_span_is_422(
    sessions: sessionmaker[Session], query: dict[str, str]
) -> None:
    api = client(sessions)
    auth = token(sessions, "bi", "metrics:read")

    answers = [
        api.get("/v1/metrics", params=query, headers=auth),
        api.get("/v1/metrics/board", params=query, headers=auth),
        api.get(
            "/v1/metrics/compare",
            params={"before": f"{query['from']}..{query['to']}", "after": "2026-01-01..2026-01-02"},
            headers=auth,
        ),
    ]

    for answer in answers:
        assert answer.status_code == 422, answer.text
        assert "between 2000-01-01 and 2100-01-01" in answer.json()["detail"]


@pytest.mark.parametrize(
    "args",
    [
        ("metrics", "--from", "2026-12-01", "--to", "9999-12-31"),
        ("metrics", "--from", "0001-01-01", "--to", "2026-01-01", "--json"),
        (
            "metrics",
            "compare",
            "--before",
            "0001-01-01..0001-01-02",
            "--after",
            "2026-01-01..2026-01-02",
        ),
        ("metrics", "rebuild", "--from", "2026-01-01", "--to", "9999-12-31"),
    ],
)
def test_the_command_line_says_so_in_one_line(
    run: Run, engine: Engine, args: tuple[str, ...]
) -> None:
    code, _out, err = run(*args, database=engine.url.render_as_string(hide_password=False))

    assert code == 1
    assert err.count("\n") == 1 and "between 2000-01-01 and 2100-01-01" in err

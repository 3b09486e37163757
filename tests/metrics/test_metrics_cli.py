"""``orderwatch metrics`` (JSON document, comparison, rebuild) and ``GET /api/v1/metrics``,
through the real entry point and the real API app."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from dashboard.api import create_api
from orderwatch.settings import get_settings
from store.models import MetricHourly
from store.people import create_token
from tests.conftest import Run
from tests.metrics.fixtures import load
from tests.metrics.test_report import SPECS, _floor_facts, _kpi_facts

SHANGHAI = ZoneInfo("Asia/Shanghai")

DOCUMENT_KEYS = {
    "orders_total", "orders_by_stage", "throughput_per_hour", "processing_time_hours",
    "stage_dwell_hours", "late_shipments", "sla_breaches", "exceptions_by_category",
    "intake_heatmap", "delay_heatmap", "busiest_intake", "worst_delay",
    "manual_intervention_share", "inventory_accuracy", "missed_orders_per_day",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _shanghai_days(monkeypatch: pytest.MonkeyPatch) -> None:
    """The expected figures count Shanghai's days, whatever zone the environment names."""
    monkeypatch.setenv("ORDERWATCH_TIMEZONE", "Asia/Shanghai")


@pytest.fixture
def database(engine: Engine, sessions: sessionmaker[Session]) -> str:
    load(sessions, SPECS)
    with sessions.begin() as session:
        _floor_facts(session)
        _kpi_facts(session)
    return engine.url.render_as_string(hide_password=False)


def test_metrics_json_has_the_documented_keys(run: Run, database: str) -> None:
    code, out, err = run("metrics", "--from", "2025-03-03", "--to", "2025-03-09", "--json",
                         database=database)  # fmt: skip
    document = json.loads(out)

    assert (code, err) == (0, "")
    assert set(document) >= DOCUMENT_KEYS
    assert len(document["intake_heatmap"]) == 7
    assert all(len(row) == 24 for row in document["delay_heatmap"])
    assert document["orders_total"] == 6
    assert document["processing_time_hours"]["p50"] == 3.0
    assert document["busiest_intake"]["label_zh"] == "周三 14:00–15:00"


def test_metrics_filters_and_table(run: Run, database: str) -> None:
    code, out, _err = run("metrics", "--from", "2025-03-03", "--to", "2025-03-09",
                          "--warehouse", "HZ-02", "--json", database=database)  # fmt: skip
    assert code == 0
    assert json.loads(out)["orders_total"] == 1
    code, out, _err = run("metrics", "--from", "2025-03-03", "--to", "2025-03-09",
                          database=database)  # fmt: skip
    assert code == 0
    assert "瓶颈时段 / worst delay" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2025-03-09", "--to", "2025-03-03"), "error: empty or inverted window"),
        (("--from", "2025-03-03", "--to", "2025-03-09", "--channel", "nope"),
         "error: unknown channel 'nope'; known channels: jd-main, tmall-main"),
        (("--from", "2025-03-03", "--to", "2025-03-09", "--warehouse", "XX"),
         "error: unknown warehouse 'XX'"),
        (("--from", "yesterday", "--to", "2025-03-09"), "error: cannot read 'yesterday'"),
        (("--from", "2025-03-03"), "give both --from and --to"),
    ],
)  # fmt: skip
def test_metrics_bad_input(run: Run, database: str, args: tuple[str, ...], message: str) -> None:
    code, out, err = run("metrics", *args, database=database)
    assert (code, out) != (0, "")
    assert code != 0
    assert message in err


def test_compare_table_and_json(run: Run, database: str) -> None:
    periods = ("--before", "2025-03-03..2025-03-04", "--after", "2025-03-05..2025-03-06")
    code, out, _err = run("metrics", "compare", *periods, "--json", database=database)
    rows = {row["metric"]: row for row in json.loads(out)["rows"]}

    assert code == 0
    processing = rows["processing_time_hours_p50"]
    assert (processing["before"], processing["after"]) == (2.0, 4.5)
    assert processing["change_pct"] == 125.0
    assert (processing["better"], processing["improved"]) == ("lower", False)
    assert rows["orders_total"]["improved"] is None
    code, out, _err = run("metrics", "compare", "--before", "2025-03-03..2025-03-04",
                          "--after", "2025-03-05..2025-03-06", database=database)  # fmt: skip
    assert code == 0
    assert "+125.0%" in out
    assert "✗ worse" in out


def test_compare_refuses_a_malformed_period(run: Run, database: str) -> None:
    code, _out, err = run("metrics", "compare", "--before", "2025-03-03",
                          "--after", "2025-03-05..2025-03-06", database=database)  # fmt: skip
    assert code == 1
    assert err == "error: cannot read '2025-03-03' as a period: write START..END\n"


def test_rebuild_writes_the_window(run: Run, database: str, engine: Engine) -> None:
    code, out, _err = run("metrics", "rebuild", "--from", "2025-03-03", "--to", "2025-03-09",
                          database=database)  # fmt: skip
    with engine.connect() as connection:
        entered = connection.scalar(
            select(func.sum(MetricHourly.entered)).where(MetricHourly.stage == "paid")
        )
    assert code == 0
    assert out.startswith("rebuilt the hourly rollups of 2025-03-03..2025-03-09: ")
    assert entered == 6


def test_api_serves_the_same_document(database: str, sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        reader = create_token(session, name="bi", scopes=["metrics:read"]).secret
        scanner = create_token(session, name="pda", scopes=["scans"]).secret
    client = TestClient(create_api(sessions, zone=SHANGHAI), raise_server_exceptions=False)
    auth = {"Authorization": f"Bearer {reader}"}
    get_settings.cache_clear()

    ok = client.get("/v1/metrics", params={"from": "2025-03-03", "to": "2025-03-09"}, headers=auth)
    inverted = client.get("/v1/metrics", params={"from": "2025-03-09", "to": "2025-03-03"},
                          headers=auth)  # fmt: skip
    forbidden = client.get("/v1/metrics", params={"from": "2025-03-03", "to": "2025-03-09"},
                           headers={"Authorization": f"Bearer {scanner}"})  # fmt: skip
    compared = client.get("/v1/metrics/compare", headers=auth,
                          params={"before": "2025-03-03..2025-03-04",
                                  "after": "2025-03-05..2025-03-06"})  # fmt: skip
    live = client.get("/v1/metrics/board", headers=auth)

    assert ok.status_code == 200
    assert set(ok.json()) >= DOCUMENT_KEYS
    assert ok.json()["late_shipments"]["count"] == 1
    assert (inverted.status_code, inverted.json()["code"]) == (422, "invalid_input")
    assert forbidden.status_code == 403
    assert compared.status_code == 200
    assert len(compared.json()["rows"]) >= 10
    assert live.status_code == 200
    assert "work_in_progress" in live.json()

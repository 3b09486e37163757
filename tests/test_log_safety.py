"""No credential and no buyer's personal data reaches a log line, whatever fails where.

A store with an API token, a console session and an order with a buyer; then an error at each
boundary where orderwatch meets the world (a REST call, a console callback, a platform's push,
a channel sync, a history import, a worker job), injected as the database refusing a write.
The log, in both formats, must hold the failure with its traceback as text, and none of the
seeded secrets.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ingest.simulator.protocols.common import Credentials
from ingest.simulator.push import douyin_push
from ingest.simulator.world import Lifecycle
from orderwatch.logs import configure_logging, flush_logs, reset_logging
from orderwatch.routines import periodic_jobs
from orderwatch.settings import Settings
from orderwatch.worker import Worker
from store.channels import get_channel
from store.db import session_factory
from store.people import create_token, create_user
from tests.conftest import Run
from tests.dashboard.console_client import CONFIG, callback_request, callback_spec, console_client
from tests.factories import add_channel, add_order
from tests.faults import refusing_writes
from tests.ingest.simulation import SECRET as SIM_SECRET
from tests.ingest.simulation import Platforms, add_sim_channel, platforms

SECRET_KEY = "Hx3-k9Qm2vT7pL0sWc8Ny4bRz1Jd6Fg5Ue"
BUYER = ("张三丰", "13812345678", "世纪大道100号")
"""The factories' buyer (name, phone, street); masked forms may appear, these never."""
PASSWORD = "ops-supervisor-pass-9"


@dataclass
class Captured:
    """What was logged, and every value that must not be in it."""

    stream: io.StringIO
    log_format: str
    secrets: set[str] = field(default_factory=lambda: {SECRET_KEY, *BUYER})

    def text(self) -> str:
        flush_logs()
        return self.stream.getvalue()

    def assert_clean(self, also: str = "") -> None:
        """Nothing secret was logged (nor is in ``also``, what else the user saw)."""
        logged = self.text() + also
        leaked = sorted(secret for secret in self.secrets if secret in logged)
        assert leaked == [], f"leaked {leaked}:\n{logged}"

    def assert_clean_failure(self, event: str) -> None:
        """The failure is logged as ``event`` with its traceback, and nothing secret is."""
        logged = self.text()
        assert "Traceback (most recent call last)" in logged, logged
        assert event in logged, logged
        if self.log_format == "json":  # every line one JSON object, the traceback text in it
            lines = [json.loads(line) for line in logged.splitlines() if line]
            assert any("Traceback" in str(line.get("exception", "")) for line in lines)
        self.assert_clean()


@pytest.fixture(params=["console", "json"])
def captured(request: pytest.FixtureRequest) -> Iterator[Captured]:
    """Logging configured as ``serve`` configures it, into a buffer."""
    stream = io.StringIO()
    settings = Settings(log_format=request.param, secret_key=SECRET_KEY)
    configure_logging(settings, stream=stream)
    try:
        yield Captured(stream, request.param)
    finally:
        reset_logging()


def api_token(sessions: sessionmaker[Session], captured: Captured) -> dict[str, str]:
    with sessions.begin() as session:
        issued = create_token(session, name="ops-bot", scopes=["orders:act", "orders:read"])
    captured.secrets.add(issued.secret)
    return {"Authorization": f"Bearer {issued.secret}"}


def test_a_failing_api_call(engine: Engine, captured: Captured) -> None:
    sessions = session_factory(engine)
    add_channel(sessions)
    order_no = add_order(sessions)
    headers = api_token(sessions, captured)
    with (
        console_client(engine) as client,
        refusing_writes(engine, "audit_log"),
    ):
        answer = client.post(
            f"/api/v1/orders/{order_no}/notes", json={"note": "call 13812345678"}, headers=headers
        )

    assert answer.status_code == 500
    assert answer.json()["code"] == "internal_error"
    captured.assert_clean_failure("http.unexpected_error")


def test_a_failing_console_callback(engine: Engine, captured: Captured) -> None:
    sessions = session_factory(engine)
    add_channel(sessions)
    order_no = add_order(sessions)
    with sessions.begin() as session:
        create_user(session, username="ops", role="ops_supervisor", password=PASSWORD)
    with console_client(engine) as client:
        form = {"username": "ops", "password": PASSWORD, "next": "/"}
        signed_in = client.post("/login", data=form, follow_redirects=False)
        captured.secrets.update({PASSWORD, *signed_in.cookies.values()})
        spec = callback_spec(client, "order-reveal")
        values = {"order-reveal.n_clicks": 1, "order-no.data": order_no}
        with refusing_writes(engine, "audit_log"):
            answer = client.post("/_dash-update-component", json=callback_request(spec, values))

    assert answer.status_code == 500
    captured.assert_clean_failure("http.unexpected_error")


@pytest.fixture
def sim() -> Iterator[Platforms]:
    """A Douyin shop with the orders of the last two hours (the worker syncs by the real
    clock)."""
    start = datetime.now(UTC) - timedelta(hours=2)
    with platforms(served=("douyin",), orders_per_minute=2.0, start=start) as made:
        made.world.freeze()
        yield made


def sim_secrets(sim: Platforms, captured: Captured) -> None:
    """The simulated shop's buyers and the channel's credentials."""
    orders = sim.world.shops["douyin"].orders.values()
    captured.secrets.update({SIM_SECRET, "sim-token"})
    captured.secrets.update(o.buyer_phone for o in orders)


def test_a_failing_push(engine: Engine, sim: Platforms, captured: Captured) -> None:
    sessions = session_factory(engine)
    channel = add_sim_channel(sessions, sim, "douyin")
    sim_secrets(sim, captured)
    shop = sim.world.shops["douyin"]
    order = next(o for o in shop.orders.values() if o.lifecycle is Lifecycle.PAID)
    push = douyin_push(order, Credentials())
    with (
        console_client(engine) as client,
        refusing_writes(engine, "orders"),
    ):
        answer = client.post(f"/api/v1/channels/{channel}/push", content=push.body,
                             headers=push.headers)  # fmt: skip

    assert answer.status_code == 500
    captured.assert_clean_failure("http.unexpected_error")


def test_a_failing_sync(engine: Engine, sim: Platforms, captured: Captured) -> None:
    sessions = session_factory(engine)
    channel = add_sim_channel(sessions, sim, "douyin")
    sim_secrets(sim, captured)
    with sessions.begin() as session:
        channel_id = get_channel(session, channel).id
    worker = Worker(sessions, BackgroundScheduler(), [])

    with refusing_writes(engine, "orders"):
        worker.sync(channel_id, channel)

    captured.assert_clean_failure("sync.crashed")


def test_a_failing_worker_job(engine: Engine, captured: Captured) -> None:
    sessions = session_factory(engine)
    add_channel(sessions)
    add_order(sessions)  # paid, nothing in stock: the release holds it, which is refused
    (release,) = [job for job in periodic_jobs(CONFIG.zone) if job.id == "warehouse.release"]
    worker = Worker(sessions, BackgroundScheduler(), [release])

    with refusing_writes(engine, "orders"):
        worker.run_periodic(release)

    captured.assert_clean_failure("job.crashed")


def test_a_failing_import(engine: Engine, captured: Captured, run: Run, tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text("订单号,状态,实付金额\nL-13812345678,已发货,12.50\n", encoding="utf-8")
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[source]\nchannel = "legacy-erp"\n[columns]\nchannel_order_id = "订单号"\n'
        'status = "状态"\namount = "实付金额"\n[status_map]\n"已发货" = "shipped"\n',
        encoding="utf-8",
    )
    database = engine.url.render_as_string(hide_password=False)

    with refusing_writes(engine, "orders"):
        code, out, err = run("import-csv", str(export), "--mapping", str(mapping),
                              database=database)  # fmt: skip

    assert code == 1, (out, err)
    captured.secrets.add("13812345678")
    if "failed unexpectedly" in err:  # PostgreSQL's error is none the import expects
        assert err.strip().splitlines()[-1].startswith("error: orderwatch failed unexpectedly")
        captured.assert_clean_failure("cli.crashed")
    else:  # SQLite's is an error of the batch: in the error report, the rest goes on
        assert "1 failed" in out
    captured.assert_clean(also=out + err)

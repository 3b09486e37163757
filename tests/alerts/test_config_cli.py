"""Routes and receivers through ``orderwatch apply`` (checked first, file:line: key: problem,
nothing applied on any error), the ``orderwatch alerts`` commands (secrets never printed), and
``alerts test`` through the real delivery path against a loopback consumer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from store.db import make_engine, session_factory
from store.models import AlertRoute, Receiver, RouteReceiver
from tests.alerts.pipeline import SECRET, consumer
from tests.conftest import Run

ALIYUN_SECRET = "aliyun-very-secret"
CONFIG = """
[[alerts.receivers]]
name = "hook"
kind = "webhook"
settings = {{ base_url = "{url}", secret = "{secret}" }}

[[alerts.receivers]]
name = "manager-sms"
kind = "aliyun_sms"
[alerts.receivers.settings]
access_key_id = "LTAI5t"
access_key_secret = "{aliyun}"
sign_name = "橙子仓"
template_code = "SMS_1234"
phone = "{phone}"
template_params = {{ count = "count", stage = "stage" }}

[[alerts.routes]]
name = "pick-sla"
match = {{ kind = "sla_breach", stage = ["awaiting_pick"] }}
group_wait = "30s"
group_interval = "5m"
escalate_after = "15m"
levels = [["hook"], ["manager-sms"]]
"""


@pytest.fixture
def database(sqlite_engine: Engine) -> str:
    return sqlite_engine.url.render_as_string(hide_password=False)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def config(url: str = "http://127.0.0.1:9/h", phone: str = "+8613800138000") -> str:
    return CONFIG.format(url=url, secret=SECRET, aliyun=ALIYUN_SECRET, phone=phone)


def counts(database: str) -> tuple[int, int, int]:
    with session_factory(make_engine(database))() as s:
        return (
            s.scalar(select(func.count()).select_from(Receiver)) or 0,
            s.scalar(select(func.count()).select_from(AlertRoute)) or 0,
            s.scalar(select(func.count()).select_from(RouteReceiver)) or 0,
        )


def test_apply_creates_receivers_and_routes_and_the_lists_hide_secrets(
    run: Run, database: str, tmp_path: Path
) -> None:
    file = write(tmp_path, config())
    code, out, err = run("apply", str(file), database=database)
    assert (code, err) == (0, "")
    assert "receiver hook: created (webhook)" in out and "route pick-sla: created" in out
    assert counts(database) == (2, 1, 2)
    assert run("apply", str(file), database=database)[1].strip() == f"{file}: nothing to change"
    code, out, _ = run("alerts", "receivers", database=database)
    assert code == 0 and "manager-sms (aliyun_sms, zh)" in out
    assert SECRET not in out and ALIYUN_SECRET not in out and "**********" in out
    code, out, _ = run("alerts", "routes", "--json", database=database)
    (route,) = json.loads(out)
    assert route["levels"] == [["hook"], ["manager-sms"]]
    assert (route["group_wait"], route["escalate_after"]) == (30, 900)
    assert route["match"] == {"kind": ["sla_breach"], "stage": ["awaiting_pick"]}


def test_export_masks_secrets_and_applying_the_export_keeps_them(
    run: Run, database: str, tmp_path: Path
) -> None:
    run("apply", str(write(tmp_path, config())), database=database)
    code, exported, _ = run("export-config", database=database)
    assert code == 0 and SECRET not in exported and ALIYUN_SECRET not in exported
    again = tmp_path / "exported.toml"
    again.write_text(exported, encoding="utf-8")
    code, out, err = run("apply", str(again), database=database)
    assert (code, err) == (0, ""), out
    # The export writes the providers' defaults the file left out: still no change.
    assert "receiver" not in out
    with session_factory(make_engine(database))() as session:  # settings load when read
        sms = session.scalars(select(Receiver).where(Receiver.name == "manager-sms")).one()
        assert sms.settings["access_key_secret"] == ALIYUN_SECRET


def test_a_bad_route_or_receiver_is_named_by_line_and_nothing_is_applied(
    run: Run, database: str, tmp_path: Path
) -> None:
    text = config(phone="13800138000").replace('["manager-sms"]]', '["nobody"]]')
    text = text.replace('count = "count"', 'count = "shop_name"')
    text = text.replace('stage = ["awaiting_pick"]', 'stage = ["awaiting_pik"]')
    file = write(tmp_path, text)
    code, _, err = run("apply", str(file), database=database)
    assert code == 1
    assert "nothing was changed" in err
    assert f"{file}:20: alerts.routes[0].match: stage: unknown awaiting_pik (known: " in err
    file_text = text.replace('stage = ["awaiting_pik"]', 'stage = ["awaiting_pick"]')
    file = write(tmp_path, file_text)
    code, _, err = run("apply", str(file), database=database)
    assert code == 1 and "3 problems" in err
    assert f"{file}:15: alerts.receivers[1].settings.phone: String should match pattern" in err
    assert (
        f"{file}:16: alerts.receivers[1].settings.template_params: unknown message parameter "
        "shop_name"
    ) in err
    assert f"{file}:24: alerts.routes[0].levels: unknown receiver nobody" in err
    assert counts(database) == (0, 0, 0)


def test_alerts_test_sends_through_the_outbox_and_prints_the_answer(
    run: Run, database: str, tmp_path: Path
) -> None:
    with consumer() as (fake, url):
        run("apply", str(write(tmp_path, config(url=url))), database=database)
        code, out, _ = run("alerts", "test", "hook", database=database)
        assert code == 0
        assert out.startswith("hook: sent (HTTP 204")
        assert [m["title"] for m in fake.accepted] == ["orderwatch 测试通知"]
        fake.down = True
        code, out, _ = run("alerts", "test", "hook", database=database)
        assert code == 1 and "hook: retry (HTTP 503" in out and "the worker retries it" in out
    code, out, _ = run("alerts", "deliveries", database=database)
    assert out.splitlines()[0].startswith("#2 pending test")
    code, _, err = run("alerts", "test", "nobody", database=database)
    assert (code, err.strip()) == (1, "error: no receiver 'nobody'")


def test_silences_from_the_command_line(run: Run, database: str) -> None:
    code, out, _ = run(
        "alerts", "silence", "--match", "warehouse=SH-01", "--for", "2h",
        "--reason", "stocktake", "--author", "ann", database=database,
    )  # fmt: skip
    assert code == 0 and out.startswith("silence #1 until")
    code, out, _ = run("alerts", "silences", database=database)
    assert "#1 {'warehouse': 'SH-01'}" in out and "by ann: stocktake" in out
    assert run("alerts", "unsilence", "1", database=database)[1] == "silence #1 ended\n"
    assert run("alerts", "silences", database=database)[1] == "no silences\n"
    code, _, err = run(
        "alerts", "silence", "--match", "colour=red", "--for", "2h", "--reason", "x",
        database=database,
    )  # fmt: skip
    assert code == 1 and "known labels" in err
    code, _, err = run(
        "alerts", "silence", "--match", "stage", "--for", "soon", "--reason", "x",
        database=database,
    )  # fmt: skip
    assert code == 1 and "write LABEL=VALUE" in err

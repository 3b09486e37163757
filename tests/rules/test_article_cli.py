"""The article's case end to end through the command line: held, explained, dry-run, fixed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from store.audit import audit_trail
from store.db import session_factory
from store.models import Order, Rule
from store.orders import find_order
from tests.conftest import Run
from tests.rules.article import XHS, seed_article

WHITELIST = """
[[risk.whitelists]]
name = "xhs-bnpl"
channel = "xhs-main"
payment_method = "先用后付"
below = "300"
description = "小红书先用后付 300 元以下免审 / Xiaohongshu BNPL below 300 CNY passes"
"""


@pytest.fixture
def database(sqlite_engine: Engine) -> str:
    seed_article(session_factory(sqlite_engine))
    return sqlite_engine.url.render_as_string(hide_password=False)


def _with_whitelist(exported: str) -> str:
    """The exported configuration with the article's whitelist added to the risk section."""
    head, tail = exported.split("[[risk.rules]]", 1)
    return head + WHITELIST.lstrip() + "\n[[risk.rules]]" + tail


def test_article_case_end_to_end(
    run: Run, database: str, sqlite_engine: Engine, tmp_path: Path
) -> None:
    assert run("rules", "review", database=database) == (
        0,
        "risk review: 17 held, 0 released, 5 passed\n",
        "",
    )
    sessions = session_factory(sqlite_engine)
    with sessions() as session:
        held = find_order(session, XHS, "X003").order_no
    code, out, _ = run("orders", "show", held, "--explain", "--json", database=database)
    explanation = json.loads(out)["explain"]
    assert code == 0
    assert explanation["stage"]["code"] == "pending_review"
    assert explanation["risk"]["rule"] == "bnpl-high-risk"
    assert explanation["risk"]["version"] == 1
    assert explanation["risk"]["matched"] == ["payment_method in [先用后付, buy_now_pay_later]"]
    assert explanation["can_unblock"] == ["supervisor", "ops_supervisor", "admin"]
    assert "bnpl-high-risk v1" in explanation["summary"]["zh"]

    exported = tmp_path / "orderwatch.toml"
    assert run("export-config", "--output", str(exported), database=database)[0] == 0
    fixed = tmp_path / "fixed.toml"
    fixed.write_text(_with_whitelist(exported.read_text(encoding="utf-8")), encoding="utf-8")

    dry = ("rules", "dry-run", str(fixed), "--json", "--now", "2026-11-02T02:00:00")
    code, out, _ = run(*dry, database=database)
    report = json.loads(out)
    xhs = next(c for c in report["channels"] if c["channel"] == XHS)
    assert (code, xhs["held_now"], xhs["released"], xhs["held_proposed"]) == (0, 17, 14, 3)

    code, out, _ = run(
        "apply", str(fixed), "--author", "ops-li", "--reason", "article fix", database=database
    )
    assert (code, out) == (
        0,
        "risk_whitelist xhs-bnpl: created (v1)\nrisk review: 14 released, 0 held\n",
    )
    assert run("apply", str(fixed), database=database)[1] == f"{fixed}: nothing to change\n"
    with sessions() as session:
        stages = dict(
            session.execute(
                select(Order.stage, func.count())
                .where(Order.channel_order_id.like("X%"))
                .group_by(Order.stage)
            ).all()
        )
        [entry] = audit_trail(session, entity_type="rule", entity_id="risk_whitelist/xhs-bnpl")
    assert stages == {"paid": 14, "pending_review": 3}
    assert (entry.actor, entry.action, entry.after["reason"]) == (
        "ops-li",
        "rule.created",
        "article fix",
    )


BAD = """
[[risk.rules]]
name = "bnpl"
priority = 10
action = "hold"
[risk.rules.when]
payment_methods = ["先用后付"]
colour = "red"

[[risk.rules]]
name = "bnpl-xhs"
priority = 20
action = "hold"
[risk.rules.when]
payment_methods = ["先用后付"]
channels = ["xhs-main"]

[[risk.whitelists]]
name = "a"
channel = "xhs-main"
payment_method = "先用后付"
below = "lots"

[[risk.whitelists]]
name = "b"
channel = "no-such-shop"
payment_method = "先用后付"
below = 100

[[sla.stages]]
name = "pick"
stage = "awaiting_pick"
max_hours = 0
"""


def test_a_bad_file_names_every_problem_and_changes_nothing(
    run: Run, database: str, sqlite_engine: Engine, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD, encoding="utf-8")
    code, out, err = run("apply", str(bad), database=database)
    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert lines[0] == "error: 3 problems, nothing was changed:"
    assert f"{bad}:8: risk.rules[0].when.colour: unknown key" in lines
    assert any(line.startswith(f"{bad}:22: risk.whitelists[0].below: ") for line in lines)
    assert f"{bad}:33: sla.stages[0].max_hours: Input should be greater than 0" in lines
    with session_factory(sqlite_engine)() as session:
        assert session.scalar(select(func.count()).select_from(Rule)) == 0


def test_cross_rule_problems_are_refused(
    run: Run, database: str, sqlite_engine: Engine, tmp_path: Path
) -> None:
    text = BAD.replace('colour = "red"\n', "").replace('"lots"', "300").replace("= 0\n", "= 2\n")
    text += '\n[[risk.whitelists]]\nname = "c"\nchannel = "xhs-main"\n'
    text += 'payment_method = "先用后付"\nbelow = 50\n'
    bad = tmp_path / "cross.toml"
    bad.write_text(text, encoding="utf-8")
    code, _, err = run("apply", str(bad), database=database)
    assert code == 1
    assert f"{bad}:25: risk.whitelists[1].channel: unknown channel 'no-such-shop'" in err
    assert "whitelist 'c' overlaps 'a': both exempt xhs-main + 先用后付" in err
    assert f"{bad}:9: risk.rules[1]: rule 'bnpl-xhs' can never match: rule 'bnpl'" in err


def test_alert_routes_live_in_the_alerts_section(run: Run, database: str, tmp_path: Path) -> None:
    file = tmp_path / "alerts.toml"
    file.write_text('[[alert_routes]]\nname = "x"\n', encoding="utf-8")
    code, _, err = run("apply", str(file), database=database)
    assert code == 1
    assert f"{file}:1: alert_routes: unknown key" in err


RULE_WHITELIST = """
[[risk.rules.whitelist]]
channel = "xhs-main"
payment_method = "{method}"
below = 300
"""


def _with_rule_whitelist(exported: str, method: str) -> str:
    """The exported configuration with a whitelist entry under the first risk rule (by
    priority: the 先用后付 rule)."""
    head, first, *rest = exported.split("[[risk.rules]]")
    entry = RULE_WHITELIST.format(method=method).lstrip()
    return "[[risk.rules]]".join([head, first + entry + "\n", *rest])


def test_a_rules_own_whitelist_from_a_file_and_one_that_can_never_match(
    run: Run, database: str, tmp_path: Path
) -> None:
    assert run("rules", "review", database=database)[0] == 0
    exported = tmp_path / "orderwatch.toml"
    assert run("export-config", "--output", str(exported), database=database)[0] == 0
    text = exported.read_text(encoding="utf-8")
    never = tmp_path / "never.toml"
    never.write_text(_with_rule_whitelist(text, "alipay"), encoding="utf-8")
    code, _out, err = run("apply", str(never), database=database)
    assert code == 1
    assert "risk.rules[0].whitelist[0].payment_method: can never match" in err
    fixed = tmp_path / "fixed.toml"
    fixed.write_text(_with_rule_whitelist(text, "先用后付"), encoding="utf-8")
    code, out, _ = run("apply", str(fixed), "--reason", "article fix", database=database)
    changed = "risk bnpl-high-risk: changed (v2)\nrisk review: 14 released, 0 held\n"
    assert (code, out) == (0, changed)

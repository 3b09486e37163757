"""The audit log and comparison pages' callbacks over HTTP: the grid's pages of the whole log
filtered by actor and action, each entry's changed fields (a secret only as changed) and its
link; the comparison table of ``metrics compare`` for the same periods; the exports."""

from __future__ import annotations

import base64
import io
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine

from dashboard.auditlog import HIDDEN, changes
from dashboard.trends import figure
from metrics.compare import compare_periods
from metrics.window import Scope, parse_range
from store.audit import write_audit
from store.channels import pause_channel
from store.db import session_factory
from store.models import utcnow
from store.rule_versions import save_version
from tests.dashboard.console_client import CONFIG, callback_request, callback_spec, client_for
from tests.dashboard.console_client import sign_in as sign_in_client
from tests.factories import T0, add_channel, add_order


def call(
    client: TestClient, output: str, values: dict[str, Any], changed: str | None = None
) -> Any:
    spec = callback_spec(client, output)
    answer = client.post("/_dash-update-component", json=callback_request(spec, values, changed))
    assert answer.status_code == 200, answer.text
    return answer.json()["response"]


def grid(client: TestClient, filters: dict[str, Any], start: int = 0) -> dict[str, Any]:
    values = {
        "audit-grid.getRowsRequest": {"startRow": start, "endRow": start + 100},
        "audit-filters.data": filters,
        "shell-lang.data": "en",
    }
    found: dict[str, Any] = call(client, "audit-count", values)["audit-grid"]["getRowsResponse"]
    return found


def test_the_audit_grid_pages_filters_and_links_each_entry(sqlite_engine: Engine) -> None:
    sessions = session_factory(sqlite_engine)
    add_channel(sessions)
    order_no = add_order(sessions)
    with sessions.begin() as session:
        pause_channel(session, "tmall-main", actor="ann", reason="stocktake", at=utcnow())
        write_audit(session, actor="bob", action="order.noted", entity_type="order",
                    entity_id=order_no, after={"note": "call the buyer"})  # fmt: skip
        save_version(session, kind="risk", name="bnpl", body={"priority": 1}, author="carol",
                     reason="new")  # fmt: skip
        for n in range(130):
            write_audit(session, actor="dave", action="order.noted", entity_type="order",
                        entity_id=f"OW{n:010d}", after={"note": f"n{n}"})  # fmt: skip
    with client_for(sqlite_engine, role="viewer") as client:
        sign_in_client(client)
        everything = grid(client, {})
        second = grid(client, {}, start=100)
        ann = grid(client, {"actors": ["ann"]})
        rules = grid(client, {"actions": ["rule.created"]})
        bob = grid(client, {"actors": ["bob"], "entity_type": "order", "entity_id": order_no})
        none = grid(client, {"actors": ["nobody"]})

    assert everything["rowCount"] == 134  # the test user's creation too
    assert len(everything["rowData"]) == 100 and len(second["rowData"]) == 34
    assert [r["actor"] for r in everything["rowData"][:2]] == ["cli", "dave"]  # newest first
    (paused,) = ann["rowData"]
    assert paused["action"] == "Pulls paused"
    assert paused["link"] == "/channels/tmall-main"
    assert ["paused", "false", "true"] in paused["diff"]
    assert "reason: — → stocktake" in paused["changes"]
    (rule,) = rules["rowData"]
    assert rule["link"].startswith("/rules?kind=risk&name=bnpl")
    (note,) = bob["rowData"]
    assert note["link"] == f"/orders/{order_no}" and note["changes"] == "note: — → call the buyer"
    assert none == {"rowData": [], "rowCount": 0}


def test_a_secret_shows_as_changed_never_its_value() -> None:
    found = changes(
        {"credentials": {"app_secret": "old-secret"}, "platform": "jd"},
        {"credentials": {"app_secret": "new-secret"}, "platform": "jd", "access_token": "tok"},
    )
    assert found == [
        ("credentials.app_secret", HIDDEN, HIDDEN),
        ("access_token", "—", HIDDEN),
    ]


def test_the_comparison_table_is_metrics_compare_and_exports(sqlite_engine: Engine) -> None:
    sessions = session_factory(sqlite_engine)
    add_channel(sessions)
    add_order(sessions, "A1")
    before, after = f"{(T0 - timedelta(days=7)).date()}..{T0.date()}", f"{T0.date()}..{T0.date()}"
    zone = CONFIG.zone
    with sessions() as session:
        periods = {"before": parse_range(before, zone), "after": parse_range(after, zone)}
        expected = compare_periods(session, **periods, scope=Scope(), now=utcnow())
    values = {
        "trends-before.value": before.split(".."),
        "trends-after.value": after.split(".."),
        "trends-channel.value": ["tmall-main"],
        "trends-warehouse.value": [],
        "shell-lang.data": "en",
        "shell-scheme.data": "light",
    }
    with client_for(sqlite_engine, role="viewer") as client:
        sign_in_client(client)
        drawn = call(client, "trends-table-view", values)
        bad = call(client, "trends-table-view", values | {"trends-channel.value": ["nope"]})
        exported = call(
            client,
            "trends-download",
            {**values, "trends-export-xlsx.n_clicks": 1},
            changed="trends-export-xlsx.n_clicks",
        )

    text = str(drawn["trends-table-view"])
    for row in expected.rows:
        assert f"trends-row-{row.metric}" in text
        assert figure(row.metric, row.after, "en") in text
    assert "orders paid" in text
    assert "unknown channel 'nope'" in str(bad["trends-message"])
    assert (
        "before=" in drawn["trends-url"]["data"]
        and "channel=tmall-main" in drawn["trends-url"]["data"]
    )
    book = load_workbook(
        io.BytesIO(base64.b64decode(exported["trends-download"]["data"]["content"]))
    )
    assert book.sheetnames == ["Before and after", "Weekly trends"]
    sheet = book["Before and after"]
    assert [cell.value for cell in sheet[2]][:3] == ["orders paid", expected.rows[0].before,
                                                     expected.rows[0].after]  # fmt: skip

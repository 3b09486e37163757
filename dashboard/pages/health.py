"""Flow health (流程健康度审计): where automation is breaking, from the latest audit run, each
finding with links to what fixes it: a rule finding opens the rule in the editor with a
suggested whitelist entry already dry-run, a channel finding opens the channel, a stage
finding the orders waiting there."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import dash
import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import Input, Output, State, callback
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from dashboard.context import app_config, store_sessions
from dashboard.i18n import lang_of, t
from dashboard.permissions import ACT_ON_ORDERS, require_role
from dashboard.shell import LANG_STORE
from rules.audit import AuditResult, Finding, latest_findings, run_flow_health_audit

dash.register_page(__name__, path="/health", title="orderwatch · flow health")  # type: ignore[no-untyped-call]


def layout(**_query: Any) -> dmc.Stack:
    return dmc.Stack(
        [
            dmc.Title(id="health-title", order=2),
            dmc.Text(id="health-intro", c="dimmed", maw=760),
            dmc.Group(
                [
                    dmc.Button(id="health-run", n_clicks=0),
                    dmc.Button(id="health-export", n_clicks=0, variant="default"),
                    dmc.Text(id="health-last-run", c="dimmed", size="sm"),
                ]
            ),
            dmc.Text(id="health-message", c="red", **{"aria-live": "polite"}),
            dmc.Card(
                dag.AgGrid(
                    id="health-grid",
                    rowData=[],
                    columnDefs=[],
                    defaultColDef={"sortable": True, "filter": True, "resizable": True},
                    columnSize="responsiveSizeToFit",
                    dashGridOptions={"domLayout": "autoHeight", "overlayNoRowsTemplate": " "},
                    csvExportParams={"fileName": "orderwatch-flow-health.csv"},
                    getRowId="params.data.id",
                )
            ),
        ]
    )


@callback(
    Output("health-title", "children"),
    Output("health-intro", "children"),
    Output("health-run", "children"),
    Output("health-export", "children"),
    Input(LANG_STORE, "data"),
)
def translate(lang: Any) -> tuple[str, str, str, str]:
    keys = ("health.title", "health.intro", "health.run_now", "health.export")
    title, intro, run, export = (t(key, lang) for key in keys)
    return title, intro, run, export


@callback(
    Output("health-grid", "rowData"),
    Output("health-grid", "columnDefs"),
    Output("health-last-run", "children"),
    Output("health-message", "children"),
    Input(LANG_STORE, "data"),
    Input("health-run", "n_clicks"),
)
async def show(lang_data: Any, clicks: int | None) -> tuple[Any, ...]:
    lang = lang_of(lang_data)
    if clicks:
        # Running writes findings and may raise alerts: a role check on the server.
        await require_role(ACT_ON_ORDERS, action="run_flow_health_audit")
    # Reading (and running) the audit touches the store: off the event loop, in a thread.
    run = await run_in_threadpool(read_audit, store_sessions(), bool(clicks))
    findings = run.findings if run else []
    return rows(findings, lang), columns(lang), last_run_line(run, lang), ""


@callback(
    Output("health-grid", "exportDataAsCsv"),
    Input("health-export", "n_clicks"),
    State("health-grid", "rowData"),
    prevent_initial_call=True,
)
def export(_clicks: int, _rows: Any) -> bool:
    return True


def read_audit(sessions: sessionmaker[Session], run_now: bool) -> AuditResult | None:
    if run_now:
        with sessions.begin() as session:
            run_flow_health_audit(session)
    with sessions() as session:
        return latest_findings(session)


def rows(findings: list[Finding], lang: str) -> list[dict[str, Any]]:
    return [
        {
            "id": n,
            "severity": t(f"severity.{finding.severity}", lang),
            "finding": finding.message_en if lang == "en" else finding.message_zh,
            "cause": (finding.cause_en if lang == "en" else finding.cause_zh) or "",
            "rule": f"{finding.rule_name} v{finding.rule_version}" if finding.rule_name else "",
            "channel": finding.channel or "",
            "fix": " · ".join(f"[{t(key, lang)}]({href})" for key, href in fixes(finding)),
        }
        for n, finding in enumerate(findings)
    ]


def fixes(finding: Finding) -> list[tuple[str, str]]:
    """Where a finding is fixed: (the link's text key, the console path)."""
    links = []
    dimension, value = finding.details.get("dimension"), finding.details.get("value")
    if finding.rule_name:
        suggest = "suggest_channel" if dimension == "channel" else "suggest_payment"
        query = {"kind": "risk", "name": finding.rule_name}
        if isinstance(value, str):
            query[suggest] = value
        links.append(("health.fix.rule", "/rules?" + urlencode(query)))
    if finding.channel:
        links.append(("health.fix.channel", f"/channels/{quote(finding.channel)}"))
    if finding.check in ("stage_count", "stage_age") and "stage" in finding.details:
        links.append(("health.fix.orders", f"/orders?stage={finding.details['stage']}"))
    return links


def columns(lang: str) -> list[dict[str, Any]]:
    widths = {"severity": 1, "finding": 4, "cause": 3, "rule": 2, "channel": 1, "fix": 2}
    return [
        {
            "field": name,
            "headerName": t(f"health.{name}", lang),
            "flex": flex,
            "wrapText": True,
            "autoHeight": True,
            **({"cellRenderer": "markdown"} if name == "fix" else {}),
        }
        for name, flex in widths.items()
    ]


def last_run_line(run: AuditResult | None, lang: str) -> str:
    if run is None:
        return f"{t('health.none.title', lang)} · {t('health.none.body', lang)}"
    when: datetime = run.at.astimezone(app_config().zone)
    return f"{t('health.last_run', lang)}: {when:%Y-%m-%d %H:%M}"

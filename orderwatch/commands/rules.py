"""``apply``, ``export-config`` and ``rules``: declarative configuration and the rules engine."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import tomli_w
import typer

from alerts.config import apply_file, export_section
from orderwatch.context import open_store
from orderwatch.settings import get_settings
from rules.audit import run_flow_health_audit
from rules.catalog import KINDS, load_rules
from rules.config import check_config, clean_for_toml, export_config
from rules.dry_run import DryRunReport, dry_run
from rules.editing import apply_effects
from rules.review import review_paid_orders
from rules.sla import refresh_deadlines
from store.models import utcnow
from store.rule_versions import history, restore_version

rules_app = typer.Typer(no_args_is_help=True, help="Rules: dry runs, history, flow health audit.")


def register(app: typer.Typer) -> None:
    app.command("apply")(apply)
    app.command("export-config")(export)
    app.add_typer(rules_app, name="rules")


def _author(author: str | None) -> str:
    return author or getpass.getuser()


def apply(
    file: Annotated[Path, typer.Argument(help="TOML file with channels, users and rules")],
    author: Annotated[str | None, typer.Option(help="Who makes the change (audit)")] = None,
    reason: Annotated[str | None, typer.Option(help="Why (kept with each rule version)")] = None,
) -> None:
    """Make channels, users, rules and alert routing match FILE; a file with any error
    changes nothing."""
    settings = get_settings()
    sessions = open_store(settings)
    with sessions.begin() as session:
        report = apply_file(session, file, author=_author(author), reason=reason)
        for line in report.changes:
            typer.echo(line)
        review = apply_effects(session, report.rule_kinds_changed, settings.zone)
        if review is not None:
            typer.echo(f"risk review: {len(review.released)} released, {len(review.held)} held")
    if not report.changed:
        typer.echo(f"{file}: nothing to change")


def export(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here")] = None,
) -> None:
    """Write the current channels, users, rules and alert routing in the format `apply` reads
    (receivers' secrets as ********, which `apply` reads as "keep the stored value")."""
    sessions = open_store(get_settings())
    with sessions() as session:
        text = export_config(session)
        text += "\n" + tomli_w.dumps({"alerts": clean_for_toml(export_section(session))})
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(f"configuration written to {output}", err=True)


@rules_app.command("dry-run")
def rules_dry_run(
    file: Annotated[Path, typer.Argument(help="TOML file with the proposed rules")],
    days: Annotated[int, typer.Option(min=1, max=365, help="Look back this many days")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    now: Annotated[
        datetime | None, typer.Option(help="Judge as of this UTC time (default: now)")
    ] = None,
) -> None:
    """What FILE's rules would change over the last N days' orders; nothing is saved."""
    sessions = open_store(get_settings())
    at = None if now is None else now.replace(tzinfo=UTC)
    with sessions() as session:
        _config, proposed = check_config(session, file)
        report = dry_run(session, proposed, days=days, now=at)
        session.rollback()
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    _print_dry_run(report, days)


def _print_dry_run(report: DryRunReport, days: int) -> None:
    typer.echo(f"dry run over the last {days} days ({report.total('orders'):,} orders)")
    for line in report.rule_changes or ["no rule changes"]:
        typer.echo(f"  {line}")
    typer.echo(
        f"{'channel':<16}{'orders':>8}{'held now':>10}{'held new':>10}"
        f"{'released':>10}{'new holds':>11}{'SLA now':>9}{'SLA new':>9}"
    )
    for c in report.channels:
        typer.echo(
            f"{c.channel:<16}{c.orders:>8}{c.held_now:>10}{c.held_proposed:>10}"
            f"{c.released:>10}{c.newly_held:>11}{c.breaches_now:>9}{c.breaches_proposed:>9}"
        )
    for shift in report.shifts:
        examples = ", ".join(shift.examples)
        typer.echo(
            f"  {shift.channel}: {shift.orders} × {shift.now} → {shift.proposed}  (e.g. {examples})"
        )


@rules_app.command("audit")
def rules_audit(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Run the flow health audit (流程健康度审计) now and store its findings."""
    sessions = open_store(get_settings())
    with sessions.begin() as session:
        result = run_flow_health_audit(session)
    if as_json:
        found = [f.model_dump(mode="json") for f in result.findings]
        typer.echo(json.dumps({"run": result.run_id, "findings": found}, ensure_ascii=False))
        return
    typer.echo(f"flow health audit #{result.run_id}: {len(result.findings)} finding(s)")
    for finding in result.findings:
        typer.echo(f"  [{finding.severity}] {finding.message_en}")
        typer.echo(f"            {finding.message_zh}")


@rules_app.command("history")
def rules_history(
    kind: Annotated[str, typer.Argument(help=", ".join(KINDS))],
    name: str,
) -> None:
    """Every version of one rule, with author, time and reason."""
    sessions = open_store(get_settings())
    with sessions() as session:
        rows = history(session, kind, name)
        lines = [
            _version_line(row.version, row.is_active, row.author, row.created_at, row.reason)
            for row in rows
        ]
    for line in lines:
        typer.echo(line)


def _version_line(version: int, active: bool, author: str, at: Any, reason: str | None) -> str:
    state = "in force" if active else ""
    return f"v{version:<4}{at:%Y-%m-%d %H:%M} UTC  {author:<16}{state:<9}{reason or ''}"


@rules_app.command("restore")
def rules_restore(
    kind: Annotated[str, typer.Argument(help=", ".join(KINDS))],
    name: str,
    version: int,
    author: Annotated[str | None, typer.Option(help="Who restores it (audit)")] = None,
    reason: Annotated[str | None, typer.Option(help="Why")] = None,
) -> None:
    """Put an earlier version of a rule back in force (as a new version)."""
    sessions = open_store(get_settings())
    with sessions.begin() as session:
        row = restore_version(
            session, kind=kind, name=name, version=version, author=_author(author), reason=reason
        )
        typer.echo(f"{kind} {name}: version {version} restored as v{row.version}")


@rules_app.command("review")
def rules_review() -> None:
    """Run risk review now: hold risky paid orders, release rule-held ones the rules now pass."""
    settings = get_settings()
    sessions = open_store(settings)
    with sessions.begin() as session:
        result = review_paid_orders(session)
        refresh_deadlines(session, load_rules(session), zone=settings.zone, now=utcnow())
    typer.echo(
        f"risk review: {len(result.held)} held, {len(result.released)} released, "
        f"{result.passed} passed"
    )
    for order_no, why in result.failed:
        typer.echo(f"  {order_no}: {why}", err=True)

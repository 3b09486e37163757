"""``alerts``: routes, receivers (secrets never printed), groups, silences, dead letters and a
test send through the real delivery path. Routes and receivers are configured with
``orderwatch apply`` (the ``[alerts]`` section)."""

from __future__ import annotations

import getpass
import json
import re
from datetime import timedelta
from typing import Annotated, Any

import httpx
import typer

from alerts import views
from alerts.ack import acknowledge_group
from alerts.muting import create_silence, expire_silence
from alerts.outbox import resend, send_test
from orderwatch.context import open_store
from orderwatch.logs import configure_logging
from orderwatch.settings import get_settings
from store.errors import InvalidInput
from store.models import utcnow

alerts_app = typer.Typer(no_args_is_help=True, help="Alert routing, silences and deliveries.")
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON")]
Author = Annotated[str | None, typer.Option(help="Who does it (audit); default: you")]
_SPAN = re.compile(r"^(\d+)(m|h|d)$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app, name="alerts")


def _print(data: Any, as_json: bool, lines: list[str]) -> None:
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    for line in lines:
        typer.echo(line)


@alerts_app.command("routes")
def routes(as_json: AsJson = False) -> None:
    """Routes in matching order (first match wins)."""
    with open_store(get_settings())() as session:
        found = views.routes(session)
    lines = [
        f"{r['name']}: match {r['match'] or 'everything'}; group by {', '.join(r['group_by'])}; "
        f"wait {r['group_wait']}s, interval {r['group_interval']}s, repeat "
        f"{r['repeat_interval']}s; levels {' → '.join('+'.join(lv) for lv in r['levels'])}"
        + (f"; escalate after {r['escalate_after']}s" if r["escalate_after"] else "")
        + (f"; on call {', '.join(r['on_call'])}" if r["on_call"] else "")
        for r in found
    ]
    _print(found, as_json, lines or ["no routes: alerts are kept but nobody is notified"])


@alerts_app.command("receivers")
def receivers(as_json: AsJson = False) -> None:
    """Receivers with their settings; secrets show as **********."""
    with open_store(get_settings())() as session:
        found = views.receivers(session)
    lines = [
        f"{r['name']} ({r['kind']}, {r['lang']}{'' if r['enabled'] else ', disabled'}): "
        + json.dumps(r["settings"], ensure_ascii=False)
        for r in found
    ]
    _print(found, as_json, lines or ["no receivers"])


@alerts_app.command("groups")
def groups(
    state: Annotated[str, typer.Option(help="open, resolved or all")] = "open",
    as_json: AsJson = False,
) -> None:
    """Alert groups, newest first, with their worst alerts."""
    if state not in ("open", "resolved", "all"):
        raise InvalidInput(f"--state must be open, resolved or all, not {state!r}")
    with open_store(get_settings())() as session:
        found = views.groups(session, state=state)  # type: ignore[arg-type]
    lines = []
    for g in found:
        ack = f", acknowledged by {g.acknowledged_by}" if g.acknowledged_by else ""
        lines.append(f"#{g.id} [{g.severity or g.state}] {g.group_key}: {g.open_alerts} open{ack}")
        lines += [f"    {a.title}" for a in g.alerts[:5]]
    _print([g.model_dump(mode="json") for g in found], as_json, lines or ["no alert groups"])


@alerts_app.command("ack")
def ack(group: int, author: Author = None) -> None:
    """Acknowledge an alert group: escalation and reminders stop."""
    with open_store(get_settings()).begin() as session:
        done = acknowledge_group(session, group, actor=author or getpass.getuser(), now=utcnow())
        typer.echo(f"alert group #{group} acknowledged by {done.acknowledged_by}")


@alerts_app.command("silences")
def silences(
    every: Annotated[bool, typer.Option("--all", help="Ended ones too")] = False,
    as_json: AsJson = False,
) -> None:
    """Silences that have not ended."""
    with open_store(get_settings())() as session:
        found = views.silences(session, utcnow(), include_ended=every)
    lines = [
        f"#{s.id} {s.matchers} until {s.ends_at:%Y-%m-%d %H:%M} UTC by {s.author}: {s.reason}"
        + ("" if s.active else " (not active)")
        for s in found
    ]
    _print([s.model_dump(mode="json") for s in found], as_json, lines or ["no silences"])


@alerts_app.command("silence")
def silence(
    match: Annotated[list[str], typer.Option(help="LABEL=VALUE; repeat for several")],
    duration: Annotated[str, typer.Option("--for", help="How long: 30m, 2h, 1d")],
    reason: Annotated[str, typer.Option(help="Why (kept with the silence)")],
    author: Author = None,
) -> None:
    """Mute the alerts whose labels match, for a while."""
    matchers = dict(_pair(item) for item in match)
    found = _SPAN.match(duration)
    if found is None:
        raise InvalidInput(f"--for {duration!r}: give minutes, hours or days, such as 30m or 2h")
    span = timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})
    now = utcnow()
    with open_store(get_settings()).begin() as session:
        made = create_silence(
            session,
            matchers=matchers,
            ends_at=now + span,
            author=author or getpass.getuser(),
            reason=reason,
            now=now,
        )
        typer.echo(f"silence #{made.id} until {made.ends_at:%Y-%m-%d %H:%M} UTC")


def _pair(item: str) -> tuple[str, str]:
    label, sep, value = item.partition("=")
    if not sep or not label or not value:
        raise InvalidInput(f"--match {item!r}: write LABEL=VALUE, such as warehouse=SH-01")
    return label.strip(), value.strip()


@alerts_app.command("unsilence")
def unsilence(silence_id: int, author: Author = None) -> None:
    """End a silence now."""
    with open_store(get_settings()).begin() as session:
        expire_silence(session, silence_id, author=author or getpass.getuser(), now=utcnow())
    typer.echo(f"silence #{silence_id} ended")


@alerts_app.command("deliveries")
def deliveries(
    dead: Annotated[bool, typer.Option("--dead", help="Only the dead letters")] = False,
    as_json: AsJson = False,
) -> None:
    """The delivery log, newest first."""
    with open_store(get_settings())() as session:
        found = views.deliveries(session, status="dead" if dead else None)
    lines = [
        f"#{d.id} {d.status:<7} {d.event:<10} → {d.receiver}: {d.title} "
        f"({d.attempts} attempt(s); {d.provider_status or '-'} {d.provider_answer or ''})".rstrip()
        for d in found
    ]
    _print([d.model_dump(mode="json") for d in found], as_json, lines or ["no deliveries"])


@alerts_app.command("resend")
def resend_dead(delivery: int, author: Author = None) -> None:
    """Queue a dead letter again with a fresh retry budget (the worker sends it)."""
    with open_store(get_settings()).begin() as session:
        resend(session, delivery, actor=author or getpass.getuser(), now=utcnow())
    typer.echo(f"delivery #{delivery} queued again")


@alerts_app.command("test")
def test(receiver: str) -> None:
    """Send a test message to RECEIVER through the outbox now and print the provider's
    answer; exits 1 unless it was delivered."""
    settings = get_settings()
    configure_logging(settings)  # the deliverer's log lines go to stderr, the answer to stdout
    sessions = open_store(settings)
    with httpx.Client() as client:
        attempt = send_test(sessions, receiver, client)
    if attempt is None:
        typer.echo(f"{receiver}: held back by its rate limit; the worker sends it within a minute")
        raise typer.Exit(1)
    answer = attempt.delivery
    typer.echo(
        f"{receiver}: {answer.outcome.value} (HTTP {answer.status_code or '-'}, "
        f"code {answer.provider_code or '-'}): {answer.detail}"
    )
    if attempt.status == "pending":
        typer.echo(f"the worker retries it (delivery #{attempt.id})")
    if attempt.status != "sent":
        raise typer.Exit(1)

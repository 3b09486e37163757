"""``simulate``, ``sync`` and ``worker``: the channel side of orderwatch."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session, sessionmaker

from ingest.locks import try_lock
from ingest.reconcile import ReconcileReport, reconcile_channel
from ingest.simulator.app import SERVED, Simulator, SimulatorServer
from ingest.simulator.faults import FaultPlan
from ingest.simulator.protocols.common import Credentials
from ingest.simulator.world import PLATFORMS, StreamSettings, World
from ingest.sync import SyncFailed, SyncReport, sync_channel
from orderwatch.context import open_store
from orderwatch.logs import configure_logging
from orderwatch.settings import get_settings
from store.channels import get_channel
from store.errors import Conflict, InvalidInput
from store.timebounds import SPAN, check_moment
from store.wording import say


def register(app: typer.Typer) -> None:
    app.command()(simulate)
    app.command()(sync)
    app.command()(reconcile)
    app.command()(worker)


def sync(
    channel: Annotated[str, typer.Option(help="The channel to pull now")],
    since: Annotated[
        str | None,
        typer.Option(help="Read from here instead of the watermark: ISO time, or 90m / 6h / 2d"),
    ] = None,
) -> None:
    """Pull one channel now (same rules as the worker), with a progress bar."""
    settings = get_settings()
    configure_logging(settings)
    logging.getLogger().setLevel(logging.ERROR)  # the summary line says it; errors stay one line
    sessions = open_store(settings)
    start = parse_since(since, now=datetime.now(UTC), zone=settings.zone) if since else None
    with sessions.begin() as session:
        channel_id = get_channel(session, channel).id
    with try_lock(sessions.kw["bind"], channel_id) as taken:
        if not taken:
            raise Conflict(f"channel {channel} is being synced by another process right now")
        report = _sync_with_bar(sessions, channel, start)
    typer.echo(
        f"{channel}: {report.received} orders read, {report.inserted} new, "
        f"{report.updated} updated, {report.quarantined} quarantined, "
        f"{report.recovered} recovered from quarantine; watermark "
        f"{report.watermark.astimezone(settings.zone):%Y-%m-%d %H:%M:%S}"
        if report.watermark
        else f"{channel}: {report.received} orders read; no watermark yet"
    )
    if not report.ok:
        raise SyncFailed(f"sync of {channel} failed: {report.error}")


def _sync_with_bar(
    sessions: sessionmaker[Session], channel: str, since: datetime | None
) -> SyncReport:
    console = Console(stderr=True)  # stdout keeps the one summary line for scripts
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True, disable=not console.is_terminal,
    ) as bar:  # fmt: skip
        task = bar.add_task(f"sync {channel}", total=None)

        def progress(done: int, total: int, read: int) -> None:
            bar.update(task, completed=done, total=total,
                       description=f"sync {channel}: {read} orders")  # fmt: skip

        return sync_channel(sessions, channel, since=since, progress=progress)


def reconcile(
    channel: Annotated[str, typer.Option(help="The channel to reconcile now")],
) -> None:
    """Re-list the channel's orders created in the last 24 h and ingest any the sync missed."""
    settings = get_settings()
    configure_logging(settings)
    logging.getLogger().setLevel(logging.ERROR)
    sessions = open_store(settings)
    report = _reconcile_with_bar(sessions, channel)
    if report.skipped:
        raise Conflict(
            f"{channel} was not reconciled: it is being synced right now or has never been "
            f"synced (对账跳过：渠道正在同步或从未同步)"
        )
    if not report.ok:
        raise SyncFailed(f"reconciliation of {channel} failed: {report.error}")
    typer.echo(
        say(
            "{channel}: {listed:order|orders} listed, {missed:missed order|missed orders} "
            "ingested (漏单 {missed} 个), {refreshed} refreshed, {quarantined} quarantined",
            {
                "channel": channel,
                "listed": report.listed,
                "missed": len(report.missed),
                "refreshed": report.refreshed,
                "quarantined": report.quarantined,
            },
        )
    )
    for order_id in report.missed:
        typer.echo(f"missed: {order_id}")


def _reconcile_with_bar(sessions: sessionmaker[Session], channel: str) -> ReconcileReport:
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True, disable=not console.is_terminal,
    ) as bar:  # fmt: skip
        task = bar.add_task(f"reconcile {channel}", total=None)

        def progress(done: int, total: int, listed: int) -> None:
            bar.update(task, completed=done, total=total,
                       description=f"reconcile {channel}: {listed} orders")  # fmt: skip

        return reconcile_channel(sessions, channel, progress=progress)


def parse_since(text: str, *, now: datetime, zone: tzinfo) -> datetime:
    """``90m``, ``6h``, ``2d`` ago, or an ISO time (naive: the business time zone)."""
    match = re.fullmatch(r"(\d+)([mhd])", text.strip())
    if match:
        unit = {"m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
        try:
            return check_moment(now - timedelta(**{unit: int(match.group(1))}), "--since")
        except OverflowError:
            raise InvalidInput(f"--since {text[:40]!r} reaches before {SPAN}") from None
    try:
        moment = check_moment(datetime.fromisoformat(text.strip()), "--since")
    except ValueError:
        raise InvalidInput(
            f"--since {text!r} is neither a time (2026-11-24T08:00) nor an age (90m, 6h, 2d)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def worker() -> None:
    """Run the scheduler: channel pulls on their schedules and every periodic job."""
    from orderwatch.worker import run_worker

    run_worker(get_settings())


def simulate(
    port: Annotated[int, typer.Option(min=0, max=65535, help="Loopback port (0: any free)")] = 8060,
    orders_per_minute: Annotated[
        float, typer.Option(min=0, help="Average new orders per minute, all platforms")
    ] = 10.0,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same stream")] = 0,
    fault_rate: Annotated[
        float, typer.Option(min=0, max=1, help="Share of requests that get a fault")
    ] = 0.0,
    platform: Annotated[
        list[str] | None, typer.Option(help="Serve only these platforms (repeatable)")
    ] = None,
    app_key: Annotated[str, typer.Option(help="App key the platforms accept")] = "sim",
    app_secret: Annotated[str, typer.Option(help="App secret the platforms accept")] = "sim-secret",  # noqa: S107 - the simulator's documented default
    backfill_hours: Annotated[
        float, typer.Option(min=0, help="Start with this many hours of order history")
    ] = 0.0,
) -> None:
    """Serve the platforms' open APIs on loopback: a live order stream, faults on demand."""
    served = tuple(platform or _served_platforms())
    unknown = sorted(set(served) - set(_served_platforms()))
    if unknown:
        raise InvalidInput(
            f"the simulator does not serve {', '.join(unknown)}; "
            f"it serves {', '.join(_served_platforms())}"
        )
    world = World(
        platforms=served,
        settings=StreamSettings(orders_per_minute=orders_per_minute),
        seed=seed,
    )
    world.now -= timedelta(hours=backfill_hours)
    simulator = Simulator(
        world,
        faults=FaultPlan(rate=fault_rate, seed=seed),
        credentials=Credentials(app_key, app_secret),
    )
    server = SimulatorServer(simulator, port=port)
    for name in served:
        typer.echo(f"{name:<12} {server.base_url(name)}")
    typer.echo(f"truth        http://127.0.0.1:{server.port}/_sim/truth")
    server.serve_forever()


def _served_platforms() -> tuple[str, ...]:
    return tuple(p for p in PLATFORMS if p in SERVED)

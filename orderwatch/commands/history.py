"""``import-csv``: load orders and their stage times from another system's export."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ingest.history_import import (
    ImportStopped,
    ImportSummary,
    check_export,
    import_history,
    load_mapping,
)
from metrics.rollups import rebuild
from orderwatch.context import open_store
from orderwatch.settings import get_settings


def register(app: typer.Typer) -> None:
    app.command("import-csv")(import_csv)


def import_csv(
    file: Annotated[Path, typer.Argument(help="CSV export (UTF-8 or GBK, gzip accepted)")],
    mapping: Annotated[Path, typer.Option(help="TOML mapping of the file's columns")],
    errors: Annotated[
        Path | None, typer.Option(help="Error report (default: FILE.errors.csv)")
    ] = None,
    batch: Annotated[int, typer.Option(min=1, max=50_000, help="Rows per transaction")] = 2000,
) -> None:
    """Import order history; bad rows go to the error report, the rest is imported."""
    parsed = load_mapping(mapping)
    report = errors or file.with_name(file.name + ".errors.csv")
    check_export(file, parsed, errors_path=report)
    sessions = open_store(get_settings())
    engine: Engine = sessions.kw["bind"]
    with Progress(
        TextColumn("[bold]importing[/bold] {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not sys.stderr.isatty(),  # a bar is for people: scripts and logs get lines
    ) as bar:
        task = bar.add_task(file.name, total=file.stat().st_size)
        try:
            summary = import_history(
                engine,
                file,
                parsed,
                errors_path=report,
                batch_size=batch,
                progress=lambda done: bar.update(task, completed=done),
            )
        except ImportStopped as stopped:
            _refresh_rollups(sessions, stopped.summary)  # what landed counts like any import
            raise
    _refresh_rollups(sessions, summary)
    _print_summary(summary)
    if summary.failed:
        raise typer.Exit(1)


def _refresh_rollups(sessions: sessionmaker[Session], summary: ImportSummary) -> None:
    """History lands in old hours, which the incremental rollup does not revisit."""
    if summary.first_time is None or summary.last_time is None:
        return
    with sessions.begin() as session:
        rebuild(session, summary.first_time, summary.last_time + timedelta(hours=1))


def _print_summary(summary: ImportSummary) -> None:
    typer.echo(
        f"{summary.rows} rows: {summary.inserted} new, {summary.updated} updated, "
        f"{summary.unchanged} unchanged, {summary.failed} failed, "
        f"{summary.flagged} flagged"
    )
    if summary.errors_path is not None:
        typer.echo(f"error report: {summary.errors_path}")

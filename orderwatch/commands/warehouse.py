"""``release``: risk review, then push paid orders with stock to the warehouse, now (the worker
does the same every few seconds)."""

from __future__ import annotations

import threading
from typing import Annotated

import typer

from orderwatch.context import open_store
from orderwatch.routines import release_with_review
from orderwatch.settings import get_settings


def register(app: typer.Typer) -> None:
    app.command("release")(release)


def release(
    warehouse: Annotated[str | None, typer.Option(help="Only this warehouse")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Orders per run")] = 500,
    every: Annotated[
        float | None, typer.Option(min=1, help="Repeat every N seconds until interrupted")
    ] = None,
) -> None:
    """Release paid orders whose stock can be reserved; hold the rest as out of stock."""
    sessions = open_store(get_settings())
    pause = threading.Event()
    while True:
        with sessions.begin() as session:
            report = release_with_review(session, warehouse=warehouse, limit=limit)
        typer.echo(f"released {len(report.released)}, held out of stock {len(report.held)}")
        if every is None:
            return
        pause.wait(every)

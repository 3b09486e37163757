"""``migrate``, ``serve`` and ``demo``: the store's schema and the processes."""

from __future__ import annotations

from typing import Annotated

import typer

from orderwatch.settings import get_settings
from store.db import make_engine
from store.migrate import current_revisions, describe, head_revisions, upgrade


def register(app: typer.Typer) -> None:
    app.command()(migrate)
    app.command()(serve)
    app.command()(demo)


def migrate() -> None:
    """Bring the database to the latest schema (Alembic upgrade)."""
    settings = get_settings()
    engine = make_engine(settings.database_url, keyring=settings.keyring())
    before = current_revisions(engine)
    upgrade(engine)
    heads = head_revisions()
    note = "" if before == heads else f" (was {describe(before)})"
    typer.echo(f"database at revision {describe(heads)}{note}")


def serve() -> None:
    """Run the console and the REST API (FastAPI + Dash) with uvicorn."""
    from orderwatch.processes import run_serve  # loads the web stack only here

    run_serve(get_settings())


def demo(
    orders_count: Annotated[
        int, typer.Option("--orders", min=0, help="Demo orders to create")
    ] = 400,
) -> None:
    """Everything in one process on the embedded SQLite store, with demo data and logins."""
    from orderwatch.processes import run_demo  # loads the web stack only here

    run_demo(get_settings(), orders_count=orders_count)

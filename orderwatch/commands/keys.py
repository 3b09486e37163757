"""``rotate-key``: re-seal the secrets kept in the store under a new secret key."""

from __future__ import annotations

from typing import Annotated

import typer

from orderwatch.context import require_current_schema
from orderwatch.secret_input import read_secret
from orderwatch.settings import get_settings
from store.db import make_engine
from store.models import Base
from store.sealing import DEVELOPMENT_KEY, rotate, sealed_columns

OLD_KEY_ENV = "ORDERWATCH_OLD_SECRET_KEY"


def register(app: typer.Typer) -> None:
    app.command("rotate-key")(rotate_key)


def rotate_key(
    old_key_stdin: Annotated[
        bool, typer.Option(help="Read the old secret key from standard input")
    ] = False,
) -> None:
    """Re-seal every secret kept in the store (channels' credentials, alert receivers'
    settings) under ORDERWATCH_SECRET_KEY. The old key comes from ORDERWATCH_OLD_SECRET_KEY or
    stdin (--old-key-stdin); a store sealed without any key (the development key) is opened
    without one."""
    settings = get_settings()
    if settings.secret_key is None:
        raise typer.BadParameter("set ORDERWATCH_SECRET_KEY to the new key first")
    old = read_secret("old secret key", env=OLD_KEY_ENV, stdin=old_key_stdin, required=False)
    keyring = settings.keyring(*(key for key in (old, DEVELOPMENT_KEY) if key))
    engine = make_engine(settings.database_url, keyring=keyring)
    require_current_schema(engine)
    with engine.begin() as connection:  # every column or none: one key opens the whole store
        counts = [
            (f"{table.name}.{column}", rotate(connection, table, column, keyring))
            for table, column in sealed_columns(Base.metadata)
        ]
    engine.dispose()
    for name, count in counts:
        typer.echo(f"{name}: {count} row(s) sealed under the new key")

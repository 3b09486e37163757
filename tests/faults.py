"""Faults injected into a real store: the database itself refuses, as a broken trigger or a
full disk would, so the code under test meets the error where it really happens."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

FAULT = "injected_fault"
VERBS = ("INSERT", "UPDATE")


@contextmanager
def refusing_writes(engine: Engine, table: str) -> Iterator[None]:
    """Every new or changed row of ``table`` fails until the block ends.

    Not as a constraint violation, which a writer may take for a lost race and handle, but
    as an error nothing expects. On PostgreSQL the error quotes the whole row in its DETAIL
    (as PostgreSQL's own constraint errors do); on SQLite a trigger writes to a table that
    does not exist.
    """
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        if postgres:
            connection.execute(
                text(
                    f"CREATE FUNCTION {FAULT}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    f"RAISE EXCEPTION '{FAULT}' USING DETAIL = format('Failing row contains %s.',"
                    " NEW); END $$"
                )
            )
        for verb in VERBS:
            name = f"{FAULT}_{verb.lower()}"
            body = (
                f"FOR EACH ROW EXECUTE FUNCTION {FAULT}()"
                if postgres
                else f"BEGIN INSERT INTO {FAULT}_missing VALUES (NEW.rowid); END"
            )
            connection.execute(text(f"CREATE TRIGGER {name} BEFORE {verb} ON {table} {body}"))
    try:
        yield
    finally:
        with engine.begin() as connection:
            for verb in VERBS:
                on = f" ON {table}" if postgres else ""
                connection.execute(text(f"DROP TRIGGER {FAULT}_{verb.lower()}{on}"))
            if postgres:
                connection.execute(text(f"DROP FUNCTION {FAULT}()"))

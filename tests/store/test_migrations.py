"""Migrations produce exactly the models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import CreateTable

from store.migrate import current_revisions, head_revisions
from store.models import Alert, Base
from store.models.alerts import ALERT_FILLFACTOR


def test_migrated_schema_equals_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_database_is_at_head(engine: Engine) -> None:
    assert current_revisions(engine) == head_revisions()


def test_reference_data_is_seeded(engine: Engine) -> None:
    with engine.connect() as connection:
        codes = set(connection.scalars(text("SELECT code FROM hold_categories")))
    assert {"out_of_stock", "unclear_address", "customer_refused", "risk_review"} <= codes


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"])
def test_audit_log_refuses_changes(engine: Engine, statement: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_log (at, actor, action, entity_type, entity_id) "
                "VALUES (CURRENT_TIMESTAMP, 'ann', 'order.released', 'order', 'OW1')"
            )
        )
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT actor FROM audit_log")) == "ann"


def test_alerts_leave_room_for_updated_rows_on_postgresql(pg_engine: Engine) -> None:
    # The migration and the model must agree: a store made from the models gets it too.
    query = "SELECT reloptions FROM pg_class WHERE relname = 'alerts'"
    with pg_engine.connect() as connection:
        options = connection.scalar(text(query))
    assert options == [f"fillfactor={ALERT_FILLFACTOR}"]
    ddl = str(CreateTable(Alert.__table__).compile(dialect=postgresql.dialect()))
    assert f"WITH (fillfactor = {ALERT_FILLFACTOR})" in ddl

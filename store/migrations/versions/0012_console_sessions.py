"""Console sessions can be ended: a session generation per user, checked on every request.

Signing out adds one; so does the database itself whenever a user's role, active flag or
password hash changes, whoever changes it (the console, ``orderwatch apply``, the CLI, SQL),
so no code path can forget to.

Revision ID: 0012_sessions
Revises: 0011_channels

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0012_sessions'
down_revision: Union[str, Sequence[str], None] = '0011_channels'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CHANGED = "role, is_active, password_hash"


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_generation', sa.Integer(), nullable=False, server_default='0')
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION users_end_sessions() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF (NEW.role, NEW.is_active, NEW.password_hash) IS DISTINCT FROM "
            "(OLD.role, OLD.is_active, OLD.password_hash) THEN "
            "NEW.session_generation := OLD.session_generation + 1; END IF; "
            "RETURN NEW; END $$"
        )
        op.execute(
            f"CREATE TRIGGER users_end_sessions BEFORE UPDATE OF {CHANGED} ON users "
            "FOR EACH ROW EXECUTE FUNCTION users_end_sessions()"
        )
        return
    # SQLite: an AFTER trigger (a BEFORE one cannot change NEW); the UPDATE inside it sets no
    # watched column, so it does not fire the trigger again.
    op.execute(
        f"CREATE TRIGGER users_end_sessions AFTER UPDATE OF {CHANGED} ON users "
        "WHEN NEW.role IS NOT OLD.role OR NEW.is_active IS NOT OLD.is_active "
        "OR NEW.password_hash IS NOT OLD.password_hash "
        "BEGIN UPDATE users SET session_generation = OLD.session_generation + 1 "
        "WHERE id = NEW.id; END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER users_end_sessions ON users")
        op.execute("DROP FUNCTION users_end_sessions()")
    else:
        op.execute("DROP TRIGGER users_end_sessions")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')

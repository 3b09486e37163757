"""A person can pause a channel's pulls (who, when, why), and the console's audit log filters
by actor or action and sorts by time on an index.

Revision ID: 0009_console
Revises: 0008

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0009_console'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paused_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('pause_reason', sa.Text(), nullable=True))
    op.create_index('ix_audit_log_actor_at', 'audit_log', ['actor', 'at'], unique=False)
    op.create_index('ix_audit_log_action_at', 'audit_log', ['action', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_audit_log_action_at', table_name='audit_log')
    op.drop_index('ix_audit_log_actor_at', table_name='audit_log')
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_column('pause_reason')
        batch_op.drop_column('paused_by')
        batch_op.drop_column('paused_at')

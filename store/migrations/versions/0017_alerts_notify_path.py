"""The notification path of a large alert group:

- the alerts table leaves room on its pages for updated rows (fillfactor 70, PostgreSQL
  only): marking alerts notified, muted or seen again then stays on the page (a HOT update)
  instead of adding an entry to every index. Existing pages take it on when next rewritten;
- a group keeps the alerts its last notification named first until their ``notified_at`` is
  written, just after the notification's transaction (``unmarked``, ``unmarked_at``).

Revision ID: 0017_alerts_notify_path
Revises: 0016_sealed_receivers

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision: str = '0017_alerts_notify_path'
down_revision: Union[str, Sequence[str], None] = '0016_sealed_receivers'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UNMARKED = "unmarked_at IS NOT NULL"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE alerts SET (fillfactor = 70)")
    json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
    with op.batch_alter_table('alert_groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unmarked', json, nullable=True))
        batch_op.add_column(sa.Column('unmarked_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        'ix_alert_groups_unmarked', 'alert_groups', ['id'], unique=False,
        postgresql_where=sa.text(UNMARKED), sqlite_where=sa.text(UNMARKED),
    )


def downgrade() -> None:
    op.drop_index('ix_alert_groups_unmarked', table_name='alert_groups')
    with op.batch_alter_table('alert_groups', schema=None) as batch_op:
        batch_op.drop_column('unmarked_at')
        batch_op.drop_column('unmarked')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE alerts RESET (fillfactor)")

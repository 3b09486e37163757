"""A partial index of the stage events people made (from the console or the API), which the
board's manual intervention share looks up per order instead of reading every event.

Revision ID: 0015_people_events
Revises: 0014_sealed

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0015_people_events'
down_revision: Union[str, Sequence[str], None] = '0014_sealed'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BY_PEOPLE = "source IN ('api', 'console')"


def upgrade() -> None:
    op.create_index(
        'ix_stage_events_by_people', 'stage_events', ['at', 'order_id'], unique=False,
        postgresql_where=sa.text(BY_PEOPLE), sqlite_where=sa.text(BY_PEOPLE),
    )


def downgrade() -> None:
    op.drop_index('ix_stage_events_by_people', table_name='stage_events')

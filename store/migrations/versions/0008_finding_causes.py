"""Flow health findings name their likely cause in both languages (the console's Chinese view
showed it in English).

Revision ID: 0008
Revises: 0007

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('flow_health_findings', schema=None) as batch_op:
        batch_op.alter_column('cause', new_column_name='cause_en', existing_type=sa.Text())
        batch_op.add_column(sa.Column('cause_zh', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('flow_health_findings', schema=None) as batch_op:
        batch_op.drop_column('cause_zh')
        batch_op.alter_column('cause_en', new_column_name='cause', existing_type=sa.Text())

"""Failed console sign-ins per user name and per client address, for growing delays.

Revision ID: 0013_throttle
Revises: 0012_sessions

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0013_throttle'
down_revision: Union[str, Sequence[str], None] = '0012_sessions'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

def upgrade() -> None:
    op.create_table(
        'sign_in_failures',
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_sign_in_failures')),
    )

def downgrade() -> None:
    op.drop_table('sign_in_failures')

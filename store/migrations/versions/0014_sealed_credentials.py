"""Channel credentials are sealed at rest with a key derived from ORDERWATCH_SECRET_KEY
(they were plain JSON). A data migration: the column keeps its type.

Revision ID: 0014_sealed
Revises: 0013_throttle

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from store.sealing import rewrite

revision: str = '0014_sealed'
down_revision: Union[str, Sequence[str], None] = '0013_throttle'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The stored form, as plain JSON: ``rewrite`` seals and opens it with the migrating engine's
# keyring (orderwatch migrate's).
channels = sa.table('channels', sa.column('id', sa.Integer()), sa.column('credentials', sa.JSON()))


def upgrade() -> None:
    rewrite(op.get_bind(), channels, 'credentials', seal=True)


def downgrade() -> None:
    rewrite(op.get_bind(), channels, 'credentials', seal=False)

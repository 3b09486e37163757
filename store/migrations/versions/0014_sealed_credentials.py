"""Channel credentials are sealed at rest with a key derived from ORDERWATCH_SECRET_KEY
(they were plain JSON). A data migration: the column keeps its type.

Revision ID: 0014_sealed
Revises: 0013_throttle

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from store.sealing import is_sealed, keyring_of

revision: str = '0014_sealed'
down_revision: Union[str, Sequence[str], None] = '0013_throttle'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The stored form, as plain JSON: this migration seals and opens it itself.
channels = sa.table('channels', sa.column('id', sa.Integer()), sa.column('credentials', sa.JSON()))


def _rewrite(seal: bool) -> None:
    connection = op.get_bind()
    keyring = keyring_of(connection.dialect)  # the migrating engine's (orderwatch migrate)
    for row in connection.execute(sa.select(channels.c.id, channels.c.credentials)).all():
        if row.credentials is None or is_sealed(row.credentials) == seal:
            continue
        value = keyring.seal(row.credentials) if seal else keyring.open(row.credentials)
        connection.execute(
            channels.update().where(channels.c.id == row.id).values(credentials=value)
        )


def upgrade() -> None:
    _rewrite(seal=True)


def downgrade() -> None:
    _rewrite(seal=False)

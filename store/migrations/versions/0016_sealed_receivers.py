"""Alert receivers' settings (their providers' signing secrets, webhook secrets and access
keys) are sealed at rest like channel credentials (they were plain JSON). A data migration:
the column keeps its type.

Revision ID: 0016_sealed_receivers
Revises: 0015_people_events

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from store.sealing import rewrite

revision: str = '0016_sealed_receivers'
down_revision: Union[str, Sequence[str], None] = '0015_people_events'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The stored form, as plain JSON: ``rewrite`` seals and opens it with the migrating engine's
# keyring (orderwatch migrate's).
receivers = sa.table(
    'alert_receivers', sa.column('id', sa.Integer()), sa.column('settings', sa.JSON())
)


def upgrade() -> None:
    rewrite(op.get_bind(), receivers, 'settings', seal=True)


def downgrade() -> None:
    rewrite(op.get_bind(), receivers, 'settings', seal=False)

"""Board: partial indexes on the order times the live board reads by range and that no
rollup covers (first item picked: the warehouse node "time to first pick"; ship-by: SLA
breaches of the promise).

Revision ID: 0006
Revises: 0005

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = ('first_picked_at', 'ship_by')


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        for column in COLUMNS:
            where = sa.text(f'{column} IS NOT NULL')
            batch_op.create_index(
                f'ix_orders_{column}', [column], unique=False,
                postgresql_where=where, sqlite_where=where,
            )


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.drop_index(f'ix_orders_{column}')

"""Channel ingest: quarantined platform orders and the write-back outbox.

Revision ID: 0005
Revises: 0001

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
OPEN = sa.text('resolved_at IS NULL AND dismissed_at IS NULL')


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('quarantined_orders',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('channel_order_id', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('payload', JSON, nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_tried_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dismissed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dismissed_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_quarantined_orders_channel_id_channels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantined_orders'))
    )
    with op.batch_alter_table('quarantined_orders', schema=None) as batch_op:
        batch_op.create_index('ix_quarantined_orders_open', ['channel_id', 'channel_order_id'], unique=True, postgresql_where=OPEN, sqlite_where=OPEN)

    op.create_table('channel_writebacks',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('order_id', BIG_ID, nullable=False),
    sa.Column('channel_order_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('waybill', sa.String(length=64), nullable=False),
    sa.Column('carrier', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('shipment')", name=op.f('ck_channel_writebacks_kind_known')),
    sa.CheckConstraint("status IN ('pending', 'done', 'failed')", name=op.f('ck_channel_writebacks_status_known')),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_channel_writebacks_channel_id_channels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_writebacks'))
    )
    with op.batch_alter_table('channel_writebacks', schema=None) as batch_op:
        batch_op.create_index('ix_channel_writebacks_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_channel_writebacks_order_id', ['order_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('channel_writebacks', schema=None) as batch_op:
        batch_op.drop_index('ix_channel_writebacks_order_id')
        batch_op.drop_index('ix_channel_writebacks_due')

    op.drop_table('channel_writebacks')
    with op.batch_alter_table('quarantined_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_quarantined_orders_open')

    op.drop_table('quarantined_orders')

"""Channels write back what the platforms accept: per-channel settings (rate limit, payment
signals), each platform's carrier codes as its carrier list names them, the write-back's error
codes and the carrier code it sent, and the buyer fields a platform sends encrypted kept apart
from the plain ones.

Revision ID: 0011_channels
Revises: 0010

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision: str = '0011_channels'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settings', JSON, nullable=False, server_default='{}'))
    op.create_table('channel_carriers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('carrier', sa.String(length=16), nullable=False),
    sa.Column('platform_code', sa.String(length=64), nullable=False),
    sa.Column('platform_name', sa.String(length=64), nullable=True),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_channel_carriers_channel_id_channels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_carriers')),
    sa.UniqueConstraint('channel_id', 'carrier', name=op.f('uq_channel_carriers_channel_id_carrier'))
    )
    with op.batch_alter_table('channel_writebacks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_code', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('platform_code', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('sent_carrier', sa.String(length=64), nullable=True))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('buyer_ciphertext', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('buyer_ciphertext')
    with op.batch_alter_table('channel_writebacks', schema=None) as batch_op:
        batch_op.drop_column('sent_carrier')
        batch_op.drop_column('platform_code')
        batch_op.drop_column('error_code')
    op.drop_table('channel_carriers')
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_column('settings')

"""Metrics: hourly rollups, their run state, and partial indexes on the order stage times.

Revision ID: 0004
Revises: 0001

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
TIME_COLUMNS = (
    'pending_review_at', 'paid_at', 'awaiting_pick_at', 'picked_at', 'packed_at',
    'shipped_at', 'delivered_at', 'cancelled_at',
)


def upgrade() -> None:
    op.create_table('metric_hourly',
    sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('warehouse', sa.String(length=32), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('entered', sa.Integer(), nullable=False),
    sa.Column('exited', sa.Integer(), nullable=False),
    sa.Column('dwell_hours_sum', sa.Float(), nullable=False),
    sa.Column('negative', sa.Integer(), nullable=False),
    sa.Column('late', sa.Integer(), nullable=False),
    sa.Column('promised', sa.Integer(), nullable=False),
    sa.Column('processing_hours_sum', sa.Float(), nullable=False),
    sa.Column('processed', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('hour', 'channel_id', 'warehouse', 'stage', name=op.f('pk_metric_hourly'))
    )
    with op.batch_alter_table('metric_hourly', schema=None) as batch_op:
        batch_op.create_index('ix_metric_hourly_stage_hour', ['stage', 'hour'], unique=False)
    op.create_table('metric_rollup_state',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('order_id_seen', BIG_ID, nullable=False),
    sa.Column('event_id_seen', BIG_ID, nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_metric_rollup_state'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        for column in TIME_COLUMNS:
            batch_op.create_index(
                f'ix_orders_{column}', [column], unique=False,
                postgresql_where=sa.text(f'{column} IS NOT NULL'),
                sqlite_where=sa.text(f'{column} IS NOT NULL'),
            )


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        for column in TIME_COLUMNS:
            batch_op.drop_index(f'ix_orders_{column}')
    op.drop_table('metric_rollup_state')
    op.drop_table('metric_hourly')

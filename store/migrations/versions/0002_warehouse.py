"""Warehouse execution: handheld scans, stock reservations per order line, stock receipts.

Revision ID: 0002
Revises: 0001

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('scans',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('scan_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('order_id', BIG_ID, nullable=True),
    sa.Column('order_no', sa.String(length=16), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=True),
    sa.Column('weight_kg', sa.Numeric(precision=8, scale=3), nullable=True),
    sa.Column('carrier', sa.String(length=32), nullable=True),
    sa.Column('waybill', sa.String(length=64), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('device', sa.String(length=64), nullable=False),
    sa.Column('refused_code', sa.String(length=32), nullable=True),
    sa.Column('refused_message', sa.Text(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('pick', 'pack', 'pickup')", name=op.f('ck_scans_kind_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scans')),
    sa.UniqueConstraint('scan_id', name=op.f('uq_scans_scan_id'))
    )
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.create_index('ix_scans_order_id', ['order_id'], unique=False)

    op.create_table('reservations',
    sa.Column('order_id', BIG_ID, nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('warehouse', sa.String(length=32), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('reserved_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_reservations_quantity_positive')),
    sa.PrimaryKeyConstraint('order_id', 'line_no', name=op.f('pk_reservations'))
    )
    op.create_table('stock_receipts',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('receipt_id', sa.String(length=64), nullable=False),
    sa.Column('warehouse', sa.String(length=32), nullable=False),
    sa.Column('lines', JSON, nullable=False),
    sa.Column('received_by', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_receipts')),
    sa.UniqueConstraint('receipt_id', name=op.f('uq_stock_receipts_receipt_id'))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('stock_receipts')
    op.drop_table('reservations')
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.drop_index('ix_scans_order_id')
    op.drop_table('scans')

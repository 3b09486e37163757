"""Leave room on the alerts table's pages for updated rows (fillfactor 70, PostgreSQL only):
marking alerts notified, muted or seen again then stays on the page (a HOT update) instead of
adding an entry to every index. Existing pages take it on when they are next rewritten.

Revision ID: 0017_alerts_fillfactor
Revises: 0016_sealed_receivers

"""
from typing import Sequence, Union

from alembic import op

revision: str = '0017_alerts_fillfactor'
down_revision: Union[str, Sequence[str], None] = '0016_sealed_receivers'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE alerts SET (fillfactor = 70)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE alerts RESET (fillfactor)")

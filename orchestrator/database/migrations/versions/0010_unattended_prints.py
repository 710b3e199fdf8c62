"""unattended prints: a print may run past a printer's availability window

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 21:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('printer', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('unattended_prints', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table('printer', schema=None) as batch_op:
        batch_op.drop_column('unattended_prints')

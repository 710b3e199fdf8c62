"""materials that may change: a part may be printed in other materials, and a job keeps
the material its printer printed it in

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('part', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'other_materials',
                sqlmodel.sql.sqltypes.AutoString(length=100),
                nullable=False,
                server_default='',
            )
        )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('material', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_column('material')
    with op.batch_alter_table('part', schema=None) as batch_op:
        batch_op.drop_column('other_materials')

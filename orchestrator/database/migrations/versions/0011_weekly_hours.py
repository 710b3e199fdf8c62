"""weekly hours: a printer's availability is written as OpenStreetMap's opening hours

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A daily 'HH:MM-HH:MM' is already valid weekly hours ("every day"): no row changes.
    with op.batch_alter_table('printer', schema=None) as batch_op:
        batch_op.alter_column(
            'availability_hours',
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=11),
            type_=sqlmodel.sql.sqltypes.AutoString(length=200),
            existing_nullable=False,
        )


def downgrade() -> None:
    # Weekly hours do not fit a daily window: a printer with them is open every day again.
    printer = sa.table('printer', sa.column('availability_hours', sa.String))
    op.execute(
        printer.update()
        .where(sa.func.length(printer.c.availability_hours) > 11)
        .values(availability_hours='00:00-24:00')
    )
    with op.batch_alter_table('printer', schema=None) as batch_op:
        batch_op.alter_column(
            'availability_hours',
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=200),
            type_=sqlmodel.sql.sqltypes.AutoString(length=11),
            existing_nullable=False,
        )

"""pauses and holidays: a printer, or all of a maker's printers, taking no new job

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import orchestrator.database.tables

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('pause',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('printer_id', sa.Integer(), nullable=True),
    sa.Column('maker_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', orchestrator.database.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', orchestrator.database.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', orchestrator.database.tables.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['account.id'], ),
    sa.ForeignKeyConstraint(['maker_id'], ['maker.id'], ),
    sa.ForeignKeyConstraint(['printer_id'], ['printer.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('pause', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pause_maker_id'), ['maker_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pause_printer_id'), ['printer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('pause', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pause_printer_id'))
        batch_op.drop_index(batch_op.f('ix_pause_maker_id'))

    op.drop_table('pause')

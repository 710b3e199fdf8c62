"""parts that could not be sliced for a printer profile, and when to try again

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import orchestrator.database.tables

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'slicingfailure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('part_id', sa.Integer(), nullable=False),
        sa.Column('bed_x_mm', sa.Float(), nullable=False),
        sa.Column('bed_y_mm', sa.Float(), nullable=False),
        sa.Column('bed_z_mm', sa.Float(), nullable=False),
        sa.Column('nozzle_mm', sa.Float(), nullable=False),
        sa.Column('material', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('problem', sa.String(length=40), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column(
            'first_failed_at', orchestrator.database.tables.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            'last_failed_at', orchestrator.database.tables.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column('retry_at', orchestrator.database.tables.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['part_id'], ['part.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint(
            'part_id',
            'bed_x_mm',
            'bed_y_mm',
            'bed_z_mm',
            'nozzle_mm',
            'material',
            name='uq_slicing_failure_plate',
        ),
    )


def downgrade() -> None:
    op.drop_table('slicingfailure')

"""filament where it is

A job keeps the grams of filament its plate takes (the slicer's figure, stored when the
job is given to a printer), so that counting its parts can take them from its maker's
filament and the dispatcher can tell what the jobs in flight will use.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 14:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('job') as batch:
        batch.add_column(sa.Column('grams', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('job') as batch:
        batch.drop_column('grams')

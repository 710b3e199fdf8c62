"""tokens rotated and revoked; OctoPrint keys sealed at rest

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import orchestrator.database.tables

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('account') as batch:
        batch.add_column(
            sa.Column('token_changed_at', orchestrator.database.tables.UtcDateTime(), nullable=True)
        )
    with op.batch_alter_table('printer') as batch:
        batch.add_column(
            sa.Column('token_changed_at', orchestrator.database.tables.UtcDateTime(), nullable=True)
        )
        batch.alter_column(
            'octoprint_api_key',
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=200),
            type_=sqlmodel.sql.sqltypes.AutoString(length=600),
            existing_nullable=True,
        )


def downgrade() -> None:
    with op.batch_alter_table('printer') as batch:
        batch.alter_column(
            'octoprint_api_key',
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=600),
            type_=sqlmodel.sql.sqltypes.AutoString(length=200),
            existing_nullable=True,
        )
        batch.drop_column('token_changed_at')
    with op.batch_alter_table('account') as batch:
        batch.drop_column('token_changed_at')

"""labels and defect reports

Each batch gets an unguessable public token (its label's QR code opens `/b/{token}`):
batches made before this migration get one here, new ones at creation. Defect reports
name a batch and, when a signed-in centre sent them, that centre; a report from the
public page names no one.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 14:20:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import orchestrator.database.tables

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'batch',
        sa.Column('public_token', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    )
    connection = op.get_bind()
    batch_ids = connection.execute(sa.text('SELECT id FROM batch')).scalars().all()
    for batch_id in batch_ids:
        connection.execute(
            sa.text('UPDATE batch SET public_token = :token WHERE id = :id'),
            {'token': secrets.token_urlsafe(16), 'id': batch_id},
        )
    with op.batch_alter_table('batch') as batch:
        batch.alter_column(
            'public_token',
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=32),
            nullable=False,
        )
        batch.create_index('ix_batch_public_token', ['public_token'], unique=True)
    op.create_table(
        'defectreport',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('centre_id', sa.Integer(), nullable=True),
        sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column('source', sa.String(length=40), nullable=False),
        sa.Column(
            'created_at', orchestrator.database.tables.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(['batch_id'], ['batch.id']),
        sa.ForeignKeyConstraint(['centre_id'], ['account.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_defectreport_batch_id', 'defectreport', ['batch_id'])
    op.create_index('ix_defectreport_centre_id', 'defectreport', ['centre_id'])
    op.create_index('ix_defectreport_created_at', 'defectreport', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_defectreport_created_at', table_name='defectreport')
    op.drop_index('ix_defectreport_centre_id', table_name='defectreport')
    op.drop_index('ix_defectreport_batch_id', table_name='defectreport')
    op.drop_table('defectreport')
    with op.batch_alter_table('batch') as batch:
        batch.drop_index('ix_batch_public_token')
        batch.drop_column('public_token')

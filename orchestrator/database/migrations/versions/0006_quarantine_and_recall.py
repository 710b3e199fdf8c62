"""quarantine and recall

A hold puts suspect goods in quarantine until it is released or scrapped. Its movements
name it (`movement.hold_id`), and goods in quarantine remember the stage they came from
(`movement.held_from`), where a release puts them back.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 14:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import orchestrator.database.tables

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'hold',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=40), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=True),
        sa.Column('since', sa.Date(), nullable=True),
        sa.Column('until', sa.Date(), nullable=True),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('status', sa.String(length=40), nullable=False),
        sa.Column(
            'placed_at', orchestrator.database.tables.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column('placed_by', sa.Integer(), nullable=False),
        sa.Column(
            'closed_at', orchestrator.database.tables.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column('closed_by', sa.Integer(), nullable=True),
        sa.Column('scrap_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column(
            'recall_notified_at',
            orchestrator.database.tables.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column('recall_notified_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['placed_by'], ['account.id']),
        sa.ForeignKeyConstraint(['closed_by'], ['account.id']),
        sa.ForeignKeyConstraint(['recall_notified_by'], ['account.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_hold_status', 'hold', ['status'])
    with op.batch_alter_table('movement') as batch:
        batch.add_column(sa.Column('hold_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('held_from', sa.String(length=40), nullable=True))
        batch.create_index('ix_movement_hold_id', ['hold_id'])
        batch.create_foreign_key('fk_movement_hold_id_hold', 'hold', ['hold_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('movement') as batch:
        batch.drop_constraint('fk_movement_hold_id_hold', type_='foreignkey')
        batch.drop_index('ix_movement_hold_id')
        batch.drop_column('held_from')
        batch.drop_column('hold_id')
    op.drop_index('ix_hold_status', table_name='hold')
    op.drop_table('hold')

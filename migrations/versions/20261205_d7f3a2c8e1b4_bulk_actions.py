"""bulk_actions: a bulk action's batch UUID is spent once (a resend with other tickets answers 409)

Revision ID: d7f3a2c8e1b4
Revises: c5a9e2d4f1b7
Create Date: 2026-12-05
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.types

revision: str = 'd7f3a2c8e1b4'
down_revision: str | None = 'c5a9e2d4f1b7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'bulk_actions',
        sa.Column('action_id', sa.Uuid(), nullable=False),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=False),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('ticket_count', sa.Integer(), nullable=False),
        sa.Column('at', app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id']),
        sa.PrimaryKeyConstraint('action_id'),
    )


def downgrade() -> None:
    op.drop_table('bulk_actions')

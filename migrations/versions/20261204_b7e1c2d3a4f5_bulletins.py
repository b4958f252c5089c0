"""bulletins: published 通报 snapshots (app/bulletins)

Revision ID: b7e1c2d3a4f5
Revises: b7d4e2a91c05
Create Date: 2026-12-04 05:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.types

revision: str = 'b7e1c2d3a4f5'
down_revision: str | None = 'b7d4e2a91c05'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('bulletins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('period', sa.JSON(), nullable=False),
    sa.Column('as_of', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.Integer(), nullable=False),
    sa.Column('published_by_name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('definitions_version', sa.Integer(), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('formulas', sa.JSON(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('ranking', sa.JSON(), nullable=False),
    sa.Column('overdue', sa.JSON(), nullable=False),
    sa.Column('xlsx', sa.LargeBinary(), nullable=False),
    sa.Column('xlsx_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('xlsx_filename', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('html', sa.LargeBinary(), nullable=False),
    sa.Column('html_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['published_by'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'start_date', 'end_date', name='uq_bulletins_period')
    )
    with op.batch_alter_table('bulletins', schema=None) as batch_op:
        batch_op.create_index('ix_bulletins_published_at_id', ['published_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('bulletins', schema=None) as batch_op:
        batch_op.drop_index('ix_bulletins_published_at_id')

    op.drop_table('bulletins')

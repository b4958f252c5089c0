"""administration: audit_log, office_settings; units/grids/categories can be switched off; users' last login

Revision ID: e4a7c9d2f810
Revises: a88175e19409
Create Date: 2026-12-04 15:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.types

revision: str = 'e4a7c9d2f810'
down_revision: str | None = 'a88175e19409'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'audit_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_name', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('entity_type', sa.String(length=20), nullable=False),
        sa.Column('entity_id', sa.String(length=64), nullable=False),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.Column('request_id', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_audit_log_at', 'audit_log', ['at'])
    op.create_index('ix_audit_log_entity', 'audit_log', ['entity_type', 'entity_id', 'at'])
    op.create_index('ix_audit_log_actor', 'audit_log', ['actor_id', 'at'])
    op.create_table(
        'office_settings',
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('value', sa.JSON(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('updated_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    # Plain ADD COLUMN: a batch copy of these tables on SQLite (DROP TABLE + rename) fails once tickets point at them.
    op.add_column('units', sa.Column('is_active', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column('grids', sa.Column('is_active', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column('categories', sa.Column('enabled', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column('users', sa.Column('last_login_at', app.core.types.UTCDateTime(timezone=True), nullable=True))
    # The last successful login each account already has on record (app/auth/ratelimit.py keeps attempts).
    op.execute(sa.text(
        "UPDATE users SET last_login_at = (SELECT max(a.at) FROM login_attempts a "
        "WHERE a.username = lower(users.username) AND a.outcome = 'ok')"))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite ≥ 3.35): a batch copy of users, categories or units would break the foreign keys
    # pointing at them once there are tickets.
    op.drop_column('users', 'last_login_at')
    op.drop_column('categories', 'enabled')
    op.drop_column('grids', 'is_active')
    op.drop_column('units', 'is_active')
    op.drop_table('office_settings')
    op.drop_index('ix_audit_log_actor', table_name='audit_log')
    op.drop_index('ix_audit_log_entity', table_name='audit_log')
    op.drop_index('ix_audit_log_at', table_name='audit_log')
    op.drop_table('audit_log')

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
    with op.batch_alter_table('units') as batch:
        batch.add_column(sa.Column('is_active', sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table('grids') as batch:
        batch.add_column(sa.Column('is_active', sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table('categories') as batch:
        batch.add_column(sa.Column('enabled', sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('last_login_at', app.core.types.UTCDateTime(timezone=True), nullable=True))
    # The last successful login each account already has on record (app/auth/ratelimit.py keeps attempts).
    op.execute(sa.text(
        "UPDATE users SET last_login_at = (SELECT max(a.at) FROM login_attempts a "
        "WHERE a.username = lower(users.username) AND a.outcome = 'ok')"))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('last_login_at')
    with op.batch_alter_table('categories') as batch:
        batch.drop_column('enabled')
    with op.batch_alter_table('grids') as batch:
        batch.drop_column('is_active')
    with op.batch_alter_table('units') as batch:
        batch.drop_column('is_active')
    op.drop_table('office_settings')
    op.drop_index('ix_audit_log_actor', table_name='audit_log')
    op.drop_index('ix_audit_log_entity', table_name='audit_log')
    op.drop_index('ix_audit_log_at', table_name='audit_log')
    op.drop_table('audit_log')

"""login_attempts.device: a trusted device's attempts (OWASP device cookies) are limited by their own failures
alone, counted by (device, at) (app/auth/ratelimit.py)

Revision ID: a3d5f7b9c1e2
Revises: e8b4c1d9f2a6
Create Date: 2026-12-05
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'a3d5f7b9c1e2'
down_revision: str | None = 'e8b4c1d9f2a6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_index('ix_login_attempts_device_at', ['device', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempts_device_at')
        batch_op.drop_column('device')

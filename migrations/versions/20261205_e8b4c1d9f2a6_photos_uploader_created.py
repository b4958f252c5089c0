"""photos: index (uploader_id, created_at) for the per-account daily upload budget; it replaces the index on
uploader_id alone (its leading column serves those look-ups: one index written per photo, not two)

Revision ID: e8b4c1d9f2a6
Revises: d7f3a2c8e1b4
Create Date: 2026-12-05
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'e8b4c1d9f2a6'
down_revision: str | None = 'd7f3a2c8e1b4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_photos_uploader_created', 'photos', ['uploader_id', 'created_at'])
    op.drop_index('ix_photos_uploader_id', table_name='photos')


def downgrade() -> None:
    op.create_index('ix_photos_uploader_id', 'photos', ['uploader_id'])
    op.drop_index('ix_photos_uploader_created', table_name='photos')

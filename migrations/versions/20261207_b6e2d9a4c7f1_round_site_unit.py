"""eval_round_sites.unit_id: the unit a site's results count for, frozen when its round is published

Until this revision a published round's results, ranking and findings followed each site's unit as it is now: a
site handed to another unit moved its published results (and their visibility) to that unit. Rounds already
published take their sites' units as they are at this upgrade: the best record there is.

Revision ID: b6e2d9a4c7f1
Revises: f4c8a1e7d2b9
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b6e2d9a4c7f1'
down_revision: str | None = 'f4c8a1e7d2b9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('eval_round_sites') as batch:
        batch.add_column(sa.Column('unit_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_eval_round_sites_unit_id_units', 'units', ['unit_id'], ['id'])
    op.execute("UPDATE eval_round_sites SET unit_id = (SELECT eval_sites.unit_id FROM eval_sites "
               "WHERE eval_sites.id = eval_round_sites.site_id) "
               "WHERE round_id IN (SELECT id FROM eval_rounds WHERE state = 'published')")


def downgrade() -> None:
    with op.batch_alter_table('eval_round_sites') as batch:
        batch.drop_constraint('fk_eval_round_sites_unit_id_units', type_='foreignkey')
        batch.drop_column('unit_id')

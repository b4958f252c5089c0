"""evaluation: sites, versioned checklists, rounds, round sites and assignments (app/evaluation)

Revision ID: c3e8a1f5d2b6
Revises: 9b319408993e
Create Date: 2026-12-04 12:32:02
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.types

revision: str = 'c3e8a1f5d2b6'
down_revision: str | None = '9b319408993e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('eval_sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('site_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lng', sa.Float(), nullable=False),
    sa.Column('polygon', sa.JSON(), nullable=True),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('contact_name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('contact_phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('eval_sites', schema=None) as batch_op:
        batch_op.create_index('ix_eval_sites_type_active', ['site_type', 'active'], unique=False)
        batch_op.create_index(batch_op.f('ix_eval_sites_unit_id'), ['unit_id'], unique=False)

    op.create_table('eval_checklists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('site_type', 'version', name='uq_eval_checklists_type_version')
    )
    op.create_table('eval_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('starts_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=True),
    sa.Column('draw', sa.JSON(), nullable=False),
    sa.Column('followup_of', sa.Integer(), nullable=True),
    sa.Column('dispatch_on_publish', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.Integer(), nullable=True),
    sa.Column('published_at', app.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['followup_of'], ['eval_rounds.id'], ),
    sa.ForeignKeyConstraint(['published_by'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('eval_rounds', schema=None) as batch_op:
        batch_op.create_index('ix_eval_rounds_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_eval_rounds_followup_of'), ['followup_of'], unique=False)

    op.create_table('eval_checklist_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checklist_id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text_zh', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('text_en', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('dimension', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('points_tenths', sa.Integer(), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('deduction_tenths', sa.Integer(), nullable=False),
    sa.Column('photos_required', sa.Integer(), nullable=False),
    sa.Column('category_code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.ForeignKeyConstraint(['category_code'], ['categories.code'], ),
    sa.ForeignKeyConstraint(['checklist_id'], ['eval_checklists.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('checklist_id', 'code', name='uq_eval_checklist_items_code')
    )
    with op.batch_alter_table('eval_checklist_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eval_checklist_items_checklist_id'), ['checklist_id'], unique=False)

    op.create_table('eval_round_sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('checklist_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['checklist_id'], ['eval_checklists.id'], ),
    sa.ForeignKeyConstraint(['round_id'], ['eval_rounds.id'], ),
    sa.ForeignKeyConstraint(['site_id'], ['eval_sites.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('round_id', 'site_id', name='uq_eval_round_sites_round_site')
    )
    with op.batch_alter_table('eval_round_sites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eval_round_sites_checklist_id'), ['checklist_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_eval_round_sites_site_id'), ['site_id'], unique=False)

    op.create_table('eval_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_site_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_site_id'], ['eval_round_sites.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('round_site_id', 'user_id', name='uq_eval_assignments_site_user')
    )
    with op.batch_alter_table('eval_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eval_assignments_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('eval_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eval_assignments_user_id'))

    op.drop_table('eval_assignments')
    with op.batch_alter_table('eval_round_sites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eval_round_sites_site_id'))
        batch_op.drop_index(batch_op.f('ix_eval_round_sites_checklist_id'))

    op.drop_table('eval_round_sites')
    with op.batch_alter_table('eval_checklist_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eval_checklist_items_checklist_id'))

    op.drop_table('eval_checklist_items')
    with op.batch_alter_table('eval_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eval_rounds_followup_of'))
        batch_op.drop_index('ix_eval_rounds_created_at_id')

    op.drop_table('eval_rounds')
    op.drop_table('eval_checklists')
    with op.batch_alter_table('eval_sites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eval_sites_unit_id'))
        batch_op.drop_index('ix_eval_sites_type_active')

    op.drop_table('eval_sites')

"""evaluation results: a site evaluated on the phone (eval_results) and its answers, each 不达标 linked to its
finding ticket

Revision ID: a88175e19409
Revises: c3e8a1f5d2b6
Create Date: 2026-12-04 13:29:17.644026
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.types

revision: str = 'a88175e19409'
down_revision: str | None = 'c3e8a1f5d2b6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('eval_results',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('round_site_id', sa.Integer(), nullable=False),
    sa.Column('inspector_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('unable_reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lng', sa.Float(), nullable=True),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('distance_m', sa.Float(), nullable=True),
    sa.Column('request_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('submitted_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['inspector_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['round_site_id'], ['eval_round_sites.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('round_site_id')
    )
    with op.batch_alter_table('eval_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eval_results_inspector_id'), ['inspector_id'], unique=False)

    op.create_table('eval_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.Uuid(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('verdict', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('occurrences', sa.Integer(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('ticket_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['eval_checklist_items.id'], ),
    sa.ForeignKeyConstraint(['result_id'], ['eval_results.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('result_id', 'item_id', name='uq_eval_answers_result_item')
    )
    with op.batch_alter_table('eval_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eval_answers_result_id'), ['result_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_eval_answers_ticket_id'), ['ticket_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('eval_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eval_answers_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_eval_answers_result_id'))

    op.drop_table('eval_answers')
    with op.batch_alter_table('eval_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eval_results_inspector_id'))

    op.drop_table('eval_results')

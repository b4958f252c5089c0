"""deadline exceptions: requests ledger, suspension, voiding, urging

Revision ID: 9b043b503f0d
Revises: 2620a9204c37
Create Date: 2026-11-21 21:55:42.830256
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.types

revision: str = '9b043b503f0d'
down_revision: str | None = '2620a9204c37'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ticket_requests',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('requested_deadline', app.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deadline_before', app.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('requested_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('request_event_id', sa.Integer(), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', app.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('decided_deadline', app.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reassigned_unit_id', sa.Integer(), nullable=True),
    sa.Column('decision_event_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['decision_event_id'], ['ticket_events.id'], ),
    sa.ForeignKeyConstraint(['reassigned_unit_id'], ['units.id'], ),
    sa.ForeignKeyConstraint(['request_event_id'], ['ticket_events.id'], ),
    sa.ForeignKeyConstraint(['requested_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ticket_requests', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_requests_state_requested_at', ['state', 'requested_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_requests_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index('ix_ticket_requests_unit_requested_at', ['unit_id', 'requested_at'], unique=False)
        batch_op.create_index('uq_ticket_requests_one_pending', ['ticket_id'], unique=True, sqlite_where=sa.text("state = 'pending'"), postgresql_where=sa.text("state = 'pending'"))

    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.alter_column('action',
               existing_type=sa.VARCHAR(length=16),
               type_=sqlmodel.sql.sqltypes.AutoString(length=32),
               existing_nullable=False)

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extension_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('suspension_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('urge_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('supervised_at', app.core.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('suspended_at', app.core.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('review_at', app.core.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('voided_at', app.core.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('pending_request', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('pending_request')
        batch_op.drop_column('voided_at')
        batch_op.drop_column('review_at')
        batch_op.drop_column('suspended_at')
        batch_op.drop_column('supervised_at')
        batch_op.drop_column('urge_count')
        batch_op.drop_column('suspension_count')
        batch_op.drop_column('extension_count')

    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.alter_column('action',
               existing_type=sqlmodel.sql.sqltypes.AutoString(length=32),
               type_=sa.VARCHAR(length=16),
               existing_nullable=False)

    with op.batch_alter_table('ticket_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_ticket_requests_one_pending', sqlite_where=sa.text("state = 'pending'"), postgresql_where=sa.text("state = 'pending'"))
        batch_op.drop_index('ix_ticket_requests_unit_requested_at')
        batch_op.drop_index(batch_op.f('ix_ticket_requests_ticket_id'))
        batch_op.drop_index('ix_ticket_requests_state_requested_at')

    op.drop_table('ticket_requests')

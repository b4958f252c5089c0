"""notifications: settings an admin edits (schedules, routing, templates) and a person's own SMS
(notification_subscriptions; a delivery names the subscription it texts)

Revision ID: d41c7e9a2b10
Revises: d41e7c2b9a10
Create Date: 2026-12-04 15:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.types

revision: str = 'd41c7e9a2b10'
down_revision: str | None = 'd41e7c2b9a10'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('notification_settings',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', app.core.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('notification_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('kinds', sa.JSON(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.core.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['notification_channels.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id')
    )
    with op.batch_alter_table('notification_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_subscriptions_channel_id'), ['channel_id'], unique=False)
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subscription_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_notification_deliveries_subscription_id', 'notification_subscriptions',
                                    ['subscription_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.drop_constraint('fk_notification_deliveries_subscription_id', type_='foreignkey')
        batch_op.drop_column('subscription_id')
    with op.batch_alter_table('notification_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_subscriptions_channel_id'))
    op.drop_table('notification_subscriptions')
    op.drop_table('notification_settings')

"""verification covering indexes: a period's verifications read from indexes alone (app/stats)

Revision ID: f3b8e1d2c7a4
Revises: d41c7e9a2b10
Create Date: 2026-12-04 16:40:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'f3b8e1d2c7a4'
down_revision: str | None = 'd41c7e9a2b10'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_ticket_events_action_at', table_name='ticket_events')
    op.create_index('ix_ticket_events_action_at', 'ticket_events', ['action', 'at', 'ticket_id'], unique=False)
    op.create_index('ix_tickets_id_verify_cover', 'tickets',
                    ['id', 'unit_id', 'rectified_at', 'category_code', 'grid_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_tickets_id_verify_cover', table_name='tickets')
    op.drop_index('ix_ticket_events_action_at', table_name='ticket_events')
    op.create_index('ix_ticket_events_action_at', 'ticket_events', ['action', 'at'], unique=False)

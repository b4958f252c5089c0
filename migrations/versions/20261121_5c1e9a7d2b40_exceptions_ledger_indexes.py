"""exceptions ledger: partial indexes on the ledger's events (newest first; per unit)

Revision ID: 5c1e9a7d2b40
Revises: 9b043b503f0d
Create Date: 2026-11-21 22:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5c1e9a7d2b40'
down_revision: str | None = '9b043b503f0d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEDGER = sa.text("action IN ('request_extension', 'request_return', 'request_suspension', 'void', 'urge', "
                 "'supervise')")


def upgrade() -> None:
    op.create_index('ix_ticket_events_ledger_at', 'ticket_events', ['at', 'id'], unique=False,
                    sqlite_where=LEDGER, postgresql_where=LEDGER)
    op.create_index('ix_ticket_events_ledger_unit_at', 'ticket_events', ['unit_id', 'at', 'id'], unique=False,
                    sqlite_where=LEDGER, postgresql_where=LEDGER)


def downgrade() -> None:
    op.drop_index('ix_ticket_events_ledger_unit_at', table_name='ticket_events')
    op.drop_index('ix_ticket_events_ledger_at', table_name='ticket_events')

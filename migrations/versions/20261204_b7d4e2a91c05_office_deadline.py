"""office deadline: the deadline the office set (moved by extensions, not by 返工); 按期结案 judged against it

Revision ID: b7d4e2a91c05
Revises: 5c1e9a7d2b40
Create Date: 2026-12-04 05:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.types

revision: str = 'b7d4e2a91c05'
down_revision: str | None = '5c1e9a7d2b40'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_COVERING = ["first_dispatched_at", "unit_id", "status", "deadline_at", "closed_on_time", "rework_count",
                "first_rectified_at", "reported_at", "closed_at", "category_code"]
NEW_COVERING = ["first_dispatched_at", "unit_id", "status", "deadline_at", "office_deadline_at", "closed_on_time",
                "rework_count", "first_rectified_at", "reported_at", "closed_at", "category_code"]
# The events that set the office's deadline (their deadline_at), or clear it (a return: deadline_at is NULL).
# Not verify_fail (返工 gives a new deadline of its own) and not approve_suspension (its deadline_at is the
# review date).
OFFICE_ACTIONS = "('dispatch', 'reassign', 'resume', 'approve_extension', 'approve_return', 'return')"


def upgrade() -> None:
    op.add_column('tickets', sa.Column('office_deadline_at', app.core.types.UTCDateTime(timezone=True), nullable=True))
    # Backfill from the timeline: the deadline of the last event that set (or cleared) the office's deadline.
    op.execute(sa.text(
        "UPDATE tickets SET office_deadline_at = (SELECT e.deadline_at FROM ticket_events e "
        f"WHERE e.ticket_id = tickets.id AND e.action IN {OFFICE_ACTIONS} ORDER BY e.at DESC, e.id DESC LIMIT 1) "
        "WHERE first_dispatched_at IS NOT NULL"))
    # 按期结案 again, against the office's deadline instead of the deadline in force after the last 返工.
    op.execute(sa.text(
        "UPDATE tickets SET closed_on_time = (office_deadline_at IS NULL OR rectified_at <= office_deadline_at) "
        "WHERE status = 'closed'"))
    op.drop_index('ix_tickets_first_dispatched_at', table_name='tickets')
    op.create_index('ix_tickets_first_dispatched_at', 'tickets', NEW_COVERING, unique=False)


def downgrade() -> None:
    op.drop_index('ix_tickets_first_dispatched_at', table_name='tickets')
    op.create_index('ix_tickets_first_dispatched_at', 'tickets', OLD_COVERING, unique=False)
    # The earlier meaning: on or before the deadline in force at close.
    op.execute(sa.text(
        "UPDATE tickets SET closed_on_time = (deadline_at IS NULL OR rectified_at <= deadline_at) "
        "WHERE status = 'closed'"))
    # A plain DROP COLUMN (SQLite ≥ 3.35): a batch copy of tickets would break the foreign keys pointing at it.
    op.drop_column('tickets', 'office_deadline_at')

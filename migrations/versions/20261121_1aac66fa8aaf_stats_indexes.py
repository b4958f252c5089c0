"""stats indexes

Revision ID: 1aac66fa8aaf
Revises: 6f768ff7a851
Create Date: 2026-11-21 12:22:09.428189
"""
from collections.abc import Sequence

from alembic import op

revision: str = '1aac66fa8aaf'
down_revision: str | None = '6f768ff7a851'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


INDEXES = [
    # Covering: a period's figures come from the index alone (see app/stats/service.py).
    ("ix_tickets_first_dispatched_at", "tickets", ["first_dispatched_at", "unit_id", "status", "deadline_at",
                                                   "closed_on_time", "rework_count", "first_rectified_at",
                                                   "reported_at", "closed_at", "category_code"]),
    ("ix_tickets_reported_at_id", "tickets", ["reported_at", "id", "unit_id", "category_code"]),
    ("ix_tickets_status_deadline", "tickets", ["status", "deadline_at", "unit_id", "category_code"]),
    ("ix_tickets_cancelled_at", "tickets", ["cancelled_at"]),
    ("ix_ticket_events_action_at", "ticket_events", ["action", "at"]),
]


def upgrade() -> None:
    # Statistics (app/stats): period cohorts, flows per period, overdue now, returns per period; and the
    # ticket list's default order (reported_at DESC, id DESC) as a keyset scan.
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)

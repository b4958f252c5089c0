"""users: usernames unique whatever their case (a unique index on lower(username)); the login already treats `Li`
and `li` as one account, and the admin's create refused the second only by a check two requests could both pass

Accounts that already differ only by case (made before that check, or in SQL) stop the upgrade with their names:
which of them is the real one is a person's decision, not a migration's.

Revision ID: f4c8a1e7d2b9
Revises: a3d5f7b9c1e2
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'f4c8a1e7d2b9'
down_revision: str | None = 'a3d5f7b9c1e2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    clashes = op.get_bind().execute(sa.text(
        "SELECT lower(username), count(*) FROM users GROUP BY lower(username) HAVING count(*) > 1 "
        "ORDER BY lower(username)")).all()
    if clashes:
        names = ", ".join(f"{name} ({n})" for name, n in clashes)
        raise RuntimeError(
            f"用户名仅大小写不同的账号 Accounts whose usernames differ only by case: {names}. Rename or remove all "
            "but one of each (e.g. UPDATE users SET username = 'li-2' WHERE username = 'LI'), then upgrade again.")
    op.create_index('ix_users_username_lower', 'users', [sa.text('lower(username)')], unique=True)


def downgrade() -> None:
    op.drop_index('ix_users_username_lower', table_name='users')

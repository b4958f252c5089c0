import pytest
from sqlmodel import func, select

from app.audit.models import AuditLog
from app.config import office
from app.users.roles import Role
from tests.conftest import login, make_user


@pytest.fixture
def admin(client, db):
    user = make_user(db, Role.admin, username="boss")
    return {"user": user, "h": login(client, user)}


def audit_rows(db, **where) -> list[AuditLog]:
    db.expire_all()
    stmt = select(AuditLog).order_by(AuditLog.id)
    for k, v in where.items():
        stmt = stmt.where(getattr(AuditLog, k) == v)
    return list(db.exec(stmt).all())


def audit_count(db) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(AuditLog)).one()


@pytest.fixture(autouse=True)
def _office_settings_cache():
    """The office settings' cache outlives a test's rolled-back transaction: forget it after each test."""
    yield
    office.cache.clear()

"""Administration of users: create, change role/unit/name, reset a password, deactivate/reactivate, revoke
every token (a lost phone). Every change writes its audit row in the same transaction; password hashes never
reach the audit trail. An admin cannot deactivate or demote themselves, and the last active admin stays (409).
"""

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth import service as auth_service
from app.auth.models import AccessToken
from app.core.db import conflict_on_duplicate
from app.core.errors import Conflict, Invalid, NotFound
from app.core.security import hash_password
from app.core.types import utcnow
from app.units.models import Unit
from app.users import passwords
from app.users.models import User
from app.users.roles import Role
from app.users.schemas import UserAdmin, UserCreate, UserPatch

MAX_USERS_LISTED = 5000


def snapshot(user: User) -> dict:
    return {"username": user.username, "display_name": user.display_name, "role": str(user.role),
            "unit_id": user.unit_id, "is_active": user.is_active}


def get(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在 User not found")
    return user


def by_username(session: Session, username: str) -> User:
    """The account the CLI names, in any case (as the login finds it)."""
    user = auth_service.user_named(session, username)
    if user is None:
        raise NotFound(f"用户不存在：{username!r} No user {username!r}")
    return user


def listing(session: Session, *, role: Role | None = None, unit_id: int | None = None,
            active: bool | None = None) -> list[UserAdmin]:
    """Users with their unit, last login and how many devices are logged in."""
    stmt = select(User, Unit.name).outerjoin(Unit, col(Unit.id) == User.unit_id).order_by(User.username)
    if role:
        stmt = stmt.where(User.role == role.value)
    if unit_id:
        stmt = stmt.where(User.unit_id == unit_id)
    if active is not None:
        stmt = stmt.where(col(User.is_active).is_(active))
    rows = session.exec(stmt.limit(MAX_USERS_LISTED)).all()
    live = dict(session.execute(
        select(AccessToken.user_id, func.count()).where(col(AccessToken.revoked_at).is_(None),
                                                        AccessToken.expires_at > utcnow())
        .group_by(AccessToken.user_id)).all())
    return [to_admin(u, unit_name, live.get(u.id, 0)) for u, unit_name in rows]


def to_admin(user: User, unit_name: str | None, live_tokens: int) -> UserAdmin:
    return UserAdmin(id=user.id, username=user.username, display_name=user.display_name, role=user.role,
                     unit_id=user.unit_id, unit_name=unit_name, is_active=user.is_active,
                     created_at=user.created_at, last_login_at=user.last_login_at, live_tokens=live_tokens)


def detail(session: Session, user: User) -> UserAdmin:
    unit = session.get(Unit, user.unit_id) if user.unit_id else None
    live = session.exec(select(func.count()).select_from(AccessToken).where(
        AccessToken.user_id == user.id, col(AccessToken.revoked_at).is_(None),
        AccessToken.expires_at > utcnow())).one()
    return to_admin(user, unit.name if unit else None, live)


def _unit_for(session: Session, role: Role, unit_id: int | None) -> int | None:
    """unit_staff belong to an active unit; nobody else belongs to one (422)."""
    if role != Role.unit_staff:
        if unit_id is not None:
            raise Invalid("只有责任单位人员隶属单位 Only unit_staff belong to a unit", code="unit_not_allowed")
        return None
    if unit_id is None:
        raise Invalid("责任单位人员须指定单位 unit_staff need a unit", code="unit_required")
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise Invalid("责任单位不存在 Unknown unit", code="unknown_unit")
    if not unit.is_active:
        raise Invalid("责任单位已停用 The unit is deactivated", code="inactive_unit")
    return unit.id


def create(session: Session, actor: audit.Actor, body: UserCreate) -> User:
    if auth_service.user_named(session, body.username) is not None:  # any case: the login's own look-up
        raise Conflict(f"用户名已存在 Username {body.username!r} is taken", code="duplicate_username")
    passwords.check(body.username, body.password)
    unit_id = _unit_for(session, body.role, body.unit_id)
    user = User(username=body.username, display_name=body.display_name, role=body.role, unit_id=unit_id,
                password_hash=hash_password(body.password))
    with conflict_on_duplicate(session, f"用户名已存在 Username {body.username!r} is taken", "duplicate_username"):
        session.add(user)
    audit.record(session, actor, "user.create", "user", user.id, None, snapshot(user))
    return user


def _other_active_admins(session: Session, user: User) -> int:
    return session.exec(select(func.count()).select_from(User).where(
        User.role == Role.admin.value, col(User.is_active).is_(True), User.id != user.id)).one()


def update(session: Session, actor: audit.Actor, user_id: int, body: UserPatch) -> User:
    """Change a user's name, role, unit or active flag (deactivating revokes every token)."""
    user = get(session, user_id)
    before = snapshot(user)
    given = body.model_dump(exclude_unset=True)
    role = given.get("role", Role(user.role))
    losing_admin = user.role == Role.admin and user.is_active and (
        role != Role.admin or given.get("is_active") is False)
    if losing_admin:
        if user.id == actor.user_id:
            raise Conflict("不能停用或降级自己的管理员账号 You cannot deactivate or demote yourself",
                           code="self_lockout")
        if not _other_active_admins(session, user):
            raise Conflict("不能停用最后一个管理员 The last active admin must stay", code="last_admin")
    if "display_name" in given:
        user.display_name = given["display_name"]
    if "role" in given or "unit_id" in given:
        unit_id = given.get("unit_id", user.unit_id if role == Role.unit_staff else None)
        if unit_id != user.unit_id or role != user.role:
            user.unit_id = _unit_for(session, role, unit_id)
        user.role = role
    if "is_active" in given:
        if given["is_active"] and user.unit_id and not session.get(Unit, user.unit_id).is_active:
            raise Invalid("所属单位已停用 The user's unit is deactivated", code="inactive_unit")
        user.is_active = given["is_active"]
    after = snapshot(user)
    if after == before:
        return user
    session.add(user)
    session.flush()
    if not user.is_active:
        auth_service.revoke_all(session, user.id)
    verb = ("deactivate" if not user.is_active else "reactivate") if after["is_active"] != before["is_active"] \
        else "update"
    audit.record(session, actor, f"user.{verb}", "user", user.id, before, after)
    return user


def reset_password(session: Session, actor: audit.Actor, user_id: int, password: str) -> int:
    """A new password; every token of the user is revoked (they log in again). Returns how many were."""
    user = get(session, user_id)
    passwords.check(user.username, password)
    user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    revoked = auth_service.revoke_all(session, user.id)
    audit.record(session, actor, "user.reset_password", "user", user.id, None, {"tokens_revoked": revoked})
    return revoked


def revoke_tokens(session: Session, actor: audit.Actor, user_id: int) -> int:
    """Log the user out everywhere (a lost phone): every live token is revoked; returns how many."""
    user = get(session, user_id)
    revoked = auth_service.revoke_all(session, user.id)
    audit.record(session, actor, "user.revoke_tokens", "user", user.id, None, {"tokens_revoked": revoked})
    return revoked

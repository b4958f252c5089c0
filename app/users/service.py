from sqlmodel import Session

from app.units.models import Unit
from app.users.models import User
from app.users.schemas import UserPublic


def to_public(session: Session, user: User) -> UserPublic:
    unit = session.get(Unit, user.unit_id) if user.unit_id else None
    return UserPublic(
        id=user.id, username=user.username, display_name=user.display_name, role=user.role,
        unit_id=user.unit_id, unit_name=unit.name if unit else None,
    )

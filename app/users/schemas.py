from pydantic import BaseModel

from app.users.roles import Role


class UserPublic(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    unit_id: int | None
    unit_name: str | None = None

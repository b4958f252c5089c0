from datetime import datetime

from sqlalchemy import Column, Index, String, column, func
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow
from app.users.roles import Role


class User(SQLModel, table=True):
    __tablename__ = "users"
    # Usernames are case-insensitive (a phone capitalises the first letter): `Li` and `li` are one account, so
    # the database refuses the second however it arrives (two admins creating both at once, the CLI, SQL).
    __table_args__ = (Index("ix_users_username_lower", func.lower(column("username")), unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(max_length=64)
    role: Role = Field(sa_column=Column(String(16), nullable=False))
    unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    password_hash: str = Field(max_length=255)
    is_active: bool = True
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)

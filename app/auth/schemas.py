from datetime import datetime

from pydantic import BaseModel

from app.users.schemas import UserPublic


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    user: UserPublic

from datetime import datetime

from pydantic import BaseModel

from app.users.schemas import UserPublic


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    user: UserPublic
    # Sent back with this username's next logins from this device (app/auth/devices.py).
    device_token: str

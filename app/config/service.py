"""What the app needs to know about this deployment before (and without) logging in."""

import threading
import time

from sqlmodel import Session, select

from app.core.config import get_settings
from app.core.security import verify_password
from app.users.models import User

DEMO_USERNAME = "inspector"
DEMO_PASSWORD = "demo1234"  # app.demo.seed.DEMO_PASSWORD (not imported: the seed pulls in photo rendering)
_TTL_SECONDS = 300


class _DemoLogins:
    """Whether the demo password really logs in, re-checked every few minutes.

    Cached because the endpoint is public and a password check costs tens of milliseconds of CPU.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._value: tuple[float, bool] | None = None

    def __call__(self, session: Session) -> bool:
        if not get_settings().demo_data:
            return False
        with self._lock:
            if self._value and time.monotonic() - self._value[0] < _TTL_SECONDS:
                return self._value[1]
            user = session.exec(select(User).where(User.username == DEMO_USERNAME)).first()
            works = bool(user and user.is_active and verify_password(DEMO_PASSWORD, user.password_hash))
            self._value = (time.monotonic(), works)
            return works

    def cache_clear(self) -> None:
        with self._lock:
            self._value = None


demo_logins = _DemoLogins()


def public_config(session: Session) -> dict:
    s = get_settings()
    return {
        "map": {"layers": s.map_layers, "crs": s.map_crs_effective, "attribution": s.map_attribution_effective},
        "demo_logins": demo_logins(session),
    }

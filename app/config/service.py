"""What the app needs to know about this deployment before (and without) logging in."""

import threading
import time
from datetime import datetime

from annotated_types import MaxLen, MinLen
from sqlmodel import Session, select

from app.config import office
from app.core.config import get_settings, tile_hosts
from app.core.security import verify_password
from app.tickets import deadlines
from app.tickets.actions import ACTIONS
from app.tickets.schemas import TicketCreate
from app.tickets.workflow import Action, Status
from app.units.schemas import UnitKind
from app.users.models import User
from app.users.roles import Role

CITY_CENTRE = {"lat": 30.2741, "lng": 120.1551}  # WGS-84; the demo city is seeded around it
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


# A report creates the ticket (POST /api/tickets); every later action is an entry of tickets.actions.ACTIONS.
def _requests():
    """(action, body schema, path under /api/tickets/{id}/, fixed fields, also required, ignored)."""
    yield Action.report, TicketCreate, "", {}, frozenset(), frozenset()
    for action, spec in ACTIONS.items():
        yield action, spec.schema, spec.path, dict(spec.fixed), spec.also_required, spec.ignored


def action_inputs() -> list[dict]:
    """Each action's required and optional fields and photo count, read from its request schema."""
    out = []
    for action, schema, path, fixed, also, ignored in _requests():
        fields = {name: f for name, f in schema.model_fields.items()
                  if name not in fixed and name not in ("action_id", "id") and name not in ignored}
        photos = fields.pop("photo_ids", None)
        lengths = {type(m): m for m in photos.metadata} if photos else {}
        out.append({
            "action": action, "path": path, "schema_name": schema.__name__, "fixed": fixed,
            "required": [n for n, f in fields.items() if f.is_required() or n in also],
            "optional": [n for n, f in fields.items() if not (f.is_required() or n in also)],
            "photos_min": lengths[MinLen].min_length if MinLen in lengths else 0,
            "photos_max": lengths[MaxLen].max_length if MaxLen in lengths else 0,
        })
    return out


def map_config(session: Session | None) -> dict:
    """The map the apps draw: the office's (admin API) if it set one, else the environment's."""
    s = get_settings()
    stored = office.get(session, office.MAP)
    if stored:
        return {"layers": stored["layers"], "crs": stored["crs"], "attribution": stored.get("attribution", ""),
                "centre": stored.get("centre") or CITY_CENTRE}
    return {"layers": s.map_layers, "crs": s.map_crs_effective, "attribution": s.map_attribution_effective,
            "centre": CITY_CENTRE}


def office_tile_hosts() -> list[str]:
    """The tile origins of the office's map as this process last read it (no database access: the CSP)."""
    stored = office.cache.last_known().get(office.MAP)
    return tile_hosts(stored["layers"]) if stored else []


def public_config(session: Session) -> dict:
    s = get_settings()
    offset = datetime.now(s.tz).utcoffset()
    return {
        "map": map_config(session),
        "demo_logins": demo_logins(session),
        "time_zone": {"name": s.timezone, "utc_offset_minutes": int(offset.total_seconds() // 60) if offset else 0},
        "deadlines": {"default_hours": s.default_deadline_hours, "clock_hours_up_to": deadlines.CLOCK_HOURS_UP_TO,
                      "working_day_hours": deadlines.WORKING_DAY_HOURS},
        "statuses": list(Status),
        "roles": list(Role),
        "unit_kinds": list(UnitKind),
        "actions": action_inputs(),
        # 预超期: near when the time left ≤ fraction × the time given, or ≤ hours once half the time given is gone
        # (Ticket.is_near_deadline_at).
        "near_deadline": {"fraction": s.near_deadline_fraction, "hours": s.near_deadline_hours},
        "eval_checkin_distance_m": s.eval_checkin_distance_m,
    }

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal
from urllib.parse import urlsplit

from annotated_types import Len
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.core.config import CSP_HOST
from app.core.types import UserText
from app.stats.schemas import RankRules
from app.tickets.workflow import Action, Status
from app.units.schemas import UnitKind
from app.users.roles import Role


class MapCrs(StrEnum):
    wgs84 = "wgs84"  # GPS, 天地图
    gcj02 = "gcj02"  # 高德, 腾讯: positions are shifted for display only


class TileLayer(BaseModel):
    url: str  # a Leaflet URL template: {s} {z} {x} {y}
    subdomains: str


class LatLng(BaseModel):
    lat: float = Field(description="WGS-84")
    lng: float = Field(description="WGS-84")


class MapConfig(BaseModel):
    layers: list[TileLayer]  # base first, then overlays (labels); empty: no tiles
    crs: MapCrs  # what the tiles expect; positions are stored WGS-84 and converted
    attribution: str
    centre: LatLng = Field(description="where a map opens without a position (the city's centre)")


class TimeZoneConfig(BaseModel):
    name: str = Field(description="IANA name, e.g. Asia/Shanghai: the city's time for display and input")
    utc_offset_minutes: int = Field(description="the zone's offset from UTC now (480 for UTC+8)")


class DeadlineRules(BaseModel):
    """How the server computes a default deadline (整改时限) from a category's hours (GET /api/categories)."""

    default_hours: int = Field(description="for a category without its own limit")
    clock_hours_up_to: int = Field(description="limits up to this many hours run on the clock")
    working_day_hours: int = Field(description="longer limits are working days of this many hours, city time")


class NearDeadlineRules(BaseModel):
    """预超期: a dispatched ticket, not overdue, whose time left is ≤ fraction × the time it was given
    (deadline − dispatched_at), or ≤ hours."""

    fraction: float
    hours: float


class ActionInput(BaseModel):
    """What one workflow action's request needs (its body schema is `schema`)."""

    action: Action
    path: str = Field(description="relative to /api/tickets/{ticket_id}/; empty for report (POST /api/tickets); "
                                  "decisions hold {request_id}")
    schema_name: str = Field(description="the request body's schema in this OpenAPI document")
    fixed: dict[str, bool | str] = Field(description="fields with a fixed value for this action (verify: passed; "
                                                     "requests: kind; decisions: approve)")
    required: list[str] = Field(description="fields that must be given (non-blank text), action_id aside")
    optional: list[str]
    photos_min: int
    photos_max: int


class PublicConfig(BaseModel):
    map: MapConfig
    demo_logins: bool
    time_zone: TimeZoneConfig
    deadlines: DeadlineRules
    statuses: list[Status] = Field(description="in the loop's order")
    roles: list[Role]
    unit_kinds: list[UnitKind]
    actions: list[ActionInput]
    near_deadline: NearDeadlineRules
    eval_checkin_distance_m: float = Field(description="实地测评: a phone farther than this from the site when it "
                                                       "submits is warned (and the result flagged), never refused")


# ---- the office's settings (admin API) -----------------------------------------------------------------

def _tile_template(url: str) -> str:
    parts = urlsplit(url.replace("{s}", "a"))
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("应为 http(s) 瓦片地址模板 must be an http(s) URL template")
    if not CSP_HOST.fullmatch(parts.netloc):  # it goes into every response's CSP header
        raise ValueError("瓦片主机名须为 ASCII（中文域名请用 xn-- 形式） the tile host must be ASCII letters, digits, "
                         "dots and hyphens (an IDN in its xn-- form)")
    if not all(p in url for p in ("{z}", "{x}", "{y}")):
        raise ValueError("模板须含 {z} {x} {y} the template needs {z}, {x} and {y}")
    return url


class TileLayerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[UserText, StringConstraints(strip_whitespace=True, max_length=1000),
                   AfterValidator(_tile_template)] = Field(description="a Leaflet URL template: {s} {z} {x} {y}")
    subdomains: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{0,16}$")] = "abc"


class LatLngIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Bounded, so NaN and Infinity (which Python's JSON reads) are refused too: they cannot be stored or served.
    lat: float = Field(ge=-90, le=90, description="WGS-84")
    lng: float = Field(ge=-180, le=180, description="WGS-84")


class MapSettings(BaseModel):
    """The office's map, served to every app by GET /api/config (positions stay WGS-84 in the database)."""

    model_config = ConfigDict(extra="forbid")

    layers: Annotated[list[TileLayerIn], Len(0, 4)] = Field(description="base first, then overlays; none: no tiles")
    crs: MapCrs
    attribution: Annotated[UserText, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    centre: LatLngIn | None = Field(None, description="where a map opens without a position; none: the default")


class CalendarYear(BaseModel):
    """One year's working calendar: public holidays (法定节假日) and weekend days worked instead (调休上班)."""

    model_config = ConfigDict(extra="forbid")

    holidays: Annotated[list[date], Len(0, 366)] = []
    workdays: Annotated[list[date], Len(0, 366)] = []


class CalendarYearOut(CalendarYear):
    year: int
    source: Literal["office", "default"] = Field(description="office: set in the admin API; default: the "
                                                             "environment's calendar file (or Monday–Friday)")


class OfficeSettingsOut(BaseModel):
    map: MapConfig = Field(description="in force (the office's, or the environment's default)")
    map_source: Literal["office", "default"]
    rank_rules: RankRules = Field(description="in force (the office's over the environment's)")
    rank_rules_source: Literal["office", "default"]
    calendar_years: list[int] = Field(description="the years the office set a calendar for")

"""The office's administration API (admin only): units, users, categories, settings, grids, and the audit
trail every change writes (操作日志)."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.admin.deps import AdminActor
from app.audit import service as audit_service
from app.audit.schemas import AuditPage, EntityType
from app.categories import admin as categories_admin
from app.categories import service as categories_service
from app.categories.schemas import CategoryPatch, CategoryPublic
from app.config import admin as config_admin
from app.config import office
from app.config.schemas import CalendarYear, CalendarYearOut, MapSettings, OfficeSettingsOut
from app.core.db import SessionDep, TransactionRoute
from app.core.responses import AUTHENTICATED, WRITE
from app.core.types import DbId, UserText
from app.stats.schemas import RankRules
from app.units import admin as units_admin
from app.units import grids as units_grids
from app.units.schemas import GridAdmin, GridCheck, GridImport, GridPatch, UnitAdmin, UnitCreate, UnitPatch
from app.users import admin as users_admin
from app.users.roles import Role
from app.users.schemas import PasswordReset, TokensRevoked, UserAdmin, UserCreate, UserPatch

router = APIRouter(prefix="/api/admin", tags=["admin"], responses=AUTHENTICATED, route_class=TransactionRoute)


# ---- audit trail -------------------------------------------------------------------------------------

@router.get("/audit", response_model=AuditPage)
def audit_trail(session: SessionDep, _: AdminActor, entity_type: EntityType | None = None,
                entity_id: Annotated[UserText | None, Query(max_length=64)] = None,
                actor_id: DbId | None = None, since: date | None = None, until: date | None = None,
                limit: Annotated[int, Query(ge=1, le=200)] = 50,
                cursor: Annotated[str | None, Query(max_length=200)] = None):
    """The audit trail (操作日志), newest first: who changed what, when, before → after. `since`/`until` are
    days in the city's time zone, both included."""
    return audit_service.listing(session, entity_type=entity_type, entity_id=entity_id, actor_id=actor_id,
                                 since=since, until=until, limit=limit, cursor=cursor)


# ---- units -------------------------------------------------------------------------------------------

@router.get("/units", response_model=list[UnitAdmin])
def list_units(session: SessionDep, _: AdminActor):
    """Every unit as a tree in depth-first order (parent_id, depth), active or not, with its active users,
    active grids and open tickets."""
    return units_admin.listing(session)


def _unit_row(session, unit_id: int) -> UnitAdmin:
    return next(u for u in units_admin.listing(session) if u.id == unit_id)


@router.post("/units", response_model=UnitAdmin, status_code=201, responses=WRITE)
def create_unit(session: SessionDep, actor: AdminActor, body: UnitCreate):
    """Create a unit (a duplicate name is 409; an unknown or deactivated parent 422)."""
    return _unit_row(session, units_admin.create(session, actor, body).id)


@router.patch("/units/{unit_id}", response_model=UnitAdmin, responses=WRITE)
def update_unit(session: SessionDep, actor: AdminActor, unit_id: DbId, body: UnitPatch):
    """Rename, change kind, move (a cycle is 422), deactivate (409 while it holds open tickets, active
    sub-units, grids or users: reassign them first) or reactivate a unit."""
    units_admin.update(session, actor, unit_id, body)
    return _unit_row(session, unit_id)


# ---- users -------------------------------------------------------------------------------------------

@router.get("/users", response_model=list[UserAdmin])
def list_users(session: SessionDep, _: AdminActor, role: Role | None = None, unit_id: DbId | None = None,
               active: bool | None = None):
    """Users with their unit, last login and logged-in devices (password hashes are never shown)."""
    return users_admin.listing(session, role=role, unit_id=unit_id, active=active)


@router.post("/users", response_model=UserAdmin, status_code=201, responses=WRITE)
def create_user(session: SessionDep, actor: AdminActor, body: UserCreate):
    """Create a user with a role (and a unit for unit_staff) and a password that meets the rules."""
    return users_admin.detail(session, users_admin.create(session, actor, body))


@router.get("/users/{user_id}", response_model=UserAdmin)
def get_user(session: SessionDep, _: AdminActor, user_id: DbId):
    """One user."""
    return users_admin.detail(session, users_admin.get(session, user_id))


@router.patch("/users/{user_id}", response_model=UserAdmin, responses=WRITE)
def update_user(session: SessionDep, actor: AdminActor, user_id: DbId, body: UserPatch):
    """Change a user's name, role, unit, or deactivate (tokens revoked) / reactivate them. Deactivating or
    demoting yourself, or the last active admin, is 409."""
    return users_admin.detail(session, users_admin.update(session, actor, user_id, body))


@router.post("/users/{user_id}/password", response_model=TokensRevoked, responses=WRITE)
def reset_password(session: SessionDep, actor: AdminActor, user_id: DbId, body: PasswordReset):
    """Set a new password (app/users/passwords.py: ≥ 8 characters of two kinds, not a common password, not the
    username: else 422); the user's tokens are revoked."""
    return TokensRevoked(revoked=users_admin.reset_password(session, actor, user_id, body.password))


@router.post("/users/{user_id}/revoke-tokens", response_model=TokensRevoked, responses=WRITE)
def revoke_tokens(session: SessionDep, actor: AdminActor, user_id: DbId):
    """Log a user out on every device (a lost phone): their next request answers 401."""
    return TokensRevoked(revoked=users_admin.revoke_tokens(session, actor, user_id))


# ---- categories --------------------------------------------------------------------------------------

@router.patch("/categories/{code}", response_model=CategoryPublic, responses=WRITE)
def update_category(session: SessionDep, actor: AdminActor, code: Annotated[UserText, Path(max_length=16)],
                    body: CategoryPatch):
    """Change a category's deadline hours, default unit, or whether it may be chosen for new reports
    (a disabled one is 422 for a new report; existing tickets keep it)."""
    categories_admin.update(session, actor, code, body)
    return next(c for c in categories_service.list_categories(session) if c.code == code)


# ---- the office's settings ---------------------------------------------------------------------------

@router.get("/settings", response_model=OfficeSettingsOut)
def office_settings(session: SessionDep, _: AdminActor):
    """The office's settings in force: map (served to every app by GET /api/config), red/black list rules,
    and the years with a working calendar of the office's."""
    return config_admin.overview(session)


@router.put("/settings/map", response_model=OfficeSettingsOut, responses=WRITE)
def put_map(session: SessionDep, actor: AdminActor, body: MapSettings):
    """Set the map tiles (Leaflet URL templates) and their coordinate system; every app gets them from
    GET /api/config within seconds, without a restart."""
    config_admin.put_map(session, actor, body)
    return config_admin.overview(session)


@router.delete("/settings/map", response_model=OfficeSettingsOut, responses=WRITE)
def reset_map(session: SessionDep, actor: AdminActor):
    """Back to the environment's map (XUNCHA_MAP_…)."""
    config_admin.reset(session, actor, office.MAP)
    return config_admin.overview(session)


@router.put("/settings/rank-rules", response_model=OfficeSettingsOut, responses=WRITE)
def put_rank_rules(session: SessionDep, actor: AdminActor, body: RankRules):
    """Set the red/black list rules (红黑榜) that rankings and new bulletins use unless a request overrides them."""
    config_admin.put_rank_rules(session, actor, body)
    return config_admin.overview(session)


@router.delete("/settings/rank-rules", response_model=OfficeSettingsOut, responses=WRITE)
def reset_rank_rules(session: SessionDep, actor: AdminActor):
    """Back to the environment's rules (XUNCHA_STATS_…)."""
    config_admin.reset(session, actor, office.RANK_RULES)
    return config_admin.overview(session)


Year = Annotated[int, Path(ge=2000, le=2100)]


@router.get("/settings/calendar/{year}", response_model=CalendarYearOut)
def get_calendar(session: SessionDep, _: AdminActor, year: Year):
    """A year's working calendar in force (the office's, or the default's dates of that year)."""
    return config_admin.calendar(session, year)


@router.put("/settings/calendar/{year}", response_model=CalendarYearOut, responses=WRITE)
def put_calendar(session: SessionDep, actor: AdminActor, year: Year, body: CalendarYear):
    """Set a year's public holidays and make-up working days (调休); default deadlines of more than 24 h
    count working days by it from now on."""
    return config_admin.put_calendar(session, actor, year, body)


@router.delete("/settings/calendar/{year}", response_model=CalendarYearOut, responses=WRITE)
def delete_calendar(session: SessionDep, actor: AdminActor, year: Year):
    """Remove the office's calendar of a year: the default (calendar file, or Monday–Friday) applies again."""
    return config_admin.delete_calendar(session, actor, year)


# ---- grids -------------------------------------------------------------------------------------------

@router.get("/grids", response_model=list[GridAdmin])
def list_grids(session: SessionDep, _: AdminActor):
    """Every grid (active or not) with its polygon, unit and area in m²."""
    return units_grids.listing(session)


@router.post("/grids/import", response_model=list[GridAdmin], status_code=201, responses=WRITE)
def import_grids(session: SessionDep, actor: AdminActor, body: GridImport):
    """Import a GeoJSON FeatureCollection (≤ 500 features; properties: name, and unit_id or unit by name):
    all or nothing, 422 invalid_grids naming every bad feature."""
    return [units_grids.detail(session, g) for g in units_grids.import_features(session, actor, body)]


@router.get("/grids/check", response_model=GridCheck)
def check_grids(session: SessionDep, _: AdminActor):
    """Where active grids overlap (pairs, with the shared area in m²) and the gaps enclosed by them; 422
    too_many_grid_pairs when more than 20,000 pairs of active grids touch or overlap (grids heaped on others)."""
    return units_grids.check(session)


@router.patch("/grids/{grid_id}", response_model=GridAdmin, responses=WRITE)
def update_grid(session: SessionDep, actor: AdminActor, grid_id: DbId, body: GridPatch):
    """Rename, redraw (a valid GeoJSON polygon), assign to another unit, or switch a grid off or on."""
    return units_grids.detail(session, units_grids.update(session, actor, grid_id, body))

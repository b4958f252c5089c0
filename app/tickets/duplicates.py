"""Possible duplicates: open tickets of the same category within the configured radius (50 m)."""

import math
import uuid

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    Uuid,
    and_,
    bindparam,
    column,
    func,
    true,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.core.config import get_settings
from app.tickets import origins
from app.tickets.models import Ticket
from app.tickets.schemas import DuplicateCandidate
from app.tickets.workflow import OPEN_STATUSES
from app.users.models import User
from app.users.roles import Role

EARTH_RADIUS_M = 6_371_008.8
_OPEN_VALUES = [s.value for s in OPEN_STATUSES]
# The other ticket of a pair. Made once: an alias built per call memoizes its columns afresh each time,
# which was a tenth of a dispatcher's list request's CPU.
_other = aliased(Ticket, name="other")


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine) in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def _window(lat: float, radius: float) -> tuple[float, float]:
    """Half-sizes in degrees (lat, lng) of the square around a point that holds the circle."""
    return radius / 111_320, radius / (111_320 * max(math.cos(math.radians(lat)), 0.01))


# A ticket page names at most this many (the nearest); its count says how many there are. 1,500 reports
# heaped on one spot made a 209 KB page of them.
MAX_LISTED_DUPLICATES = 50


def possible_duplicates(session: Session, ticket: Ticket, visible: ColumnElement[bool] = true()
                        ) -> tuple[list[DuplicateCandidate], int]:
    """Open tickets of the same category within the configured radius that `visible` lets the viewer see: the
    nearest MAX_LISTED_DUPLICATES first, and how many there are."""
    radius = get_settings().duplicate_radius_m
    dlat, dlng = _window(ticket.lat, radius)
    rows = session.execute(
        select(Ticket.id, Ticket.lat, Ticket.lng).where(
            Ticket.id != ticket.id, Ticket.category_code == ticket.category_code,
            col(Ticket.status).in_(_OPEN_VALUES),
            Ticket.lat.between(ticket.lat - dlat, ticket.lat + dlat),
            Ticket.lng.between(ticket.lng - dlng, ticket.lng + dlng), visible,
        )
    ).all()  # plain rows: whole tickets as ORM objects cost a ticket page more than everything else on it
    near = sorted((d, tid) for tid, lat, lng in rows if (d := distance_m(ticket.lat, ticket.lng, lat, lng)) <= radius)
    listed = dict((tid, d) for d, tid in near[:MAX_LISTED_DUPLICATES])
    details = session.execute(select(Ticket.id, Ticket.case_number, Ticket.status, Ticket.description)
                              .where(col(Ticket.id).in_(list(listed)))).all() if listed else []
    out = [DuplicateCandidate(id=tid, case_number=case_number, status=status, description=description,
                              distance_m=round(listed[tid], 1)) for tid, case_number, status, description in details]
    return sorted(out, key=lambda c: (c.distance_m, c.case_number)), len(near)


# A list counts each ticket's possible duplicates up to this many (the value then means "this many or more";
# its ticket page counts them all). Counting all of them cost 4.5 s for a page of 200 among 1,500 reports heaped
# on one spot on SQLite (0.4 s on PostgreSQL): each ticket of the page was measured against every other one.
LIST_COUNT_CAP = 100


def duplicate_counts(session: Session, tickets: list[Ticket], viewer: User | None = None) -> dict[uuid.UUID, int]:
    """For a page of tickets, how many possible duplicates each open one has that `viewer` may see (None: all),
    at most LIST_COUNT_CAP (one query for the page, which counts in the database: it used to send every pair back
    to be measured here, ~40 % of a dispatcher's list request's CPU where tickets stand close together)."""
    open_ones = [t for t in tickets if t.status in OPEN_STATUSES]
    if not open_ones:
        return {}
    stmt, params = _counts(session, open_ones, viewer)
    return {tid: n for tid, n in session.execute(stmt, params).all() if n}


def counts_statement(session: Session, open_ones: list[Ticket]) -> Select:
    """(id, possible duplicates) of each ticket of a page: every open ticket of its category in the square
    around it that holds the duplicate radius, counted when within the radius. The values bound in, for EXPLAIN."""
    stmt, params = _counts(session, open_ones)
    return _pg_counts(params) if stmt is _PG_COUNTS else stmt.params(params)


def _hidden_from(viewer_id: BindParameter | int | None, other) -> list[ColumnElement[bool]]:
    """An inspector's duplicates leave out what the inspector may not see (access.visible_clause): a count or the
    has_duplicates filter told of a round's findings at sites not theirs before the round was published."""
    return [] if viewer_id is None else [~origins.hidden_from_inspector(viewer_id, other.id)]


def _inspector(viewer: User | None) -> bool:
    return viewer is not None and viewer.role == Role.inspector


def haversine_m(lat1, lng1, lat2, lng2) -> ColumnElement[float]:
    """distance_m in SQL: PostgreSQL's functions, SQLite's math functions (app/core/db.py supplies them to an
    SQLite built without)."""
    half_dp, half_dl = func.radians(lat2 - lat1) / 2, func.radians(lng2 - lng1) / 2
    a = (func.sin(half_dp) * func.sin(half_dp)
         + func.cos(func.radians(lat1)) * func.cos(func.radians(lat2)) * func.sin(half_dl) * func.sin(half_dl))
    return 2 * EARTH_RADIUS_M * func.asin(func.sqrt(a))


def _counts(session: Session, open_ones: list[Ticket], viewer: User | None = None) -> tuple[Select, dict]:
    radius = get_settings().duplicate_radius_m
    dlat, _ = _window(max(abs(t.lat) for t in open_ones), radius)
    dlng = max(_window(t.lat, radius)[1] for t in open_ones)
    params = {"page_ids": [t.id for t in open_ones], "dlat": dlat, "dlng": dlng, "radius": float(radius),
              "cap": LIST_COUNT_CAP}
    inspector = _inspector(viewer)
    if inspector:
        params["viewer_id"] = viewer.id
    if session.get_bind().dialect.name == "postgresql":
        return _PG_COUNTS_INSPECTOR if inspector else _PG_COUNTS, params | {
            "page_codes": [t.category_code for t in open_ones], "page_lats": [t.lat for t in open_ones],
            "page_lngs": [t.lng for t in open_ones]}
    return _COUNTS_INSPECTOR if inspector else _COUNTS, params


def _counts_statement(viewer_id: BindParameter | None = None) -> Select:
    """Each of the page's tickets with a count of the open ones of its category in the square around it (SQLite
    walks the location index per page ticket) within the radius, stopping at the cap: a correlated subquery
    with a LIMIT, counted. Built once: everything varies by parameter."""
    other = _other
    dlat, dlng = bindparam("dlat", type_=Float), bindparam("dlng", type_=Float)
    near = (select(other.id).where(
        other.category_code == Ticket.category_code, other.id != Ticket.id, col(other.status).in_(_OPEN_VALUES),
        other.lat.between(Ticket.lat - dlat, Ticket.lat + dlat),
        other.lng.between(Ticket.lng - dlng, Ticket.lng + dlng),
        haversine_m(Ticket.lat, Ticket.lng, other.lat, other.lng) <= bindparam("radius", type_=Float),
        *_hidden_from(viewer_id, other),
    ).correlate(Ticket).limit(bindparam("cap")).subquery("near"))
    count = select(func.count()).select_from(near).scalar_subquery()
    return select(Ticket.id, count).where(col(Ticket.id).in_(bindparam("page_ids", expanding=True)))


def _pg_counts(values: dict | None = None, inspector: bool = False) -> Select:
    """PostgreSQL: the page's tickets as constants, each probing its category's open tickets around it (LATERAL,
    fenced by its LIMIT, the cap, so the planner cannot flatten it). As a plain self-join, PostgreSQL with
    statistics older than the rows (autovacuum behind, or off) read every open ticket of the category for each
    one: 170-250 ms for a page of 20 among 900 tickets, 0.5 ms this way. Everything that varies is a bound
    parameter (the page as arrays unnested), so the statement is built once and compiled once: a VALUES list of
    the rows had no cache key and cost a compile, ~3 ms, on every list request; building it cost ~0.8 ms more."""
    other = _other
    values = values or {}

    def param(name: str, type_) -> BindParameter:
        return bindparam(name, values.get(name), type_=type_)

    page = func.unnest(
        param("page_ids", postgresql.ARRAY(Uuid)), param("page_codes", postgresql.ARRAY(String)),
        param("page_lats", postgresql.ARRAY(Float)), param("page_lngs", postgresql.ARRAY(Float)),
    ).table_valued(column("id", Uuid), column("category_code", String), column("lat", Float),
                   column("lng", Float)).render_derived(name="page")
    dlat, dlng = param("dlat", Float), param("dlng", Float)
    near = select(other.id).where(
        other.category_code == page.c.category_code, other.id != page.c.id, col(other.status).in_(_OPEN_VALUES),
        other.lat.between(page.c.lat - dlat, page.c.lat + dlat),
        other.lng.between(page.c.lng - dlng, page.c.lng + dlng),
        haversine_m(page.c.lat, page.c.lng, other.lat, other.lng) <= param("radius", Float),
        *_hidden_from(param("viewer_id", Integer) if inspector else None, other),
    ).limit(param("cap", Integer)).lateral("near")
    return (select(page.c.id, func.count(near.c.id)).select_from(page).join(near, true(), isouter=True)
            .group_by(page.c.id))


_COUNTS = _counts_statement()
_PG_COUNTS = _pg_counts()
_COUNTS_INSPECTOR = _counts_statement(bindparam("viewer_id", type_=Integer))
_PG_COUNTS_INSPECTOR = _pg_counts(inspector=True)


def has_duplicate_window(viewer: User | None = None) -> ColumnElement[bool]:
    """An open ticket with another open one of its category, that `viewer` may see, in the square around the
    duplicate radius (a superset: the exact distance is checked on the page, as for possible_duplicate_count)."""
    radius = get_settings().duplicate_radius_m
    dlat, dlng = _window(60.0, radius)  # the widest longitude window of any Chinese latitude
    other = _other
    # OFFSET 0 keeps this a probe per listed ticket (PostgreSQL does not turn an EXISTS with an OFFSET into a
    # join): as a semi-join it hashed every open ticket of a category on the category alone and compared the
    # windows pairwise, 1.1 s among 3,000 open tickets of one category, fresh statistics or not.
    return and_(col(Ticket.status).in_(_OPEN_VALUES), select(other.id).where(
        other.category_code == Ticket.category_code, other.id != Ticket.id, col(other.status).in_(_OPEN_VALUES),
        other.lat.between(Ticket.lat - dlat, Ticket.lat + dlat),
        other.lng.between(Ticket.lng - dlng, Ticket.lng + dlng),
        *_hidden_from(viewer.id if _inspector(viewer) else None, other),
    ).offset(0).exists())

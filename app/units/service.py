from shapely.geometry import Point, shape
from sqlmodel import Session, col, select

from app.units.models import Grid, Unit
from app.users.models import User
from app.users.roles import Role


def grid_from_geojson(name: str, unit_id: int, geometry: dict) -> Grid:
    """A grid row with its bounding box filled in from the polygon."""
    poly = shape(geometry)
    if poly.geom_type not in ("Polygon", "MultiPolygon") or not poly.is_valid:
        raise ValueError("grid geometry must be a valid GeoJSON Polygon")
    min_lng, min_lat, max_lng, max_lat = poly.bounds
    return Grid(name=name, unit_id=unit_id, geometry=geometry,
                min_lat=min_lat, min_lng=min_lng, max_lat=max_lat, max_lng=max_lng)


def grid_at(session: Session, lat: float, lng: float) -> Grid | None:
    """The grid containing the point (smallest one if grids overlap)."""
    candidates = session.exec(
        select(Grid).where(col(Grid.is_active).is_(True), Grid.min_lat <= lat, Grid.max_lat >= lat,
                           Grid.min_lng <= lng, Grid.max_lng >= lng)
    ).all()
    point = Point(lng, lat)
    hits = [(shape(g.geometry), g) for g in candidates]
    hits = [(poly.area, g) for poly, g in hits if poly.covers(point)]
    return min(hits, key=lambda h: h[0])[1] if hits else None


def list_units(session: Session) -> list[Unit]:
    return list(session.exec(select(Unit).order_by(Unit.id)).all())


def staffed_unit_ids(session: Session) -> set[int]:
    """The units with at least one active account."""
    return set(session.exec(select(User.unit_id).where(col(User.is_active).is_(True), User.role == Role.unit_staff,
                                                       col(User.unit_id).is_not(None)).distinct()).all())


def descendant_ids(session: Session, unit_id: int) -> set[int]:
    """A unit and all units below it."""
    children: dict[int | None, list[int]] = {}
    for u in session.exec(select(Unit)).all():
        children.setdefault(u.parent_id, []).append(u.id)
    out, stack = set(), [unit_id]
    while stack:
        uid = stack.pop()
        if uid not in out:
            out.add(uid)
            stack.extend(children.get(uid, []))
    return out

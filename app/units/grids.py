"""Administration of grids (网格): import a GeoJSON FeatureCollection (all or nothing, every bad feature
named), edit a polygon, assign a unit, switch a grid off, and check the active grids for overlaps and gaps.

Geometry is shapely's (already what routing uses): validity with the reason (explain_validity), an STRtree
to find the pairs whose boxes meet before the exact intersection, unary_union for the gaps. Areas are in
square metres on a local equirectangular projection around the grids' mean latitude: within a city (tens of
km) that is accurate to well under 1 %, enough to tell a sliver from a real overlap.
"""

import math

import shapely
from shapely import STRtree, unary_union
from shapely.errors import GEOSException
from shapely.geometry import Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.core.errors import Invalid, NotFound
from app.core.types import no_control_characters, single_line
from app.units.models import Grid, Unit
from app.units.schemas import GridAdmin, GridCheck, GridGap, GridImport, GridOverlap, GridPatch

MAX_VERTICES = 5000   # per grid: a street-level polygon has tens to hundreds
MIN_OVERLAP_M2 = 1.0  # shared edges digitised twice differ by centimetres: not an overlap worth showing
# Pairs of active grids whose boxes meet, each intersected exactly by the check: a city's tiling touches ~3 per
# grid (20,000 ≈ 6,000 grids); 370 grids heaped on each other made 68,000, 18 s and 140 MB of JSON.
MAX_CHECK_PAIRS = 20_000
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LNG_EQUATOR = 111_320.0


def _vertices(geom: BaseGeometry) -> int:
    polys = getattr(geom, "geoms", [geom])
    return sum(len(p.exterior.coords) + sum(len(r.coords) for r in p.interiors) for p in polys)


def polygon(geometry: object) -> BaseGeometry:
    """A valid Polygon or MultiPolygon in WGS-84 [lng, lat] from GeoJSON, else ValueError with the reason."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValueError("应为GeoJSON多边形（Polygon或MultiPolygon） "
                         "The geometry must be a GeoJSON Polygon or MultiPolygon")
    try:
        geom = shape(geometry)
    except (KeyError, ValueError, TypeError, AttributeError, IndexError, RecursionError, GEOSException) as exc:
        # GEOSException: a ring with a NaN vertex, which never closes; the others' words are shapely's arrays'
        raise ValueError("坐标无效：应为 [经度, 纬度] 组成的闭合环 "
                         "bad coordinates: closed rings of [lng, lat] expected") from exc
    if geom.is_empty or _vertices(geom) > MAX_VERTICES:
        raise ValueError(f"多边形为空或超过 {MAX_VERTICES} 个顶点 empty, or more than {MAX_VERTICES} vertices")
    min_lng, min_lat, max_lng, max_lat = geom.bounds
    if not (-180 <= min_lng <= max_lng <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ValueError("坐标超出经纬度范围（应为 [经度, 纬度]）coordinates out of range: [lng, lat] expected")
    if not geom.is_valid:
        raise ValueError(f"多边形无效 invalid polygon: {explain_validity(geom)}")
    if geom.area == 0:
        raise ValueError("多边形面积为零 the polygon has no area")
    return geom


def area_m2(geom: BaseGeometry, lat0: float | None = None) -> float:
    """Square metres on an equirectangular projection around lat0 (default: the geometry's centre)."""
    if geom.is_empty:
        return 0.0
    lat0 = geom.centroid.y if lat0 is None else lat0
    kx = M_PER_DEG_LNG_EQUATOR * math.cos(math.radians(lat0))
    return shapely.transform(geom, lambda xy: xy * (kx, M_PER_DEG_LAT)).area


def snapshot(grid: Grid) -> dict:
    return {"name": grid.name, "unit_id": grid.unit_id, "is_active": grid.is_active, "geometry": grid.geometry}


def _to_admin(grid: Grid, unit_name: str | None) -> GridAdmin:
    return GridAdmin(id=grid.id, name=grid.name, unit_id=grid.unit_id, unit_name=unit_name, geometry=grid.geometry,
                     is_active=grid.is_active, area_m2=round(area_m2(shape(grid.geometry)), 1))


def listing(session: Session) -> list[GridAdmin]:
    """Every grid with its polygon, unit and area."""
    rows = session.exec(select(Grid, Unit.name).join(Unit, col(Unit.id) == Grid.unit_id).order_by(Grid.id)).all()
    return [_to_admin(g, name) for g, name in rows]


def detail(session: Session, grid: Grid) -> GridAdmin:
    unit = session.get(Unit, grid.unit_id)
    return _to_admin(grid, unit.name if unit else None)


def _active_unit(session: Session, unit_id: int | None, unit_name: object) -> Unit:
    if unit_id is not None:
        # Only a plausible row id reaches the database: 2**63 overflows SQLite, 2**31 PostgreSQL's integer.
        plausible = isinstance(unit_id, int) and not isinstance(unit_id, bool) and 1 <= unit_id <= 2_147_483_647
        unit = session.get(Unit, unit_id) if plausible else None
    elif isinstance(unit_name, str) and unit_name.strip():
        unit = session.exec(select(Unit).where(Unit.name == no_control_characters(unit_name.strip()))).first()
    else:
        raise ValueError("缺少责任单位（properties.unit_id 或 unit）no unit: give properties.unit_id or unit")
    if unit is None:
        raise ValueError(f"责任单位不存在 unknown unit: {unit_id if unit_id is not None else unit_name}")
    if not unit.is_active:
        raise ValueError(f"责任单位已停用 the unit is deactivated: {unit.name}")
    return unit


def import_features(session: Session, actor: audit.Actor, body: GridImport) -> list[Grid]:
    """Create a grid from each feature ({name, unit_id | unit (a unit's name)}); one bad feature and none
    is created (422 invalid_grids, details: [{feature, message}] for every bad one)."""
    problems, grids = [], []
    for i, feature in enumerate(body.features):
        props = feature.get("properties") if isinstance(feature, dict) else None
        props = props if isinstance(props, dict) else {}
        try:
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                raise ValueError("应为GeoJSON要素（Feature） Not a GeoJSON Feature")
            name = props.get("name") or f"网格 {i + 1}"
            if not isinstance(name, str) or len(name.strip()) > 100:
                raise ValueError("名称应为不超过 100 字的文字 name must be text of at most 100 characters")
            single_line(name.strip())
            unit = _active_unit(session, props.get("unit_id"), props.get("unit"))
            geom = polygon(feature.get("geometry"))
        except ValueError as exc:
            problems.append({"feature": i, "message": str(exc)})
            continue
        grids.append(_grid(name.strip(), unit.id, feature["geometry"], geom))
    if problems:
        raise Invalid(f"{len(problems)} 个要素有误，未导入任何网格 {len(problems)} features are invalid: nothing "
                      "imported", code="invalid_grids", details=problems)
    for grid in grids:
        session.add(grid)
    session.flush()
    for grid in grids:
        audit.record(session, actor, "grid.import", "grid", grid.id, None, snapshot(grid))
    return grids


def _grid(name: str, unit_id: int, geometry: dict, geom: BaseGeometry) -> Grid:
    min_lng, min_lat, max_lng, max_lat = geom.bounds
    # Its type and rings only: any other member would be stored, audited and sent to every phone as given.
    geometry = {"type": geometry["type"], "coordinates": geometry["coordinates"]}
    return Grid(name=name, unit_id=unit_id, geometry=geometry, min_lat=min_lat, min_lng=min_lng, max_lat=max_lat,
                max_lng=max_lng)


def update(session: Session, actor: audit.Actor, grid_id: int, body: GridPatch) -> Grid:
    """Rename, redraw (a valid polygon), assign to an active unit, or switch a grid off/on."""
    grid = session.get(Grid, grid_id)
    if grid is None:
        raise NotFound("网格不存在 Grid not found")
    before = snapshot(grid)
    given = body.model_dump(exclude_unset=True)
    if "unit_id" in given and given["unit_id"] != grid.unit_id:
        try:
            grid.unit_id = _active_unit(session, given["unit_id"], None).id
        except ValueError as exc:
            raise Invalid(str(exc), code="unknown_unit") from None
    if "geometry" in given:
        try:
            geom = polygon(given["geometry"])
        except ValueError as exc:
            raise Invalid(str(exc), code="invalid_geometry") from None
        fresh = _grid(grid.name, grid.unit_id, given["geometry"], geom)
        grid.geometry = fresh.geometry
        grid.min_lat, grid.min_lng, grid.max_lat, grid.max_lng = fresh.min_lat, fresh.min_lng, fresh.max_lat, \
            fresh.max_lng
    if "name" in given:
        grid.name = given["name"]
    if "is_active" in given:
        if given["is_active"] and not session.get(Unit, grid.unit_id).is_active:
            raise Invalid("责任单位已停用 The grid's unit is deactivated", code="inactive_unit")
        grid.is_active = given["is_active"]
    after = snapshot(grid)
    if after != before:
        session.add(grid)
        session.flush()
        changed = {k for k in after if after[k] != before[k]}
        verb = "redraw" if changed == {"geometry"} else "assign" if changed == {"unit_id"} else "update"
        audit.record(session, actor, f"grid.{verb}", "grid", grid.id, before, after)
    return grid


def check(session: Session) -> GridCheck:
    """Pairwise overlaps of the active grids (with their area) and the gaps: holes inside their union that
    no grid covers (a report there is routed by category only)."""
    grids = list(session.exec(select(Grid).where(col(Grid.is_active).is_(True)).order_by(Grid.id)).all())
    shapes = [shape(g.geometry) for g in grids]
    if not shapes:
        return GridCheck(active_grids=0, overlaps=[], gaps=[])
    lat0 = sum(s.centroid.y for s in shapes) / len(shapes)
    tree = STRtree(shapes)
    left, right = tree.query(shapes, predicate="intersects")
    pairs = int((left < right).sum())
    if pairs > MAX_CHECK_PAIRS:
        raise Invalid(f"启用网格中有 {pairs} 对相互接触或重叠，超过可检查的 {MAX_CHECK_PAIRS} 对："
                      "请先停用或修正重叠的网格 "
                      f"{pairs} pairs of active grids touch or overlap, more than the {MAX_CHECK_PAIRS} a check "
                      "examines: switch off or redraw the overlapping grids first", code="too_many_grid_pairs")
    overlaps = []
    for i, j in zip(left, right, strict=True):
        if i >= j:
            continue
        common = shapes[i].intersection(shapes[j])
        area = area_m2(common, lat0)
        if area >= MIN_OVERLAP_M2:
            overlaps.append(GridOverlap(grid_ids=(grids[i].id, grids[j].id), names=(grids[i].name, grids[j].name),
                                        area_m2=round(area, 1), geometry=mapping(common)))
    union = unary_union(shapes)
    holes = [Polygon(ring) for p in getattr(union, "geoms", [union]) for ring in p.interiors]
    gaps = [GridGap(area_m2=round(area_m2(h, lat0), 1), geometry=mapping(h)) for h in holes
            if area_m2(h, lat0) >= MIN_OVERLAP_M2]
    overlaps.sort(key=lambda o: -o.area_m2)
    gaps.sort(key=lambda g: -g.area_m2)
    return GridCheck(active_grids=len(grids), overlaps=overlaps, gaps=gaps)

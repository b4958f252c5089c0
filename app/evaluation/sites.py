"""The site registry (测评点位): list, read, create, change, delete, and import a sheet or GeoJSON all or nothing."""

import re
from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.core.errors import Conflict, Invalid, NotFound
from app.core.types import no_control_characters, single_line, utcnow
from app.evaluation import access, defaults, imports
from app.evaluation.models import EvalRoundSite, EvalSite
from app.evaluation.schemas import ImportResult, SiteIn, SiteOut, SitePage, SitePatch
from app.units.models import Unit
from app.users.models import User


def out(site: EvalSite, unit_name: str) -> SiteOut:
    return SiteOut(id=site.id, code=site.code, name=site.name, site_type=site.site_type,
                   site_type_name=defaults.site_type_names().get(site.site_type, site.site_type),
                   site_type_name_en=defaults.site_type_names_en().get(site.site_type, ""),
                   lat=site.lat, lng=site.lng,
                   polygon=site.polygon, address=site.address, unit_id=site.unit_id, unit_name=unit_name,
                   contact_name=site.contact_name, contact_phone=site.contact_phone, active=site.active,
                   created_at=site.created_at, updated_at=site.updated_at)


def unit_names(session: Session) -> dict[int, str]:
    return dict(session.exec(select(Unit.id, Unit.name)).all())


def listing(session: Session, user: User, *, site_type: str | None, unit_id: int | None, active: bool | None,
            q: str | None, limit: int, offset: int) -> SitePage:
    """The sites the user may see, filtered, by name, one page at a time (with the total)."""
    stmt = select(EvalSite).where(access.site_clause(user))
    if site_type:
        stmt = stmt.where(EvalSite.site_type == site_type)
    if unit_id is not None:
        stmt = stmt.where(EvalSite.unit_id == unit_id)
    if active is not None:
        stmt = stmt.where(EvalSite.active == active)
    if q and q.strip():
        like = "%" + q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        columns = (EvalSite.name, EvalSite.address, EvalSite.code)
        stmt = stmt.where(or_(*(col(c).ilike(like, escape="\\") for c in columns)))
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(stmt.order_by(EvalSite.name, EvalSite.id).limit(limit).offset(offset)).all()
    names = unit_names(session)
    return SitePage(items=[out(s, names.get(s.unit_id, "")) for s in rows], total=total, limit=limit, offset=offset)


def get(session: Session, user: User, site_id: int) -> EvalSite:
    """A site the user may see; 404 otherwise (as if it did not exist)."""
    site = session.exec(select(EvalSite).where(EvalSite.id == site_id, access.site_clause(user))).first()
    if site is None:
        raise NotFound("测评点位不存在 Site not found")
    return site


def read(session: Session, site: EvalSite) -> SiteOut:
    unit = session.get(Unit, site.unit_id)
    return out(site, unit.name if unit else "")


def _check_fields(session: Session, site_type: str | None, unit_id: int | None, polygon: dict | None) -> None:
    if site_type is not None and site_type not in defaults.site_type_codes():
        raise Invalid(f"测评点位类型不存在：{site_type} Unknown site type: {site_type}", code="unknown_site_type")
    if unit_id is not None and session.get(Unit, unit_id) is None:
        raise Invalid("责任单位不存在 Unknown unit", code="unknown_unit")
    if polygon is not None:
        try:
            imports.polygon_centroid(polygon)
        except ValueError as exc:
            raise Invalid(f"多边形无效：{exc} Invalid polygon: {exc}", code="invalid_polygon") from exc


def _plain(polygon: dict | None) -> dict | None:
    """A checked polygon's type and rings only: any other member would be stored, audited and served as given."""
    return None if polygon is None else {"type": "Polygon", "coordinates": polygon["coordinates"]}


def _check_code(session: Session, code: str | None, site_id: int | None = None) -> None:
    if code is None:
        return
    other = session.exec(select(EvalSite.id).where(EvalSite.code == code)).first()
    if other is not None and other != site_id:
        raise Conflict(f"点位编号已存在：{code} Site code already used: {code}", code="duplicate_code")


def snapshot(site: EvalSite) -> dict:
    return {"code": site.code, "name": site.name, "site_type": site.site_type, "lat": site.lat, "lng": site.lng,
            "polygon": site.polygon, "address": site.address, "unit_id": site.unit_id,
            "contact_name": site.contact_name, "contact_phone": site.contact_phone, "active": site.active}


def create(session: Session, actor: audit.Actor, body: SiteIn) -> EvalSite:
    """A new site (409 duplicate_code when its 点位编号 is taken)."""
    _check_fields(session, body.site_type, body.unit_id, body.polygon)
    _check_code(session, body.code)
    site = EvalSite(**body.model_dump() | {"polygon": _plain(body.polygon)})
    session.add(site)
    session.flush()
    audit.record(session, actor, "site.create", "site", site.id, None, snapshot(site))
    return site


def update(session: Session, actor: audit.Actor, site: EvalSite, body: SitePatch) -> EvalSite:
    """Change the fields given."""
    changes = body.model_dump(exclude_unset=True)
    for required in ("name", "site_type", "lat", "lng", "unit_id", "address", "contact_name", "contact_phone",
                     "active"):
        if required in changes and changes[required] is None:
            raise Invalid(f"{required} 不能为空 {required} may not be null", code="validation_error")
    _check_fields(session, changes.get("site_type"), changes.get("unit_id"), changes.get("polygon"))
    if "code" in changes:
        _check_code(session, changes["code"], site.id)
    if changes.get("polygon") is not None:
        changes["polygon"] = _plain(changes["polygon"])
    before = snapshot(site)
    for key, value in changes.items():
        setattr(site, key, value)
    site.updated_at = utcnow()
    session.add(site)
    session.flush()
    after = snapshot(site)
    if after != before:
        verb = "deactivate" if before["active"] and not after["active"] else \
            "reactivate" if after["active"] and not before["active"] else "update"
        audit.record(session, actor, f"site.{verb}", "site", site.id, before, after)
    return site


def delete(session: Session, actor: audit.Actor, site: EvalSite) -> None:
    """Delete a site no round has used; one that a round used is deactivated instead (409 site_in_use)."""
    if session.exec(select(EvalRoundSite.id).where(EvalRoundSite.site_id == site.id)).first() is not None:
        raise Conflict("点位已用于测评任务，请改为停用 The site is in a round; deactivate it instead",
                       code="site_in_use")
    audit.record(session, actor, "site.delete", "site", site.id, snapshot(site), None)
    session.delete(site)
    session.flush()


# ---- import ----------------------------------------------------------------------------------------------

@dataclass
class _Valid:
    row: int
    fields: dict


def _type_lookup() -> dict[str, str]:
    """A site type by its code, its Chinese name, or its Chinese name without the bracketed part."""
    lookup = {}
    for t in defaults.site_types():
        for key in (t["code"], t["zh"], t["zh"].split("（")[0], t["en"]):
            lookup[key.strip().lower()] = t["code"]
    return lookup


_ONE_LINE = {"code", "name", "contact_name", "contact_phone"}
_COLUMNS = {field: header for header, field in reversed(imports.HEADERS.items())}  # each field's first header


def import_rows(session: Session, actor: audit.Actor, rows: list[imports.RawRow], filename: str = "") -> ImportResult:
    """Create or update (same 点位编号) a site per row, all or nothing: any row in error → 422 import_failed
    with every error as {row, column, message}, and nothing written."""
    types = _type_lookup()
    units = {name: uid for uid, name in unit_names(session).items()}
    errors: list[dict] = []
    valid: list[_Valid] = []
    seen_codes: dict[str, int] = {}

    def err(row: int, column: str | None, message: str) -> None:
        errors.append({"row": row, "column": column, "message": message})

    for raw in rows:
        v = raw.values
        before = len(errors)
        # A cell of a sheet or a GeoJSON property may hold NUL or an unpaired surrogate, which no database stores;
        # the names are one line (as the API's SiteIn has them).
        for key, value in v.items():
            try:
                (single_line if key in _ONE_LINE else no_control_characters)(value)
            except ValueError as exc:
                err(raw.row, _COLUMNS.get(key, key), str(exc))
        code = v.get("code") or None
        if code and len(code) > 64:
            err(raw.row, "点位编号", "点位编号过长（最多 64 字） code longer than 64")
        elif code in seen_codes:
            err(raw.row, "点位编号", f"与第 {seen_codes[code]} 行重复 same code as row {seen_codes[code]}")
        elif code:
            seen_codes[code] = raw.row
        name = v.get("name") or ""
        if not name:
            err(raw.row, "名称", "名称必填 name is required")
        elif len(name) > 100:
            err(raw.row, "名称", "名称过长（最多 100 字） name longer than 100")
        site_type = types.get((v.get("site_type") or "").strip().lower())
        if site_type is None:
            err(raw.row, "类型", f"未知的点位类型 unknown site type: {v.get('site_type') or '（空）'}")
        unit_id = units.get(v.get("unit") or "")
        if unit_id is None:
            err(raw.row, "责任单位", f"未知的责任单位 unknown unit: {v.get('unit') or '（空）'}")
        lat, lng = raw.lat, raw.lng
        if raw.geometry_error:
            err(raw.row, "geometry", raw.geometry_error)
        elif raw.polygon is None:
            lat = _number(v.get("lat"), -90, 90, raw.row, "纬度", err)
            lng = _number(v.get("lng"), -180, 180, raw.row, "经度", err)
        for key, column, limit in (("address", "地址", 200), ("contact_name", "联系人", 64),
                                   ("contact_phone", "电话", 32)):
            if len(v.get(key) or "") > limit:
                err(raw.row, column, f"内容过长（最多 {limit} 字） longer than {limit}")
        if len(errors) == before:
            valid.append(_Valid(raw.row, {
                "code": code, "name": name, "site_type": site_type, "lat": lat, "lng": lng, "polygon": raw.polygon,
                "address": v.get("address") or "", "unit_id": unit_id, "contact_name": v.get("contact_name") or "",
                "contact_phone": v.get("contact_phone") or ""}))
    if errors:
        raise Invalid(f"导入失败：{len(errors)} 处错误，未导入任何点位 "
                      f"Import failed: {len(errors)} errors, nothing imported", code="import_failed", details=errors)
    codes = [r.fields["code"] for r in valid if r.fields["code"]]
    existing = {s.code: s for s in session.exec(select(EvalSite).where(col(EvalSite.code).in_(codes))).all()} \
        if codes else {}
    created = updated = 0
    now = utcnow()
    for r in valid:
        site = existing.get(r.fields["code"]) if r.fields["code"] else None
        if site is None:
            session.add(EvalSite(**r.fields, created_at=now, updated_at=now))
            created += 1
        else:
            for key, value in r.fields.items():
                setattr(site, key, value)
            site.updated_at = now
            session.add(site)
            updated += 1
    session.flush()
    audit.record(session, actor, "site.import", "site", "import", None,
                 {"file": filename[:200], "created": created, "updated": updated,
                  "codes": [c for c in codes[:200]]})
    return ImportResult(created=created, updated=updated, total=created + updated)


# A number in a sheet is plain ASCII decimal: float() would also take 1_0, 1e3, nan, infinity and other scripts'
# digits (١٢, full-width １２), which a person did not mean as this number or a reader of the sheet misreads.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def _number(value: str | None, low: float, high: float, row: int, column: str, err) -> float | None:
    text = value or ""
    if not _DECIMAL.fullmatch(text):
        if any(ch.isdigit() and not ch.isascii() for ch in text):
            err(row, column, f"须为半角数字 0-9（全角或其他文字的数字不予转换） must use ASCII digits 0-9 "
                             f"(full-width or other scripts' digits are not converted): {text}")
        else:
            err(row, column, f"须为数字（如 120.15） must be a plain decimal number such as 120.15: {text or '（空）'}")
        return None
    number = float(text)
    if not low <= number <= high:
        err(row, column, f"须在 {low:g} 到 {high:g} 之间 must lie between {low:g} and {high:g}")
        return None
    return number


def import_file(session: Session, actor: audit.Actor, filename: str, data: bytes) -> ImportResult:
    """Import a CSV/XLSX sheet or a GeoJSON file (by its extension): the API endpoint and the CLI call this."""
    return import_rows(session, actor, imports.parse(filename, data), filename)

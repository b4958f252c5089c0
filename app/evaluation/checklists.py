"""Versioned checklists (测评细则): seeded from the taxonomy, read, and edited by adding a version."""

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.categories.models import Category
from app.core.errors import Conflict, Invalid, NotFound
from app.core.types import utcnow
from app.evaluation import defaults
from app.evaluation.models import EvalChecklist, EvalChecklistItem
from app.evaluation.schemas import (
    ChecklistIn,
    ChecklistItemOut,
    ChecklistOut,
    ChecklistSummary,
    DeductionRule,
    SiteTypeOut,
    points,
    tenths,
)
from app.users.models import User


def check_site_type(site_type: str) -> dict:
    """The taxonomy's site type with this code; 404 otherwise."""
    for t in defaults.site_types():
        if t["code"] == site_type:
            return t
    raise NotFound(f"测评点位类型不存在：{site_type} Unknown site type: {site_type}", code="unknown_site_type")


def seed(session: Session) -> int:
    """Version 1 of every site type that has no checklist yet, from the taxonomy; the number created.
    Idempotent: a type that has any version is left alone."""
    have = set(session.exec(select(EvalChecklist.site_type).distinct()).all())
    created = 0
    for site_type in defaults.site_types():
        if site_type["code"] in have:
            continue
        checklist = EvalChecklist(site_type=site_type["code"], version=1)
        session.add(checklist)
        session.flush()
        for item in defaults.default_items(site_type):
            session.add(EvalChecklistItem(checklist_id=checklist.id, **item.__dict__))
        created += 1
    session.flush()
    return created


def current(session: Session) -> dict[str, EvalChecklist]:
    """The latest version of each site type's checklist."""
    latest = (select(EvalChecklist.site_type, func.max(EvalChecklist.version).label("version"))
              .group_by(EvalChecklist.site_type).subquery())
    rows = session.exec(select(EvalChecklist).join(
        latest, (EvalChecklist.site_type == latest.c.site_type) & (EvalChecklist.version == latest.c.version))).all()
    return {c.site_type: c for c in rows}


def _totals(session: Session, ids: list[int]) -> dict[int, tuple[int, int]]:
    rows = session.exec(select(EvalChecklistItem.checklist_id, func.count(), func.sum(EvalChecklistItem.points_tenths))
                        .where(col(EvalChecklistItem.checklist_id).in_(ids))
                        .group_by(EvalChecklistItem.checklist_id)).all()
    return {cid: (n, int(total or 0)) for cid, n, total in rows}


def _summary(c: EvalChecklist, count: int, total: int) -> ChecklistSummary:
    return ChecklistSummary(id=c.id, site_type=c.site_type, version=c.version, created_at=c.created_at,
                            created_by=c.created_by, item_count=count, total_points=points(total),
                            total_points_tenths=total)


def site_types(session: Session) -> list[SiteTypeOut]:
    """The taxonomy's site types, each with its current checklist's summary."""
    latest = current(session)
    totals = _totals(session, [c.id for c in latest.values()])
    out = []
    for t in defaults.site_types():
        c = latest.get(t["code"])
        out.append(SiteTypeOut(code=t["code"], zh=t["zh"], en=t["en"],
                               checklist=_summary(c, *totals.get(c.id, (0, 0))) if c else None))
    return out


def versions(session: Session, site_type: str) -> list[ChecklistSummary]:
    """Every version of a site type's checklist, newest first."""
    check_site_type(site_type)
    rows = session.exec(select(EvalChecklist).where(EvalChecklist.site_type == site_type)
                        .order_by(col(EvalChecklist.version).desc())).all()
    totals = _totals(session, [c.id for c in rows])
    return [_summary(c, *totals.get(c.id, (0, 0))) for c in rows]


def items(session: Session, checklist_id: int) -> list[EvalChecklistItem]:
    return list(session.exec(select(EvalChecklistItem).where(EvalChecklistItem.checklist_id == checklist_id)
                             .order_by(EvalChecklistItem.position)).all())


def item_out(i: EvalChecklistItem) -> ChecklistItemOut:
    return ChecklistItemOut(id=i.id, code=i.code, position=i.position, text_zh=i.text_zh, text_en=i.text_en,
                            dimension=i.dimension, dimension_en=defaults.dimension_en(i.dimension),
                            points=points(i.points_tenths), points_tenths=i.points_tenths,
                            rule=DeductionRule(i.rule), deduction=points(i.deduction_tenths),
                            deduction_tenths=i.deduction_tenths, photos_required=i.photos_required,
                            category_code=i.category_code)


def out(session: Session, c: EvalChecklist) -> ChecklistOut:
    rows = items(session, c.id)
    total = sum(i.points_tenths for i in rows)
    return ChecklistOut(**_summary(c, len(rows), total).model_dump(), items=[item_out(i) for i in rows])


def get(session: Session, checklist_id: int) -> EvalChecklist:
    c = session.get(EvalChecklist, checklist_id)
    if c is None:
        raise NotFound("测评细则不存在 Checklist not found")
    return c


def get_version(session: Session, site_type: str, version: int) -> EvalChecklist:
    check_site_type(site_type)
    c = session.exec(select(EvalChecklist).where(EvalChecklist.site_type == site_type,
                                                 EvalChecklist.version == version)).first()
    if c is None:
        raise NotFound("测评细则版本不存在 Checklist version not found")
    return c


def validate(session: Session, body: ChecklistIn) -> list[dict]:
    """Every problem of a new version, as {index, field, message}: codes unique, deduction ≤ points, a
    per-occurrence item has a deduction, the category exists and is a subcategory (what a ticket takes)."""
    problems = []
    seen: set[str] = set()
    leaves = set(session.exec(select(Category.code).where(col(Category.parent_code).is_not(None))).all())
    for i, item in enumerate(body.items):
        if item.code.upper() in seen:
            problems.append({"index": i, "field": "code", "message": f"编号重复 duplicate code {item.code}"})
        seen.add(item.code.upper())
        if item.rule == DeductionRule.per_occurrence and item.deduction is None:
            problems.append({"index": i, "field": "deduction",
                             "message": "按次扣分须给出每次扣分 per_occurrence needs a deduction"})
        if item.deduction is not None and item.deduction > item.points:
            problems.append({"index": i, "field": "deduction",
                             "message": "每次扣分不能超过分值 deduction must not exceed the item's points"})
        if item.category_code not in leaves:
            problems.append({"index": i, "field": "category_code",
                             "message": f"问题类别不存在（须为小类） unknown subcategory {item.category_code}"})
    return problems


def create_version(session: Session, user: User, site_type: str, body: ChecklistIn,
                   actor: audit.Actor | None = None) -> EvalChecklist:
    """A new version of a site type's checklist (the next number); 422 invalid_checklist lists every problem.
    The total need not be 100; it is reported with the version."""
    check_site_type(site_type)
    problems = validate(session, body)
    if problems:
        raise Invalid("测评细则有误 The checklist has errors", code="invalid_checklist", details=problems)
    last = session.exec(select(func.max(EvalChecklist.version)).where(EvalChecklist.site_type == site_type)).one()
    checklist = EvalChecklist(site_type=site_type, version=(last or 0) + 1, created_by=user.id, created_at=utcnow())
    session.add(checklist)
    try:
        session.flush()
    except IntegrityError as exc:  # another edit took this version number first
        raise Conflict("测评细则已被他人修改，请刷新 The checklist was changed meanwhile; reload",
                       code="checklist_changed") from exc
    for position, item in enumerate(body.items, start=1):
        p = tenths(item.points)
        all_or_nothing = item.rule == DeductionRule.all_or_nothing
        session.add(EvalChecklistItem(
            checklist_id=checklist.id, code=item.code, position=position, text_zh=item.text_zh.strip(),
            text_en=item.text_en.strip(), dimension=item.dimension.strip(), points_tenths=p, rule=item.rule.value,
            deduction_tenths=p if all_or_nothing else tenths(item.deduction), photos_required=item.photos_required,
            category_code=item.category_code))
    session.flush()
    audit.record(session, actor or audit.Actor.of(user), "checklist.create", "checklist", checklist.id, None,
                 {"site_type": site_type, "version": checklist.version,
                  "items": [{"code": i.code, "text_zh": i.text_zh.strip(), "points": str(i.points)}
                            for i in body.items]})
    return checklist

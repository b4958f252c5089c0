"""Administration of the problem categories: deadline hours, default unit, enabled or not (audited)."""

from sqlmodel import Session

from app.audit import service as audit
from app.categories.models import Category
from app.categories.schemas import CategoryPatch
from app.core.errors import Invalid, NotFound
from app.units.models import Unit


def snapshot(category: Category) -> dict:
    return {"default_deadline_hours": category.default_deadline_hours, "default_unit_id": category.default_unit_id,
            "enabled": category.enabled}


def update(session: Session, actor: audit.Actor, code: str, body: CategoryPatch) -> Category:
    """Change a category's deadline hours (null: the configured default), default unit (null: none) or whether
    it may be chosen for new reports; only the fields given."""
    category = session.get(Category, code)
    if category is None:
        raise NotFound("问题类别不存在 Category not found")
    before = snapshot(category)
    given = body.model_dump(exclude_unset=True)
    if "default_unit_id" in given and given["default_unit_id"] is not None:
        unit = session.get(Unit, given["default_unit_id"])
        if unit is None:
            raise Invalid("责任单位不存在 Unknown unit", code="unknown_unit")
        if not unit.is_active and given["default_unit_id"] != category.default_unit_id:
            raise Invalid("责任单位已停用 The unit is deactivated", code="inactive_unit")
    for field, value in given.items():
        setattr(category, field, value)
    after = snapshot(category)
    if after != before:
        session.add(category)
        session.flush()
        audit.record(session, actor, "category.update", "category", code, before, after)
    return category

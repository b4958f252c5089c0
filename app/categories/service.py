import json
from pathlib import Path

from sqlmodel import Session, select

from app.audit.models import AuditLog
from app.categories.models import Category
from app.categories.schemas import CategoryPublic
from app.core.config import get_settings


def deadline_hours(category: Category) -> int:
    """A category's default deadline; a null in the taxonomy falls back to the configured default."""
    return category.default_deadline_hours or get_settings().default_deadline_hours


def sync_taxonomy(session: Session, path: Path | None = None) -> int:
    """Upsert the two-level taxonomy from JSON; returns the count. What the office set locally stays: default
    units, enabled, and the deadline hours of a category an admin changed (it has an audit row)."""
    data = json.loads((path or get_settings().taxonomy_path).read_text(encoding="utf-8"))
    existing = {c.code: c for c in session.exec(select(Category)).all()}
    edited = set(session.exec(select(AuditLog.entity_id).where(AuditLog.entity_type == "category")
                              .distinct()).all())
    count = 0
    for i, cls in enumerate(data["categories"]):
        rows = [(cls, None, i * 1000)] + [(ch, cls["code"], i * 1000 + j + 1) for j, ch in enumerate(cls["children"])]
        for item, parent, order in rows:
            cat = existing.get(item["code"]) or Category(code=item["code"], name_zh="", name_en="")
            cat.parent_code = parent
            cat.name_zh = item["zh"]
            cat.name_en = item["en"]
            if item["code"] not in edited:
                cat.default_deadline_hours = item.get("default_deadline_hours")
            cat.sort_order = order
            session.add(cat)
            count += 1
        session.flush()
    return count


def list_categories(session: Session) -> list[CategoryPublic]:
    cats = session.exec(select(Category).order_by(Category.sort_order)).all()
    return [
        CategoryPublic(code=c.code, parent_code=c.parent_code, name_zh=c.name_zh, name_en=c.name_en,
                       default_deadline_hours=deadline_hours(c), default_unit_id=c.default_unit_id,
                       enabled=c.enabled)
        for c in cats
    ]

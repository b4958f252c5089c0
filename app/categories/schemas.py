from pydantic import BaseModel


class CategoryPublic(BaseModel):
    code: str
    parent_code: str | None
    name_zh: str
    name_en: str
    default_deadline_hours: int  # resolved: the configured default where the taxonomy has none
    default_unit_id: int | None = None

from sqlmodel import Field, SQLModel


class Category(SQLModel, table=True):
    """Two-level problem taxonomy (大类/小类) with GB/T-style codes."""

    __tablename__ = "categories"

    code: str = Field(primary_key=True, max_length=16)
    parent_code: str | None = Field(default=None, foreign_key="categories.code", index=True)
    name_zh: str = Field(max_length=100)
    name_en: str = Field(max_length=200)
    # Null: no source for this category; the configured default applies.
    default_deadline_hours: int | None = None
    default_unit_id: int | None = Field(default=None, foreign_key="units.id")
    sort_order: int = 0
    enabled: bool = True  # a disabled category cannot be chosen for a new report; existing tickets keep it

"""Evaluation tables: sites, versioned checklists with their items, rounds, the sites of a round and who
inspects them. Points are integers in tenths of a point everywhere (`points_tenths`), so sums are exact."""

import uuid
from datetime import datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class EvalSite(SQLModel, table=True):
    """A 测评点位: a place evaluated against its site type's checklist, with a responsible (包保) unit."""

    __tablename__ = "eval_sites"
    __table_args__ = (Index("ix_eval_sites_type_active", "site_type", "active"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str | None = Field(default=None, max_length=64, unique=True)  # 点位编号: the key re-imports match on
    name: str = Field(max_length=100)
    site_type: str = Field(max_length=40)  # a taxonomy site type code, e.g. farmers_market
    lat: float  # WGS-84; for a polygon its centroid
    lng: float
    polygon: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))  # GeoJSON Polygon
    address: str = Field(default="", max_length=200)
    unit_id: int = Field(foreign_key="units.id", index=True)
    contact_name: str = Field(default="", max_length=64)
    contact_phone: str = Field(default="", max_length=32)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class EvalChecklist(SQLModel, table=True):
    """One version of a site type's 测评细则; an edit is a new version, older ones stay as rounds used them."""

    __tablename__ = "eval_checklists"
    __table_args__ = (UniqueConstraint("site_type", "version", name="uq_eval_checklists_type_version"),)

    id: int | None = Field(default=None, primary_key=True)
    site_type: str = Field(max_length=40)
    version: int
    created_by: int | None = Field(default=None, foreign_key="users.id")  # None: seeded from the taxonomy
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class EvalChecklistItem(SQLModel, table=True):
    """One standard of a checklist version: what is checked, how many points it carries and how they are lost."""

    __tablename__ = "eval_checklist_items"
    __table_args__ = (UniqueConstraint("checklist_id", "code", name="uq_eval_checklist_items_code"),)

    id: int | None = Field(default=None, primary_key=True)
    checklist_id: int = Field(foreign_key="eval_checklists.id", index=True)
    code: str = Field(max_length=16)
    position: int
    text_zh: str = Field(max_length=500)
    text_en: str = Field(default="", max_length=500)
    dimension: str = Field(max_length=32)
    points_tenths: int
    rule: str = Field(max_length=16)  # per_occurrence | all_or_nothing
    deduction_tenths: int  # per occurrence; all_or_nothing: equals points_tenths
    photos_required: int = 1
    category_code: str = Field(foreign_key="categories.code", max_length=16)


class EvalRound(SQLModel, table=True):
    """A 督查任务 / 模拟测评: a sample of sites evaluated unannounced within a window, published when done."""

    __tablename__ = "eval_rounds"
    __table_args__ = (Index("ix_eval_rounds_created_at_id", "created_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ends_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    state: str = Field(default="draft", max_length=16)  # draft | active | closed | published
    seed: int | None = None  # the random draw's seed (None: the sites were chosen)
    draw: dict = Field(sa_column=Column(JSON, nullable=False))  # how the sites were drawn, to reproduce it
    followup_of: int | None = Field(default=None, foreign_key="eval_rounds.id", index=True)  # 回头看 of
    dispatch_on_publish: bool = False
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    published_by: int | None = Field(default=None, foreign_key="users.id")
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class EvalRoundSite(SQLModel, table=True):
    """A site in a round, with the checklist version current for its type when the round was created."""

    __tablename__ = "eval_round_sites"
    __table_args__ = (UniqueConstraint("round_id", "site_id", name="uq_eval_round_sites_round_site"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="eval_rounds.id")
    site_id: int = Field(foreign_key="eval_sites.id", index=True)
    checklist_id: int = Field(foreign_key="eval_checklists.id", index=True)
    # The unit the site's results count for once the round is published (its site's unit then); until then
    # None: the site's unit as it is. A site handed to another unit later does not rewrite a published round.
    unit_id: int | None = Field(default=None, foreign_key="units.id")


class EvalAssignment(SQLModel, table=True):
    """An inspector assigned to a site of a round."""

    __tablename__ = "eval_assignments"
    __table_args__ = (UniqueConstraint("round_site_id", "user_id", name="uq_eval_assignments_site_user"),)

    id: int | None = Field(default=None, primary_key=True)
    round_site_id: int = Field(foreign_key="eval_round_sites.id")
    user_id: int = Field(foreign_key="users.id", index=True)


class EvalResult(SQLModel, table=True):
    """What an inspector recorded at a round's site: every item answered, or 无法调查 with a reason. Its id is
    the phone's UUID, so a resend from the outbox is answered as the first submission."""

    __tablename__ = "eval_results"

    id: uuid.UUID = Field(primary_key=True)
    round_site_id: int = Field(foreign_key="eval_round_sites.id", unique=True)  # one result per site and round
    inspector_id: int = Field(foreign_key="users.id", index=True)
    status: str = Field(max_length=16)  # evaluated | unable
    unable_reason: str | None = Field(default=None, max_length=200)
    # Where the phone was at check-in, and how far that is from the site (a warning, never a block).
    lat: float | None = None
    lng: float | None = None
    accuracy_m: float | None = None
    distance_m: float | None = None
    request_hash: str = Field(max_length=64)
    submitted_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class EvalAnswer(SQLModel, table=True):
    """One checklist item at one site: 达标 (pass), 不达标 (fail, with occurrences and its finding ticket) or
    不适用 (na)."""

    __tablename__ = "eval_answers"
    __table_args__ = (UniqueConstraint("result_id", "item_id", name="uq_eval_answers_result_item"),)

    id: int | None = Field(default=None, primary_key=True)
    result_id: uuid.UUID = Field(foreign_key="eval_results.id", index=True)
    item_id: int = Field(foreign_key="eval_checklist_items.id")
    verdict: str = Field(max_length=8)
    occurrences: int | None = None
    note: str | None = Field(default=None, max_length=500)
    ticket_id: uuid.UUID | None = Field(default=None, foreign_key="tickets.id", index=True)  # the finding

"""Evaluation API shapes. Points travel as `points` (a number with at most one decimal) beside the exact
`points_tenths` the database keeps."""

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.core.types import ClientDateTime, DbId, SingleLine, UserText

Points = Annotated[Decimal, Field(gt=0, le=1000, max_digits=5, decimal_places=1,
                                  description="分值: a positive number of points, at most one decimal")]


class DeductionRule(StrEnum):
    per_occurrence = "per_occurrence"  # each occurrence loses `deduction`, capped at the item's points
    all_or_nothing = "all_or_nothing"  # a failure loses all of the item's points


class RoundState(StrEnum):
    draft = "draft"
    active = "active"
    closed = "closed"
    published = "published"


def tenths(value: Decimal) -> int:
    return int(value * 10)


def points(value_tenths: int) -> float:
    return value_tenths / 10


# ---- checklists ------------------------------------------------------------------------------------------

class ChecklistItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    text_zh: Annotated[SingleLine, Field(min_length=1, max_length=500)]
    text_en: Annotated[SingleLine, Field(max_length=500)] = ""
    dimension: Annotated[SingleLine, Field(min_length=1, max_length=32)]
    points: Points
    rule: DeductionRule
    deduction: Points | None = Field(None, description="per occurrence; all_or_nothing: the item's points")
    photos_required: int = Field(1, ge=0, le=10)
    category_code: str = Field(min_length=1, max_length=16)


class ChecklistIn(BaseModel):
    """A new version of a site type's checklist: the complete list of its items, in order."""

    model_config = ConfigDict(extra="forbid")
    items: list[ChecklistItemIn] = Field(min_length=1, max_length=200)


class ChecklistItemOut(BaseModel):
    id: int
    code: str
    position: int
    text_zh: str
    text_en: str
    dimension: str
    dimension_en: str = Field("", description="the dimension's English name; empty for one the office named itself")
    points: float
    points_tenths: int
    rule: DeductionRule
    deduction: float
    deduction_tenths: int
    photos_required: int
    category_code: str


class ChecklistSummary(BaseModel):
    id: int
    site_type: str
    version: int
    created_at: datetime
    created_by: int | None
    item_count: int
    total_points: float = Field(description="Σ item points (a seeded checklist totals 100)")
    total_points_tenths: int


class ChecklistOut(ChecklistSummary):
    items: list[ChecklistItemOut]


class SiteTypeOut(BaseModel):
    code: str
    zh: str
    en: str
    checklist: ChecklistSummary | None = Field(description="the current (latest) version")


# ---- sites -----------------------------------------------------------------------------------------------

class SiteBase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Annotated[SingleLine, Field(min_length=1, max_length=64)] | None = Field(
        None, description="点位编号: an external key; re-importing it updates the site")
    name: Annotated[SingleLine, Field(min_length=1, max_length=100)]
    site_type: str = Field(min_length=1, max_length=40)
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    polygon: dict | None = Field(None, description="GeoJSON Polygon (WGS-84 [lng, lat]); lat/lng its centroid")
    address: Annotated[UserText, Field(max_length=200)] = ""
    unit_id: DbId
    contact_name: Annotated[SingleLine, Field(max_length=64)] = ""
    contact_phone: Annotated[SingleLine, Field(max_length=32)] = ""
    active: bool = True


class SiteIn(SiteBase):
    """A new site."""


class SitePatch(BaseModel):
    """Fields to change; those left out stay."""

    model_config = ConfigDict(extra="forbid")
    code: Annotated[SingleLine, Field(min_length=1, max_length=64)] | None = None
    name: Annotated[SingleLine, Field(min_length=1, max_length=100)] | None = None
    site_type: str | None = Field(None, min_length=1, max_length=40)
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    polygon: dict | None = None
    address: Annotated[UserText, Field(max_length=200)] | None = None
    unit_id: DbId | None = None
    contact_name: Annotated[SingleLine, Field(max_length=64)] | None = None
    contact_phone: Annotated[SingleLine, Field(max_length=32)] | None = None
    active: bool | None = None


class SiteOut(BaseModel):
    id: int
    code: str | None
    name: str
    site_type: str
    site_type_name: str = Field(description="the site type's Chinese name (for readers without the site types list, "
                                            "e.g. unit staff)")
    site_type_name_en: str = Field("", description="the site type's English name (empty where there is none)")
    lat: float
    lng: float
    polygon: dict | None
    address: str
    unit_id: int
    unit_name: str
    contact_name: str
    contact_phone: str
    active: bool
    created_at: datetime
    updated_at: datetime


class SitePage(BaseModel):
    items: list[SiteOut]
    total: int
    limit: int
    offset: int


class ImportRowError(BaseModel):
    row: int = Field(description="the sheet's row number (the header is row 1) or the feature's number (from 1)")
    column: str | None = Field(description="the column header or property, when one is at fault")
    message: str


class ImportResult(BaseModel):
    created: int
    updated: int
    total: int


# ---- rounds ----------------------------------------------------------------------------------------------

class RoundIn(BaseModel):
    """A new round: its sites drawn at random (`counts` per site type, reproducible from `seed`) or chosen
    (`site_ids`), and optionally inspectors dealt over its sites in turn."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[SingleLine, Field(min_length=1, max_length=100)]
    starts_at: ClientDateTime
    ends_at: ClientDateTime
    counts: dict[str, Annotated[int, Field(ge=0, le=10_000)]] | None = Field(
        None, description="random draw: how many active sites of each site type")
    seed: int | None = Field(None, ge=0, le=2_147_483_647, description="the draw's seed; default a random one")
    site_ids: list[DbId] | None = Field(None, max_length=10_000, description="chosen sites instead of a draw")
    inspector_ids: list[DbId] = Field(default_factory=list, max_length=500,
                                      description="inspectors dealt over the sites in turn (one per site)")
    dispatch_on_publish: bool = False

    @model_validator(mode="after")
    def _one_way(self):
        if (self.counts is None) == (self.site_ids is None):
            raise ValueError("give either counts (a random draw) or site_ids (chosen sites)")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class FollowupIn(BaseModel):
    """A 回头看 round: the earlier round's sites again, by default with the same inspectors."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[SingleLine, Field(min_length=1, max_length=100)] | None = None
    starts_at: ClientDateTime
    ends_at: ClientDateTime
    copy_assignments: bool = True

    @model_validator(mode="after")
    def _window(self):
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class AssignmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    round_site_id: DbId
    user_ids: list[DbId] = Field(max_length=20, description="the inspectors of this site (replacing any)")


class AssignmentsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assignments: list[AssignmentIn] = Field(min_length=1, max_length=10_000)


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: RoundState


class InspectorOut(BaseModel):
    id: int
    display_name: str


class RoundSiteOut(BaseModel):
    id: int
    site: SiteOut
    checklist_id: int
    checklist_version: int
    inspectors: list[InspectorOut] = Field(description="empty for unit staff: who inspects is the office's business")


class RoundOut(BaseModel):
    id: int
    name: str
    starts_at: datetime
    ends_at: datetime
    state: RoundState
    seed: int | None
    draw: dict
    followup_of: int | None
    dispatch_on_publish: bool
    created_by: int
    created_at: datetime
    published_at: datetime | None
    site_count: int = Field(description="the sites of the round the caller may see")


class RoundDetail(RoundOut):
    sites: list[RoundSiteOut]
    allowed_transitions: list[RoundState]


class MySiteOut(BaseModel):
    """A site assigned to the caller in an active round."""

    round_id: int
    round_name: str
    ends_at: datetime
    round_site_id: int
    checklist_id: int
    site: SiteOut
    result_id: uuid.UUID | None = Field(None, description="the submitted evaluation's id (none: not submitted yet)")
    submitted_at: datetime | None = None


class RoundPage(BaseModel):
    items: list[RoundOut]
    next_cursor: str | None


# ---- results: a site evaluated on the phone --------------------------------------------------------------

class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_code: Annotated[str, StringConstraints(min_length=1, max_length=16)]
    verdict: Literal["pass", "fail", "na", "unable"] = Field(
        description="达标 pass, 不达标 fail, 不适用 na, 无法调查 unable (this item could not be checked; needs a note "
                    "saying why; out of the possible points like na)")
    occurrences: int | None = Field(None, ge=1, le=1000, description="不达标: how many times (≥ 1); else none")
    note: Annotated[UserText, StringConstraints(max_length=500)] | None = Field(
        None, description="不达标: what was wrong (optional); 无法调查: why it could not be checked (required)")
    photo_ids: list[uuid.UUID] = Field(default_factory=list, max_length=9,
                                       description="不达标: the photos (at least the item's photos_required)")


class ResultIn(BaseModel):
    """A whole site, submitted once from the outbox: `id` is the phone's UUID (a resend answers the first)."""

    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID
    status: Literal["evaluated", "unable"]
    unable_reason: Annotated[UserText, StringConstraints(min_length=1, max_length=200)] | None = Field(
        None, description="无法调查: why (closed, access refused …)")
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    accuracy_m: float | None = Field(None, ge=0, le=100_000)
    answers: list[AnswerIn] = Field(default_factory=list, max_length=500)


class AnswerOut(BaseModel):
    item_code: str
    item_text: str
    item_text_en: str = Field("", description="the item's English text (empty where the checklist has none)")
    dimension: str
    dimension_en: str = ""
    points: float
    verdict: str
    occurrences: int | None
    note: str | None
    loss: float  # points lost
    ticket_id: uuid.UUID | None  # the finding; None also when the caller may not see it (a unit, before dispatch)
    case_number: str | None
    ticket_status: str | None


class ResultOut(BaseModel):
    id: uuid.UUID
    round_id: int
    site_id: int
    site_name: str
    status: str
    unable_reason: str | None
    distance_m: float | None  # from the site at check-in
    far_from_site: bool       # beyond XUNCHA_EVAL_CHECKIN_DISTANCE_M: a warning, not a refusal
    submitted_at: datetime
    inspector_name: str | None  # the office's to know; never a unit's
    possible: float | None
    earned: float | None
    rate: float | None  # 得分率 = earned ÷ possible
    answers: list[AnswerOut]


# ---- a round's report: scores, lost points, ranking, 回头看, 问题清单 ------------------------------------------

class SiteScoreOut(BaseModel):
    round_site_id: int
    site_id: int
    site_code: str | None
    site_name: str
    site_type: str
    site_type_name: str
    site_type_name_en: str = ""
    unit_id: int
    unit_name: str
    district_name: str | None
    status: Literal["evaluated", "unable", "pending"] = Field(
        description="evaluated; unable (无法调查, in no score); pending (not submitted yet, in no score)")
    unable_reason: str | None
    possible: float | None
    deducted: float | None
    earned: float | None
    rate: float | None = Field(description="得分率 = earned ÷ possible")
    pass_count: int
    fail_count: int
    na_count: int = Field(description="不适用 items: out of the possible points")
    unable_count: int = Field(0, description="无法调查 items (could not be checked): out of the possible points")


class GroupScoreOut(BaseModel):
    key: int | str | None
    name: str | None
    name_en: str = Field("", description="a site type's English name; empty for a unit or a district (Chinese names "
                                         "only) and the round")
    sites_evaluated: int
    sites_unable: int
    possible: float
    deducted: float
    earned: float
    rate: float | None = Field(description="Σ earned ÷ Σ possible over its evaluated sites")
    mean_site_rate: float | None
    na_items: int = Field(0, description="不适用 answers over its evaluated sites")
    unable_items: int = Field(0, description="无法调查 answers (items not checked) over its evaluated sites")


class DimensionLossOut(BaseModel):
    dimension: str
    dimension_en: str = Field("", description="the dimension's English name; empty for one the office named itself")
    lost: float
    share: float | None
    failures: int


class ItemLossOut(BaseModel):
    site_type: str
    site_type_name: str
    site_type_name_en: str = ""
    code: str
    text: str
    text_en: str = Field("", description="the item's English text (empty where the checklist has none)")
    dimension: str
    dimension_en: str = ""
    points: float
    lost: float
    share: float | None
    sites_failed: int
    sites_applicable: int
    occurrences: int


class RankedUnitOut(BaseModel):
    rank: int
    unit_id: int
    unit_name: str
    rate: float
    mean_site_rate: float | None
    earned: float
    possible: float
    sites_evaluated: int


class ItemChangeOut(BaseModel):
    site_id: int
    site_name: str
    unit_name: str
    item_code: str
    item_text: str
    item_text_en: str = ""
    change: str
    before: str | None
    after: str | None


class ReviewOut(BaseModel):
    """A 回头看 compared with the round it re-checks: every change but 保持达标 listed, all counted."""

    of_round_id: int
    of_round_name: str
    counts: dict[str, int]
    site_counts: dict[str, int]
    changes: list[ItemChangeOut] = Field(description="each (site, item) whose result is not 达标 both times")


class FindingOut(BaseModel):
    """One line of a 问题清单: a 不达标 item and the ticket it became. The ticket's fields are None for a caller
    who may not see the ticket (a unit, before the finding is dispatched to it)."""

    ticket_id: uuid.UUID | None
    case_number: str | None
    status: str | None = Field(description="the ticket's status; None: not dispatched to the caller's unit (yet)")
    site_id: int
    site_name: str
    unit_id: int
    unit_name: str
    item_code: str
    item_text: str
    item_text_en: str = Field("", description="the item's English text (empty where the checklist has none)")
    occurrences: int | None
    loss: float
    deadline_at: datetime | None
    closed_at: datetime | None


class FindingsProgress(BaseModel):
    total: int
    closed: int = Field(description="销号: closed (结案) after verification")
    cancelled: int = Field(description="不予立案 or 作废: not to be rectified")
    undispatched: int = Field(description="待交办: findings whose ticket the caller may not see yet (a unit's, "
                                             "before dispatch); counted as open")
    open: int
    rate: float | None = Field(description="销号进度 = closed ÷ (total − cancelled)")


class RoundReportOut(BaseModel):
    round: RoundOut
    complete: bool = Field(description="every site of the round is in it; false for anyone but the office, who see "
                                      "only their own or their assigned sites")
    ranked_units: int | None = Field(None, description="how many units the whole round ranks; in a report of part of "
                                                       "a round the ranks are the whole round's (None before it is "
                                                       "published: no ranks)")
    generated_at: datetime
    total: GroupScoreOut
    sites_pending: int
    sites: list[SiteScoreOut]
    by_site_type: list[GroupScoreOut]
    by_unit: list[GroupScoreOut]
    by_district: list[GroupScoreOut]
    dimensions: list[DimensionLossOut]
    items: list[ItemLossOut] = Field(description="the items that lost points, most first (city-wide top items)")
    ranking: list[RankedUnitOut]
    unranked: list[GroupScoreOut]
    review: ReviewOut | None
    findings: list[FindingOut]
    progress: FindingsProgress
    formulas: dict[str, dict[str, str]]

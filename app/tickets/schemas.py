import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, PrivateAttr

from app.core.types import ClientDateTime, DbId, UserText
from app.photos.schemas import PhotoPublic
from app.tickets.workflow import Action, Status
from app.users.roles import Role


class PhotoStage(StrEnum):
    """The step of the loop a ticket's photo documents."""

    report = "report"
    rectify = "rectify"
    verify = "verify"
    request = "request"  # a unit's exception request (延期 / 回退 / 挂账)


class TicketCreate(BaseModel):
    id: uuid.UUID = Field(description="client UUID; a replay with the same content creates nothing and answers the "
                                     "ticket as it is now")
    category_code: UserText = Field(min_length=1, max_length=16)
    description: UserText = Field(default="", max_length=2000)
    # Omitted when the phone has no fix: the first photo's EXIF GPS is used instead.
    lat: float | None = Field(default=None, ge=-90, le=90, description="WGS-84")
    lng: float | None = Field(default=None, ge=-180, le=180, description="WGS-84")
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000)
    address: UserText | None = Field(default=None, max_length=300)
    captured_at: ClientDateTime | None = None
    photo_ids: list[uuid.UUID] = Field(min_length=1, max_length=9)


class ActionIn(BaseModel):
    """The input every workflow action on a ticket takes."""

    action_id: uuid.UUID  # the client's UUID of this action: a replay is not applied again (answers the ticket now)


class DispatchIn(ActionIn):
    unit_id: DbId
    deadline: ClientDateTime | None = None
    note: UserText | None = Field(default=None, max_length=2000)


class ReturnIn(ActionIn):
    reason: UserText = Field(min_length=1, max_length=2000)


class RectifyIn(ActionIn):
    note: UserText = Field(min_length=1, max_length=2000)
    photo_ids: list[uuid.UUID] = Field(min_length=1, max_length=9)


class VerifyIn(ActionIn):
    passed: bool
    note: UserText | None = Field(default=None, max_length=2000)
    deadline: ClientDateTime | None = None
    photo_ids: list[uuid.UUID] = Field(default_factory=list, max_length=9)


class CancelIn(ActionIn):
    reason: UserText = Field(min_length=1, max_length=2000)
    duplicate_of: uuid.UUID | None = None


MAX_BULK = 200
BulkIds = Annotated[list[uuid.UUID], Field(min_length=1, max_length=MAX_BULK)]


class BulkIn(BaseModel):
    """One action on several tickets at once: all of them move, or none."""

    action_id: uuid.UUID  # the batch's UUID; each ticket's action id derives from it, so a resend is a replay
    ticket_ids: BulkIds


class BulkDispatchIn(BulkIn):
    unit_id: DbId
    deadline: ClientDateTime | None = None  # None: each ticket's category deadline
    note: UserText | None = Field(default=None, max_length=2000)


class BulkCancelIn(BulkIn):
    reason: UserText = Field(min_length=1, max_length=2000)
    duplicate_of: uuid.UUID | None = None


class BulkResult(BaseModel):
    """The tickets a bulk action moved (a replayed batch answers the same)."""

    count: int
    ticket_ids: list[uuid.UUID]


class RequestKind(StrEnum):
    """What a unit asks the office for (a row of the exceptions ledger)."""

    extension = "extension"    # 延期
    return_ = "return"         # 回退 (not ours / wrong dispatch)
    suspension = "suspension"  # 挂账 / 缓办


class RequestState(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class RequestIn(ActionIn):
    """A unit's request on its ticket; the request's id is the action_id."""

    kind: RequestKind
    reason: UserText = Field(min_length=1, max_length=2000)
    deadline: ClientDateTime | None = Field(
        default=None, description="extension: REQUIRED, the deadline asked for (later than now and the current one)")
    review_at: ClientDateTime | None = Field(default=None, description="suspension: the proposed review date")
    photo_ids: list[uuid.UUID] = Field(default_factory=list, max_length=9)


class DecisionIn(ActionIn):
    """The office's decision on a pending request."""

    approve: bool
    note: UserText | None = Field(default=None, max_length=2000, description="REQUIRED when approve is false")
    deadline: ClientDateTime | None = Field(
        default=None, description="extension: the deadline granted (default: the one asked for); "
                                  "return with unit_id: the new unit's deadline (default: by category)")
    review_at: ClientDateTime | None = Field(default=None, description="suspension approval: REQUIRED review date")
    unit_id: DbId | None = Field(default=None, description="return approval: re-dispatch to this unit at once (改派)")
    # The request decided on (from the path, not the body).
    _request_id: uuid.UUID | None = PrivateAttr(default=None)


class ResumeIn(ActionIn):
    deadline: ClientDateTime | None = Field(default=None, description="default: by category from now")
    note: UserText | None = Field(default=None, max_length=2000)


class VoidIn(ActionIn):
    reason: UserText = Field(min_length=1, max_length=2000)
    duplicate_of: uuid.UUID | None = None


class UrgeIn(ActionIn):
    note: UserText | None = Field(default=None, max_length=2000)


class SuperviseIn(ActionIn):
    note: UserText = Field(min_length=1, max_length=2000, description="督办意见")


class RequestOut(BaseModel):
    id: uuid.UUID
    kind: RequestKind
    state: RequestState
    reason: str
    requested_deadline: datetime | None = Field(description="extension: asked deadline; suspension: proposed review")
    deadline_before: datetime | None
    requested_by_name: str | None
    requested_at: datetime
    decided_by_name: str | None
    decided_at: datetime | None
    decision_note: str | None
    decided_deadline: datetime | None = Field(
        description="extension: granted deadline; suspension: review date; reassign: the new unit's deadline")
    reassigned_unit_id: int | None
    reassigned_unit_name: str | None
    unit_id: int
    unit_name: str | None


class TicketSummary(BaseModel):
    id: uuid.UUID
    case_number: str
    status: Status
    category_code: str
    category_name_zh: str
    category_name_en: str
    description: str
    address: str | None
    lat: float
    lng: float
    accuracy_m: float | None
    unit_id: int | None
    unit_name: str | None
    suggested_unit_id: int | None
    suggested_unit_name: str | None
    deadline_at: datetime | None  # the unit's current deadline (a 返工 sets a new one)
    # The deadline 按期结案 is judged against: set at dispatch, moved by an approved extension, not by 返工.
    office_deadline_at: datetime | None = None
    overdue: bool
    rework_count: int
    return_count: int
    reported_at: datetime
    dispatched_at: datetime | None
    rectified_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None
    reporter_name: str | None = Field(description="None for units: who found a problem is the office's business")
    thumb_url: str | None
    updated_at: datetime
    # Open tickets of the same category within 50 m (0 for units, who see no other tickets).
    possible_duplicate_count: int = Field(default=0, description="疑似重复件数；列表中最多数到 100（100 即 100 件"
                                          "及以上）; possible duplicates: a list counts up to 100 (100 means 100 "
                                          "or more), a ticket's own page counts them all")
    pending_request: RequestKind | None = Field(default=None, description="the kind of the request waiting")
    near_deadline: bool = Field(default=False, description="预超期: dispatched, not overdue, deadline near "
                                                           "(GET /api/config near_deadline)")
    # rework_count, return_count, urge_count, extension_count, supervised (and a detail's supervised_at): for a unit,
    # of its own time with the ticket (read.own_counts); for the office, the ticket's.
    urge_count: int = 0
    supervised: bool = False
    extension_count: int = 0
    review_at: datetime | None = None
    suspended_at: datetime | None = None
    voided_at: datetime | None = None
    awaiting_round: bool = Field(default=False, description="待测评发布: a finding of an evaluation round not yet "
                                                            "published, which may not be dispatched before it is")


class TicketPhotoPublic(PhotoPublic):
    stage: PhotoStage
    event_id: int


class EventPublic(BaseModel):
    id: int
    action: Action
    from_status: Status | None
    to_status: Status
    # None for an inspector's action as a unit sees it (四不两直).
    actor_id: int | None
    actor_name: str | None
    actor_role: Role
    at: datetime
    note: str | None
    unit_id: int | None
    unit_name: str | None
    deadline_at: datetime | None
    photo_ids: list[uuid.UUID]


class DuplicateCandidate(BaseModel):
    id: uuid.UUID
    case_number: str
    status: Status
    description: str
    distance_m: float


class TicketOrigin(BaseModel):
    """The evaluation (实地测评) a finding came from: the round, the site and the checklist item it failed."""

    round_id: int
    round_name: str
    round_published: bool = Field(description="false: 待测评发布, the finding may not be dispatched yet")
    site_id: int
    site_name: str
    item_code: str
    item_text: str
    item_text_en: str = Field("", description="the item's English text (empty where the checklist has none)")
    occurrences: int | None


class TicketDetail(TicketSummary):
    photos: list[TicketPhotoPublic]
    events: list[EventPublic]
    possible_duplicates: list[DuplicateCandidate] = Field(
        description="疑似重复：同类未结案件，最近的 50 件（共几件见 possible_duplicate_count）; open tickets of the "
                    "same category nearby, the nearest 50 (possible_duplicate_count says how many there are)")
    duplicate_of: uuid.UUID | None
    allowed_actions: list[Action]
    suggested_deadline_at: datetime | None
    requests: list[RequestOut] = Field(description="newest first; a unit sees only its own unit's requests")
    supervised_at: datetime | None
    origin: TicketOrigin | None = Field(None, description="the evaluation round, site and item a finding came from")


class TicketPage(BaseModel):
    items: list[TicketSummary]
    next_cursor: str | None


class RequestTicket(BaseModel):
    """The ticket a request is about, as the request queue shows it."""

    id: uuid.UUID
    case_number: str
    status: Status
    category_code: str = Field(description="the category; its limit is what an empty deadline gives on 改派")
    category_name_zh: str
    category_name_en: str
    address: str | None
    description: str
    deadline_at: datetime | None
    overdue: bool
    unit_name: str | None
    thumb_url: str | None


class RequestItem(RequestOut):
    ticket: RequestTicket


class RequestPage(BaseModel):
    items: list[RequestItem]
    next_cursor: str | None

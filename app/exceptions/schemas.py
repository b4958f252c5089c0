"""The exceptions ledger (台账): one row per deadline exception, read from the tickets' timelines and requests."""

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from app.tickets.workflow import Action, Status
from app.users.roles import Role


class ExceptionKind(StrEnum):
    extension = "extension"    # 延期申请
    return_ = "return"         # 回退申请
    suspension = "suspension"  # 挂账 / 缓办申请
    void = "void"              # 作废
    urge = "urge"              # 催办
    supervise = "supervise"    # 督办


# The timeline event that is a ledger row of each kind: a request's row is the asking, with its decision.
KIND_ACTIONS: dict[ExceptionKind, Action] = {
    ExceptionKind.extension: Action.request_extension,
    ExceptionKind.return_: Action.request_return,
    ExceptionKind.suspension: Action.request_suspension,
    ExceptionKind.void: Action.void,
    ExceptionKind.urge: Action.urge,
    ExceptionKind.supervise: Action.supervise,
}


class Outcome(StrEnum):
    pending = "pending"        # 待审批
    approved = "approved"      # 已批准
    rejected = "rejected"      # 已驳回
    reassigned = "reassigned"  # 回退已批准并改派


class LedgerTicket(BaseModel):
    id: uuid.UUID
    case_number: str
    status: Status
    category_code: str
    category_name_zh: str
    category_name_en: str
    address: str | None
    description: str


class ExceptionRow(BaseModel):
    id: int  # the timeline event's id
    kind: ExceptionKind
    at: datetime  # asked / voided / urged / supervised
    ticket: LedgerTicket
    unit_id: int | None  # the unit concerned: the unit that asked, else the ticket's unit then
    unit_name: str | None
    actor_name: str | None
    actor_role: Role
    reason: str | None  # the request's reason, the void's reason, the urge's note, the 督办意见
    # Requests only (None for void, urge, supervise):
    request_id: uuid.UUID | None = None
    outcome: Outcome | None = None
    deadline_before: datetime | None = None
    requested_deadline: datetime | None = None  # extension: asked for; suspension: review date proposed
    decided_by_name: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None
    decided_deadline: datetime | None = None  # extension: granted; suspension: review date; reassign: new deadline
    reassigned_unit_id: int | None = None
    reassigned_unit_name: str | None = None


class ExceptionPage(BaseModel):
    items: list[ExceptionRow]
    next_cursor: str | None

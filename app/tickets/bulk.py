"""Bulk actions of the workbench: one dispatch or one cancellation applied to several tickets, all or none.

Each ticket goes through the same steps as the single action (actions.ACTIONS' check, the workflow table's
guard, the guarded UPDATE, its timeline event, notifications, the unit's assignment), in one transaction.
Every ticket is checked before anything is written; if one may not move, the answer names it (409 for a
ticket in the wrong state or changed meanwhile, 422 for one that does not exist or input it refuses).
"""

import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.db import commit_writes
from app.core.errors import Conflict, DomainError, Invalid
from app.core.types import utcnow
from app.tickets import access, actions, workflow
from app.tickets.models import BulkAction, Ticket, TicketEvent
from app.tickets.schemas import ActionIn, BulkCancelIn, BulkDispatchIn, BulkIn, BulkResult, CancelIn, DispatchIn
from app.tickets.workflow import Action, Status
from app.users.models import User

# Refusals about the body itself (the same for every ticket): answered as they are, not per ticket.
_BODY_ERRORS = frozenset({"unknown_unit", "inactive_unit", "invalid_deadline"})


def _item_id(batch: uuid.UUID, ticket_id: uuid.UUID) -> uuid.UUID:
    """The action id of one ticket's share of a batch."""
    return uuid.uuid5(batch, str(ticket_id))


def _refusal(ticket_id: uuid.UUID, case_number: str | None, error: DomainError) -> dict:
    return {"ticket_id": str(ticket_id), "case_number": case_number, "status": error.status, "code": error.code,
            "message": error.message}


def _run(session: Session, user: User, body: BulkIn, action: Action, verb: str,
         item: type[ActionIn], fields: dict) -> BulkResult:
    if len(set(body.ticket_ids)) != len(body.ticket_ids):
        raise Invalid("同一案件列出了两次 A ticket is listed twice", code="duplicate_ticket")
    workflow.transition(Status.reported, action, user.role)  # 403 before anything is read (permission first)
    batch_digest = _batch_hash(body, action)
    if (replay := _replay(session, user, body, action, batch_digest)) is not None:
        return replay
    found = {t.id: t for t in session.exec(select(Ticket).where(col(Ticket.id).in_(body.ticket_ids),
                                                              access.visible_clause(user))).all()}
    # Shares already done with no batch row: a batch sent before bulk_actions existed, resent now.
    done = {e.action_id: e for e in session.exec(select(TicketEvent).where(
        col(TicketEvent.action_id).in_([_item_id(body.action_id, i) for i in body.ticket_ids]))).all()}
    now = utcnow()
    refused: list[dict] = []
    plan: list[tuple[Ticket, ActionIn, str, Status, Status, actions.Change]] = []
    for ticket_id in body.ticket_ids:
        ticket = found.get(ticket_id)
        if ticket is None:
            refused.append(_refusal(ticket_id, None, Invalid("案件不存在 Ticket not found", code="unknown_ticket")))
            continue
        sub = item(action_id=_item_id(body.action_id, ticket_id), **fields)
        digest = actions.request_hash(sub, action=action.value)
        if (event := done.get(sub.action_id)) is not None:
            if event.ticket_id != ticket_id or event.request_hash != digest or event.actor_id != user.id:
                raise Conflict("该操作编号已用于另一操作 This action id was already used for a different action",
                               code="idempotency_conflict")
            continue  # this ticket's share of a resent batch: already done
        try:
            frm = Status(ticket.status)
            to = workflow.transition(frm, action, user.role, own_unit=access.own_unit(user, ticket))
            change = actions.ACTIONS[action].change(session, ticket, sub, now)
        except DomainError as e:
            if e.code in _BODY_ERRORS:
                raise
            refused.append(_refusal(ticket_id, ticket.case_number, e))
            continue
        plan.append((ticket, sub, digest, frm, to, change))
    if refused:
        status = 409 if any(r["status"] == 409 for r in refused) else 422
        names = "、".join(r["case_number"] or r["ticket_id"] for r in refused[:5])
        raise DomainError(f"{len(refused)} 件案件无法{verb}：{names} {len(refused)} ticket(s) cannot move; "
                          "nothing was changed", code="bulk_refused", status=status, details={"tickets": refused})
    batch = BulkAction(action_id=body.action_id, action=action.value, actor_id=user.id, request_hash=batch_digest,
                       ticket_count=len(body.ticket_ids), at=now)
    if not _apply_all(session, user, action, plan, now, batch):
        # The same batch, sent again while the first was being written (another process), has just landed.
        if (replay := _replay(session, user, body, action, batch_digest)) is not None:
            return replay
        raise Conflict("其他请求正在处理这些案件，请刷新后重试 Another request is changing these tickets; "
                       "reload and try again", code="bulk_refused")
    return BulkResult(count=len(body.ticket_ids), ticket_ids=body.ticket_ids)


def _batch_hash(body: BulkIn, action: Action) -> str:
    return actions.request_hash(body.model_copy(update={"ticket_ids": sorted(body.ticket_ids, key=str)}),
                                action=action.value)


def _replay(session: Session, user: User, body: BulkIn, action: Action, digest: str) -> BulkResult | None:
    """The answer to a batch already applied; None when its id is new; 409 when the id was spent otherwise."""
    batch = session.get(BulkAction, body.action_id)
    if batch is None:
        return None
    if batch.actor_id != user.id or batch.action != action.value or batch.request_hash != digest:
        raise Conflict("该操作编号已用于另一操作 This action id was already used for a different action",
                       code="idempotency_conflict")
    return BulkResult(count=len(body.ticket_ids), ticket_ids=body.ticket_ids)


def _apply_all(session: Session, user: User, action: Action, plan: list, now: datetime,
               batch: BulkAction) -> bool:
    """Apply every ticket's share and record the batch, all or nothing; False when a concurrent request's
    writes collided with these (nothing written)."""
    try:
        with session.begin_nested():
            session.add(batch)
            session.flush()  # the batch id first: a concurrent resend of this batch stops here
            for ticket, sub, digest, frm, to, change in plan:
                if not actions.apply(session, user, ticket, action, frm, to, change, sub.action_id, digest, now,
                                     [], None):
                    raise _Moved(ticket)
    except _Moved as moved:
        session.rollback()
        raise Conflict(f"案件 {moved.ticket.case_number} 刚被他人处理，未作任何更改 Ticket {moved.ticket.case_number} "
                       "changed meanwhile; nothing was changed", code="bulk_refused",
                       details={"tickets": [{"ticket_id": str(moved.ticket.id),
                                             "case_number": moved.ticket.case_number, "status": 409,
                                             "code": "invalid_state", "message": "changed meanwhile"}]}) from None
    except IntegrityError:
        session.rollback()
        return False
    commit_writes(session)
    return True


class _Moved(Exception):
    def __init__(self, ticket: Ticket):
        super().__init__(ticket.case_number)
        self.ticket = ticket


def dispatch(session: Session, user: User, body: BulkDispatchIn) -> BulkResult:
    """Dispatch (派遣) several reported tickets to one unit with one deadline."""
    return _run(session, user, body, Action.dispatch, "派遣", DispatchIn,
                {"unit_id": body.unit_id, "deadline": body.deadline, "note": body.note})


def cancel(session: Session, user: User, body: BulkCancelIn) -> BulkResult:
    """Cancel (不予立案) several reported tickets with one reason, e.g. as duplicates of one ticket."""
    if body.duplicate_of is not None and body.duplicate_of in body.ticket_ids:
        raise Invalid("重复案件的原件不能同时被取消 duplicate_of cannot be one of the cancelled tickets",
                      code="unknown_ticket")
    return _run(session, user, body, Action.cancel, "取消", CancelIn,
                {"reason": body.reason, "duplicate_of": body.duplicate_of})

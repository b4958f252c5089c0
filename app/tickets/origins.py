"""Where a ticket came from when an evaluation (实地测评) found it: the round, the site and the checklist item of
the 不达标 answer that became it (EvalAnswer.ticket_id).

四不两直: a finding of a round not yet published may not be dispatched (409 round_not_published), so no unit
learns of it before the office publishes the round; the triage list marks such tickets 待测评发布.
"""

import uuid

from sqlalchemy import ColumnElement, bindparam, exists, select
from sqlmodel import Session, col

from app.core.errors import Conflict
from app.evaluation import access as evaluation_access
from app.evaluation.models import EvalAnswer, EvalChecklistItem, EvalResult, EvalRound, EvalRoundSite, EvalSite
from app.tickets.models import Ticket
from app.tickets.schemas import TicketOrigin

PUBLISHED = "published"  # app.evaluation.schemas.RoundState.published


def _stmt(*columns):
    return (select(*columns).select_from(EvalAnswer).join(EvalResult, EvalResult.id == EvalAnswer.result_id)
            .join(EvalRoundSite, EvalRoundSite.id == EvalResult.round_site_id)
            .join(EvalRound, EvalRound.id == EvalRoundSite.round_id))


def origin(session: Session, ticket_id: uuid.UUID) -> TicketOrigin | None:
    """The evaluation a ticket came from (None for a ticket reported on patrol)."""
    row = session.execute(
        _stmt(EvalRound.id, EvalRound.name, EvalRound.state, EvalSite.id, EvalSite.name, EvalChecklistItem.code,
              EvalChecklistItem.text_zh, EvalChecklistItem.text_en, EvalAnswer.occurrences)
        .join(EvalSite, EvalSite.id == EvalRoundSite.site_id)
        .join(EvalChecklistItem, EvalChecklistItem.id == EvalAnswer.item_id)
        .where(EvalAnswer.ticket_id == ticket_id)).first()
    if row is None:
        return None
    rid, rname, state, sid, sname, code, text, text_en, occurrences = row
    return TicketOrigin(round_id=rid, round_name=rname, round_published=state == PUBLISHED, site_id=sid,
                        site_name=sname, item_code=code, item_text=text, item_text_en=text_en,
                        occurrences=occurrences)


# Built once (the office's every list page asks): building it per call was ~1 ms of a list request's CPU.
_AWAITING = _stmt(EvalAnswer.ticket_id).where(col(EvalAnswer.ticket_id).in_(bindparam("ids", expanding=True)),
                                              EvalRound.state != PUBLISHED)


def hidden_from_inspector(user_id, ticket_id: ColumnElement = Ticket.id) -> ColumnElement[bool]:
    """On `tickets` (or the ticket whose id is `ticket_id`): a finding of a round not yet published at a site this
    inspector was not sent to. The evaluation's own rule (app/evaluation/access.py: an inspector sees only the
    sites assigned to them) holds for its findings too until the office publishes the round; from then on they are
    tickets like any other."""
    return exists(_stmt(EvalAnswer.id).where(EvalAnswer.ticket_id == ticket_id, EvalRound.state != PUBLISHED,
                                             ~evaluation_access.assigned(user_id, EvalRoundSite.id)))


def awaiting_publication(session: Session, ticket_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Those of these tickets that are findings of a round not yet published (one query)."""
    if not ticket_ids:
        return set()
    return set(session.execute(_AWAITING, {"ids": ticket_ids}).scalars())


def check_dispatchable(session: Session, ticket_id: uuid.UUID) -> None:
    """409 round_not_published for a finding of a round not yet published."""
    if awaiting_publication(session, [ticket_id]):
        raise Conflict("该问题来自尚未发布的测评任务，发布后方可派遣 This finding's evaluation round is not published "
                       "yet; dispatch it after publication", code="round_not_published")

import uuid
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams

from app.auth.deps import BearerToken, CurrentUser, authenticate
from app.core import query
from app.core.db import SessionDep, TransactionRoute, get_gate, new_session
from app.core.responses import AUTHENTICATED, WRITE
from app.core.types import DbId
from app.tickets import access, actions, bulk, listing, read, requests
from app.tickets.schemas import (
    BulkCancelIn,
    BulkDispatchIn,
    BulkResult,
    CancelIn,
    DecisionIn,
    DispatchIn,
    RectifyIn,
    RequestIn,
    RequestKind,
    RequestPage,
    RequestState,
    ResumeIn,
    ReturnIn,
    SuperviseIn,
    TicketCreate,
    TicketDetail,
    TicketPage,
    UrgeIn,
    VerifyIn,
    VoidIn,
)
from app.users.models import User

router = APIRouter(prefix="/api/tickets", tags=["tickets"], responses=AUTHENTICATED, route_class=TransactionRoute)
requests_router = APIRouter(prefix="/api/requests", tags=["tickets"], responses=AUTHENTICATED,
                            route_class=TransactionRoute)


@router.post("", response_model=TicketDetail, status_code=201, responses=WRITE)
def report(session: SessionDep, user: CurrentUser, body: TicketCreate, response: Response):
    """Report a problem (发现); 201 when created, 200 when the same report is replayed."""
    ticket, created = actions.report(session, user, body)
    if not created:
        response.status_code = 200
    return ticket


def _ticket_page(session: Session, user: User, *, mine: bool, **filters) -> bytes:
    page = listing.list_tickets(session, user, reporter_id=user.id if mine else None, **filters)
    # Built and validated as a TicketPage already: sent as its JSON, not dumped to dicts and validated again on
    # the way out.
    return page.model_dump_json().encode()


def page_route(answer: Callable[..., bytes]):
    """The ticket list's request path, its busiest: one hop to a worker thread that looks the caller up, reads
    the query and lists in one session (the usual dependencies cost two hops, two sessions and FastAPI's reading
    of 20 parameters: ~40 % of the request). bench/request_path_app.py measures it with another `answer`."""
    def work(token: str | None, params: QueryParams) -> bytes:
        with new_session() as session:
            user = authenticate(session, token)  # 401 before 422, as a dependency would
            return answer(session, user, **query.parse(listing.TicketFilters, params).model_dump())

    async def list_tickets(request: Request, token: BearerToken):
        """The tickets this user may see, filtered, one page at a time."""
        async with get_gate().slot():
            return Response(await run_in_threadpool(work, token, request.query_params), media_type="application/json")

    return list_tickets


list_tickets = page_route(_ticket_page)
router.get("", response_model=TicketPage,
           openapi_extra={"parameters": query.parameters(listing.TicketFilters)})(list_tickets)


@router.post("/bulk/dispatch", response_model=BulkResult, responses=WRITE)
def bulk_dispatch(session: SessionDep, user: CurrentUser, body: BulkDispatchIn):
    """Dispatch (批量派遣) up to 200 reported tickets to one unit with one deadline: all of them or none."""
    return bulk.dispatch(session, user, body)


@router.post("/bulk/cancel", response_model=BulkResult, responses=WRITE)
def bulk_cancel(session: SessionDep, user: CurrentUser, body: BulkCancelIn):
    """Cancel (批量不予立案) up to 200 reported tickets with one reason, e.g. duplicates: all of them or none."""
    return bulk.cancel(session, user, body)


@router.get("/{ticket_id}", response_model=TicketDetail)
def get_ticket(session: SessionDep, user: CurrentUser, ticket_id: uuid.UUID):
    """One ticket with its photos and timeline; 404 if this user may not see it."""
    return read.detail(session, user, access.get_visible(session, user, ticket_id), fresh=True)


@router.post("/{ticket_id}/dispatch", response_model=TicketDetail, responses=WRITE)
def dispatch(session: SessionDep, user: CurrentUser, ticket_id: uuid.UUID, body: DispatchIn):
    """Dispatch (派遣) a reported ticket to a unit with a deadline."""
    return actions.dispatch(session, user, ticket_id, body)


@router.post("/{ticket_id}/return", response_model=TicketDetail, responses=WRITE)
def return_ticket(session: SessionDep, user: CurrentUser, ticket_id: uuid.UUID, body: ReturnIn):
    """Ask to return (申请回退) a ticket that is not the unit's to fix: files a return request, like /requests."""
    return actions.return_(session, user, ticket_id, body)


@router.post("/{ticket_id}/rectify", response_model=TicketDetail, responses=WRITE)
def rectify(session: SessionDep, user: CurrentUser, ticket_id: uuid.UUID, body: RectifyIn):
    """Report the rectification (整改) with after-photos and a note."""
    return actions.rectify(session, user, ticket_id, body)


@router.post("/{ticket_id}/verify", response_model=TicketDetail, responses=WRITE)
def verify(session: SessionDep, user: CurrentUser, ticket_id: uuid.UUID, body: VerifyIn):
    """Verify (核查): pass closes the ticket, fail sends it back to the unit (返工)."""
    return actions.verify(session, user, ticket_id, body)


@router.post("/{ticket_id}/cancel", response_model=TicketDetail, responses=WRITE)
def cancel(session: SessionDep, user: CurrentUser, ticket_id: uuid.UUID, body: CancelIn):
    """Cancel (不予立案) a reported ticket, e.g. as a duplicate."""
    return actions.cancel(session, user, ticket_id, body)


@router.post("/{ticket_id}/requests", response_model=TicketDetail, responses=WRITE)
def request(session: SessionDep, user: CurrentUser, ticket_id: uuid.UUID, body: RequestIn):
    """A unit asks for an extension (延期), a return (回退) or a suspension (挂账); one request waits at a time."""
    return actions.request(session, user, ticket_id, body)


@router.post("/{ticket_id}/requests/{request_id}/decision", response_model=TicketDetail, responses=WRITE)
def decide(session: SessionDep, user: CurrentUser, ticket_id: uuid.UUID, request_id: uuid.UUID, body: DecisionIn):
    """Approve or reject a waiting request; approving a return with unit_id re-dispatches it (改派)."""
    return actions.decide(session, user, ticket_id, request_id, body)


@router.post("/{ticket_id}/resume", response_model=TicketDetail, responses=WRITE)
def resume(session: SessionDep, user: CurrentUser, ticket_id: uuid.UUID, body: ResumeIn):
    """Resume (恢复) a suspended ticket: back to its unit with a new deadline."""
    return actions.resume(session, user, ticket_id, body)


@router.post("/{ticket_id}/void", response_model=TicketDetail, responses=WRITE)
def void(session: SessionDep, user: CurrentUser, ticket_id: uuid.UUID, body: VoidIn):
    """Void (作废) a ticket that should never have been dispatched, with a reason."""
    return actions.void(session, user, ticket_id, body)


@router.post("/{ticket_id}/urge", response_model=TicketDetail, responses=WRITE)
def urge(session: SessionDep, user: CurrentUser, ticket_id: uuid.UUID, body: UrgeIn):
    """Urge (催办) the unit on a dispatched ticket."""
    return actions.urge(session, user, ticket_id, body)


@router.post("/{ticket_id}/supervise", response_model=TicketDetail, responses=WRITE)
def supervise(session: SessionDep, user: CurrentUser, ticket_id: uuid.UUID, body: SuperviseIn):
    """Raise a ticket to 督办 (leader), with the 督办意见."""
    return actions.supervise(session, user, ticket_id, body)


@requests_router.get("", response_model=RequestPage)
def list_requests(
    session: SessionDep, user: CurrentUser,
    state: RequestState | None = None,
    kind: RequestKind | None = None,
    unit_id: DbId | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
):
    """Units' requests: the office sees all, a unit its own; waiting ones oldest first, else newest first."""
    return requests.list_requests(session, user, state=state, kind=kind, unit_id=unit_id, limit=limit,
                                  cursor=cursor)

"""Statistics API (督查统计): figures, red/black list, trend, drill-down, timelines, bulletin and notices."""

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import HTMLResponse

from app.auth.deps import CurrentUser, require_roles
from app.core.db import ReportSlot, SessionDep, TransactionRoute
from app.core.recent import Recent, stale_allowed
from app.core.responses import AUTHENTICATED
from app.core.types import DbId, UserText
from app.stats import exports, periods, service
from app.stats.schemas import (
    MAX_MIN_DISPATCHED,
    MAX_RANK_PLACES,
    OpenPoint,
    Period,
    PeriodKind,
    Ranking,
    RankRules,
    Scope,
    Summary,
    TicketTimeline,
    Trend,
    UnitTimeline,
)
from app.stats.settings import office_rules
from app.tickets.schemas import TicketPage
from app.users.roles import Role

router = APIRouter(prefix="/api/stats", tags=["stats"], responses=AUTHENTICATED, route_class=TransactionRoute)
_office = require_roles(Role.dispatcher, Role.leader, Role.admin, Role.inspector)


def get_period(
    period: PeriodKind = "week",
    on: Annotated[date | None, Query(description="any day of the week/month (local); default today")] = None,
    from_: Annotated[date | None, Query(alias="from", description="custom period: first day (local)")] = None,
    to: Annotated[date | None, Query(description="custom period: last day (local), inclusive")] = None,
) -> Period:
    return periods.resolve_period(period, on, from_, to)


def get_scope(
    session: SessionDep, user: CurrentUser,
    unit_id: Annotated[DbId | None, Query(description="a unit (with its children unless include_children=false)")]
    = None,
    include_children: bool = True,
    category_code: Annotated[UserText | None,
                             Query(max_length=16, description="a class (06) or a code (06010)")] = None,
    grid_id: DbId | None = None,
) -> Scope:
    return service.resolve_scope(session, user, unit_id=unit_id, category_code=category_code, grid_id=grid_id,
                                 include_children=include_children)


def get_rules(
    red_min_rate: Annotated[float | None, Query(ge=0, le=1)] = None,
    red_top: Annotated[int | None, Query(ge=0, le=MAX_RANK_PLACES)] = None,
    black_max_rate: Annotated[float | None, Query(ge=0, le=1)] = None,
    black_bottom: Annotated[int | None, Query(ge=0, le=MAX_RANK_PLACES)] = None,
    min_dispatched: Annotated[int | None, Query(ge=1, le=MAX_MIN_DISPATCHED)] = None,
) -> RankRules:
    given = {k: v for k, v in locals().items() if v is not None}
    return office_rules().model_copy(update=given)


# Figures reused while busy (app/core/recent.py); the key holds everything the answer depends on (the
# scope is already narrowed to what the user may see).
_recent = Recent()

PeriodDep = Annotated[Period, Depends(get_period)]
ScopeDep = Annotated[Scope, Depends(get_scope)]
RulesDep = Annotated[RankRules, Depends(get_rules)]


@router.get("/summary", response_model=Summary)
def summary(session: SessionDep, user: CurrentUser, period: PeriodDep, scope: ScopeDep,
            breakdowns: Annotated[bool, Query(description="also the figures by category class and by district")]
            = False,
            to_date: Annotated[bool, Query(description="also the total month- and year-to-date (本月/本年累计)")]
            = False):
    """All figures of a period and scope, per unit and in total, with their formulas; beside each, the previous
    period's (环比); asked for, the total month- and year-to-date and the breakdowns (each a pass over more
    tickets, so not on every call). When the server is busy, figures up to a few seconds old may answer (their
    `as_of` says when they were computed)."""
    key = ("summary", period.model_dump_json(), scope.model_dump_json(), breakdowns, to_date)
    return _recent.get(key, lambda: service.summary(session, user, period, scope, with_breakdowns=breakdowns,
                                                    to_date=to_date), max_age=stale_allowed())


@router.get("/ranking", response_model=Ranking)
def ranking(session: SessionDep, _: CurrentUser, period: PeriodDep, rules: RulesDep,
            category_code: Annotated[UserText | None, Query(max_length=16)] = None):
    """The city-wide red/black list (红黑榜) with last period's ranks; visible to every role (reused like
    the summary's figures when busy)."""
    key = ("ranking", period.model_dump_json(), rules.model_dump_json(), category_code)
    return _recent.get(key, lambda: service.ranking(session, period, rules, category_code=category_code),
                       max_age=stale_allowed())


@router.get("/trend", response_model=Trend)
def trend(session: SessionDep, _: CurrentUser, scope: ScopeDep, weeks: Annotated[int, Query(ge=1, le=26)] = 8):
    """Weekly reported vs closed and the weekly cohort's 整改率, for the last N weeks (reused like the
    summary's figures when busy)."""
    key = ("trend", scope.model_dump_json(), weeks)
    return _recent.get(key, lambda: service.trend(session, scope, weeks=weeks), max_age=stale_allowed())


@router.get("/tickets", response_model=TicketPage)
def drill(session: SessionDep, user: CurrentUser, period: PeriodDep, scope: ScopeDep,
          metric: Literal[service.DRILL_METRICS],  # type: ignore[valid-type]
          limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: Annotated[str | None, Query(max_length=200)] = None):
    """The tickets behind one figure (same period, scope and definition), visible ones only."""
    return service.drill(session, user, metric, period, scope, limit=limit, cursor=cursor)


@router.get("/open-points", response_model=list[OpenPoint])
def open_points(session: SessionDep, user: CurrentUser, scope: ScopeDep,
                limit: Annotated[int, Query(ge=1, le=20000)] = 5000):
    """Locations of open problems for the dashboard map (newest first)."""
    return service.open_points(session, user, scope, limit=limit)


@router.get("/tickets/{ticket_id}/timeline", response_model=TicketTimeline)
def ticket_timeline(session: SessionDep, user: CurrentUser, ticket_id: uuid.UUID):
    """One ticket's closure timeline: stages against deadlines, rework rounds."""
    return service.ticket_timeline(session, user, ticket_id)


@router.get("/timeline", response_model=UnitTimeline)
def unit_timeline(session: SessionDep, user: CurrentUser, period: PeriodDep, scope: ScopeDep,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 300):
    """The period's dispatched tickets of a unit (or the city) as bars on one time axis."""
    return service.unit_timeline(session, user, period, scope, limit=limit)


@router.get("/bulletin.xlsx", dependencies=[ReportSlot, _office],
            responses={200: {"content": {exports.XLSX: {}}}})
def bulletin_xlsx(session: SessionDep, user: CurrentUser, period: PeriodDep, rules: RulesDep):
    """The weekly bulletin (每周通报) as an Excel workbook: unit figures, overdue tickets, red/black list."""
    data, filename = exports.bulletin_xlsx(session, user, period, rules)
    return Response(data, media_type=exports.XLSX, headers=exports.attachment(filename))


@router.get("/bulletin.html", response_class=HTMLResponse, dependencies=[ReportSlot, _office])
def bulletin_html(session: SessionDep, user: CurrentUser, period: PeriodDep, rules: RulesDep,
                  worst: Annotated[int, Query(ge=0, le=50)] = 10):
    """The weekly bulletin as a printable A4 page, with thumbnails of the worst overdue tickets."""
    return HTMLResponse(exports.bulletin_html(session, user, period, rules, worst=worst),
                        headers={"Cache-Control": "private, no-store"})


@router.get("/notice/{ticket_id}.html", response_class=HTMLResponse)
def notice_html(session: SessionDep, user: CurrentUser, ticket_id: uuid.UUID):
    """A printable supervision notice (督办通知书) for one ticket; 404 if this user may not see it."""
    return HTMLResponse(exports.notice_html(session, user, ticket_id), headers={"Cache-Control": "private, no-store"})


@router.get("/supervision-notice/{ticket_id}.html", response_class=HTMLResponse)
def supervision_notice_html(session: SessionDep, user: CurrentUser, ticket_id: uuid.UUID):
    """The 督办通知书 of a supervised ticket (督办意见, deadline, photos); 409 if it was never supervised."""
    return HTMLResponse(exports.supervision_notice_html(session, user, ticket_id),
                        headers={"Cache-Control": "private, no-store"})

"""Evaluation API (实地测评): site types and their versioned checklists, the site registry, rounds.

Who sees what is app/evaluation/access.py; round states are app/evaluation/workflow.py.
"""

from typing import Annotated

from fastapi import APIRouter, Path

from app.auth.deps import CurrentUser, require_roles
from app.core.db import SessionDep, TransactionRoute
from app.core.responses import AUTHENTICATED, WRITE
from app.core.types import DbId
from app.evaluation import checklists
from app.evaluation.schemas import ChecklistIn, ChecklistOut, ChecklistSummary, SiteTypeOut
from app.users.roles import Role

router = APIRouter(prefix="/api/evaluation", tags=["evaluation"], responses=AUTHENTICATED,
                   route_class=TransactionRoute)
_office = require_roles(Role.dispatcher, Role.leader, Role.admin)
# The checklist is what inspectors evaluate against; units learn their standards from the published results.
_checklist_readers = require_roles(Role.dispatcher, Role.leader, Role.admin, Role.inspector)

SiteType = Annotated[str, Path(max_length=40, description="a site type code, e.g. farmers_market")]


@router.get("/site-types", response_model=list[SiteTypeOut], dependencies=[_checklist_readers])
def site_types(session: SessionDep):
    """The site types (测评点位类型), each with its current checklist's version, item count and total points."""
    return checklists.site_types(session)


@router.get("/site-types/{site_type}/checklists", response_model=list[ChecklistSummary],
            dependencies=[_checklist_readers])
def checklist_versions(session: SessionDep, site_type: SiteType):
    """Every version of a site type's checklist, newest first."""
    return checklists.versions(session, site_type)


@router.get("/site-types/{site_type}/checklists/{version}", response_model=ChecklistOut,
            dependencies=[_checklist_readers])
def checklist_version(session: SessionDep, site_type: SiteType, version: DbId):
    """One version of a site type's checklist with its items."""
    return checklists.out(session, checklists.get_version(session, site_type, version))


@router.post("/site-types/{site_type}/checklists", response_model=ChecklistOut, status_code=201,
             dependencies=[_office], responses=WRITE)
def new_checklist_version(session: SessionDep, user: CurrentUser, site_type: SiteType, body: ChecklistIn):
    """Edit a checklist: the complete items become its next version (rounds keep the version they began with).
    422 invalid_checklist lists every problem (duplicate code, deduction above points, unknown category)."""
    return checklists.out(session, checklists.create_version(session, user, site_type, body))


@router.get("/checklists/{checklist_id}", response_model=ChecklistOut, dependencies=[_checklist_readers])
def checklist(session: SessionDep, checklist_id: DbId):
    """A checklist version by id (a round site names the one it is evaluated against)."""
    return checklists.out(session, checklists.get(session, checklist_id))

"""Evaluation API (实地测评): site types and their versioned checklists, the site registry, rounds.

Who sees what is app/evaluation/access.py; round states are app/evaluation/workflow.py.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, UploadFile
from fastapi.responses import HTMLResponse

from app.admin.deps import UserActor
from app.auth.deps import CurrentUser, require_roles
from app.core.db import ReportSlot, SessionDep, TransactionRoute
from app.core.responses import AUTHENTICATED, WRITE
from app.core.types import DbId, UserText
from app.evaluation import checklists, exports, imports, reports, results, rounds, sites
from app.evaluation.schemas import (
    AssignmentsIn,
    ChecklistIn,
    ChecklistOut,
    ChecklistSummary,
    FollowupIn,
    ImportResult,
    InspectorOut,
    MySiteOut,
    ResultIn,
    ResultOut,
    RoundDetail,
    RoundIn,
    RoundPage,
    RoundReportOut,
    RoundState,
    SiteIn,
    SiteOut,
    SitePage,
    SitePatch,
    SiteTypeOut,
    TransitionIn,
)
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
def new_checklist_version(session: SessionDep, user: CurrentUser, actor: UserActor, site_type: SiteType,
                          body: ChecklistIn):
    """Edit a checklist: the complete items become its next version (rounds keep the version they began with).
    422 invalid_checklist lists every problem (duplicate code, deduction above points, unknown category)."""
    return checklists.out(session, checklists.create_version(session, user, site_type, body, actor))


@router.get("/checklists/{checklist_id}", response_model=ChecklistOut, dependencies=[_checklist_readers])
def checklist(session: SessionDep, checklist_id: DbId):
    """A checklist version by id (a round site names the one it is evaluated against)."""
    return checklists.out(session, checklists.get(session, checklist_id))


# ---- sites -----------------------------------------------------------------------------------------------

@router.get("/sites", response_model=SitePage)
def site_list(session: SessionDep, user: CurrentUser,
              site_type: Annotated[UserText | None, Query(max_length=40)] = None,
              unit_id: Annotated[DbId | None, Query()] = None,
              active: bool | None = None,
              q: Annotated[UserText | None, Query(max_length=100, description="in name, address or 点位编号")] = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0):
    """The sites the caller may see (office: all; inspector: assigned through a round; unit: its own), by name."""
    return sites.listing(session, user, site_type=site_type, unit_id=unit_id, active=active, q=q, limit=limit,
                         offset=offset)


@router.post("/sites", response_model=SiteOut, status_code=201, dependencies=[_office], responses=WRITE)
def site_create(session: SessionDep, actor: UserActor, body: SiteIn):
    """Register a site (409 duplicate_code when its 点位编号 is taken)."""
    return sites.read(session, sites.create(session, actor, body))


@router.post("/sites/import", response_model=ImportResult, dependencies=[_office], responses=WRITE)
def site_import(session: SessionDep, actor: UserActor, file: UploadFile):
    """Import sites from a .csv/.xlsx sheet (Chinese headers 点位编号, 名称, 类型, 经度, 纬度, 地址, 责任单位, 联系人,
    电话) or a .geojson FeatureCollection (Point or Polygon features with those properties). All or nothing:
    any row in error → 422 import_failed with every {row, column, message}; a known 点位编号 updates its site."""
    data = file.file.read(imports.MAX_BYTES + 1)
    return sites.import_file(session, actor, file.filename or "", data)


@router.get("/sites/{site_id}", response_model=SiteOut)
def site_read(session: SessionDep, user: CurrentUser, site_id: DbId):
    """One site (404 when the caller may not see it)."""
    return sites.read(session, sites.get(session, user, site_id))


@router.patch("/sites/{site_id}", response_model=SiteOut, dependencies=[_office], responses=WRITE)
def site_update(session: SessionDep, user: CurrentUser, actor: UserActor, site_id: DbId, body: SitePatch):
    """Change a site's fields (those given)."""
    return sites.read(session, sites.update(session, actor, sites.get(session, user, site_id), body))


@router.delete("/sites/{site_id}", status_code=204, dependencies=[_office], responses=WRITE)
def site_delete(session: SessionDep, user: CurrentUser, actor: UserActor, site_id: DbId):
    """Delete a site no round used (409 site_in_use otherwise: deactivate it instead)."""
    sites.delete(session, actor, sites.get(session, user, site_id))
    return Response(status_code=204)


# ---- rounds ----------------------------------------------------------------------------------------------

@router.get("/rounds", response_model=RoundPage)
def round_list(session: SessionDep, user: CurrentUser, state: RoundState | None = None,
               limit: Annotated[int, Query(ge=1, le=200)] = 50,
               cursor: Annotated[str | None, Query(max_length=200)] = None):
    """The rounds the caller may see, newest first (office: all; inspector: those with a site assigned to them;
    unit: published ones with a site of theirs)."""
    return rounds.listing(session, user, state=state, limit=limit, cursor=cursor)


@router.post("/rounds", response_model=RoundDetail, status_code=201, dependencies=[_office], responses=WRITE)
def round_create(session: SessionDep, user: CurrentUser, body: RoundIn):
    """Create a draft round: `counts` per site type drawn at random with `seed` (recorded; same seed and same
    active sites → same draw) or chosen `site_ids`; `inspector_ids` are dealt over its sites in turn."""
    return rounds.detail(session, user, rounds.create(session, user, body))


@router.get("/inspectors", response_model=list[InspectorOut], dependencies=[_office])
def inspector_list(session: SessionDep):
    """The active inspectors a round's sites can be assigned to."""
    return rounds.inspectors(session)


@router.get("/my-sites", response_model=list[MySiteOut])
def my_sites(session: SessionDep, user: CurrentUser):
    """The sites assigned to the caller in active rounds."""
    return rounds.my_sites(session, user)


@router.get("/rounds/{round_id}", response_model=RoundDetail)
def round_read(session: SessionDep, user: CurrentUser, round_id: DbId):
    """A round with the sites the caller may see and their inspectors (404 when it may not see the round)."""
    return rounds.detail(session, user, rounds.get(session, user, round_id))


@router.post("/rounds/{round_id}/assignments", response_model=RoundDetail, dependencies=[_office],
             responses=WRITE)
def round_assign(session: SessionDep, user: CurrentUser, round_id: DbId, body: AssignmentsIn):
    """Set the inspectors of some of the round's sites (each list replaces that site's); draft or active rounds."""
    round_ = rounds.get(session, user, round_id)
    rounds.assign(session, round_, body)
    return rounds.detail(session, user, round_)


@router.post("/rounds/{round_id}/transition", response_model=RoundDetail, dependencies=[_office],
             responses=WRITE)
def round_transition(session: SessionDep, user: CurrentUser, round_id: DbId, body: TransitionIn):
    """Move the round on: draft → active → closed → published (409 wrong_state for any other move)."""
    round_ = rounds.transition(session, user, rounds.get(session, user, round_id), body.to)
    return rounds.detail(session, user, round_)


@router.post("/rounds/{round_id}/followup", response_model=RoundDetail, status_code=201, dependencies=[_office],
             responses=WRITE)
def round_followup(session: SessionDep, user: CurrentUser, round_id: DbId, body: FollowupIn):
    """A 回头看 round of a closed or published round: the same sites, by default the same inspectors."""
    earlier = rounds.get(session, user, round_id)
    return rounds.detail(session, user, rounds.followup(session, user, earlier, body))


@router.post("/rounds/{round_id}/sites/{site_id}/result", response_model=ResultOut, status_code=201,
             responses=WRITE)
def result_submit(session: SessionDep, user: CurrentUser, round_id: DbId, site_id: DbId, body: ResultIn):
    """Submit a site's evaluation (the assigned inspector, an active round): every item answered, or 无法调查
    with a reason; each 不达标 becomes a ticket for triage. The same submission again answers the first."""
    return results.submit(session, user, round_id, site_id, body)


@router.get("/rounds/{round_id}/sites/{site_id}/result", response_model=ResultOut)
def result_read(session: SessionDep, user: CurrentUser, round_id: DbId, site_id: DbId):
    """A site's submitted evaluation with its score and findings (a unit: its own sites, once published)."""
    return results.read(session, user, round_id, site_id)


@router.get("/rounds/{round_id}/report", response_model=RoundReportOut)
def round_report(session: SessionDep, user: CurrentUser, round_id: DbId):
    """The round's scores (sites, site types, units, districts, the round), lost points by dimension and item, the
    unit ranking, a 回头看's changes and the 问题清单 with its 销号 progress; FORMULAS states every formula. The
    office sees all of it in any state, an inspector their sites, a unit its own sites once published (404 before)."""
    return reports.build(session, user, rounds.get(session, user, round_id))


@router.get("/rounds/{round_id}/report.xlsx", response_class=Response, dependencies=[ReportSlot],
            responses={200: {"content": {exports.XLSX: {}}, "description": "the report as an Excel workbook"}})
def round_report_xlsx(session: SessionDep, user: CurrentUser, round_id: DbId):
    """The report as an Excel workbook (汇总, 点位得分, 单位排名, 失分, 问题清单, 回头看), as the caller sees it."""
    data, filename = exports.report_xlsx(reports.build(session, user, rounds.get(session, user, round_id)))
    return Response(data, media_type=exports.XLSX, headers=exports.attachment(filename))


@router.get("/rounds/{round_id}/report.html", response_class=HTMLResponse, dependencies=[ReportSlot])
def round_report_html(session: SessionDep, user: CurrentUser, round_id: DbId):
    """The report as a printable A4 page, with the photos of the failed items in its 问题清单."""
    report = reports.build(session, user, rounds.get(session, user, round_id))
    return HTMLResponse(exports.report_html(session, user, report), headers={"Cache-Control": "private, no-store"})

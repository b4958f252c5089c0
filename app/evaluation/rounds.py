"""Rounds (督查任务 / 模拟测评): create (a reproducible random draw or chosen sites), assign inspectors, move
through the states of app/evaluation/workflow.py, and make a 回头看 of an earlier round.

The random draw: for each site type, in the order of its code, the active sites of that type sorted by id,
and `random.Random(f"{seed}:{site_type}").sample(them, n)`; so the same seed over the same active sites
draws the same sites, and a type's draw does not depend on the counts of the others.
"""

import random
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import delete, exists, func, update
from sqlmodel import Session, col, select

from app.core import pagination
from app.core.errors import Conflict, Invalid, NotFound
from app.core.types import utcnow
from app.evaluation import access, checklists, defaults, workflow
from app.evaluation.models import (
    EvalAnswer,
    EvalAssignment,
    EvalChecklist,
    EvalResult,
    EvalRound,
    EvalRoundSite,
    EvalSite,
)
from app.evaluation.schemas import (
    AssignmentsIn,
    FollowupIn,
    InspectorOut,
    MySiteOut,
    RoundDetail,
    RoundIn,
    RoundOut,
    RoundPage,
    RoundSiteOut,
    RoundState,
)
from app.evaluation.sites import out as site_out
from app.evaluation.sites import unit_names
from app.tickets import actions as ticket_actions
from app.users.models import User
from app.users.roles import Role


def draw(session: Session, counts: dict[str, int], seed: int) -> list[int]:
    """The site ids a random draw of `counts` per site type picks with `seed` (422 when a type has too few)."""
    known = set(defaults.site_type_codes())
    unknown = sorted(set(counts) - known)
    if unknown:
        raise Invalid(f"测评点位类型不存在：{'、'.join(unknown)} Unknown site types: {', '.join(unknown)}",
                      code="unknown_site_type", details={"site_types": unknown})
    chosen: list[int] = []
    short = []
    for site_type in sorted(counts):
        n = counts[site_type]
        if n == 0:
            continue
        ids = list(session.exec(select(EvalSite.id).where(EvalSite.site_type == site_type, EvalSite.active)
                                .order_by(EvalSite.id)).all())
        if n > len(ids):
            short.append({"site_type": site_type, "requested": n, "available": len(ids)})
            continue
        chosen += sorted(random.Random(f"{seed}:{site_type}").sample(ids, n))
    if short:
        raise Invalid("启用的点位数量不足 Not enough active sites to draw from", code="not_enough_sites", details=short)
    return chosen


def _inspectors(session: Session, user_ids: list[int]) -> list[User]:
    """These users, each an active inspector (422 not_an_inspector naming the others)."""
    wanted = list(dict.fromkeys(user_ids))
    found = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(wanted))).all()} if wanted else {}
    bad = [uid for uid in wanted if uid not in found or found[uid].role != Role.inspector or not found[uid].is_active]
    if bad:
        raise Invalid("只能指派启用的督查员 Only active inspectors can be assigned", code="not_an_inspector",
                      details={"user_ids": bad})
    return [found[uid] for uid in wanted]


def _add_sites(session: Session, round_: EvalRound, site_ids: list[int]) -> list[EvalRoundSite]:
    """The round's sites, each with the checklist version current for its type now."""
    if not site_ids:
        raise Invalid("测评任务至少要有一个点位 A round needs at least one site", code="empty_round")
    sites = {s.id: s for s in session.exec(select(EvalSite).where(col(EvalSite.id).in_(site_ids))).all()}
    current = checklists.current(session)
    missing = sorted({sites[i].site_type for i in site_ids if i in sites and sites[i].site_type not in current})
    if missing:
        raise Invalid(f"以下点位类型没有测评细则：{'、'.join(missing)} No checklist for: {', '.join(missing)}",
                      code="no_checklist", details={"site_types": missing})
    ordered = sorted(site_ids, key=lambda i: (sites[i].site_type, i))
    rows = [EvalRoundSite(round_id=round_.id, site_id=i, checklist_id=current[sites[i].site_type].id) for i in ordered]
    session.add_all(rows)
    session.flush()
    return rows


def create(session: Session, user: User, body: RoundIn) -> EvalRound:
    """A draft round with its sites (drawn or chosen) and, if given, inspectors dealt over them in turn."""
    inspectors = _inspectors(session, body.inspector_ids)
    if body.counts is not None:
        seed = body.seed if body.seed is not None else random.SystemRandom().randrange(2**31)
        site_ids = draw(session, body.counts, seed)
        spec = {"mode": "random", "counts": dict(sorted(body.counts.items())), "seed": seed}
    else:
        seed = None
        site_ids = list(dict.fromkeys(body.site_ids or []))
        found = dict(session.exec(select(EvalSite.id, EvalSite.active).where(col(EvalSite.id).in_(site_ids))).all()) \
            if site_ids else {}
        bad = [i for i in site_ids if not found.get(i)]
        if bad:
            raise Invalid("点位不存在或已停用 Unknown or inactive sites", code="unknown_sites",
                          details={"site_ids": bad})
        spec = {"mode": "chosen", "site_ids": site_ids}
    round_ = EvalRound(name=body.name.strip(), starts_at=body.starts_at, ends_at=body.ends_at, seed=seed, draw=spec,
                       dispatch_on_publish=body.dispatch_on_publish, created_by=user.id, created_at=utcnow())
    session.add(round_)
    session.flush()
    rows = _add_sites(session, round_, site_ids)
    for i, rs in enumerate(rows if inspectors else []):
        session.add(EvalAssignment(round_site_id=rs.id, user_id=inspectors[i % len(inspectors)].id))
    session.flush()
    return round_


def followup(session: Session, user: User, earlier: EvalRound, body: FollowupIn) -> EvalRound:
    """A 回头看 of a closed or published round: the same sites (checklists current now), by default the same
    inspectors; `followup_of` names the earlier round."""
    if RoundState(earlier.state) not in workflow.FOLLOWUP_FROM:
        raise Conflict("只能对已结束的测评任务回头看 Only a closed or published round can be re-checked",
                       code="wrong_state", details={"state": earlier.state})
    old = list(session.exec(select(EvalRoundSite).where(EvalRoundSite.round_id == earlier.id)).all())
    round_ = EvalRound(name=(body.name or f"{earlier.name}（回头看）").strip(), starts_at=body.starts_at,
                       ends_at=body.ends_at, seed=None, draw={"mode": "followup", "of": earlier.id},
                       followup_of=earlier.id, dispatch_on_publish=earlier.dispatch_on_publish, created_by=user.id,
                       created_at=utcnow())
    session.add(round_)
    session.flush()
    rows = _add_sites(session, round_, [rs.site_id for rs in old])
    if body.copy_assignments:
        by_site = {rs.site_id: rs.id for rs in rows}
        old_ids = {rs.id: rs.site_id for rs in old}
        pairs = session.exec(select(EvalAssignment.round_site_id, EvalAssignment.user_id)
                             .join(User, User.id == EvalAssignment.user_id)
                             .where(col(EvalAssignment.round_site_id).in_(list(old_ids)), User.is_active,
                                    User.role == Role.inspector.value)).all() if old_ids else []
        for old_rs, user_id in pairs:
            session.add(EvalAssignment(round_site_id=by_site[old_ids[old_rs]], user_id=user_id))
        session.flush()
    return round_


def assign(session: Session, round_: EvalRound, body: AssignmentsIn) -> None:
    """Set the inspectors of the round sites listed (each list replaces that site's); draft or active only."""
    if RoundState(round_.state) not in workflow.ASSIGNABLE:
        raise Conflict(f"任务状态为 {round_.state}，不能再指派 Round is {round_.state}; assignments are fixed",
                       code="wrong_state", details={"state": round_.state})
    ours = set(session.exec(select(EvalRoundSite.id).where(EvalRoundSite.round_id == round_.id)).all())
    bad = sorted({a.round_site_id for a in body.assignments} - ours)
    if bad:
        raise Invalid("点位不属于本任务 Sites not in this round", code="unknown_round_site",
                      details={"round_site_ids": bad})
    _inspectors(session, [uid for a in body.assignments for uid in a.user_ids])
    wanted: dict[int, list[int]] = {}
    for a in body.assignments:
        wanted[a.round_site_id] = list(dict.fromkeys(a.user_ids))  # a site listed twice: the last list wins
    session.execute(delete(EvalAssignment).where(col(EvalAssignment.round_site_id).in_(list(wanted))))
    for rs_id, user_ids in wanted.items():
        session.add_all(EvalAssignment(round_site_id=rs_id, user_id=uid) for uid in user_ids)
    session.flush()


def inspectors(session: Session) -> list[InspectorOut]:
    """The active inspectors, by name: whom a round's sites can be assigned to."""
    rows = session.exec(select(User).where(User.role == Role.inspector.value, User.is_active)
                        .order_by(User.display_name, User.id)).all()
    return [InspectorOut(id=u.id, display_name=u.display_name) for u in rows]


def transition(session: Session, user: User, round_: EvalRound, to: RoundState) -> EvalRound:
    """Move the round to `to` (workflow.TRANSITIONS); of two concurrent moves exactly one wins (409 the other)."""
    state = RoundState(round_.state)
    workflow.check(state, to, user.role)
    if to == RoundState.active:
        # A site nobody is sent to would stay 未提交 for the whole round: nobody could do it.
        unassigned = session.exec(select(func.count()).select_from(EvalRoundSite).where(
            EvalRoundSite.round_id == round_.id,
            ~exists().where(EvalAssignment.round_site_id == EvalRoundSite.id))).one()
        if unassigned:
            raise Conflict(f"还有 {unassigned} 个点位未指派督查员，请先指派 Sites without an inspector: {unassigned}; "
                           "assign them first", code="sites_unassigned", details={"count": unassigned})
    values: dict = {"state": to.value}
    if to == RoundState.published:
        values |= {"published_by": user.id, "published_at": utcnow()}
    result = session.execute(update(EvalRound).where(EvalRound.id == round_.id, EvalRound.state == state.value)
                             .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict("任务状态已被他人更改，请刷新 The round changed meanwhile; reload", code="wrong_state")
    session.refresh(round_)
    if to == RoundState.published:  # its sites count for their units as they are now, whatever happens later
        session.execute(update(EvalRoundSite).where(EvalRoundSite.round_id == round_.id)
                        .values(unit_id=select(EvalSite.unit_id).where(EvalSite.id == EvalRoundSite.site_id)
                                .scalar_subquery()).execution_options(synchronize_session=False))
    if to == RoundState.published and round_.dispatch_on_publish:
        dispatch_findings(session, user, round_)
    return round_


def dispatch_findings(session: Session, user: User, round_: EvalRound) -> int:
    """Every finding of the round still reported, dispatched to its site's unit with its category's deadline, in
    the publishing transaction (the round's `dispatch_on_publish`)."""
    pairs = session.exec(
        select(EvalAnswer.ticket_id, access.site_unit()).join(EvalResult, EvalResult.id == EvalAnswer.result_id)
        .join(EvalRoundSite, EvalRoundSite.id == EvalResult.round_site_id)
        .join(EvalSite, EvalSite.id == EvalRoundSite.site_id)
        .where(EvalRoundSite.round_id == round_.id, col(EvalAnswer.ticket_id).is_not(None))
        .order_by(EvalSite.id, EvalAnswer.id)).all()
    return ticket_actions.dispatch_findings(session, user, [(t, u) for t, u in pairs],
                                           note=f"实地测评「{round_.name}」发布，问题直接交办")


# ---- reading ---------------------------------------------------------------------------------------------

def get(session: Session, user: User, round_id: int) -> EvalRound:
    """A round the user may see; 404 otherwise (a unit learns nothing of a round before it is published)."""
    round_ = session.exec(select(EvalRound).where(EvalRound.id == round_id, access.round_clause(user))).first()
    if round_ is None:
        raise NotFound("测评任务不存在 Round not found")
    return round_


def _visible_sites(session: Session, user: User, round_ids: list[int], *columns):
    """The round sites of these rounds the user may see (with their site), or the `columns` given of them."""
    stmt = select(*columns) if columns else select(EvalRoundSite, EvalSite)
    return (stmt.select_from(EvalRoundSite).join(EvalSite, EvalSite.id == EvalRoundSite.site_id)
            .join(EvalRound, EvalRound.id == EvalRoundSite.round_id)
            .where(col(EvalRoundSite.round_id).in_(round_ids), access.round_site_clause(user)))


def visible_round_ids(session: Session, user: User, round_ids: Iterable[int | None]) -> set[int]:
    """Those of these rounds the user may see (one query; none for the office, who sees every round)."""
    ids = {i for i in round_ids if i is not None}
    if not ids or access.sees_everything(user):
        return ids
    return set(session.exec(select(EvalRound.id).where(col(EvalRound.id).in_(ids), access.round_clause(user))).all())


def round_out(user: User, r: EvalRound, site_count: int, visible_rounds: set[int]) -> RoundOut:
    """`visible_rounds`: ids of rounds the user may see (visible_round_ids); a 回头看 names the round it re-checks
    only to whoever may see that round (a unit may not learn that an unpublished round exists)."""
    office = access.sees_everything(user)
    followup_of = r.followup_of if r.followup_of in visible_rounds else None
    return RoundOut(id=r.id, name=r.name, starts_at=r.starts_at, ends_at=r.ends_at, state=RoundState(r.state),
                    seed=r.seed if office else None, draw=r.draw if office else {}, followup_of=followup_of,
                    dispatch_on_publish=r.dispatch_on_publish, created_by=r.created_by, created_at=r.created_at,
                    published_at=r.published_at, site_count=site_count)


def listing(session: Session, user: User, *, state: RoundState | None, limit: int, cursor: str | None) -> RoundPage:
    """The rounds the user may see, newest first, one page at a time."""
    stmt = select(EvalRound).where(access.round_clause(user))
    if state is not None:
        stmt = stmt.where(EvalRound.state == state.value)
    rows, next_cursor = pagination.page(session, stmt, EvalRound.created_at, EvalRound.id, desc=True, limit=limit,
                                        cursor=cursor, id_type=int)
    ids = [r.id for r in rows]
    counts: dict[int, int] = defaultdict(int)
    if ids:
        stmt = _visible_sites(session, user, ids, EvalRoundSite.round_id, func.count()).group_by(EvalRoundSite.round_id)
        counts.update(dict(session.exec(stmt).all()))
    earlier = visible_round_ids(session, user, (r.followup_of for r in rows))
    return RoundPage(items=[round_out(user, r, counts[r.id], earlier) for r in rows], next_cursor=next_cursor)


def detail(session: Session, user: User, round_: EvalRound) -> RoundDetail:
    """The round with the sites the user may see; who inspects each is shown to the office and inspectors only."""
    pairs = session.exec(_visible_sites(session, user, [round_.id]).order_by(EvalSite.site_type, EvalSite.name,
                                                                              EvalSite.id)).all()
    rs_ids = [rs.id for rs, _ in pairs]
    inspectors: dict[int, list[InspectorOut]] = defaultdict(list)
    if rs_ids and user.role != Role.unit_staff:
        for rs_id, uid, name in session.exec(
                select(EvalAssignment.round_site_id, User.id, User.display_name)
                .join(User, User.id == EvalAssignment.user_id)
                .where(col(EvalAssignment.round_site_id).in_(rs_ids)).order_by(User.id)).all():
            inspectors[rs_id].append(InspectorOut(id=uid, display_name=name))
    versions = dict(session.exec(select(EvalChecklist.id, EvalChecklist.version).where(
        col(EvalChecklist.id).in_({rs.checklist_id for rs, _ in pairs}))).all()) if pairs else {}
    names = unit_names(session)
    sites = [RoundSiteOut(id=rs.id, site=site_out(s, names.get(u := rs.unit_id or s.unit_id, ""))
                          .model_copy(update={"unit_id": u}), checklist_id=rs.checklist_id,
                          checklist_version=versions.get(rs.checklist_id, 0), inspectors=inspectors[rs.id])
             for rs, s in pairs]
    allowed = workflow.allowed(RoundState(round_.state), user.role)
    earlier = visible_round_ids(session, user, [round_.followup_of])
    return RoundDetail(**round_out(user, round_, len(sites), earlier).model_dump(), sites=sites,
                       allowed_transitions=allowed)


def my_sites(session: Session, user: User) -> list[MySiteOut]:
    """The sites assigned to the user in active rounds, the round ending first first."""
    if user.role != Role.inspector:
        return []  # assignments outlive a role change: an inspector moved to a unit sees theirs no more
    rows = session.exec(
        select(EvalRound, EvalRoundSite, EvalSite).join(EvalRoundSite, EvalRoundSite.round_id == EvalRound.id)
        .join(EvalSite, EvalSite.id == EvalRoundSite.site_id)
        .join(EvalAssignment, EvalAssignment.round_site_id == EvalRoundSite.id)
        .where(EvalAssignment.user_id == user.id, EvalRound.state == RoundState.active.value)
        .order_by(EvalRound.ends_at, EvalRound.id, EvalSite.name, EvalSite.id)).all()
    names = unit_names(session)
    ids = [rs.id for _, rs, _ in rows]
    done = {res.round_site_id: res for res in session.exec(
        select(EvalResult).where(col(EvalResult.round_site_id).in_(ids))).all()} if ids else {}
    return [MySiteOut(round_id=r.id, round_name=r.name, ends_at=r.ends_at, round_site_id=rs.id,
                      checklist_id=rs.checklist_id, site=site_out(s, names.get(s.unit_id, "")),
                      result_id=done[rs.id].id if rs.id in done else None,
                      submitted_at=done[rs.id].submitted_at if rs.id in done else None)
            for r, rs, s in rows]

"""A round's report (实地测评 成绩): every site's score, the roll-ups, lost points by dimension and item, the unit
ranking, a 回头看's comparison with the round it re-checks, and the round's 问题清单 with its 销号 progress.

The figures are app/evaluation/scoring.py's (its FORMULAS state them); this module only reads a round through the
database in a fixed handful of queries (sites, results, answers, checklist items, units, findings; the same again
for the earlier round of a 回头看), never one per site, and builds the report from plain rows.

Who sees what is access.py's: the office the whole round in any state; an inspector the sites assigned to them;
a unit nothing before publication (the round itself answers 404) and then only its own sites and their findings,
with a finding's ticket (case number, state, deadline) only once that ticket is visible to it (dispatched to it).
Every figure is computed over the sites the caller sees, so a unit's totals are its own.
"""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select, true
from sqlmodel import Session, col

from app.core.types import utcnow
from app.evaluation import access, defaults, scoring
from app.evaluation.models import EvalAnswer, EvalChecklistItem, EvalResult, EvalRound, EvalRoundSite, EvalSite
from app.evaluation.rounds import round_out, visible_round_ids
from app.evaluation.schemas import (
    DimensionLossOut,
    FindingOut,
    FindingsProgress,
    GroupScoreOut,
    ItemChangeOut,
    ItemLossOut,
    RankedUnitOut,
    ReviewOut,
    RoundReportOut,
    RoundState,
    SiteScoreOut,
)
from app.stats.service import district_mapping
from app.tickets import access as ticket_access
from app.tickets.models import Ticket
from app.units.models import Unit
from app.users.models import User

# 销号: a finding closed after verification; these states leave the count of those to be rectified.
CLOSED = "closed"
NOT_TO_RECTIFY = frozenset({"cancelled", "voided"})
# by_district's group of the units under no district (departments, companies)
OTHER_DISTRICT, OTHER_DISTRICT_EN = "其他（非属地单位）", "Other (units outside any district)"


@dataclass
class _Site:
    round_site_id: int
    checklist_id: int
    site_id: int
    code: str | None
    name: str
    site_type: str
    unit_id: int


@dataclass
class _Loaded:
    """A round as plain rows: its visible sites, results, answers by site, and the checklist items used."""

    sites: list[_Site]
    results: dict[int, tuple[str, str | None]]  # round site id → (status, unable reason)
    answers: dict[int, list[tuple[int, str, int | None]]]  # round site id → [(item id, verdict, occurrences)]
    items: dict[int, EvalChecklistItem]  # by id
    site_count: int
    round_id: int  # all sites of the round, visible or not


def _load(session: Session, user: User | None, round_id: int) -> _Loaded:
    """One round's visible sites (user None: all of them) and everything recorded at them, in four queries."""
    rows = session.execute(
        select(EvalRoundSite.id, EvalRoundSite.checklist_id, EvalSite.id, EvalSite.code, EvalSite.name,
               EvalSite.site_type, access.site_unit())
        .join(EvalSite, EvalSite.id == EvalRoundSite.site_id).join(EvalRound, EvalRound.id == EvalRoundSite.round_id)
        .where(EvalRoundSite.round_id == round_id, access.round_site_clause(user) if user is not None else true())
        .order_by(EvalSite.site_type, EvalSite.name, EvalSite.id)).all()
    sites = [_Site(*r) for r in rows]
    visible = {s.round_site_id for s in sites}
    site_count = session.execute(select(func.count()).select_from(EvalRoundSite)
                                 .where(EvalRoundSite.round_id == round_id)).scalar_one()
    # The large reads run on the connection (Core): plain rows, without the ORM's per-row work.
    conn = session.connection()
    results: dict[int, tuple[str, str | None]] = {}
    for rs_id, status, reason in conn.execute(
            select(EvalResult.round_site_id, EvalResult.status, EvalResult.unable_reason)
            .join(EvalRoundSite, EvalRoundSite.id == EvalResult.round_site_id)
            .where(EvalRoundSite.round_id == round_id)).all():
        if rs_id in visible:
            results[rs_id] = (status, reason)
    answers: dict[int, list[tuple[int, str, int | None]]] = defaultdict(list)
    for rs_id, item_id, verdict, occurrences in conn.execute(
            select(EvalResult.round_site_id, EvalAnswer.item_id, EvalAnswer.verdict, EvalAnswer.occurrences)
            .join(EvalResult, EvalResult.id == EvalAnswer.result_id)
            .join(EvalRoundSite, EvalRoundSite.id == EvalResult.round_site_id)
            .where(EvalRoundSite.round_id == round_id)).all():
        if rs_id in visible:
            answers[rs_id].append((item_id, verdict, occurrences))
    checklist_ids = {s.checklist_id for s in sites}
    items = {i.id: i for i in session.execute(
        select(EvalChecklistItem).where(col(EvalChecklistItem.checklist_id).in_(checklist_ids))
        .order_by(EvalChecklistItem.checklist_id, EvalChecklistItem.position)).scalars()} if checklist_ids else {}
    return _Loaded(sites, results, dict(answers), items, site_count, round_id)


@dataclass
class _Units:
    names: dict[int, str]
    district: dict[int, int]
    district_names: dict[int, str]


def _units(session: Session) -> _Units:
    mapping, dnames = district_mapping(session)
    return _Units(dict(session.execute(select(Unit.id, Unit.name)).all()), mapping, dnames)


def _round_input(loaded: _Loaded, units: _Units) -> scoring.RoundInput:
    """The scoring module's input: one checklist per site type (a round keeps one version of each), and the
    sites that were submitted (pending ones are in no score)."""
    by_checklist: dict[int, list[scoring.Item]] = defaultdict(list)
    for it in loaded.items.values():
        by_checklist[it.checklist_id].append(
            scoring.Item(code=it.code, dimension=it.dimension, points_tenths=it.points_tenths,
                         rule=scoring.Rule(it.rule), deduction_tenths=it.deduction_tenths,
                         category_code=it.category_code))
    checklists = {s.site_type: by_checklist[s.checklist_id] for s in loaded.sites}
    code_of = {item_id: it.code for item_id, it in loaded.items.items()}
    answer = scoring.answer
    inputs = []
    for s in loaded.sites:
        result = loaded.results.get(s.round_site_id)
        if result is None:
            continue
        status, reason = result
        district = units.district.get(s.unit_id)
        answers = {code_of[item_id]: answer(verdict, occurrences)
                   for item_id, verdict, occurrences in loaded.answers.get(s.round_site_id, ())}
        inputs.append(scoring.SiteInput(
            site_id=s.site_id, site_type=s.site_type, unit_id=s.unit_id, unit_name=units.names.get(s.unit_id, ""),
            district_id=district, district_name=units.district_names.get(district) if district else None,
            status=scoring.SiteStatus(status), answers=answers, unable_reason=reason))
    return scoring.RoundInput(checklists=checklists, sites=inputs)


def _maker(cls):
    """cls.model_construct for rows that give every field (no defaults, no aliases): the same object without its
    per-field lookups, for the thousands of lines of a large round (built from the database's own rows)."""
    new, set_ = cls.__new__, object.__setattr__

    def make(**values):
        m = new(cls)
        set_(m, "__dict__", values)
        set_(m, "__pydantic_fields_set__", set(values))
        set_(m, "__pydantic_extra__", None)
        set_(m, "__pydantic_private__", None)
        return m
    return make


_finding = _maker(FindingOut)
_change = _maker(ItemChangeOut)


def _p(tenths: int | None) -> float | None:
    return None if tenths is None else scoring.points(tenths)


def _group(g: scoring.GroupScore, name: str | None = None, name_en: str = "") -> GroupScoreOut:
    return GroupScoreOut(key=g.key, name=name if name is not None else g.name, name_en=name_en,
                         sites_evaluated=g.sites_evaluated,
                         sites_unable=g.sites_unable, possible=_p(g.possible_tenths), deducted=_p(g.deducted_tenths),
                         earned=_p(g.earned_tenths), rate=g.rate, mean_site_rate=g.mean_site_rate,
                         na_items=g.na_items, unable_items=g.unable_items)


def build(session: Session, user: User, round_: EvalRound) -> RoundReportOut:
    """The report of a round the caller may see (rounds.get has checked that), over the sites it may see."""
    loaded = _load(session, user, round_.id)
    units = _units(session)
    report = scoring.score_round(_round_input(loaded, units))
    type_names, type_names_en = defaults.site_type_names(), defaults.site_type_names_en()
    scored = {r.site.site_id: r for r in report.sites}

    sites = []
    for s in loaded.sites:
        r = scored.get(s.site_id)
        district = units.district.get(s.unit_id)
        common = dict(round_site_id=s.round_site_id, site_id=s.site_id, site_code=s.code, site_name=s.name,
                      site_type=s.site_type, site_type_name=type_names.get(s.site_type, s.site_type),
                      site_type_name_en=type_names_en.get(s.site_type, ""),
                      unit_id=s.unit_id, unit_name=units.names.get(s.unit_id, ""),
                      district_name=units.district_names.get(district) if district else None)
        empty = dict(unable_reason=None, possible=None, deducted=None, earned=None, rate=None, pass_count=0,
                     fail_count=0, na_count=0, unable_count=0)
        # Built from the database's own rows: construct, not validate (a thousand sites in a large round).
        if r is None:
            sites.append(SiteScoreOut.model_construct(**common, **empty, status="pending"))
        elif r.score is None:
            sites.append(SiteScoreOut.model_construct(**common, **empty | {"unable_reason": r.site.unable_reason},
                                                      status="unable"))
        else:
            sc = r.score
            sites.append(SiteScoreOut.model_construct(
                **common, status="evaluated", unable_reason=None, possible=_p(sc.possible_tenths),
                deducted=_p(sc.deducted_tenths), earned=_p(sc.earned_tenths), rate=sc.rate, pass_count=sc.pass_count,
                fail_count=sc.fail_count, na_count=sc.na_count, unable_count=sc.unable_count))

    texts = {(it.checklist_id, it.code): it for it in loaded.items.values()}
    checklist_of_type = {s.site_type: s.checklist_id for s in loaded.sites}
    items = []
    for i in report.items:  # every item of the evaluated site types' versions, 0 lost included: which held
        it = texts[(checklist_of_type[i.site_type], i.code)]
        items.append(ItemLossOut(site_type=i.site_type, site_type_name=type_names.get(i.site_type, i.site_type),
                                 site_type_name_en=type_names_en.get(i.site_type, ""), code=i.code, text=it.text_zh,
                                 text_en=it.text_en, dimension=i.dimension,
                                 dimension_en=defaults.dimension_en(i.dimension), points=_p(it.points_tenths),
                                 lost=_p(i.lost_tenths), share=i.share, sites_failed=i.sites_failed,
                                 sites_applicable=i.sites_applicable, occurrences=i.occurrences))

    complete = access.sees_everything(user) and len(loaded.sites) == loaded.site_count
    ranking, unranked, ranked_units = report.ranking, report.unranked, len(report.ranking)
    formulas = FORMULAS
    if not complete:
        # Ranks among the sites one sees would be false (a unit's own sites: always first). Once the round is
        # published its ranks are the office's to announce: the caller's units with their rank in the whole round;
        # before, no rank at all. Lost-point shares stay of what the caller sees, and say so.
        ranking, unranked, ranked_units = (), (), None
        if RoundState(round_.state) == RoundState.published:
            whole = scoring.score_round(_round_input(_load(session, None, round_.id), units))
            mine = {s.unit_id for s in loaded.sites}
            ranking = [u for u in whole.ranking if u.unit_id in mine]
            unranked = [g for g in whole.unranked if g.key in mine]
            ranked_units = len(whole.ranking)
        formulas = partial_formulas(ranked_units)

    findings = _findings(session, user, loaded, units)
    closed = sum(f.status == CLOSED for f in findings)
    cancelled = sum(f.status in NOT_TO_RECTIFY for f in findings)
    undispatched = sum(f.status is None for f in findings)
    to_rectify = len(findings) - cancelled
    return RoundReportOut(
        round=round_out(user, round_, len(loaded.sites),
                        visible_round_ids(session, user, [round_.followup_of])),
        # Only the office is told: whether a round has other sites is no business of a unit's.
        complete=complete, ranked_units=ranked_units,
        generated_at=utcnow(), total=_group(report.total, round_.name),
        sites_pending=sum(s.status == "pending" for s in sites), sites=sites,
        by_site_type=[_group(g, type_names.get(g.key, g.key), type_names_en.get(g.key, ""))
                      for g in report.by_site_type],
        by_unit=[_group(g) for g in report.by_unit],
        by_district=[_group(g) if g.key is not None else _group(g, OTHER_DISTRICT, OTHER_DISTRICT_EN)
                     for g in report.by_district],
        dimensions=[DimensionLossOut(dimension=d.dimension, dimension_en=defaults.dimension_en(d.dimension),
                                     lost=_p(d.lost_tenths), share=d.share, failures=d.failures)
                    for d in report.dimensions],
        items=items,
        ranking=[RankedUnitOut(rank=u.rank, unit_id=u.unit_id, unit_name=u.unit_name, rate=u.rate,
                               mean_site_rate=u.mean_site_rate, earned=_p(u.earned_tenths),
                               possible=_p(u.possible_tenths), sites_evaluated=u.sites_evaluated)
                 for u in ranking],
        unranked=[_group(g) for g in unranked],
        review=_review(session, user, round_, report, loaded, units),
        findings=findings,
        progress=FindingsProgress(total=len(findings), closed=closed, cancelled=cancelled,
                                  undispatched=undispatched, open=to_rectify - closed,
                                  rate=closed / to_rectify if to_rectify else None),
        formulas=formulas,
    )


FORMULAS = scoring.FORMULAS | {
    "findings_progress": {"zh": "销号进度 = 已结案（核查通过）的问题数 ÷（问题总数 − 不予立案、作废数）",
                          "en": "close-out progress = findings closed after verification ÷ (all findings − those "
                                "cancelled or voided)"},
    "undispatched": {"zh": "问题交办本单位之前，责任单位只见不达标的测评项，不见案件编号和状态（待交办），计入未销号",
                     "en": "until a finding is dispatched to it, a unit sees the failed item, not its case number or "
                           "state (awaiting dispatch); it counts as not closed"},
    "pending": {"zh": "尚未提交测评的点位不计入任何得分，单独计数",
                "en": "sites not submitted yet are in no score and are counted separately"},
}


def partial_formulas(ranked_units: int | None) -> dict[str, dict[str, str]]:
    """FORMULAS for a report of the sites one may see (a unit's own, an inspector's assigned): its shares are of
    what it holds; its ranks, when given, are the whole round's."""
    ranking = {"zh": f"排名按本轮全部点位的得分率计算（共 {ranked_units} 个单位参与排名），这里只列出你可见的单位；"
                     "得分率相同的并列（1、1、3）",
               "en": f"ranks are the whole round's, by score rate over all its sites ({ranked_units} units ranked); "
                     "only the units you may see are listed; equal rates share a rank (1, 1, 3)"} \
        if ranked_units is not None else \
        {"zh": "测评任务发布前不排名：排名以测评办公室发布的结果为准",
         "en": "no ranks before the round is published: ranks are the office's to publish"}
    return FORMULAS | {
        "ranking": ranking,
        "dimension_loss": {"zh": "维度失分 = 你可见点位中该维度各测评项扣分之和；占比 = 维度失分 ÷ 你可见点位的总失分",
                           "en": "points lost per dimension = Σ losses of its items at the sites you may see; "
                                 "share = that ÷ all points lost at those sites"},
    }


def _findings(session: Session, user: User, loaded: _Loaded, units: _Units) -> list[FindingOut]:
    """The visible sites' 不达标 answers and their tickets (one query), by unit, site and item. A ticket the user
    may not see (app/tickets/access.py: a unit's, before it is dispatched to it) is left out of its line."""
    by_rs = {s.round_site_id: s for s in loaded.sites}
    if not by_rs:
        return []
    rows = session.connection().execute(
        select(EvalResult.round_site_id, EvalAnswer.item_id, EvalAnswer.occurrences, Ticket.id, Ticket.case_number,
               Ticket.status, Ticket.deadline_at, Ticket.closed_at, ticket_access.visible_clause(user))
        .select_from(EvalAnswer)
        .join(EvalResult, EvalResult.id == EvalAnswer.result_id)
        .join(EvalRoundSite, EvalRoundSite.id == EvalResult.round_site_id)
        .join(Ticket, Ticket.id == EvalAnswer.ticket_id)
        .where(EvalRoundSite.round_id == loaded.round_id)).all()
    out = []
    texts = {item_id: (it.code, it.text_zh, it.text_en) for item_id, it in loaded.items.items()}
    losses: dict[tuple[int, int | None], float] = {}  # (item, occurrences) → points lost: a round repeats a few
    for rs_id, item_id, occurrences, tid, case_number, status, deadline_at, closed_at, visible in rows:
        s = by_rs.get(rs_id)
        if s is None:
            continue
        if not visible:  # the failed item is the unit's to see; the ticket only once it is dispatched to it
            tid = case_number = status = deadline_at = closed_at = None
        loss = losses.get((item_id, occurrences))
        if loss is None:
            it = loaded.items[item_id]
            loss = losses[(item_id, occurrences)] = _p(scoring.item_loss(
                scoring.Item(it.code, it.dimension, it.points_tenths, scoring.Rule(it.rule), it.deduction_tenths),
                scoring.answer("fail", occurrences)))
        # Built from the database's own rows: construct, not validate (thousands of rows in a large round).
        out.append(_finding(
            ticket_id=tid, case_number=case_number, status=status, site_id=s.site_id, site_name=s.name,
            unit_id=s.unit_id, unit_name=units.names.get(s.unit_id, ""), item_code=texts[item_id][0],
            item_text=texts[item_id][1], item_text_en=texts[item_id][2],
            occurrences=occurrences, loss=loss, deadline_at=deadline_at, closed_at=closed_at))
    out.sort(key=lambda f: (f.unit_name, f.unit_id, f.site_name, f.site_id, f.item_code))
    return out


_QUIET = frozenset({scoring.Change.still_passing, scoring.Change.still_na})


def _review(session: Session, user: User, round_: EvalRound, report: scoring.RoundReport, loaded: _Loaded,
            units: _Units) -> ReviewOut | None:
    """A 回头看 against the round it re-checks, over the sites the caller sees in both (None for another round,
    or when the caller may not see the earlier one)."""
    if round_.followup_of is None:
        return None
    earlier = session.exec(select(EvalRound).where(EvalRound.id == round_.followup_of,
                                                   access.round_clause(user))).scalars().first()
    if earlier is None:
        return None
    before_loaded = _load(session, user, earlier.id)
    mine = {s.site_id for s in loaded.sites}
    before_loaded.sites = [s for s in before_loaded.sites if s.site_id in mine]
    before = scoring.score_round(_round_input(before_loaded, units))
    comparison = scoring.compare_reports(before, report)
    names = {s.site_id: (s.name, units.names.get(s.unit_id, "")) for s in loaded.sites}
    texts = {it.code: (it.text_zh, it.text_en) for it in before_loaded.items.values()} | {
        it.code: (it.text_zh, it.text_en) for it in loaded.items.values()}
    changes = [_change(site_id=sc.site_id, site_name=names.get(sc.site_id, ("", ""))[0],
                             unit_name=names.get(sc.site_id, ("", ""))[1], item_code=c.code,
                             item_text=(text := texts.get(c.code, ("", "")))[0], item_text_en=text[1],
                             change=c.change.value,
                             before=c.before.value if c.before else None, after=c.after.value if c.after else None)
               for sc in comparison.sites for c in sc.items if c.change not in _QUIET]
    return ReviewOut(of_round_id=earlier.id, of_round_name=earlier.name,
                     counts={k.value: v for k, v in comparison.counts.items()},
                     site_counts={k.value: v for k, v in comparison.site_counts.items()}, changes=changes)

"""Scores of an evaluation round (实地测评), from the checklists and the answers. Pure: no database, no web.

Points are integers in tenths of a point (`*_tenths`) everywhere in here. Checklists carry half points and
tenths (2.5 分 per occurrence, 0.5 分 per missing sign); in tenths every sum, cap and difference is exact, a
site type's checklist totals exactly 1000, and a report's totals equal the sum of its rows, which floats (0.1 +
0.2 ≠ 0.3) do not promise. Only rates and shares are floats, computed once from exact integers at the end.

The formulas (FORMULAS below states them in Chinese and English for the UI and the exports):

- an item's loss: 达标 (pass) 0; 不适用 (na) and 无法调查 (unable: the item could not be checked, e.g. a locked
  area; with a reason) 0, and the item leaves the site's possible points, counted apart; 不达标 (fail) with
  n ≥ 1 occurrences min(points, deduction × n) under `per_occurrence`, all of points under `all_or_nothing`;
- a site: possible = Σ points of the items that apply (neither na nor unable), deducted = Σ losses,
  earned = possible − deducted, 得分率 = earned ÷ possible (None when nothing applies); 无法调查 (unable) sites
  are in no score, counted apart;
- a group (site type, responsible unit, district, the round): 得分率 = Σ earned ÷ Σ possible over its evaluated
  sites (weighted: a site counts by its possible points), with the plain mean of the site 得分率 beside it;
- lost points per dimension and per item: Σ losses, and the share of all points lost in the round;
- units ranked by their 得分率, descending; equal rates share a rank (1, 1, 3); a unit without an evaluated
  site with points possible is listed, not ranked;
- 回头看: each (site, item) answered in an earlier round and in its review round is one change (fixed, still
  failing, newly failing …), counted per site and for the round.

Bad input raises a `ScoringError` (an `Invalid`: 422), with every problem found listed in `details`.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from functools import cache

from app.core.errors import Invalid


class _Str(StrEnum):
    """A StrEnum hashed as its string (in C): Enum's own __hash__ is a Python call, and a round's report hashes
    verdicts and changes some 100,000 times. Equal members and strings already compare equal."""

    __hash__ = str.__hash__


class Rule(_Str):
    per_occurrence = "per_occurrence"  # 按次扣分，扣完该项分值为止
    all_or_nothing = "all_or_nothing"  # 不达标即扣除该项全部分值


class Verdict(_Str):
    pass_ = "pass"  # 达标
    fail = "fail"   # 不达标
    na = "na"       # 不适用
    unable = "unable"  # 无法调查 (this item could not be checked: a locked area …), with a reason


class SiteStatus(_Str):
    evaluated = "evaluated"  # 已测评
    unable = "unable"        # 无法调查 (closed, access refused …), with a reason


class Change(_Str):
    """What happened to one item of one site between a round and its 回头看."""

    fixed = "fixed"                  # 已整改: fail → pass
    still_failing = "still_failing"  # 仍未整改: fail → fail
    newly_failing = "newly_failing"  # 新增问题: pass → fail
    still_passing = "still_passing"  # 保持达标: pass → pass
    fail_to_na = "fail_to_na"        # 不达标 → 不适用
    pass_to_na = "pass_to_na"        # 达标 → 不适用
    na_to_fail = "na_to_fail"        # 不适用 → 不达标
    na_to_pass = "na_to_pass"        # 不适用 → 达标
    still_na = "still_na"            # 不适用 → 不适用
    fail_to_unable = "fail_to_unable"  # 不达标 → 无法调查
    pass_to_unable = "pass_to_unable"  # 达标 → 无法调查
    na_to_unable = "na_to_unable"      # 不适用 → 无法调查
    unable_to_fail = "unable_to_fail"  # 无法调查 → 不达标
    unable_to_pass = "unable_to_pass"  # 无法调查 → 达标
    unable_to_na = "unable_to_na"      # 无法调查 → 不适用
    still_unable = "still_unable"      # 无法调查 → 无法调查
    item_added = "item_added"        # only in the review round's checklist
    item_removed = "item_removed"    # only in the earlier round's checklist


class SiteChange(_Str):
    """How one site of a round and its 回头看 compare."""

    compared = "compared"            # evaluated both times: its items are compared
    unable_before = "unable_before"  # 无法调查 the first time, evaluated in the review
    unable_after = "unable_after"    # evaluated the first time, 无法调查 in the review
    unable_both = "unable_both"
    not_rechecked = "not_rechecked"  # in the earlier round only
    new_site = "new_site"            # in the review round only


_CHANGES: dict[tuple[Verdict, Verdict], Change] = {
    (Verdict.fail, Verdict.pass_): Change.fixed,
    (Verdict.fail, Verdict.fail): Change.still_failing,
    (Verdict.pass_, Verdict.fail): Change.newly_failing,
    (Verdict.pass_, Verdict.pass_): Change.still_passing,
    (Verdict.fail, Verdict.na): Change.fail_to_na,
    (Verdict.pass_, Verdict.na): Change.pass_to_na,
    (Verdict.na, Verdict.fail): Change.na_to_fail,
    (Verdict.na, Verdict.pass_): Change.na_to_pass,
    (Verdict.na, Verdict.na): Change.still_na,
    (Verdict.fail, Verdict.unable): Change.fail_to_unable,
    (Verdict.pass_, Verdict.unable): Change.pass_to_unable,
    (Verdict.na, Verdict.unable): Change.na_to_unable,
    (Verdict.unable, Verdict.fail): Change.unable_to_fail,
    (Verdict.unable, Verdict.pass_): Change.unable_to_pass,
    (Verdict.unable, Verdict.na): Change.unable_to_na,
    (Verdict.unable, Verdict.unable): Change.still_unable,
}


_VERDICTS = frozenset(Verdict)
_RULES = frozenset(Rule)


# ---- errors ---------------------------------------------------------------------------------------

class ScoringError(Invalid):
    """Answers, a checklist or a round that cannot be scored. `details` lists every problem found."""

    code = "invalid_scoring_input"

    def __init__(self, problems: list[dict]):
        first = problems[0]["message"]
        more = f"（另有 {len(problems) - 1} 处 / and {len(problems) - 1} more）" if len(problems) > 1 else ""
        super().__init__(f"{first}{more}", details=problems)
        self.problems = problems


class InvalidChecklist(ScoringError):
    code = "invalid_checklist"


class InvalidAnswers(ScoringError):
    code = "invalid_answers"


class InvalidRound(ScoringError):
    code = "invalid_round"


def _problem(kind: str, message: str, **where) -> dict:
    return {"problem": kind, **{k: v for k, v in where.items() if v is not None}, "message": message}


# ---- inputs ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Item:
    """One checklist item as scoring needs it (the texts stay in the database)."""

    code: str
    dimension: str
    points_tenths: int
    rule: Rule
    deduction_tenths: int  # per occurrence; equals points_tenths under all_or_nothing
    category_code: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    verdict: Verdict
    occurrences: int | None = None  # ≥ 1 on a fail, None otherwise


@cache
def answer(verdict: str, occurrences: int | None = None) -> Answer:
    """One shared Answer per (verdict, occurrences): answers are immutable and a round repeats a handful of them,
    so a service building 30,000 pays a lookup each. An unknown verdict is kept as given for validation to
    report."""
    return Answer(Verdict(verdict) if verdict in _VERDICTS else verdict, occurrences)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class SiteInput:
    """One site of a round, with where it belongs and what the inspector recorded."""

    site_id: int
    site_type: str
    unit_id: int
    unit_name: str
    district_id: int | None
    district_name: str | None
    status: SiteStatus
    answers: Mapping[str, Answer] = field(default_factory=dict)  # item code → answer; ignored when unable
    unable_reason: str | None = None


@dataclass(frozen=True, slots=True)
class RoundInput:
    """A round: the checklist (of the version the round keeps) of each site type, and its sites."""

    checklists: Mapping[str, Sequence[Item]]  # site type code → items
    sites: Sequence[SiteInput]


# ---- outputs --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ItemLoss:
    code: str
    dimension: str
    occurrences: int
    loss_tenths: int


@dataclass(frozen=True, slots=True)
class SiteScore:
    possible_tenths: int
    deducted_tenths: int
    earned_tenths: int
    rate: float | None  # 得分率 = earned ÷ possible; None when no item applies
    losses: tuple[ItemLoss, ...]  # the items that lost points, in checklist order
    pass_count: int
    fail_count: int
    na_count: int
    unable_count: int = 0  # 无法调查 items: like 不适用, out of the possible points, counted apart


@dataclass(frozen=True, slots=True)
class SiteResult:
    site: SiteInput
    score: SiteScore | None  # None when the site is 无法调查


@dataclass(frozen=True, slots=True)
class GroupScore:
    """The roll-up of one site type, unit, district or the whole round."""

    key: int | str | None
    name: str | None
    sites_evaluated: int
    sites_unable: int
    possible_tenths: int
    deducted_tenths: int
    earned_tenths: int
    rate: float | None            # Σ earned ÷ Σ possible (weighted)
    mean_site_rate: float | None  # mean of the site 得分率 (sites where something applied)
    na_items: int = 0             # 不适用 answers over its evaluated sites
    unable_items: int = 0         # 无法调查 answers over its evaluated sites


@dataclass(frozen=True, slots=True)
class DimensionLoss:
    dimension: str
    lost_tenths: int
    share: float | None  # of all points lost in the round; None when nothing was lost
    failures: int        # failed answers in this dimension


@dataclass(frozen=True, slots=True)
class ItemTotal:
    """One checklist item across the round: which standards lose the most points city-wide."""

    site_type: str
    code: str
    dimension: str
    lost_tenths: int
    share: float | None   # of all points lost in the round
    sites_failed: int
    sites_applicable: int  # evaluated sites of its type where it was neither 不适用 nor 无法调查
    occurrences: int
    sites_na: int = 0      # evaluated sites of its type where it was 不适用
    sites_unable: int = 0  # evaluated sites of its type where it was 无法调查


@dataclass(frozen=True, slots=True)
class RankedUnit:
    rank: int  # ties share a rank: 1, 1, 3
    unit_id: int
    unit_name: str
    rate: float
    mean_site_rate: float | None
    earned_tenths: int
    possible_tenths: int
    sites_evaluated: int


@dataclass(frozen=True, slots=True)
class RoundReport:
    sites: tuple[SiteResult, ...]
    total: GroupScore
    by_site_type: tuple[GroupScore, ...]  # by code
    by_unit: tuple[GroupScore, ...]       # by id
    by_district: tuple[GroupScore, ...]   # by id, a site without a district last
    dimensions: tuple[DimensionLoss, ...]  # most points lost first
    items: tuple[ItemTotal, ...]           # most points lost first; every item of each evaluated site type
    ranking: tuple[RankedUnit, ...]
    unranked: tuple[GroupScore, ...]       # units without an evaluated site with points possible
    checklists: Mapping[str, Sequence[Item]]  # the round's, as given (compare_reports matches items by code)


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs twice as much, and a review has 30,000
class ItemChange:
    code: str
    change: Change
    before: Verdict | None
    after: Verdict | None
    loss_before_tenths: int
    loss_after_tenths: int


@dataclass(frozen=True, slots=True)
class SiteComparison:
    site_id: int
    unit_id: int
    status: SiteChange
    rate_before: float | None
    rate_after: float | None
    items: tuple[ItemChange, ...]  # empty unless the site was evaluated both times
    counts: dict[Change, int]      # every Change, 0 included


@dataclass(frozen=True, slots=True)
class Comparison:
    sites: tuple[SiteComparison, ...]  # by site id
    counts: dict[Change, int]           # over every compared site, every Change, 0 included
    site_counts: dict[SiteChange, int]  # every SiteChange, 0 included


# ---- the formulas, as the UI and the exports show them ----------------------------------------------

FORMULAS: dict[str, dict[str, str]] = {
    "points": {"zh": "分值以 0.1 分为单位精确计算，显示时保留一位小数",
               "en": "points are counted exactly in tenths and shown with one decimal"},
    "item_loss": {"zh": "单项扣分：达标扣 0 分；不适用、无法调查（该项无法检查，如区域上锁，须注明原因）不扣分且不计入"
                        "应得分，分别计数；不达标按次扣分的，扣分 = min(分值, 每次扣分 × 次数)；"
                        "不达标即扣全分的，扣分 = 分值",
                  "en": "item loss: pass 0; not applicable, and unable to check (the item could not be checked, e.g. "
                        "a locked area; with a reason), 0 and out of the possible points, each counted apart; fail, "
                        "per occurrence: min(points, deduction × occurrences); fail, all or nothing: all of its "
                        "points"},
    "possible": {"zh": "应得分 = 点位适用测评项（不含不适用、无法调查的项）的分值之和",
                 "en": "possible = Σ points of the site's items that apply (not applicable and unable-to-check "
                       "items excluded)"},
    "deducted": {"zh": "扣分 = 点位各测评项扣分之和", "en": "deducted = Σ item losses of the site"},
    "earned": {"zh": "得分 = 应得分 − 扣分", "en": "earned = possible − deducted"},
    "site_rate": {"zh": "点位得分率 = 得分 ÷ 应得分（全部不适用的点位无得分率）",
                  "en": "site score rate = earned ÷ possible (none when no item applies)"},
    "unable": {"zh": "无法调查的点位（关闭、拒绝进入等，须注明原因）不计入任何得分，单独计数",
               "en": "sites recorded as unable to evaluate (closed, access refused …, with a reason) are in no "
                     "score and are counted separately"},
    "group_rate": {"zh": "得分率（点位类型、责任单位、区、本轮）= 已测评点位得分之和 ÷ 应得分之和（按应得分加权）",
                   "en": "score rate of a site type, unit, district or the round = Σ earned ÷ Σ possible over its "
                         "evaluated sites (weighted by possible points)"},
    "mean_site_rate": {"zh": "点位平均得分率 = 各已测评点位得分率的算术平均（每个点位同等权重）",
                       "en": "mean site rate = the plain mean of its evaluated sites' score rates (each site weighs "
                             "the same)"},
    "dimension_loss": {"zh": "维度失分 = 本轮该维度（基础设施、环境卫生等）各测评项扣分之和；"
                                 "占比 = 维度失分 ÷ 本轮总失分",
                       "en": "points lost per dimension = Σ losses of its items in the round; share = that ÷ all "
                             "points lost in the round"},
    "item_total": {"zh": "测评项失分 = 本轮该项在各点位的扣分之和；不达标点位数 = 该项不达标的点位数；"
                         "适用点位数 = 该类型已测评点位中该项既非不适用、也非无法调查的点位数",
                   "en": "points lost per item = Σ its losses over the round's sites; sites failed = sites where it "
                         "failed; sites applicable = evaluated sites of its type where it was neither 'not "
                         "applicable' nor 'unable to check'"},
    "ranking": {"zh": "责任单位按得分率从高到低排名，得分率相同的并列（1、1、3）；没有已测评点位（或应得分为 0）的单位"
                      "列出但不排名",
                "en": "units ranked by score rate, highest first; equal rates share a rank (1, 1, 3); a unit "
                      "without an evaluated site (or with no possible points) is listed, not ranked"},
    "review": {"zh": "回头看：同一点位同一测评项前后两轮的结果对比——已整改（不达标→达标）、仍未整改（不达标→不达标）、"
                     "新增问题（达标→不达标）、保持达标（达标→达标），以及单项不适用、单项无法调查、整个点位无法调查的变化",
               "en": "review (回头看): each item of each site in the earlier round and its review — fixed (fail → "
                     "pass), still failing (fail → fail), newly failing (pass → fail), still passing (pass → "
                     "pass), and changes to or from not applicable, an item unable to check, or a site unable to "
                     "evaluate"},
}


def points(tenths: int) -> float:
    """Tenths of a point as the number shown (one decimal at most)."""
    return tenths / 10


# ---- scoring --------------------------------------------------------------------------------------

def check_checklist(items: Sequence[Item], site_type: str | None = None) -> None:
    """Raise InvalidChecklist unless every item can be scored and codes are unique."""
    problems = []
    seen: set[str] = set()
    for it in items:
        where = {"site_type": site_type, "item_code": it.code}
        if it.code in seen:
            problems.append(_problem("duplicate_item", f"测评项编号重复：{it.code} Duplicate item code {it.code}",
                                     **where))
        seen.add(it.code)
        if it.rule not in _RULES:
            problems.append(_problem("unknown_rule", f"{it.code}：未知扣分规则 unknown rule {it.rule!r}", **where))
        if it.points_tenths <= 0:
            problems.append(_problem("points_not_positive", f"{it.code}：分值须大于 0 points must be > 0", **where))
        if not 0 < it.deduction_tenths <= it.points_tenths:
            problems.append(_problem("deduction_out_of_range",
                                     f"{it.code}：每次扣分须大于 0 且不超过分值 deduction must be > 0 and ≤ points",
                                     **where))
        elif it.rule == Rule.all_or_nothing and it.deduction_tenths != it.points_tenths:
            problems.append(_problem("deduction_not_points",
                                     f"{it.code}：不达标即扣全分的项，扣分须等于分值 an all-or-nothing item deducts "
                                     "its points", **where))
    if problems:
        raise InvalidChecklist(problems)


def item_loss(item: Item, answer: Answer) -> int:
    """Tenths lost by one (valid) answer."""
    if answer.verdict != Verdict.fail:
        return 0
    if item.rule == Rule.all_or_nothing:
        return item.points_tenths
    return min(item.points_tenths, item.deduction_tenths * (answer.occurrences or 0))


def _answer_problems(items: Sequence[Item], answers: Mapping[str, Answer], site_id: int | None) -> list[dict]:
    """Every problem of a submitted site's answers (none: an empty list), by item code."""
    problems = []
    known = 0
    for it in items:
        a = answers.get(it.code)
        if a is None:
            kind, message = "missing_answer", f"{it.code} 未作答 Item {it.code} is not answered"
        else:
            known += 1
            verdict, n = a.verdict, a.occurrences
            if verdict == Verdict.fail:
                if type(n) is int and n >= 1:
                    continue
                kind, message = "occurrences_required", (f"{it.code}：不达标须填写问题次数（≥ 1） a failed item "
                                                         "needs its occurrences (≥ 1)")
            elif verdict not in _VERDICTS:
                kind, message = "unknown_verdict", f"{it.code}：未知结果 unknown verdict {verdict!r}"
            elif n is None:
                continue
            else:
                kind, message = "occurrences_not_allowed", (f"{it.code}：达标、不适用或无法调查的项不填问题次数 "
                                                            "occurrences only on a failed item")
        problems.append(_problem(kind, message, site_id=site_id, item_code=it.code))
    if known < len(answers):
        for code in answers.keys() - {it.code for it in items}:
            problems.append(_problem("unknown_item", f"测评细则中没有测评项 {code} No item {code} in the checklist",
                                     site_id=site_id, item_code=code))
    return sorted(problems, key=lambda p: (p["item_code"], p["problem"]))


def score_site(items: Sequence[Item], answers: Mapping[str, Answer], *, site_id: int | None = None) -> SiteScore:
    """A submitted site's score: every item of its checklist answered, nothing else (else InvalidAnswers).

    The checklist itself is taken as valid (check_checklist; score_round checks each once)."""
    problems = _answer_problems(items, answers, site_id)
    if problems:
        raise InvalidAnswers(problems)
    return _score(items, answers)


def _score(items: Sequence[Item], answers: Mapping[str, Answer]) -> SiteScore:
    possible = deducted = passed = failed = na = unable = 0
    losses = []
    for it in items:
        a = answers[it.code]
        if a.verdict == Verdict.na:
            na += 1
            continue
        if a.verdict == Verdict.unable:
            unable += 1
            continue
        possible += it.points_tenths
        if a.verdict == Verdict.fail:
            failed += 1
            loss = item_loss(it, a)
            deducted += loss
            losses.append(ItemLoss(it.code, it.dimension, a.occurrences or 0, loss))
        else:
            passed += 1
    earned = possible - deducted
    return SiteScore(possible, deducted, earned, earned / possible if possible else None, tuple(losses),
                     passed, failed, na, unable)


def _score_sites(rnd: RoundInput) -> tuple[SiteResult, ...]:
    """Check the round's checklists and sites, then score every evaluated site; all problems in one error."""
    problems: list[dict] = []
    for site_type, items in rnd.checklists.items():
        try:
            check_checklist(items, site_type)
        except InvalidChecklist as e:
            problems += e.problems
    if problems:
        raise InvalidChecklist(problems)
    seen: set[int] = set()
    results = []
    for s in rnd.sites:
        where = {"site_id": s.site_id}
        if s.site_id in seen:
            problems.append(_problem("duplicate_site", f"点位 {s.site_id} 重复 Site {s.site_id} appears twice",
                                     **where))
        seen.add(s.site_id)
        items = rnd.checklists.get(s.site_type)
        if items is None:
            problems.append(_problem("unknown_site_type", f"点位类型 {s.site_type} 没有测评细则 No checklist for "
                                     f"site type {s.site_type}", site_type=s.site_type, **where))
        elif s.status == SiteStatus.unable:
            if not (s.unable_reason or "").strip():
                problems.append(_problem("unable_reason_required",
                                         "无法调查须注明原因 A site unable to evaluate needs a reason", **where))
            results.append(SiteResult(s, None))
        elif s.status == SiteStatus.evaluated:
            found = _answer_problems(items, s.answers, s.site_id)
            if found:
                problems += found
            else:
                results.append(SiteResult(s, _score(items, s.answers)))
        else:
            problems.append(_problem("unknown_status", f"未知点位状态 unknown site status {s.status!r}", **where))
    if problems:
        answers_only = all(p["problem"] in _ANSWER_PROBLEMS for p in problems)
        raise (InvalidAnswers if answers_only else InvalidRound)(problems)
    return tuple(results)


_ANSWER_PROBLEMS = frozenset({"unknown_item", "missing_answer", "unknown_verdict", "occurrences_required",
                              "occurrences_not_allowed"})


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _group(key, name, results: Iterable[SiteResult]) -> GroupScore:
    evaluated = unable = possible = deducted = na_items = unable_items = 0
    rates = []
    for r in results:
        if r.score is None:
            unable += 1
            continue
        evaluated += 1
        na_items += r.score.na_count
        unable_items += r.score.unable_count
        possible += r.score.possible_tenths
        deducted += r.score.deducted_tenths
        if r.score.possible_tenths:
            rates.append(Fraction(r.score.earned_tenths, r.score.possible_tenths))
    earned = possible - deducted
    # The mean of exact site rates, made a float once: fmean of the float rates gave 98.5 % and 100 % as
    # 0.99249999…, which the printout's 四舍五入 showed as 99.2 % instead of 99.3 %.
    return GroupScore(key, name, evaluated, unable, possible, deducted, earned, _ratio(earned, possible),
                      float(sum(rates) / len(rates)) if rates else None, na_items, unable_items)


def _groups(results: Sequence[SiteResult], key, name) -> list[GroupScore]:
    members: dict = defaultdict(list)
    names: dict = {}
    for r in results:
        k = key(r.site)
        members[k].append(r)
        names.setdefault(k, name(r.site))
    return [_group(k, names[k], rs) for k, rs in members.items()]


def _none_last(g: GroupScore):
    return (g.key is None, g.key if g.key is not None else 0)


def rank_units(units: Sequence[GroupScore]) -> tuple[tuple[RankedUnit, ...], tuple[GroupScore, ...]]:
    """Units by 得分率, highest first, ties sharing a rank (1, 1, 3) and ordered by name then id; and the
    units that cannot be ranked (no evaluated site with points possible)."""
    ranked = [u for u in units if u.possible_tenths > 0]
    unranked = tuple(sorted((u for u in units if u.possible_tenths == 0), key=lambda u: (u.name or "", u.key)))

    def rate(u: GroupScore) -> Fraction:  # exact: equal rates tie whatever their float rounding
        return Fraction(u.earned_tenths, u.possible_tenths)

    ranked.sort(key=lambda u: (-rate(u), u.name or "", u.key))
    rows: list[RankedUnit] = []
    for i, u in enumerate(ranked):
        place = rows[-1].rank if i and rate(ranked[i - 1]) == rate(u) else i + 1
        rows.append(RankedUnit(place, u.key, u.name or "", u.rate or 0.0, u.mean_site_rate, u.earned_tenths,
                               u.possible_tenths, u.sites_evaluated))
    return tuple(rows), unranked


def score_round(rnd: RoundInput) -> RoundReport:
    """Every figure of a round: site scores, roll-ups, lost points by dimension and item, the unit ranking."""
    results = _score_sites(rnd)
    total = _group(None, None, results)
    by_type = sorted(_groups(results, lambda s: s.site_type, lambda s: s.site_type), key=lambda g: g.key)
    by_unit = sorted(_groups(results, lambda s: s.unit_id, lambda s: s.unit_name), key=lambda g: g.key)
    by_district = sorted(_groups(results, lambda s: s.district_id, lambda s: s.district_name), key=_none_last)

    lost_dim: Counter[str] = Counter()
    fail_dim: Counter[str] = Counter()
    lost_item: Counter[tuple[str, str]] = Counter()
    failed_item: Counter[tuple[str, str]] = Counter()
    occ_item: Counter[tuple[str, str]] = Counter()
    na_item: Counter[tuple[str, str]] = Counter()
    unable_item: Counter[tuple[str, str]] = Counter()
    evaluated_type: Counter[str] = Counter()
    for r in results:
        if r.score is None:
            continue
        t = r.site.site_type
        evaluated_type[t] += 1
        for loss in r.score.losses:
            lost_dim[loss.dimension] += loss.loss_tenths
            fail_dim[loss.dimension] += 1
            k = (t, loss.code)
            lost_item[k] += loss.loss_tenths
            failed_item[k] += 1
            occ_item[k] += loss.occurrences
        if r.score.na_count or r.score.unable_count:
            for code, a in r.site.answers.items():
                if a.verdict == Verdict.na:
                    na_item[(t, code)] += 1
                elif a.verdict == Verdict.unable:
                    unable_item[(t, code)] += 1
    lost = total.deducted_tenths
    dims_used = {it.dimension for t in evaluated_type for it in rnd.checklists[t]}
    dimensions = sorted((DimensionLoss(d, lost_dim[d], _ratio(lost_dim[d], lost), fail_dim[d]) for d in dims_used),
                        key=lambda d: (-d.lost_tenths, -d.failures, d.dimension))
    items = sorted((ItemTotal(t, it.code, it.dimension, lost_item[(t, it.code)], _ratio(lost_item[(t, it.code)], lost),
                              failed_item[(t, it.code)],
                              evaluated_type[t] - na_item[(t, it.code)] - unable_item[(t, it.code)],
                              occ_item[(t, it.code)], na_item[(t, it.code)], unable_item[(t, it.code)])
                    for t in sorted(evaluated_type) for it in rnd.checklists[t]),
                   key=lambda i: (-i.lost_tenths, -i.sites_failed, i.code, i.site_type))
    ranking, unranked = rank_units(by_unit)
    return RoundReport(results, total, tuple(by_type), tuple(by_unit), tuple(by_district), tuple(dimensions),
                       tuple(items), ranking, unranked, rnd.checklists)


# ---- 回头看 ---------------------------------------------------------------------------------------

_ALL_CHANGES = tuple(Change)
_ALL_SITE_CHANGES = tuple(SiteChange)
_NO_CHANGES = dict.fromkeys(_ALL_CHANGES, 0)  # copied per site: a copy does not hash the keys again


def compare_rounds(before: RoundInput, after: RoundInput) -> Comparison:
    """Each site of an earlier round and its 回头看 (review round), item by item, matched by item code.

    Both rounds are checked as score_round checks them (ScoringError on bad input)."""
    return compare_reports(score_round(before), score_round(after))


def compare_reports(before: RoundReport, after: RoundReport) -> Comparison:
    """compare_rounds on rounds already scored (a review's report scores both anyway)."""
    first = {r.site.site_id: r for r in before.sites}
    second = {r.site.site_id: r for r in after.sites}
    totals = dict.fromkeys(_ALL_CHANGES, 0)
    site_totals = dict.fromkeys(_ALL_SITE_CHANGES, 0)
    pairs: dict[tuple[str, str], list[tuple[Item | None, Item | None]]] = {}
    out = []
    for site_id in sorted(first.keys() | second.keys()):
        a, b = first.get(site_id), second.get(site_id)
        counts = _NO_CHANGES.copy()
        changes: list[ItemChange] = []
        if a is None or b is None:
            status = SiteChange.new_site if a is None else SiteChange.not_rechecked
        elif a.score is None or b.score is None:
            status = (SiteChange.unable_both if a.score is None and b.score is None
                      else SiteChange.unable_before if a.score is None else SiteChange.unable_after)
        else:
            status = SiteChange.compared
            types = (a.site.site_type, b.site.site_type)
            if types not in pairs:
                pairs[types] = _item_pairs(before.checklists[types[0]], after.checklists[types[1]])
            changes = _item_changes(pairs[types], a.site.answers, b.site.answers)
            for c in changes:
                counts[c.change] += 1
            for k, v in counts.items():
                totals[k] += v
        site_totals[status] += 1
        site = (b or a).site
        out.append(SiteComparison(site_id, site.unit_id, status,
                                  a.score.rate if a and a.score else None, b.score.rate if b and b.score else None,
                                  tuple(changes), counts))
    return Comparison(tuple(out), totals, site_totals)


def _item_pairs(items_a: Sequence[Item], items_b: Sequence[Item]) -> list[tuple[Item | None, Item | None]]:
    """Items matched by code: the earlier checklist's in order, then those only in the review's checklist."""
    by_code_b = {it.code: it for it in items_b}
    codes_a = {it.code for it in items_a}
    return [(it, by_code_b.get(it.code)) for it in items_a] + [(None, it) for it in items_b
                                                               if it.code not in codes_a]


def _item_changes(pairs: list[tuple[Item | None, Item | None]], answers_a: Mapping[str, Answer],
                  answers_b: Mapping[str, Answer]) -> list[ItemChange]:
    out = []
    for it_a, it_b in pairs:
        va = answers_a[it_a.code] if it_a else None
        vb = answers_b[it_b.code] if it_b else None
        loss_a = item_loss(it_a, va) if va is not None and va.verdict == Verdict.fail else 0
        loss_b = item_loss(it_b, vb) if vb is not None and vb.verdict == Verdict.fail else 0
        if va is None:
            out.append(ItemChange(it_b.code, Change.item_added, None, vb.verdict, 0, loss_b))
        elif vb is None:
            out.append(ItemChange(it_a.code, Change.item_removed, va.verdict, None, loss_a, 0))
        else:
            out.append(ItemChange(it_a.code, _CHANGES[(va.verdict, vb.verdict)], va.verdict, vb.verdict,
                                  loss_a, loss_b))
    return out

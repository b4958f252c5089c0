"""Statistics: figures, rankings, trends and timelines (read-only; no tables of their own)."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from app.tickets.schemas import TicketSummary
from app.tickets.workflow import Action, Status


class PeriodKind(StrEnum):
    week = "week"      # Monday to Sunday, city time
    month = "month"
    custom = "custom"  # start and end dates given


class RankListKind(StrEnum):
    red = "red"      # 红榜
    black = "black"  # 黑榜


class RankGroupKind(StrEnum):
    """Units of different kinds are ranked in separate lists (不同类别的单位不在同一榜单比较)."""

    department = "department"    # 职能部门
    territorial = "territorial"  # 属地: districts and street offices
    company = "company"          # 企业


# Each unit kind (app/units/models.py) and the ranking group it is ranked in, and each group's heading.
UNIT_KIND_GROUP: dict[str, RankGroupKind] = {
    "department": RankGroupKind.department, "district": RankGroupKind.territorial,
    "street": RankGroupKind.territorial, "company": RankGroupKind.company,
}
RANK_GROUP_NAMES: dict[RankGroupKind, str] = {
    RankGroupKind.department: "职能部门", RankGroupKind.territorial: "属地（区、街道）",
    RankGroupKind.company: "企业",
}


class StageKind(StrEnum):
    """A bar of a ticket's closure timeline."""

    waiting_dispatch = "waiting_dispatch"
    rectifying = "rectifying"
    verifying = "verifying"
    returned = "returned"
    suspended = "suspended"

# The version of the figures' definitions (FORMULAS, service.py's docstring, ranking.py's rules). Bump it
# whenever a definition changes: a published bulletin (app/bulletins) records the version it was computed
# under, so an old 通报 is read by the rules of its day.
#
# History: 1 — the office's definitions (应结案数, 结案率, 按期结案率, 整改率, 返工率; issue 11 parts 1–2).
#          2 — adds 按时派遣, 按时核查 (with 核查用时), 环比 (`previous`), 本月/本年累计 and the breakdowns by
#              category class and district (issue 11 part 3); the figures of version 1 keep their meaning.
#          3 — 延期率 = 延期数 ÷ 应结案数 (was ÷ 派遣数), as published practice divides it; breakdowns by grid and
#              by evaluation site type; 环比 from the previous period's published bulletin when there is one.
DEFINITIONS_VERSION = 3

# The formulas, as the API, the Excel bulletin and the UI show them beside each figure.
FORMULAS: dict[str, dict[str, str]] = {
    "cohort": {
        "zh": "统计口径：本期首次派遣的案件（首次派遣时间在本期内）；结案、应结案、超期、返工等按查询时的状态计",
        "en": "Cohort: tickets first dispatched in the period; closed, due, overdue, reworked … as of now",
    },
    "reported": {"zh": "发现数 = 本期上报的案件数", "en": "reported = tickets reported in the period"},
    "handed_over": {"zh": "交办数 = 本期首次派遣（交办）的案件数，含其后作废、挂账的案件",
                    "en": "handed over = tickets first dispatched in the period, those voided or suspended "
                          "since included"},
    "handed_over_voided": {"zh": "其中作废数 = 交办数中已作废的案件数",
                           "en": "of them voided = handed-over tickets voided since"},
    "dispatched": {"zh": "派遣数 = 交办数中未作废、未挂账的案件数（作废即本不应派遣；挂账期间不受时限约束，"
                         "恢复后重新计入）；应结案、结案、返工、超期均在其中计",
                   "en": "dispatched = handed-over tickets neither voided nor suspended (a voided ticket should "
                         "never have been dispatched; a suspended one is out of every deadline until resumed); "
                         "due, closed, reworked and overdue are counted among them"},
    "office_deadline": {"zh": "整改时限（考核）= 派遣（含回退后改派、挂账恢复）时确定的时限，经批准延期的以延期后"
                              "时限为准；返工重新给出的时限不改变考核时限",
                        "en": "office deadline = the deadline set at dispatch (re-dispatch after a return, resume "
                              "after a suspension), moved by an approved extension; a rework's new deadline does "
                              "not move it"},
    "due": {"zh": "应结案数 = 派遣数中已结案或考核时限已到的案件数（= 结案数 + 超期未结案数）",
            "en": "due = dispatched tickets closed or past their office deadline (= closed + overdue unclosed)"},
    "closed": {"zh": "结案数 = 派遣数中已结案的案件数", "en": "closed = dispatched tickets closed by now"},
    "closed_on_time": {
        "zh": "按期结案数 = 结案数中被采纳的整改在考核时限内（含当时）完成的案件数",
        "en": "closed on time = closed tickets whose accepted rectification was on or before the office deadline",
    },
    "closed_late": {"zh": "超期结案数 = 结案数中被采纳的整改晚于考核时限的案件数（= 结案数 − 按期结案数）",
                    "en": "closed late = closed tickets whose accepted rectification was after the office "
                          "deadline (= closed − closed on time)"},
    "overdue_unclosed": {"zh": "超期未结案数 = 派遣数中尚未结案、考核时限已过的案件数（整改中、待核查、返工中）",
                         "en": "overdue unclosed = dispatched tickets not closed and past their office deadline "
                               "(rectifying, awaiting verification, or back for rework)"},
    "rectified": {"zh": "整改数 = 派遣数中至少整改过一次的案件数",
                  "en": "rectified = dispatched tickets rectified at least once"},
    "reworked": {"zh": "返工案件数 = 派遣数中核查不合格至少一次的案件数",
                 "en": "reworked tickets = dispatched tickets that failed verification at least once"},
    "rework_times": {"zh": "返工次数 = 派遣数中案件核查不合格的次数（同一案件返工两次计 2 次）",
                     "en": "reworks = failed verifications of the dispatched tickets (a ticket failed twice "
                           "counts 2)"},
    "overdue": {"zh": "超期数 = 派遣数中当前已派遣、已过现行整改时限（返工后为返工时限）、尚未整改的案件数"
                      "（挂账中的案件不计）",
                "en": "overdue = dispatched tickets now past the deadline in force (after a rework, its own) and "
                      "not rectified (suspended ones are not overdue)"},
    "overdue_now": {"zh": "当前超期 = 所有当前已过现行整改时限、尚未整改的案件（不限本期；挂账中的案件不计）",
                    "en": "overdue now = all tickets now past the deadline in force and not rectified (any "
                          "period; suspended ones are not overdue)"},
    "returned": {"zh": "回退数 = 本期批准的回退次数（退回待改派与直接改派），计入申请回退的单位",
                 "en": "returned = returns approved in the period (back for re-dispatch, or re-dispatched in "
                       "the same step), counted for the unit that asked"},
    "cancelled": {"zh": "不予立案数 = 本期不予立案（含重复）的案件数（派遣前办结，不属于任何单位）",
                  "en": "cancelled = tickets cancelled in the period (they belong to no unit)"},
    "extended": {"zh": "延期数 = 本期批准的延期申请数，计入申请的单位",
                 "en": "extended = extension requests approved in the period, counted for the unit that asked"},
    "suspended": {"zh": "挂账数 = 本期批准的挂账（缓办）申请数，计入申请的单位；挂账期间不计超期",
                  "en": "suspended = suspension requests approved in the period, counted for the unit that "
                        "asked; a suspended ticket is not overdue"},
    "voided": {"zh": "作废数 = 本期派遣后作废的次数，计入作废时的责任单位；作废案件不计入派遣数",
               "en": "voided = tickets voided after dispatch in the period, counted for their unit then; voided "
                     "tickets leave dispatched"},
    "urged": {"zh": "催办数 = 本期催办的次数，计入被催办的单位",
              "en": "urged = urges in the period, counted for the unit urged"},
    "supervised": {"zh": "督办数 = 本期被督办的案件数（同一案件多次督办计一件），计入被督办的单位",
                   "en": "supervised = tickets put under supervision (督办) in the period, one per ticket, "
                         "counted for the unit supervised"},
    "extension_rate": {"zh": "延期率 = 延期数 ÷ 应结案数", "en": "extension rate = extended ÷ due"},
    "return_rate": {"zh": "回退率 = 回退数 ÷ 派遣数", "en": "return share = returned ÷ dispatched"},
    "suspension_rate": {"zh": "挂账率 = 挂账数 ÷ 派遣数", "en": "suspension share = suspended ÷ dispatched"},
    "void_rate": {"zh": "作废率 = 作废数 ÷ 派遣数", "en": "void share = voided ÷ dispatched"},
    "closure_rate": {"zh": "结案率 = 结案数 ÷ 应结案数", "en": "closure rate = closed ÷ due"},
    "on_time_rate": {"zh": "按期结案率 = 按期结案数 ÷ 应结案数", "en": "on-time rate = closed on time ÷ due"},
    "rectification_rate": {"zh": "整改率 = 结案数 ÷ (交办数 − 其中作废数)（挂账案件仍计入分母）",
                           "en": "rectification rate = closed ÷ (handed over − of them voided) (suspended "
                                 "tickets stay in the base)"},
    "rework_rate": {"zh": "返工率 = 返工次数 ÷ 应结案数", "en": "rework rate = reworks ÷ due"},
    "hours_report_dispatch": {"zh": "上报→首次派遣 小时（派遣数中）",
                              "en": "hours from report to first dispatch (dispatched tickets)"},
    "hours_dispatch_rectify": {"zh": "首次派遣→首次整改 小时（整改数中）",
                               "en": "hours from first dispatch to first rectification (rectified tickets)"},
    "hours_report_close": {"zh": "上报→结案 小时（结案数中）",
                           "en": "hours from report to close (closed tickets)"},
    "dispatched_on_time": {
        "zh": "按时派遣数 = 派遣数中上报后在规定时限（{dispatch_within_hours}小时，自然小时）内（含）首次派遣的案件数",
        "en": "dispatched on time = dispatched tickets first dispatched within the set time ({dispatch_within_hours} "
              "clock hours, inclusive) of their report"},
    "dispatch_on_time_rate": {"zh": "按时派遣率 = 按时派遣数 ÷ 派遣数",
                              "en": "on-time dispatch rate = dispatched on time ÷ dispatched"},
    "verified": {"zh": "核查次数 = 本期完成的核查次数（核查通过结案或不合格返工，均在整改之后），按核查时间计，"
                       "不限派遣时间；同一案件核查三次计 3 次",
                 "en": "verifications = verifications done in the period (passed and closed, or failed and sent "
                       "back), by the time of the verification, whatever the dispatch date; a ticket verified three "
                       "times counts 3"},
    "verified_on_time": {"zh": "按时核查数 = 核查次数中在整改后规定时限（{verify_within_hours}小时，自然小时）内（含）"
                               "完成的次数",
                         "en": "verified on time = verifications done within the set time ({verify_within_hours} "
                               "clock hours, inclusive) of the rectification they judged"},
    "verify_on_time_rate": {"zh": "按时核查率 = 按时核查数 ÷ 核查次数",
                            "en": "on-time verification rate = verified on time ÷ verifications"},
    "hours_rectify_verify": {"zh": "整改→核查 小时（本期核查次数中，自该次核查所针对的整改起）",
                             "en": "hours from a rectification to its verification (the period's verifications)"},
    "office_figures": {"zh": "按时派遣、按时核查是创城办（派遣员、督查员）自身的工作指标：按单位列出仅供参考，"
                             "不计入单位排名",
                       "en": "On-time dispatch and verification measure the office's own work (dispatchers, "
                             "inspectors): shown per unit for reference only, never counted in a unit's ranking"},
    "previous": {"zh": "环比 = 本期数 − 上期数（上期为紧邻的同类、等长时段；上期已发布通报的，取通报所载数字，"
                       "否则按同一时点统计）；比率的环比以百分点计",
                 "en": "change = this period − the previous period (the period of the same kind and length just "
                       "before: as its published bulletin gave it when there is one, else as of the same moment); "
                       "a rate's change is in percentage points"},
    "to_date": {"zh": "本月累计、本年累计 = 自本期最后一天所在月的 1 日、所在年的 1 月 1 日起，至本期结束，"
                      "按同一口径统计",
                "en": "month / year to date = the same figures from the 1st of the month, and from 1 January, of "
                      "the period's last day, to the period's end"},
    "breakdowns": {"zh": "分类统计：按问题大类（编码前两位）、按区（街道计入其所属的区；职能部门、企业及待派遣案件列"
                         "“其他”）、按网格（案件上报时所在网格，不在网格内的另列）、按测评点位类型（实地测评发现的问题计入"
                         "其点位类型，日常巡查发现的另列），各行口径与单位指标相同，各行之和等于合计，各行附环比",
                   "en": "Breakdowns: by category class (the code's first two digits), by district (a street "
                         "office counts in its district; departments, companies and undispatched tickets under "
                         "'other'), by grid (the grid the ticket was reported in; outside every grid apart) and by "
                         "evaluation site type (a finding of an evaluation round under its site's type; patrol "
                         "findings apart); each row has the unit table's figures and its change, and the rows add "
                         "up to the total"},
    "unit": {"zh": "按案件当前责任单位统计（结案案件即结案时的单位）；未派遣、不予立案及退回后待改派的案件计入"
                   "“暂无责任单位”一行；"
                   "延期、回退、挂账、作废、催办、督办计入当时的单位",
             "en": "Per unit: the ticket's current unit (for closed tickets, the unit at close); "
                   "tickets not yet dispatched, not accepted, or returned and awaiting re-dispatch count in the "
                   "row 'at no unit'; extensions, returns, suspensions, "
                   "voids, urges and supervisions count for the unit concerned at the time"},
}


def formulas_for(dispatch_within_hours: float, verify_within_hours: float) -> dict[str, dict[str, str]]:
    """FORMULAS with the set times of 按时派遣 and 按时核查 written in."""
    def fill(text: str) -> str:
        return (text.replace("{dispatch_within_hours}", f"{dispatch_within_hours:g}")
                .replace("{verify_within_hours}", f"{verify_within_hours:g}"))
    return {k: {lang: fill(t) for lang, t in v.items()} for k, v in FORMULAS.items()}


class Period(BaseModel):
    kind: PeriodKind
    start: datetime  # inclusive, UTC
    end: datetime    # exclusive, UTC
    start_date: date  # local dates, inclusive both ends
    end_date: date
    label: str


class Percentiles(BaseModel):
    p50: float | None = None
    p90: float | None = None


class UnitMetrics(BaseModel):
    unit_id: int | None
    unit_name: str | None
    reported: int = 0
    dispatched: int = 0
    closed: int = 0
    closed_on_time: int = 0
    rectified: int = 0
    reworked: int = 0
    overdue: int = 0
    overdue_now: int = 0
    returned: int = 0
    cancelled: int = 0
    extended: int = 0
    suspended: int = 0
    voided: int = 0
    urged: int = 0
    supervised: int = 0
    handed_over: int = 0
    handed_over_voided: int = 0
    due: int = 0
    closed_late: int = 0
    overdue_unclosed: int = 0
    rework_times: int = 0
    dispatched_on_time: int = 0
    verified: int = 0
    verified_on_time: int = 0
    closure_rate: float | None = None
    rectification_rate: float | None = None
    on_time_rate: float | None = None
    rework_rate: float | None = None
    extension_rate: float | None = None
    return_rate: float | None = None
    suspension_rate: float | None = None
    void_rate: float | None = None
    dispatch_on_time_rate: float | None = None
    verify_on_time_rate: float | None = None
    hours_report_dispatch: Percentiles = Field(default_factory=Percentiles)
    hours_dispatch_rectify: Percentiles = Field(default_factory=Percentiles)
    hours_report_close: Percentiles = Field(default_factory=Percentiles)
    hours_rectify_verify: Percentiles = Field(default_factory=Percentiles)
    previous: "UnitMetrics | None" = Field(
        None, description="the same figures of the previous period of the same kind and length (环比); the client "
                          "computes the change. None inside `previous` itself and where not computed")


class BreakdownRow(UnitMetrics):
    key: str | None = Field(None, description="the category class code (06), the district's unit id, the grid's id "
                                              "or the site type's code; None: other (no district, outside every "
                                              "grid, not from an evaluation round)")


class Breakdown(BaseModel):
    kind: Literal["category_class", "district", "grid", "site_type"]
    name: str
    rows: list[BreakdownRow]


class ToDate(BaseModel):
    """本月累计 / 本年累计: the scope's total over a run of days ending with the period."""

    period: Period
    total: UnitMetrics


class Timeliness(BaseModel):
    """The set times of 按时派遣 and 按时核查 (XUNCHA_STATS_DISPATCH_WITHIN_HOURS / _VERIFY_WITHIN_HOURS)."""

    dispatch_within_hours: float
    verify_within_hours: float


class Scope(BaseModel):
    unit_id: int | None = None
    unit_name: str | None = None
    unit_ids: list[int] | None = None  # the unit and its children; None = whole city
    category_code: str | None = None
    grid_id: int | None = None


class Summary(BaseModel):
    period: Period
    scope: Scope
    as_of: datetime
    total: UnitMetrics
    units: list[UnitMetrics]
    unassigned: UnitMetrics | None = Field(
        None, description="暂无责任单位：未派遣、不予立案、退回待改派的案件（单位各行加上此行等于合计）; "
                          "tickets at no unit: reports not yet dispatched or not accepted, and tickets returned by "
                          "their unit and waiting for a new one. The units' rows and this row add up to the total "
                          "(a figure of distinct tickets, such as 督办, counts a ticket that two units had once in "
                          "the total). None when there are none, and in a unit's own figures")
    previous_source: Literal["published", "live"] | None = Field(
        None, description="where the 环比 figures (`previous`) come from: the previous period's published bulletin "
                          "(city-wide, same definitions version), or computed live as of now; None without 环比")
    month_to_date: ToDate | None = Field(None, description="only when asked for (to_date=true); counts and rates, "
                                                            "no hours")
    year_to_date: ToDate | None = Field(None, description="only when asked for (to_date=true)")
    breakdowns: list[Breakdown] | None = Field(None, description="by category class, district, grid and evaluation "
                                                                 "site type, each row with its 环比; only when "
                                                                 "asked for (breakdowns=true)")
    timeliness: Timeliness | None = None
    formulas: dict[str, dict[str, str]] = FORMULAS


# Bounds of the rules wherever they are given (query, bulletin, stored office rules): a city has far fewer
# units and tickets, and an unbounded int would reach the stored JSON and every bulletin built from it.
MAX_RANK_PLACES = 10_000
MAX_MIN_DISPATCHED = 1_000_000


class RankRules(BaseModel):
    red_min_rate: float = Field(0.90, ge=0, le=1, description="红榜: 结案率 ≥ this …")
    red_top: int = Field(5, ge=0, le=MAX_RANK_PLACES, description="… and rank ≤ this")
    black_max_rate: float = Field(0.85, ge=0, le=1, description="黑榜: 结案率 < this …")
    black_bottom: int = Field(3, ge=0, le=MAX_RANK_PLACES, description="… or among the bottom N ranks")
    min_dispatched: int = Field(1, ge=1, le=MAX_MIN_DISPATCHED,
                                description="units with fewer tickets due (应结案数) are not ranked")


class RankRow(BaseModel):
    rank: int
    unit_id: int
    unit_name: str
    dispatched: int
    closed: int
    closed_on_time: int
    overdue: int
    due: int
    overdue_unclosed: int
    closure_rate: float  # the ranking's rate (结案率)
    rectification_rate: float
    on_time_rate: float
    list: RankListKind | None
    prev_rank: int | None
    movement: int | None  # prev_rank - rank: positive = moved up
    black_streak: int = Field(0, description="consecutive periods of this kind, ending with this one, on the "
                                             "black list (earlier periods as published; 0 when not black now)")


class RankGroup(BaseModel):
    """One ranking: the units of one group, ranked among themselves (ranks and ↑↓ are within the group)."""

    kind: RankGroupKind
    name: str  # the group's heading in the bulletin: 职能部门, 属地（区、街道）, 企业
    rule_text: dict[str, str]
    previous_source: Literal["published", "live"] = Field(
        "live", description="where prev_rank comes from: the previous period's published bulletin, or "
                            "re-ranking that period as of now (none was published)")
    rows: list[RankRow]
    red: list[int]
    black: list[int]
    unranked: list[int]  # units with too few dispatched tickets in the period


class Ranking(BaseModel):
    period: Period
    previous: Period
    as_of: datetime
    rules: RankRules
    previous_source: Literal["published", "live"] = Field(
        "live", description="where prev_rank comes from: the previous period's published bulletin, or "
                            "re-ranking that period as of now (none was published)")
    groups: list[RankGroup]  # departments, territorial units, companies; a group without units is left out


class TrendPoint(BaseModel):
    week_start: date
    reported: int
    closed: int  # closed during the week (flow)
    due: int  # of the tickets first dispatched during the week (cohort), those due as of now
    cohort_closed: int
    closure_rate: float | None


class Trend(BaseModel):
    weeks: list[TrendPoint]
    formula: dict[str, str]


class OpenPoint(BaseModel):
    id: uuid.UUID
    lat: float
    lng: float
    status: Status
    overdue: bool
    near_deadline: bool = Field(default=False, description="预超期: dispatched, not overdue, deadline near "
                                                           "(GET /api/config near_deadline), as the ticket lists say")


class Stage(BaseModel):
    """One bar of a ticket's closure timeline."""

    kind: StageKind
    start: datetime
    end: datetime | None  # None = still running
    unit_id: int | None = None
    unit_name: str | None = None
    deadline_at: datetime | None = None
    late: bool = False  # rectifying stage that ended (or is still running) after its deadline
    round: int = 0  # 0 = first dispatch; n = n-th rework


class Milestone(BaseModel):
    action: Action
    at: datetime
    note: str | None = None


class TicketTimeline(BaseModel):
    ticket: TicketSummary
    stages: list[Stage]
    milestones: list[Milestone]
    now: datetime


class UnitBar(BaseModel):
    id: uuid.UUID
    case_number: str
    status: Status
    category_code: str
    description: str
    reported_at: datetime
    first_dispatched_at: datetime
    deadline_at: datetime | None
    rectified_at: datetime | None
    closed_at: datetime | None
    rework_count: int
    overdue: bool


class UnitTimeline(BaseModel):
    period: Period
    unit_id: int | None
    unit_name: str | None
    bars: list[UnitBar]
    total: int
    now: datetime

"""Rates and the red/black list (红黑榜) from per-unit counts. Pure: no database."""

from decimal import Decimal

from app.stats.schemas import (
    RANK_GROUP_NAMES,
    UNIT_KIND_GROUP,
    Percentiles,
    RankGroup,
    RankGroupKind,
    RankRow,
    RankRules,
    UnitMetrics,
)


def ratio(num: int, den: int) -> float | None:
    """num ÷ den, or None when there is nothing to divide by."""
    return num / den if den else None


def unit_metrics(unit_id: int | None, name: str | None, counts: dict[str, int],
                 durations: dict[str, Percentiles] | None) -> UnitMetrics:
    """A unit's (or the total's) figures: its counts, the rates they give, and its hours."""
    m = UnitMetrics(unit_id=unit_id, unit_name=name, **counts)
    m.closure_rate = ratio(m.closed, m.due)
    m.on_time_rate = ratio(m.closed_on_time, m.due)
    m.rectification_rate = ratio(m.closed, m.handed_over - m.handed_over_voided)
    m.rework_rate = ratio(m.rework_times, m.due)
    m.extension_rate = ratio(m.extended, m.due)  # as published (Zhengzhou: 延期数 ÷ 应结案数)
    m.return_rate = ratio(m.returned, m.dispatched)
    m.suspension_rate = ratio(m.suspended, m.dispatched)
    m.void_rate = ratio(m.voided, m.dispatched)
    m.dispatch_on_time_rate = ratio(m.dispatched_on_time, m.dispatched)
    m.verify_on_time_rate = ratio(m.verified_on_time, m.verified)
    for k, v in (durations or {}).items():
        setattr(m, k, v)
    return m


def _threshold(rate: float) -> str:
    """A list's rate threshold as set, with its decimals: 0.875 is 87.5 % (":.0%" printed 88 %, a rule that
    read differently from the one applied)."""
    text = format(Decimal(repr(rate)) * 100, "f")
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"


def rule_text(rules: RankRules) -> dict[str, str]:
    """The ranking rules in words, as the bulletin states them."""
    return {
        "order": "按结案率从高到低排名；相同时按按期结案率，再按超期未结案数少者在前 "
                 "(rank by closure rate, then on-time rate, then fewer overdue unclosed)",
        "red": f"红榜：结案率 ≥ {_threshold(rules.red_min_rate)} 且名列前 {rules.red_top}；并列的单位有一个在前 "
               f"{rules.red_top} 名内的，一并列入 "
               f"(red: closure rate ≥ {_threshold(rules.red_min_rate)} and rank ≤ {rules.red_top}; a tied group "
               f"reaching into the top {rules.red_top} is listed together)",
        "black": f"黑榜：未上红榜，且结案率 < {_threshold(rules.black_max_rate)} 或名列倒数 {rules.black_bottom}"
                 f"（本组仅一个单位时只看结案率）；并列的单位有一个在倒数 {rules.black_bottom} 名内的，一并列入 "
                 f"(black: not red, and closure rate < {_threshold(rules.black_max_rate)} or in the bottom "
                 f"{rules.black_bottom}, a group's only unit by its rate alone; a tied group reaching into the bottom "
                 f"{rules.black_bottom} is listed together)",
        "groups": "职能部门、属地（区、街道）、企业分别排名，名次与上期名次均为本组内的 "
                  "(departments, districts with street offices, and companies are ranked separately; ranks and "
                  "last period's ranks are within the group)",
        "eligible": f"本期应结案数少于 {rules.min_dispatched} 件的单位不参与排名 "
                    f"(units with fewer than {rules.min_dispatched} tickets due are not ranked)",
    }


def rank(units: list[UnitMetrics], rules: RankRules) -> tuple[list[RankRow], list[int]]:
    """The ranked rows (red/black marked) and the ids of units with too few tickets to rank."""
    # A rate over nothing due says nothing: units are ranked on what was due.
    eligible = [u for u in units if u.unit_id is not None and u.due >= rules.min_dispatched]
    unranked = sorted(u.unit_id for u in units if u.unit_id is not None and u.due < rules.min_dispatched)

    def key(u: UnitMetrics):
        return (-(u.closure_rate or 0.0), -(u.on_time_rate or 0.0), u.overdue_unclosed)

    eligible.sort(key=lambda u: (*key(u), u.unit_name or ""))
    n = len(eligible)
    places: list[int] = []  # ties share a rank (1, 1, 3)
    for i, u in enumerate(eligible):
        places.append(places[-1] if i and key(eligible[i - 1]) == key(u) else i + 1)
    # The last position a tied group takes: a group reaches into the bottom N when its last one does, the
    # mirror of the red list, where a group reaches into the top N when its first one (its rank) does.
    last_position = {place: i + 1 for i, place in enumerate(places)}
    rows: list[RankRow] = []
    for u, place in zip(eligible, places, strict=True):
        rate, on_time = u.closure_rate or 0.0, u.on_time_rate or 0.0
        red = rate >= rules.red_min_rate and place <= rules.red_top
        # A group's only unit is last of nothing (the only department of a month, at 85.7 %, was black-listed as
        # "bottom 3" of one): it is black by its rate alone.
        bottom = n > 1 and last_position[place] > n - rules.black_bottom
        black = not red and (rate < rules.black_max_rate or bottom)
        rows.append(RankRow(rank=place, unit_id=u.unit_id, unit_name=u.unit_name or "", dispatched=u.dispatched,
                            closed=u.closed, closed_on_time=u.closed_on_time, overdue=u.overdue,
                            due=u.due, overdue_unclosed=u.overdue_unclosed, closure_rate=rate,
                            rectification_rate=u.rectification_rate or 0.0, on_time_rate=on_time,
                            list="red" if red else "black" if black else None, prev_rank=None, movement=None))
    return rows, unranked



def rank_by_kind(units: list[UnitMetrics], kinds: dict[int, str], rules: RankRules) -> list[RankGroup]:
    """One ranking per group of unit kinds (departments; districts and street offices; companies), in that
    order; a group without units is left out. A unit of an unknown kind is ranked with the departments."""
    members: dict[RankGroupKind, list[UnitMetrics]] = {g: [] for g in RankGroupKind}
    for u in units:
        if u.unit_id is not None:
            members[UNIT_KIND_GROUP.get(kinds.get(u.unit_id, ""), RankGroupKind.department)].append(u)
    groups = []
    for kind, its_units in members.items():
        rows, unranked = rank(its_units, rules)
        if rows or unranked:
            groups.append(RankGroup(kind=kind, name=RANK_GROUP_NAMES[kind], rule_text=rule_text(rules), rows=rows,
                                    red=[r.unit_id for r in rows if r.list == "red"],
                                    black=[r.unit_id for r in rows if r.list == "black"], unranked=unranked))
    return groups

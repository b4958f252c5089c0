"""app/evaluation/scoring.py (pure) on a hand-built round whose every figure was computed by hand.

Points are tenths: 400 = 40 分. Three site types, each checklist totalling 1000 (100 分):

  farmers_market (FM)  FM-01 环境卫生 400 per_occurrence 50   (cap reached at 8 occurrences)
                       FM-02 公共秩序 300 per_occurrence 25
                       FM-03 宣传氛围 200 all_or_nothing
                       FM-04 基础设施 100 per_occurrence 15   (cap reached at 7: 7 × 15 = 105 > 100)
  bus_stop (BS)        BS-01 环境卫生 500 per_occurrence 100
                       BS-02 基础设施 300 all_or_nothing
                       BS-03 宣传氛围 200 per_occurrence 30   (cap reached at 7: 210 > 200)
  back_alley (BX)      BX-01 环境卫生 600 per_occurrence 45
                       BX-02 公共秩序 400 per_occurrence 80

Units: 1 市城市管理局, 2 向阳街道办事处, 3 市住房和城乡建设局, 4 市场监督管理局. Districts: 10 东城区, 20 西城区.

  site type unit district  answers                                              possible deducted earned rate
  S1   FM   1    10        FM-01 ✗3 (150), FM-02 ✓, FM-03 ✓, FM-04 ✗8 (cap 100)   1000     250      750  0.75
  S2   FM   2    10        FM-01 ✗6 (300), FM-02 ✗2 (50), FM-03 ✓, FM-04 不适用     900     350      550  11/18
  S3   BS   1    20        BS-01 ✗2 (200), BS-02 ✓, BS-03 不适用                     800     200      600  0.75
  S4   BS   3    20        BS-01 ✓, BS-02 ✗ ×2 (all 300), BS-03 ✗7 (cap 200)        1000     500      500  0.5
  S5   BX   2    20        BX-01 ✗1 (45), BX-02 ✗1 (80)                            1000     125      875  0.875
  S6   BX   3    10        BX-01 ✗4 (180, cap 600 not reached), BX-02 不适用          600     180      420  0.7
  S7   FM   4    20        无法调查: 市场停业装修
"""

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import Invalid
from app.evaluation.exports import pct
from app.evaluation.scoring import (
    FORMULAS,
    Answer,
    Change,
    InvalidAnswers,
    InvalidChecklist,
    InvalidRound,
    Item,
    RoundInput,
    Rule,
    SiteChange,
    SiteInput,
    SiteStatus,
    Verdict,
    answer,
    check_checklist,
    compare_reports,
    compare_rounds,
    points,
    score_round,
    score_site,
)

P, F, NA, U = Verdict.pass_, Verdict.fail, Verdict.na, Verdict.unable
PER, ALL = Rule.per_occurrence, Rule.all_or_nothing

FM = [Item("FM-01", "环境卫生", 400, PER, 50, "env_litter"), Item("FM-02", "公共秩序", 300, PER, 25, "order_stall"),
      Item("FM-03", "宣传氛围", 200, ALL, 200, "ad_public"), Item("FM-04", "基础设施", 100, PER, 15, "infra")]
BS = [Item("BS-01", "环境卫生", 500, PER, 100), Item("BS-02", "基础设施", 300, ALL, 300),
      Item("BS-03", "宣传氛围", 200, PER, 30)]
BX = [Item("BX-01", "环境卫生", 600, PER, 45), Item("BX-02", "公共秩序", 400, PER, 80)]
CHECKLISTS = {"farmers_market": FM, "bus_stop": BS, "back_alley": BX}
UNITS = {1: "市城市管理局", 2: "向阳街道办事处", 3: "市住房和城乡建设局", 4: "市场监督管理局"}
DISTRICTS = {10: "东城区", 20: "西城区"}
TYPES = {"FM": "farmers_market", "BS": "bus_stop", "BX": "back_alley"}


def ans(spec: str) -> Answer:
    """'P', 'NA', 'U' (无法调查: this item could not be checked), 'F3' (fail, 3 occurrences)."""
    if spec == "P":
        return Answer(P)
    if spec == "U":
        return Answer(U)
    if spec == "NA":
        return Answer(NA)
    return Answer(F, int(spec[1:]))


def site(site_id: int, kind: str, unit: int, district: int, answers: str = "", *, unable: str | None = None):
    """answers: 'FM-01:F3 FM-02:P …'."""
    parsed = {code: ans(v) for code, v in (pair.split(":") for pair in answers.split())}
    return SiteInput(site_id, TYPES[kind], unit, UNITS[unit], district, DISTRICTS[district],
                     SiteStatus.unable if unable else SiteStatus.evaluated, parsed, unable)


ROUND = RoundInput(CHECKLISTS, [
    site(1, "FM", 1, 10, "FM-01:F3 FM-02:P FM-03:P FM-04:F8"),
    site(2, "FM", 2, 10, "FM-01:F6 FM-02:F2 FM-03:P FM-04:NA"),
    site(3, "BS", 1, 20, "BS-01:F2 BS-02:P BS-03:NA"),
    site(4, "BS", 3, 20, "BS-01:P BS-02:F2 BS-03:F7"),
    site(5, "BX", 2, 20, "BX-01:F1 BX-02:F1"),
    site(6, "BX", 3, 10, "BX-01:F4 BX-02:NA"),
    site(7, "FM", 4, 20, unable="市场停业装修 closed for renovation"),
])


def figures(g):
    return (g.sites_evaluated, g.sites_unable, g.possible_tenths, g.deducted_tenths, g.earned_tenths)


def test_site_scores_with_caps_all_or_nothing_and_not_applicable():
    report = score_round(ROUND)
    got = {r.site.site_id: r.score for r in report.sites}
    assert got[7] is None  # 无法调查: no score
    rows = {sid: (s.possible_tenths, s.deducted_tenths, s.earned_tenths, s.pass_count, s.fail_count, s.na_count)
            for sid, s in got.items() if s}
    assert rows == {1: (1000, 250, 750, 2, 2, 0), 2: (900, 350, 550, 1, 2, 1), 3: (800, 200, 600, 1, 1, 1),
                    4: (1000, 500, 500, 1, 2, 0), 5: (1000, 125, 875, 0, 2, 0), 6: (600, 180, 420, 0, 1, 1)}
    assert {sid: s.rate for sid, s in got.items() if s} == {1: 0.75, 2: 550 / 900, 3: 0.75, 4: 0.5, 5: 0.875, 6: 0.7}
    # The items that lost points, in checklist order: S1's FM-04 failed 8 × 1.5 = 12 分 but is capped at 10;
    # S4's BS-02 is all or nothing (2 occurrences still lose its 30 分), BS-03 7 × 3 = 21 capped at 20.
    assert [(x.code, x.occurrences, x.loss_tenths) for x in got[1].losses] == [("FM-01", 3, 150), ("FM-04", 8, 100)]
    assert [(x.code, x.occurrences, x.loss_tenths) for x in got[4].losses] == [("BS-02", 2, 300), ("BS-03", 7, 200)]
    assert [(x.code, x.loss_tenths) for x in got[6].losses] == [("BX-01", 180)]  # 4 × 45, under the 600 cap
    assert points(got[5].deducted_tenths) == 12.5


def test_round_and_group_roll_ups():
    report = score_round(ROUND)
    # Round: 6 evaluated + 1 unable; possible 1000+900+800+1000+1000+600 = 5300, deducted 250+350+200+500+125+180
    # = 1605, earned 3695; weighted 3695/5300; mean of site rates (0.75 + 11/18 + 0.75 + 0.5 + 0.875 + 0.7) / 6
    # = (1287 + 220)/360 / 6 = 1507/2160.
    assert figures(report.total) == (6, 1, 5300, 1605, 3695)
    assert report.total.rate == 3695 / 5300
    assert report.total.mean_site_rate == pytest.approx(1507 / 2160)
    # Site types: FM = S1 + S2 (+ S7 unable): 1000+900 possible, 250+350 deducted → 1300/1900 = 13/19; mean
    # (3/4 + 11/18)/2 = 49/72. BS = S3 + S4: 1800, 700, 1100 → 11/18; mean 0.625. BX = S5 + S6: 1600, 305, 1295;
    # mean (0.875 + 0.7)/2 = 0.7875.
    types = {g.key: g for g in report.by_site_type}
    assert [g.key for g in report.by_site_type] == ["back_alley", "bus_stop", "farmers_market"]
    assert figures(types["farmers_market"]) == (2, 1, 1900, 600, 1300)
    assert types["farmers_market"].rate == 1300 / 1900
    assert types["farmers_market"].mean_site_rate == pytest.approx(49 / 72)
    assert figures(types["bus_stop"]) == (2, 0, 1800, 700, 1100)
    assert types["bus_stop"].rate == 1100 / 1800 and types["bus_stop"].mean_site_rate == 0.625
    assert figures(types["back_alley"]) == (2, 0, 1600, 305, 1295)
    assert types["back_alley"].rate == 0.809375 and types["back_alley"].mean_site_rate == pytest.approx(0.7875)
    # Units: U1 = S1 + S3: 1800 possible, 450 deducted, 1350 earned → 0.75, mean 0.75. U2 = S2 + S5: 1900, 475,
    # 1425 → 0.75 exactly too, but its mean is (11/18 + 7/8)/2 = 107/144. U3 = S4 + S6: 1600, 680, 920 → 0.575,
    # mean 0.6. U4: only the unable S7.
    units = {g.key: g for g in report.by_unit}
    assert [figures(units[u]) for u in (1, 2, 3, 4)] == [(2, 0, 1800, 450, 1350), (2, 0, 1900, 475, 1425),
                                                         (2, 0, 1600, 680, 920), (0, 1, 0, 0, 0)]
    assert [units[u].rate for u in (1, 2, 3, 4)] == [0.75, 0.75, 0.575, None]
    assert units[2].mean_site_rate == pytest.approx(107 / 144) and units[4].mean_site_rate is None
    assert units[1].name == "市城市管理局"
    # Districts: 东城区 = S1 + S2 + S6: 2500 possible, 780 deducted, 1720 earned → 0.688; mean (3/4 + 11/18 + 7/10)/3.
    # 西城区 = S3 + S4 + S5 (+ S7 unable): 2800, 825, 1975 → 1975/2800; mean (0.75 + 0.5 + 0.875)/3 = 17/24.
    d = {g.key: g for g in report.by_district}
    assert figures(d[10]) == (3, 0, 2500, 780, 1720) and d[10].rate == 0.688 and d[10].name == "东城区"
    assert d[10].mean_site_rate == pytest.approx(float((Fraction(3, 4) + Fraction(11, 18) + Fraction(7, 10)) / 3))
    assert figures(d[20]) == (3, 1, 2800, 825, 1975) and d[20].rate == 1975 / 2800
    assert d[20].mean_site_rate == pytest.approx(17 / 24)


def test_points_lost_per_dimension_and_per_item():
    report = score_round(ROUND)
    # 环境卫生: FM-01 150+300, BS-01 200, BX-01 45+180 = 875 (5 failures); 基础设施: FM-04 100 + BS-02 300 = 400;
    # 宣传氛围: BS-03 200; 公共秩序: FM-02 50 + BX-02 80 = 130. Sum 1605 = the round's deducted.
    assert [(d.dimension, d.lost_tenths, d.failures) for d in report.dimensions] == [
        ("环境卫生", 875, 5), ("基础设施", 400, 2), ("宣传氛围", 200, 1), ("公共秩序", 130, 2)]
    assert [d.share for d in report.dimensions] == [875 / 1605, 400 / 1605, 200 / 1605, 130 / 1605]
    assert f"{report.dimensions[0].share:.1%}" == "54.5%"
    # Items, most lost first (ties: more sites failed, then code): FM-01 450 at 2 sites (9 occurrences), BS-02
    # 300, BX-01 225 at 2 sites (5 occurrences), BS-01 200 and BS-03 200 (1 site each → by code), FM-04 100, BX-02
    # 80, FM-02 50, FM-03 0. Applicable: FM-04 na at S2 → 1 of 2 FM sites (S7 unable is not evaluated); BS-03 na
    # at S3 → 1; BX-02 na at S6 → 1.
    assert [(i.code, i.lost_tenths, i.sites_failed, i.sites_applicable, i.occurrences) for i in report.items] == [
        ("FM-01", 450, 2, 2, 9), ("BS-02", 300, 1, 2, 2), ("BX-01", 225, 2, 2, 5), ("BS-01", 200, 1, 2, 2),
        ("BS-03", 200, 1, 1, 7), ("FM-04", 100, 1, 1, 8), ("BX-02", 80, 1, 1, 1), ("FM-02", 50, 1, 2, 2),
        ("FM-03", 0, 0, 2, 0)]
    assert report.items[0].share == 450 / 1605 and report.items[-1].share == 0.0
    assert report.items[0].site_type == "farmers_market" and report.items[0].dimension == "环境卫生"


def test_unit_ranking_ties_share_a_rank_and_a_unit_without_evaluated_sites_is_listed_not_ranked():
    report = score_round(ROUND)
    # U1 1350/1800 and U2 1425/1900 are both exactly 3/4: rank 1 together, ordered by name (向 U+5411 before
    # 市 U+5E02); U3 0.575 is third. U4 has only the unable S7.
    assert [(r.rank, r.unit_id, r.rate, r.sites_evaluated) for r in report.ranking] == [
        (1, 2, 0.75, 2), (1, 1, 0.75, 2), (3, 3, 0.575, 2)]
    assert [(u.key, u.sites_unable) for u in report.unranked] == [(4, 1)]


REVIEW = RoundInput(CHECKLISTS, [
    # S1: FM-01 fixed (fail → pass), FM-02 newly failing (1 × 25), FM-03 still passing, FM-04 still failing
    # (2 × 15 = 30). Possible 1000, deducted 55, earned 945.
    site(1, "FM", 1, 10, "FM-01:P FM-02:F1 FM-03:P FM-04:F2"),
    # S2: FM-01 still failing (1 × 50), FM-02 fixed, FM-03 pass → 不适用, FM-04 不适用 → pass. Possible
    # 400+300+100 = 800, deducted 50, earned 750.
    site(2, "FM", 2, 10, "FM-01:F1 FM-02:P FM-03:NA FM-04:P"),
    site(4, "BS", 3, 20, unable="站台施工围挡 under construction"),  # evaluated before, unable now
    site(7, "FM", 4, 20, "FM-01:P FM-02:P FM-03:P FM-04:P"),         # unable before, evaluated now
    # S3, S5, S6 are not re-checked.
])


def test_review_round_item_by_item():
    cmp = compare_rounds(ROUND, REVIEW)
    by = {s.site_id: s for s in cmp.sites}
    assert [(s.site_id, s.status) for s in cmp.sites] == [
        (1, SiteChange.compared), (2, SiteChange.compared), (3, SiteChange.not_rechecked),
        (4, SiteChange.unable_after), (5, SiteChange.not_rechecked), (6, SiteChange.not_rechecked),
        (7, SiteChange.unable_before)]
    assert [(c.code, c.change, c.loss_before_tenths, c.loss_after_tenths) for c in by[1].items] == [
        ("FM-01", Change.fixed, 150, 0), ("FM-02", Change.newly_failing, 0, 25),
        ("FM-03", Change.still_passing, 0, 0), ("FM-04", Change.still_failing, 100, 30)]
    assert [(c.code, c.change, c.before, c.after) for c in by[2].items] == [
        ("FM-01", Change.still_failing, F, F), ("FM-02", Change.fixed, F, P), ("FM-03", Change.pass_to_na, P, NA),
        ("FM-04", Change.na_to_pass, NA, P)]
    assert (by[1].rate_before, by[1].rate_after) == (0.75, 0.945)
    assert (by[2].rate_before, by[2].rate_after) == (550 / 900, 750 / 800)
    assert (by[4].rate_before, by[4].rate_after, by[4].items) == (0.5, None, ())
    assert (by[7].rate_before, by[7].rate_after) == (None, 1.0)
    nonzero = {k: v for k, v in by[1].counts.items() if v}
    assert nonzero == {Change.fixed: 1, Change.newly_failing: 1, Change.still_passing: 1, Change.still_failing: 1}
    # Round: fixed 2 (S1 FM-01, S2 FM-02), still failing 2 (S1 FM-04, S2 FM-01), newly failing 1, still passing 1,
    # pass → 不适用 1, 不适用 → pass 1; every other change 0 and listed.
    assert cmp.counts == {**dict.fromkeys(Change, 0), Change.fixed: 2, Change.still_failing: 2,
                          Change.newly_failing: 1, Change.still_passing: 1, Change.pass_to_na: 1,
                          Change.na_to_pass: 1}
    assert compare_reports(score_round(ROUND), score_round(REVIEW)) == cmp
    assert cmp.site_counts == {**dict.fromkeys(SiteChange, 0), SiteChange.compared: 2, SiteChange.not_rechecked: 3,
                               SiteChange.unable_after: 1, SiteChange.unable_before: 1}


def test_review_with_a_new_checklist_version_matches_items_by_code():
    # The review keeps a newer farmers_market version: FM-04 dropped, FM-05 added.
    fm2 = [*FM[:3], Item("FM-05", "服务管理", 100, ALL, 100)]
    before = RoundInput({"farmers_market": FM}, [site(1, "FM", 1, 10, "FM-01:F3 FM-02:P FM-03:P FM-04:F8"),
                                                 site(8, "FM", 2, 10, unable="关闭")])
    after = RoundInput({"farmers_market": fm2}, [site(1, "FM", 1, 10, "FM-01:F3 FM-02:NA FM-03:F1 FM-05:F1"),
                                                  site(8, "FM", 2, 10, unable="仍关闭"),
                                                  site(9, "FM", 2, 10, "FM-01:P FM-02:P FM-03:P FM-05:P")])
    cmp = compare_rounds(before, after)
    assert [(c.code, c.change, c.loss_before_tenths, c.loss_after_tenths) for c in cmp.sites[0].items] == [
        ("FM-01", Change.still_failing, 150, 150), ("FM-02", Change.pass_to_na, 0, 0),
        ("FM-03", Change.newly_failing, 0, 200), ("FM-04", Change.item_removed, 100, 0),
        ("FM-05", Change.item_added, 0, 100)]
    assert [(s.site_id, s.status) for s in cmp.sites] == [(1, SiteChange.compared), (8, SiteChange.unable_both),
                                                          (9, SiteChange.new_site)]
    # S1 before: 1000 possible, 250 lost; after: FM-02 不适用 → 700 possible, 150 + 200 + 100 = 450 lost.
    assert (cmp.sites[0].rate_before, cmp.sites[0].rate_after) == (0.75, 250 / 700)


# ---- bad input ----------------------------------------------------------------------------------------------

def problems(err) -> list[tuple]:
    return [(p["problem"], p.get("site_id"), p.get("item_code")) for p in err.value.details]


def test_answer_errors_are_422_and_list_every_problem():
    answers = {"FM-01": Answer(F), "FM-02": Answer(P, 2), "FM-03": Answer(NA, 1), "FM-99": Answer(P),
               "FM-04": Answer(F, 0)}
    with pytest.raises(InvalidAnswers) as err:
        score_site(FM, answers, site_id=5)
    assert isinstance(err.value, Invalid) and err.value.status == 422 and err.value.code == "invalid_answers"
    assert problems(err) == [("occurrences_required", 5, "FM-01"), ("occurrences_not_allowed", 5, "FM-02"),
                             ("occurrences_not_allowed", 5, "FM-03"), ("occurrences_required", 5, "FM-04"),
                             ("unknown_item", 5, "FM-99")]
    assert "另有 4 处" in err.value.message
    with pytest.raises(InvalidAnswers) as err:  # a submitted site answers every item
        score_site(FM, {"FM-01": Answer(P), "FM-03": Answer(P)})
    assert problems(err) == [("missing_answer", None, "FM-02"), ("missing_answer", None, "FM-04")]
    with pytest.raises(InvalidAnswers) as err:
        score_site(BX, {"BX-01": Answer("maybe"), "BX-02": Answer(F, 1.5)})
    assert problems(err) == [("unknown_verdict", None, "BX-01"), ("occurrences_required", None, "BX-02")]
    # Plain strings from JSON work as verdicts: 2 × 45 lost of 600 possible (BX-02 不适用); then 45 of 1000.
    assert score_site(BX, {"BX-01": Answer("fail", 2), "BX-02": Answer("na")}).earned_tenths == 510
    plain = RoundInput({"back_alley": BX}, [SiteInput(1, "back_alley", 1, "u", None, None, "evaluated",
                                                      {"BX-01": Answer("fail", 1), "BX-02": Answer("pass")})])
    assert score_round(plain).total.earned_tenths == 955
    assert compare_rounds(plain, plain).counts[Change.still_failing] == 1
    # answer() shares one immutable Answer per (verdict, occurrences) and leaves a bad verdict to validation.
    assert answer("fail", 3) is answer("fail", 3) and answer("pass").verdict is P
    with pytest.raises(InvalidAnswers) as err:
        score_site(BX, {"BX-01": answer("maybe"), "BX-02": answer("pass")})
    assert problems(err) == [("unknown_verdict", None, "BX-01")]


def test_checklist_errors():
    with pytest.raises(InvalidChecklist) as err:
        check_checklist([Item("A", "x", 100, PER, 150), Item("A", "x", 0, PER, 0), Item("B", "x", 100, ALL, 50),
                         Item("C", "x", 100, "weird", 10)], "bus_stop")
    assert problems(err) == [("deduction_out_of_range", None, "A"), ("duplicate_item", None, "A"),
                             ("points_not_positive", None, "A"), ("deduction_out_of_range", None, "A"),
                             ("deduction_not_points", None, "B"), ("unknown_rule", None, "C")]
    assert err.value.details[0]["site_type"] == "bus_stop"
    bad = RoundInput({"bus_stop": [Item("BS-01", "x", 100, PER, 200)]}, [])
    with pytest.raises(InvalidChecklist):
        score_round(bad)


def test_round_errors_nothing_scored():
    bad = RoundInput(CHECKLISTS, [
        site(1, "FM", 1, 10, "FM-01:P FM-02:P FM-03:P FM-04:P"),
        site(1, "FM", 1, 10, "FM-01:P FM-02:P FM-03:P FM-04:P"),
        SiteInput(2, "hospital", 1, "u", 10, "d", SiteStatus.evaluated, {}),
        SiteInput(3, "bus_stop", 1, "u", 10, "d", SiteStatus.unable, {}, "  "),
        site(4, "BX", 1, 10, "BX-01:F0 BX-02:P"),
    ])
    with pytest.raises(InvalidRound) as err:
        score_round(bad)
    assert problems(err) == [("duplicate_site", 1, None), ("unknown_site_type", 2, None),
                             ("unable_reason_required", 3, None), ("occurrences_required", 4, "BX-01")]
    # Only answer problems: InvalidAnswers, also through compare_rounds.
    with pytest.raises(InvalidAnswers):
        compare_rounds(ROUND, RoundInput(CHECKLISTS, [site(1, "FM", 1, 10, "FM-01:P")]))


def test_a_site_where_nothing_applies_has_no_rate_and_its_unit_is_not_ranked():
    rnd = RoundInput({"back_alley": BX}, [site(1, "BX", 1, 10, "BX-01:NA BX-02:NA"),
                                          site(2, "BX", 2, 10, "BX-01:F1 BX-02:P")])
    report = score_round(rnd)
    assert report.sites[0].score.rate is None and report.sites[0].score.na_count == 2
    # Unit 1 evaluated a site but nothing applied: listed, not ranked; the round's mean is over S2 alone.
    assert [(r.rank, r.unit_id) for r in report.ranking] == [(1, 2)]
    assert [u.key for u in report.unranked] == [1]
    assert report.total.mean_site_rate == 955 / 1000 and report.total.rate == 0.955
    # No points lost at all: shares are None, not a division by zero.
    clean = score_round(RoundInput({"back_alley": BX}, [site(1, "BX", 1, 10, "BX-01:P BX-02:P")]))
    assert [(d.dimension, d.lost_tenths, d.share) for d in clean.dimensions] == [("公共秩序", 0, None),
                                                                                 ("环境卫生", 0, None)]


def test_the_mean_of_site_rates_is_exact_so_the_printout_rounds_it_as_by_hand():
    """98.5 % and 100 % average to 99.25 %, shown 99.3 % (四舍五入): the mean of the float rates was 0.99249999…,
    which the printout and the workbook rounded down to 99.2 % beside a pooled rate of 99.3 %."""
    rnd = RoundInput({"farmers_market": FM}, [site(1, "FM", 1, 10, "FM-01:P FM-02:P FM-03:P FM-04:F1"),
                                              site(2, "FM", 1, 10, "FM-01:P FM-02:P FM-03:P FM-04:P")])
    report = score_round(rnd)
    assert [s.score.rate for s in report.sites] == [0.985, 1.0]
    for group in (report.total, report.by_site_type[0], report.by_unit[0], report.by_district[0]):
        assert group.mean_site_rate == 0.9925
        assert pct(group.mean_site_rate) == pct(group.rate) == "99.3%"  # as the printout shows them
    assert report.ranking[0].mean_site_rate == 0.9925


def test_items_that_could_not_be_checked_leave_the_possible_points_and_are_counted_apart():
    """无法调查 per item (a locked area …): 0 lost, out of the possible points like 不适用, counted on its own.

      S1 FM unit 1 district 10  FM-01 ✗2 (100), FM-02 无法调查, FM-03 ✓, FM-04 不适用   possible 600, deducted 100,
                                                                                     earned 500, rate 5/6
      S2 FM unit 2 district 20  FM-01 无法调查, FM-02 无法调查, FM-03 ✗ (200), FM-04 ✓  possible 300, deducted 200,
                                                                                     earned 100, rate 1/3
      S3 BS unit 1 district 10  BS-01 ✓, BS-02 无法调查, BS-03 ✓                       possible 700, earned 700
      S4 BX unit 2 district 10  all 无法调查                                             possible 0, no rate
    """
    rnd = RoundInput(CHECKLISTS, [
        site(1, "FM", 1, 10, "FM-01:F2 FM-02:U FM-03:P FM-04:NA"),
        site(2, "FM", 2, 20, "FM-01:U FM-02:U FM-03:F1 FM-04:P"),
        site(3, "BS", 1, 10, "BS-01:P BS-02:U BS-03:P"),
        site(4, "BX", 2, 10, "BX-01:U BX-02:U"),
    ])
    report = score_round(rnd)
    got = {r.site.site_id: r.score for r in report.sites}
    assert {sid: (s.possible_tenths, s.deducted_tenths, s.earned_tenths, s.pass_count, s.fail_count, s.na_count,
                  s.unable_count) for sid, s in got.items()} == {
        1: (600, 100, 500, 1, 1, 1, 1), 2: (300, 200, 100, 1, 1, 0, 2), 3: (700, 0, 700, 2, 0, 0, 1),
        4: (0, 0, 0, 0, 0, 0, 2)}
    assert {sid: s.rate for sid, s in got.items()} == {1: 500 / 600, 2: 100 / 300, 3: 1.0, 4: None}
    t = report.total
    assert figures(t) == (4, 0, 1600, 300, 1300) and (t.na_items, t.unable_items) == (1, 6)
    assert t.rate == 1300 / 1600
    assert t.mean_site_rate == pytest.approx((5 / 6 + 1 / 3 + 1) / 3)  # S4 has no rate
    by_unit = {g.key: (figures(g), g.na_items, g.unable_items) for g in report.by_unit}
    assert by_unit == {1: ((2, 0, 1300, 100, 1200), 1, 2), 2: ((2, 0, 300, 200, 100), 0, 4)}
    by_district = {g.key: (figures(g), g.na_items, g.unable_items) for g in report.by_district}
    assert by_district == {10: ((3, 0, 1300, 100, 1200), 1, 4), 20: ((1, 0, 300, 200, 100), 0, 2)}
    items = {(i.site_type, i.code): (i.sites_applicable, i.sites_na, i.sites_unable) for i in report.items}
    assert items[("farmers_market", "FM-01")] == (1, 0, 1)
    assert items[("farmers_market", "FM-02")] == (0, 0, 2)
    assert items[("farmers_market", "FM-04")] == (1, 1, 0)
    assert items[("bus_stop", "BS-02")] == (0, 0, 1)
    assert items[("back_alley", "BX-01")] == (0, 0, 1)
    # Unit 2 has 100 of 300 points; unit 1 1200 of 1300.
    assert [(u.rank, u.unit_id, u.earned_tenths, u.possible_tenths) for u in report.ranking] == [
        (1, 1, 1200, 1300), (2, 2, 100, 300)]
    # 回头看: S1 FM-01 fail → unable, FM-02 unable → fail ×1 (25), FM-03 pass → unable, FM-04 n/a → unable;
    # S2 FM-01 unable → pass, FM-02 still unable, FM-03 fail → fail, FM-04 pass → pass; S3 BS-02 unable → n/a.
    review = RoundInput(CHECKLISTS, [
        site(1, "FM", 1, 10, "FM-01:U FM-02:F1 FM-03:U FM-04:U"),
        site(2, "FM", 2, 20, "FM-01:P FM-02:U FM-03:F1 FM-04:P"),
        site(3, "BS", 1, 10, "BS-01:P BS-02:NA BS-03:P"),
    ])
    cmp = compare_rounds(rnd, review)
    by = {s.site_id: s for s in cmp.sites}
    assert [(c.code, c.change, c.before, c.after, c.loss_before_tenths, c.loss_after_tenths) for c in by[1].items] == [
        ("FM-01", Change.fail_to_unable, F, U, 100, 0), ("FM-02", Change.unable_to_fail, U, F, 0, 25),
        ("FM-03", Change.pass_to_unable, P, U, 0, 0), ("FM-04", Change.na_to_unable, NA, U, 0, 0)]
    assert [c.change for c in by[2].items] == [Change.unable_to_pass, Change.still_unable, Change.still_failing,
                                               Change.still_passing]
    assert [c.change for c in by[3].items] == [Change.still_passing, Change.unable_to_na, Change.still_passing]
    assert (by[1].rate_before, by[1].rate_after) == (500 / 600, 275 / 300)  # review S1: only FM-02 applies
    assert by[4].status == SiteChange.not_rechecked
    assert cmp.counts == {**dict.fromkeys(Change, 0), Change.fail_to_unable: 1, Change.unable_to_fail: 1,
                          Change.pass_to_unable: 1, Change.na_to_unable: 1, Change.unable_to_pass: 1,
                          Change.still_unable: 1, Change.still_failing: 1, Change.still_passing: 3,
                          Change.unable_to_na: 1}


def test_an_unable_item_takes_no_occurrences():
    with pytest.raises(InvalidAnswers) as e:
        score_site(BX, {"BX-01": Answer(U, 2), "BX-02": Answer(P)})
    assert [(p["item_code"], p["problem"]) for p in e.value.problems] == [("BX-01", "occurrences_not_allowed")]


def test_formulas_are_stated_in_both_languages():
    assert {"item_loss", "possible", "site_rate", "group_rate", "mean_site_rate", "unable", "dimension_loss",
            "item_total", "ranking", "review"} <= FORMULAS.keys()
    assert all(f["zh"] and f["en"] for f in FORMULAS.values())


# ---- properties ---------------------------------------------------------------------------------------------

@st.composite
def rounds(draw):
    dims = ["基础设施", "环境卫生", "公共秩序", "宣传氛围", "服务管理"]
    checklists = {}
    for t in range(draw(st.integers(1, 3))):
        items = []
        for i in range(draw(st.integers(1, 8))):
            pts = draw(st.integers(1, 300))
            rule = draw(st.sampled_from(list(Rule)))
            ded = pts if rule == ALL else draw(st.integers(1, pts))
            items.append(Item(f"T{t}-{i}", draw(st.sampled_from(dims)), pts, rule, ded))
        checklists[f"type{t}"] = items
    sites = []
    for sid in range(draw(st.integers(0, 12))):
        t = draw(st.sampled_from(sorted(checklists)))
        if draw(st.integers(0, 9)) == 0:
            sites.append(SiteInput(sid, t, draw(st.integers(1, 4)), "u", None, None, SiteStatus.unable, {}, "closed"))
            continue
        answers = {}
        for it in checklists[t]:
            v = draw(st.sampled_from([P, F, NA, U]))
            answers[it.code] = Answer(v, draw(st.integers(1, 20)) if v == F else None)
        sites.append(SiteInput(sid, t, draw(st.integers(1, 4)), "u", draw(st.sampled_from([1, 2, None])), None,
                               SiteStatus.evaluated, answers))
    return RoundInput(checklists, sites)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds())
def test_properties_of_any_round(rnd):
    report = score_round(rnd)
    for r in report.sites:
        if r.score:
            s = r.score
            assert 0 <= s.earned_tenths <= s.possible_tenths
            assert s.deducted_tenths == sum(x.loss_tenths for x in s.losses)
            assert all(0 < x.loss_tenths for x in s.losses)
    total = report.total
    assert 0 <= total.earned_tenths <= total.possible_tenths
    assert sum(d.lost_tenths for d in report.dimensions) == total.deducted_tenths
    assert sum(i.lost_tenths for i in report.items) == total.deducted_tenths
    for groups in (report.by_site_type, report.by_unit, report.by_district):  # each a partition of the round
        assert tuple(map(sum, zip(*(figures(g) for g in groups), strict=True))) == figures(total) or not groups
    ranks = [r.rank for r in report.ranking]
    assert ranks == sorted(ranks) and (not ranks or ranks[0] == 1)
    assert [r.rate for r in report.ranking] == sorted((r.rate for r in report.ranking), reverse=True)
    for groups in (report.by_site_type, report.by_unit, report.by_district):  # item counts partition too
        assert sum(g.na_items for g in groups) == total.na_items
        assert sum(g.unable_items for g in groups) == total.unable_items
    for i in report.items:  # every evaluated site of its type: applicable, not applicable or not checkable
        assert i.sites_applicable + i.sites_na + i.sites_unable == sum(
            1 for r in report.sites if r.score and r.site.site_type == i.site_type)
    cmp = compare_rounds(rnd, rnd)  # a round against itself: nothing fixed or newly failing
    assert cmp.counts[Change.fixed] == cmp.counts[Change.newly_failing] == 0
    for change in (Change.fail_to_unable, Change.pass_to_unable, Change.na_to_unable, Change.unable_to_fail,
                   Change.unable_to_pass, Change.unable_to_na):
        assert cmp.counts[change] == 0
    assert cmp.counts[Change.still_unable] == total.unable_items

"""Every shown figure rounds half away from zero on its decimal value (四舍五入), as a person counting by hand
does and as Excel shows the stored number: 3802 of 4000 points is 95.05 %, shown 95.1 %; formatting the float
(0.9505 × 100 = 95.0499…97 in binary) gave 95.0 % in the printouts and the app while the Excel file said 95.1 %.

The table is shared with the PWA's test (frontend/tests/stats-delta.test.ts), so both round alike."""

import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from app.stats.exports import _pct, change, change_text

CASES = json.loads((Path(__file__).parents[1] / "fixtures" / "rounding_cases.json").read_text())


def by_hand(exact: Fraction, digits: int) -> Decimal:
    """Half away from zero on the exact value."""
    scaled = abs(exact) * 10 ** digits
    whole = int(scaled) + (scaled - int(scaled) >= Fraction(1, 2))
    return Decimal(whole if exact >= 0 else -whole).scaleb(-digits)


@pytest.mark.parametrize("case", CASES["rates"], ids=lambda c: f"{c['num']}/{c['den']}")
def test_a_rate_is_shown_as_counted_by_hand(case):
    exact = Fraction(case["num"], case["den"]) * 100
    assert case["text"] == f"{by_hand(exact, case['digits']):.{case['digits']}f}%"  # the table itself is right
    assert _pct(case["num"] / case["den"], case["digits"]) == case["text"]


@pytest.mark.parametrize("case", CASES["deltas"], ids=lambda c: f"{c['cur']}-{c['prev']}")
def test_a_rate_s_change_is_shown_in_points_as_counted_by_hand(case):
    (a, b), (c, d) = case["cur"], case["prev"]
    exact = (Fraction(a, b) - Fraction(c, d)) * 100
    assert case["points"] == float(by_hand(exact, 1))
    assert change_text(a / b, c / d, "0.0%") == case["text"]
    # The Excel cell keeps the unrounded change (its "0.0" format rounds it, half away from zero, as above).
    assert change(a / b, c / d, "0.0%") == pytest.approx(float(exact), abs=1e-9)


def test_the_rework_rate_s_change_is_shown_to_the_two_decimals_of_its_values():
    """返工率 is printed to two decimals (6.67 %); its change beside it read ↑6.7个百分点."""
    assert change_text(1 / 15, 0.0, "0.00%") == "↑6.67个百分点"
    assert change_text(2 / 11, 0.0, "0.00%") == "↑18.18个百分点"
    assert change_text(1 / 15, 1 / 16, "0.00%") == "↑0.42个百分点"  # 0.41666…: not ↑0.4
    assert change_text(1 / 200, 1 / 200, "0.00%") == "持平"
    assert change_text(1 / 15, 0.0, "0.0%") == "↑6.7个百分点"  # the other rates as they were


def test_the_rounding_cases_include_the_halves_that_binary_floats_get_wrong():
    wrong = [c for c in CASES["rates"] if f"{c['num'] / c['den'] * 100:.{c['digits']}f}%" != c["text"]]
    assert len(wrong) >= 3, "the table should hold cases where formatting the float itself is wrong"


def test_a_change_in_hours_is_shown_to_the_one_decimal_of_its_values():
    """Printed beside 3.2 and 1.8 hours, the change read ↑1.342: now one decimal, half up on the decimal values."""
    assert change_text(3.158, 1.816, "0.0") == "↑1.3"
    assert change_text(73.0, 79.017, "0.0") == "↓6.0"
    assert change_text(2.35, 1.1, "0.0") == "↑1.3"  # 1.25: half away from zero
    assert change_text(5.02, 5.0, "0.0") == "持平"
    assert change_text(4, 1, None) == "↑3"  # counts as they were

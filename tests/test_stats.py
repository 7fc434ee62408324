"""Mean and spread over seeds, and the Welch interval of a difference of two arms' means."""

import math

import numpy as np
import pytest

from convstudy import stats

# R's sleep data (Cushny and Peebles; the classic example of t.test's documentation): extra
# hours of sleep under two drugs. R: t.test(extra ~ group, data = sleep) prints
#   Welch Two Sample t-test, df = 17.776,
#   95 percent confidence interval: -3.3654832  0.2054832  (group 1 minus group 2)
SLEEP_GROUP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_GROUP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def test_welch_interval_matches_the_textbook_sleep_example():
    # welch_difference gives arm - baseline: group 1 minus group 2 has group 2 as baseline.
    result = stats.welch_difference(SLEEP_GROUP_2, SLEEP_GROUP_1)
    assert result.difference == pytest.approx(0.75 - 2.33)
    assert result.degrees_of_freedom == pytest.approx(17.776, abs=5e-4)
    assert result.low == pytest.approx(-3.3654832, abs=1e-6)
    assert result.high == pytest.approx(0.2054832, abs=1e-6)
    # The interval includes zero: not a win for either drug.
    assert result.verdict == stats.NO_CLEAR_DIFFERENCE


def test_two_seeds_per_arm_use_the_t_quantile_not_the_normal_one():
    # Equal variances, n = 2 each: Welch's df is exactly 2, t(0.975, 2) = 4.303 (every t table).
    result = stats.welch_difference([1.0, 2.0], [10.0, 11.0])
    assert result.degrees_of_freedom == pytest.approx(2.0)
    half_width = 4.302653 * math.sqrt(0.5 / 2 + 0.5 / 2)
    assert (result.low, result.high) == pytest.approx((9 - half_width, 9 + half_width), abs=1e-5)
    assert result.verdict == stats.HIGHER
    assert stats.welch_difference([10.0, 11.0], [1.0, 2.0]).verdict == stats.LOWER


def test_an_interval_that_includes_zero_is_no_clear_difference():
    result = stats.welch_difference([0.80, 0.82, 0.78], [0.81, 0.84, 0.79])
    assert result.low < 0 < result.high
    assert result.verdict == "no clear difference"


@pytest.mark.parametrize("baseline, arm", [([0.8], [0.9, 0.91]), ([0.8, 0.81], [0.9]), ([1], [2])])
def test_a_single_seed_gives_no_interval_and_says_so(baseline, arm):
    result = stats.welch_difference(baseline, arm)
    assert result.difference == pytest.approx(np.mean(arm) - np.mean(baseline))
    assert math.isnan(result.low) and math.isnan(result.high) and not result.has_interval
    assert result.verdict == stats.NO_INTERVAL == "single seed: no interval"


def test_identical_seeds_give_an_exact_difference():
    assert stats.welch_difference([0.5, 0.5], [0.5, 0.5]).verdict == stats.NO_CLEAR_DIFFERENCE
    exact = stats.welch_difference([0.5, 0.5], [0.7, 0.7])
    assert exact.low == exact.high == pytest.approx(0.2) and exact.verdict == stats.HIGHER


def test_summarize():
    summary = stats.summarize([1.0, 2.0, 3.0])
    assert (summary.n, summary.mean, summary.std) == (3, 2.0, 1.0)
    single = stats.summarize([4.0])
    assert single.mean == 4.0 and math.isnan(single.std)
    with pytest.raises(ValueError):
        stats.summarize([])

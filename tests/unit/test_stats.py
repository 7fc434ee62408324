"""Mean and spread over seeds; paired, Welch and identical differences; detectable sizes."""

import math

import numpy as np
import pytest

from convstudy import stats
from convstudy.report.arms import difference_text

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
    assert result.interval == stats.SINGLE_SEED


def test_paired_interval_matches_the_textbook_sleep_example():
    # The same ten patients under both drugs: R's t.test(extra ~ group, data = sleep,
    # paired = TRUE) prints t = -4.0621, df = 9, 95% CI -2.4598858 -0.7001142 (group 1 - 2).
    result = stats.paired_difference(SLEEP_GROUP_2, SLEEP_GROUP_1)
    assert result.interval == stats.PAIRED and result.degrees_of_freedom == 9
    assert result.difference == pytest.approx(-1.58)
    assert result.low == pytest.approx(-2.4598858, abs=1e-6)
    assert result.high == pytest.approx(-0.7001142, abs=1e-6)
    assert result.verdict == stats.LOWER
    # By hand: differences d_i, mean -1.58, sd 1.229995; half-width t(0.975, 9) * sd / sqrt(10).
    differences = np.subtract(SLEEP_GROUP_1, SLEEP_GROUP_2)
    assert result.per_seed == pytest.approx(tuple(differences))
    half = 2.262157 * differences.std(ddof=1) / math.sqrt(10)
    assert (result.low, result.high) == pytest.approx((-1.58 - half, -1.58 + half), abs=1e-6)
    # The same numbers as independent samples (Welch) cannot tell the drugs apart: pairing
    # removes what each patient (here: each seed) shares between the arms.
    assert stats.welch_difference(SLEEP_GROUP_2, SLEEP_GROUP_1).verdict == (
        stats.NO_CLEAR_DIFFERENCE
    )


def test_paired_seeds_need_one_value_per_seed_in_each_arm():
    with pytest.raises(ValueError, match="one value per seed"):
        stats.paired_difference([0.8, 0.81], [0.8])


def test_detectable_difference_matches_r_power_t_test():
    # R: power.t.test(n = 20, delta = 1) (two samples, sd 1, df 38): power = 0.8689528, so
    # the difference detected with that power is 1 at this standard error sqrt(2 / 20).
    assert stats.detectable_difference(math.sqrt(2 / 20), 38, power=0.8689528) == (
        pytest.approx(1.0, abs=1e-4)
    )
    # R: power.t.test(power = 0.90, delta = 1) gives n = 22.02110 per group.
    n = 22.02110
    assert stats.detectable_difference(math.sqrt(2 / n), 2 * n - 2, power=0.9) == (
        pytest.approx(1.0, abs=1e-4)
    )
    # More seeds (or less spread) detect smaller differences; no spread detects any.
    assert stats.detectable_difference(0.01, 4) < stats.detectable_difference(0.01, 2)
    assert stats.detectable_difference(0.0, 4) == 0.0


def test_a_paired_interval_that_includes_zero_states_what_the_seeds_could_detect():
    result = stats.paired_difference([0.80, 0.82, 0.78, 0.81, 0.79], [0.81, 0.81, 0.80, 0.80, 0.80])
    assert result.verdict == stats.NO_CLEAR_DIFFERENCE and result.low < 0 < result.high
    # 80% power at the 5% level from the per-seed spread, at 4 degrees of freedom.
    standard_error = np.std([0.01, -0.01, 0.02, -0.01, 0.01], ddof=1) / math.sqrt(5)
    assert result.detectable == pytest.approx(
        stats.detectable_difference(standard_error, 4), rel=1e-9
    )
    assert result.detectable > abs(result.difference)


def test_compare_pairs_matching_seeds_and_falls_back_to_welch():
    baseline = {0: 0.80, 1: 0.85, 2: 0.90}
    paired = stats.compare(baseline, {0: 0.81, 1: 0.86, 2: 0.91})
    # A constant shift on every seed: the paired interval is a point, a clear difference,
    # while Welch would see the large spread between seeds.
    assert paired.interval == stats.PAIRED and paired.verdict == stats.HIGHER
    assert paired.low == pytest.approx(0.01) and paired.high == pytest.approx(0.01)
    welch = stats.compare(baseline, {0: 0.81, 1: 0.86, 3: 0.91})
    assert welch.interval == stats.WELCH and welch.verdict == stats.NO_CLEAR_DIFFERENCE
    identical = stats.compare(baseline, dict(baseline), identical=True)
    assert identical.interval == stats.IDENTICAL == identical.verdict
    assert math.isnan(identical.low) and identical.per_seed == (0.0, 0.0, 0.0)


def test_the_same_difference_on_every_seed_has_no_spread_to_detect_with():
    # 0.1 minus each baseline value is not exactly the same float on every seed.
    lower = stats.paired_difference([0.312, 0.398, 0.264], [0.148, 0.234, 0.100])
    assert lower.interval == stats.PAIRED and lower.verdict == stats.LOWER
    assert lower.low == lower.high == pytest.approx(-0.164) and math.isnan(lower.detectable)
    same = stats.paired_difference([0.1, 0.1], [0.1, 0.1])
    assert same.verdict == stats.NO_CLEAR_DIFFERENCE and math.isnan(same.detectable)
    row = {"difference": lower.difference, "verdict": lower.verdict, "interval": lower.interval}
    row.update(ci_low=lower.low, ci_high=lower.high, detectable=lower.detectable, seeds=3)
    assert difference_text(row) == (
        "-0.164 on each of the 3 seeds, so the seeds show no spread: lower on every seed"
    )
    row.update(difference=0.0, verdict=same.verdict, ci_low=0.0, ci_high=0.0)
    assert difference_text(row).endswith("no spread: the same accuracy in both arms")


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


def test_p_values_match_r_on_the_sleep_example():
    # R prints p-value = 0.07939 (Welch) and p-value = 0.002833 (paired) for the sleep data.
    assert stats.welch_difference(SLEEP_GROUP_2, SLEEP_GROUP_1).p_value == pytest.approx(
        0.07939, abs=5e-6
    )
    assert stats.paired_difference(SLEEP_GROUP_2, SLEEP_GROUP_1).p_value == pytest.approx(
        0.002833, abs=5e-7
    )
    # No interval, no test; the same difference on every seed is exact.
    assert math.isnan(stats.identical_difference([0.8, 0.9], [0.8, 0.9]).p_value)
    assert math.isnan(stats.paired_difference([0.8], [0.9]).p_value)
    assert stats.paired_difference([0.8, 0.9], [0.7, 0.8]).p_value == 0.0


def test_q_values_are_benjamini_hochberg_by_hand():
    # Sorted p 0.01, 0.03, 0.04, 0.2 (m = 4): p * m / rank = 0.04, 0.06, 0.0533, 0.2; each q is
    # the smallest of these from its rank up.
    q = stats.q_values([0.04, 0.01, 0.2, 0.03])
    assert q == pytest.approx([0.16 / 3, 0.04, 0.2, 0.16 / 3])
    assert stats.q_values([]).size == 0

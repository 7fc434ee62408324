"""Mean and spread over seeds; paired, Welch and identical differences; detectable sizes; too
few seeds, no spread and bounded differences."""

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

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


def test_three_seeds_per_arm_use_the_t_quantile_not_the_normal_one():
    # Equal variances 1, n = 3 each: Welch's df is exactly 4, t(0.975, 4) = 2.776445 (every t
    # table), standard error sqrt(1/3 + 1/3).
    result = stats.welch_difference([1.0, 2.0, 3.0], [10.0, 11.0, 12.0])
    assert result.degrees_of_freedom == pytest.approx(4.0)
    half_width = 2.776445 * math.sqrt(1 / 3 + 1 / 3)
    assert (result.low, result.high) == pytest.approx((9 - half_width, 9 + half_width), abs=1e-5)
    assert result.verdict == stats.HIGHER
    assert stats.welch_difference([10.0, 11.0, 12.0], [1.0, 2.0, 3.0]).verdict == stats.LOWER


def test_an_interval_that_includes_zero_is_no_clear_difference():
    result = stats.welch_difference([0.80, 0.82, 0.78], [0.81, 0.84, 0.79])
    assert result.low < 0 < result.high
    assert result.verdict == "no clear difference"


@pytest.mark.parametrize(
    "baseline, arm",
    [
        ([0.8], [0.9, 0.91]),
        ([0.8, 0.81], [0.9]),
        ([1], [2]),
        # Two seeds per arm, or two against five: still too few (either arm under 3).
        ([0.8, 0.81], [0.9, 0.95]),
        ([0.8, 0.81], [0.9, 0.95, 0.91, 0.93, 0.92]),
        ([0.9, 0.95, 0.91, 0.93, 0.92], [0.8, 0.81]),
    ],
)
def test_fewer_than_three_seeds_give_no_interval_and_say_so(baseline, arm):
    result = stats.welch_difference(baseline, arm, bounds=stats.ACCURACY_BOUNDS)
    assert result.difference == pytest.approx(np.mean(arm) - np.mean(baseline))
    assert math.isnan(result.low) and math.isnan(result.high) and not result.has_interval
    assert math.isnan(result.p_value) and math.isnan(result.detectable)
    assert result.verdict == result.interval == stats.TOO_FEW_SEEDS == "too few seeds"
    assert stats.MIN_SEEDS == 3
    # The former names still mean "no interval here".
    assert stats.NO_INTERVAL == stats.SINGLE_SEED == stats.TOO_FEW_SEEDS


@pytest.mark.parametrize("n", [1, 2])
def test_fewer_than_three_paired_seeds_give_the_differences_but_no_interval(n):
    # Two seeds that differ by -0.05 and +0.10: a t interval with 1 df would be 12.7 standard
    # errors wide; nothing but the differences themselves is given.
    baseline, arm = [0.80, 0.70][:n], [0.75, 0.80][:n]
    result = stats.paired_difference(baseline, arm, bounds=stats.ACCURACY_BOUNDS)
    assert result.interval == result.verdict == stats.TOO_FEW_SEEDS
    assert result.per_seed == pytest.approx((-0.05, 0.10)[:n])
    assert result.difference == pytest.approx(np.mean([-0.05, 0.10][:n]))
    assert all(math.isnan(v) for v in (result.low, result.high, result.detectable, result.p_value))
    # Keyed by seed, compare pairs them the same way.
    keyed = stats.compare(dict(enumerate(baseline)), dict(enumerate(arm)))
    assert keyed.interval == stats.TOO_FEW_SEEDS


def test_three_paired_seeds_are_enough_and_match_scipy():
    baseline, arm = [0.80, 0.70, 0.75], [0.75, 0.80, 0.77]
    result = stats.paired_difference(baseline, arm, bounds=stats.ACCURACY_BOUNDS)
    expected = scipy_stats.ttest_rel(arm, baseline)
    interval = expected.confidence_interval(0.95)
    assert result.interval == stats.PAIRED and result.degrees_of_freedom == 2
    assert (result.low, result.high) == pytest.approx((interval.low, interval.high), abs=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9)


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
    paired = stats.compare(baseline, {0: 0.82, 1: 0.86, 2: 0.92})
    # Paired: differences 0.02, 0.01, 0.02, mean 1/60, sd sqrt(1/30000); the interval excludes
    # zero, while Welch would see the large spread between seeds.
    assert paired.interval == stats.PAIRED and paired.verdict == stats.HIGHER
    half = 4.302653 * math.sqrt(1 / 30000) / math.sqrt(3)
    assert (paired.low, paired.high) == pytest.approx((1 / 60 - half, 1 / 60 + half), abs=1e-6)
    assert paired.low > 0
    # A constant shift on every seed has no spread: not estimable, not a point interval.
    shifted = stats.compare(baseline, {0: 0.81, 1: 0.86, 2: 0.91})
    assert shifted.interval == stats.NOT_ESTIMABLE and shifted.verdict == stats.NO_SPREAD
    welch = stats.compare(baseline, {0: 0.81, 1: 0.86, 3: 0.91})
    assert welch.interval == stats.WELCH and welch.verdict == stats.NO_CLEAR_DIFFERENCE
    identical = stats.compare(baseline, dict(baseline), identical=True)
    assert identical.interval == stats.IDENTICAL == identical.verdict
    assert math.isnan(identical.low) and identical.per_seed == (0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    "baseline, arm, difference",
    [
        # 0.1 minus each baseline value is not exactly the same float on every seed.
        ([0.312, 0.398, 0.264], [0.148, 0.234, 0.100], -0.164),
        # The same accuracy on every seed: a difference of exactly 0, which a t test would give
        # p = 1 (or 0/0) and count among the report's tests.
        ([0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4], 0.0),
    ],
)
def test_the_same_difference_on_every_seed_is_not_estimable(baseline, arm, difference):
    result = stats.paired_difference(baseline, arm, bounds=stats.ACCURACY_BOUNDS)
    assert result.interval == stats.NOT_ESTIMABLE == "not estimable"
    assert result.verdict == stats.NO_SPREAD == "same on every seed"
    assert result.difference == pytest.approx(difference, abs=1e-12)
    assert result.per_seed == pytest.approx((difference,) * len(arm), abs=1e-12)
    assert all(math.isnan(v) for v in (result.low, result.high, result.detectable, result.p_value))
    assert not result.undetectable


def test_arms_each_the_same_on_every_seed_are_not_estimable_by_welch_either():
    for baseline, arm in (([0.5] * 3, [0.5] * 4), ([0.5] * 3, [0.7] * 3)):
        result = stats.welch_difference(baseline, arm)
        assert result.interval == stats.NOT_ESTIMABLE and result.verdict == stats.NO_SPREAD
        assert math.isnan(result.p_value) and math.isnan(result.low) and math.isnan(result.high)
        assert result.difference == pytest.approx(arm[0] - baseline[0])


def test_the_report_words_the_same_difference_on_every_seed_without_an_interval():
    lower = stats.paired_difference([0.312, 0.398, 0.264], [0.148, 0.234, 0.100])
    row = {"difference": lower.difference, "verdict": lower.verdict, "interval": lower.interval}
    row.update(ci_low=lower.low, ci_high=lower.high, detectable=lower.detectable, seeds=3)
    assert lower.interval == stats.NOT_ESTIMABLE
    assert difference_text(row) == "-0.164 on each of the 3 seeds: no spread, so no interval"
    few = stats.paired_difference([0.5, 0.6], [0.4, 0.55])
    row.update(difference=few.difference, interval=few.interval, verdict=few.verdict, seeds=2)
    assert difference_text(row) == (
        "-0.075 over 2 seeds: too few seeds for an interval, so no verdict"
    )


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
    # No interval, no test: identical arms, too few seeds, the same difference on every seed.
    assert math.isnan(stats.identical_difference([0.8, 0.9], [0.8, 0.9]).p_value)
    assert math.isnan(stats.paired_difference([0.8], [0.9]).p_value)
    assert math.isnan(stats.paired_difference([0.8, 0.9], [0.7, 0.85]).p_value)
    assert math.isnan(stats.paired_difference([0.8, 0.9, 0.6], [0.7, 0.8, 0.5]).p_value)


def test_q_values_are_benjamini_hochberg_by_hand():
    # Sorted p 0.01, 0.03, 0.04, 0.2 (m = 4): p * m / rank = 0.04, 0.06, 0.0533, 0.2; each q is
    # the smallest of these from its rank up.
    q = stats.q_values([0.04, 0.01, 0.2, 0.03])
    assert q == pytest.approx([0.16 / 3, 0.04, 0.2, 0.16 / 3])
    assert stats.q_values([]).size == 0


def test_accuracy_intervals_stay_within_what_an_accuracy_can_show():
    # Three seeds that disagree wildly: differences +0.8, -0.8, +0.1; mean 0.0333, sd 0.7767,
    # standard error 0.4485, t(0.975, 2) = 4.3027: the t interval is -1.897 to +1.963, wider
    # than any difference of two accuracies.
    baseline, arm = [0.1, 0.9, 0.5], [0.9, 0.1, 0.6]
    expected = scipy_stats.ttest_rel(arm, baseline).confidence_interval(0.95)
    assert expected.low < -1 and expected.high > 1
    result = stats.paired_difference(baseline, arm, bounds=stats.ACCURACY_BOUNDS)
    assert (result.low, result.high) == (-1.0, 1.0)
    assert result.verdict == stats.NO_CLEAR_DIFFERENCE
    assert result.p_value == pytest.approx(scipy_stats.ttest_rel(arm, baseline).pvalue, rel=1e-9)
    # The power of a 5%-level test to detect the largest possible difference (1) is under 80%:
    # noncentral t with noncentrality 1 / standard error, 2 df (scipy, directly).
    standard_error = np.std(np.subtract(arm, baseline), ddof=1) / math.sqrt(3)
    critical = scipy_stats.t.ppf(0.975, 2)
    power = scipy_stats.nct.sf(critical, 2, 1 / standard_error) + scipy_stats.nct.cdf(
        -critical, 2, 1 / standard_error
    )
    assert power < 0.8
    assert math.isnan(result.detectable) and result.undetectable
    # Unbounded (a log speed ratio), the same numbers are neither clipped nor left out.
    free = stats.paired_difference(baseline, arm)
    assert (free.low, free.high) == pytest.approx((expected.low, expected.high), abs=1e-12)
    assert free.detectable > 1 and not free.undetectable
    # Welch, likewise: means 0.5 and 0.5, sd 0.5 each, standard error 0.408, 4 df: -1.133 to
    # +1.133, clipped to [-1, 1].
    welch = stats.welch_difference([0.0, 1.0, 0.5], [1.0, 0.0, 0.5], bounds=stats.ACCURACY_BOUNDS)
    welch_free = scipy_stats.ttest_ind([1.0, 0.0, 0.5], [0.0, 1.0, 0.5], equal_var=False)
    ci = welch_free.confidence_interval(0.95)
    assert ci.low < -1 and ci.high > 1 and (welch.low, welch.high) == (-1.0, 1.0)
    assert welch.undetectable and math.isnan(welch.detectable)


def test_an_interval_inside_the_bounds_is_untouched_and_only_one_side_is_clipped():
    # Differences 0.5, 0.9, 0.95: mean 0.7833, sd 0.2466; the upper bound 1.396 is clipped to 1,
    # the lower one (0.171) is kept as scipy gives it.
    baseline, arm = [0.4, 0.05, 0.0], [0.9, 0.95, 0.95]
    expected = scipy_stats.ttest_rel(arm, baseline).confidence_interval(0.95)
    result = stats.paired_difference(baseline, arm, bounds=stats.ACCURACY_BOUNDS)
    assert result.low == pytest.approx(expected.low, abs=1e-12) and result.high == 1.0
    assert expected.high > 1 and result.verdict == stats.HIGHER
    # A small spread: the detectable difference is a number, and not flagged.
    tight = stats.paired_difference(
        [0.80, 0.82, 0.78, 0.81], [0.81, 0.82, 0.80, 0.80], bounds=(-1, 1)
    )
    assert 0 < tight.detectable < 1 and not tight.undetectable
    with pytest.raises(ValueError, match="include zero"):
        stats.paired_difference([0.1, 0.2, 0.3], [0.2, 0.3, 0.5], bounds=(0.1, 1.0))


def test_two_values_have_a_spread_and_none_is_an_error():
    assert stats.summarize([1.0, 3.0]).std == pytest.approx(math.sqrt(2))
    assert math.isnan(stats.summarize([1.0]).std)
    with pytest.raises(ValueError, match="^no values to summarize$"):
        stats.summarize([])


@pytest.mark.parametrize("bounds", [(0.1, 1.0), (-1.0, -0.1)])
def test_bounds_that_exclude_zero_are_refused_by_every_interval(bounds):
    for difference in (stats.paired_difference, stats.welch_difference):
        with pytest.raises(ValueError, match="bounds of a difference must include zero"):
            difference([0.5, 0.6, 0.7], [0.6, 0.7, 0.8], bounds=bounds)
    # Zero at either end is allowed.
    stats.welch_difference([0.5, 0.6, 0.7], [0.6, 0.7, 0.9], bounds=(0.0, 1.0))
    stats.welch_difference([0.5, 0.6, 0.7], [0.6, 0.7, 0.9], bounds=(-1.0, 0.0))


def test_unpaired_arms_get_a_welch_interval_within_the_accuracy_bounds():
    # Seeds 0-2 against seeds 3-5, spread so wide the unbounded interval passes both bounds;
    # with asymmetric bounds each side is clipped to its own bound.
    baseline, arm = {0: 0.0, 1: 1.0, 2: 0.0}, {3: 1.0, 4: 0.0, 5: 1.0}
    unbounded = stats.compare(baseline, arm)
    assert unbounded.interval == stats.WELCH and unbounded.low < -0.5 and unbounded.high > 0.9
    bounded = stats.compare(baseline, arm, bounds=(-0.5, 0.9))
    assert (bounded.low, bounded.high) == (-0.5, 0.9)
    assert bounded == stats.welch_difference([0.0, 1.0, 0.0], [1.0, 0.0, 1.0], bounds=(-0.5, 0.9))


def test_intervals_left_out_are_nan_not_missing():
    identical = stats.identical_difference([0.5, 0.7], [0.5, 0.8])
    assert identical.difference == pytest.approx(0.05)
    assert identical.per_seed == pytest.approx((0.0, 0.1))
    for result in (
        identical,
        stats.too_few_seeds(0.1),
        stats.welch_difference([0.5, 0.5, 0.5], [0.6, 0.6, 0.6]),
    ):
        assert all(
            math.isnan(value)
            for value in (result.low, result.high, result.degrees_of_freedom, result.detectable)
        ), result
    # Paired arms with no spread keep their degrees of freedom (seeds - 1), not the interval.
    same_steps = stats.paired_difference([0.5, 0.6, 0.7], [0.6, 0.7, 0.8])
    assert same_steps.interval == stats.NOT_ESTIMABLE and same_steps.degrees_of_freedom == 2
    assert math.isnan(same_steps.low) and math.isnan(same_steps.high)

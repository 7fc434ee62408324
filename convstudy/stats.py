"""Statistics over seeds: mean and spread of an arm, and how two arms differ.

Each arm of a comparison runs once per seed, and a seed fixes the sample order and (where the
layer shapes agree) the initial weights. Two arms that ran the same seeds are therefore PAIRED:
the difference and its 95% interval come from the per-seed differences (paired t, n - 1 degrees
of freedom), which removes what the seeds share. Only where the seeds do not match are the arms
treated as independent samples (Welch: unequal variances, Welch-Satterthwaite degrees of
freedom). Arms that trained identically on every seed (the caller decides, from their per-epoch
losses) are IDENTICAL: no interval, just the largest difference seen.

An interval that contains zero is "no clear difference", never a win; it also says how large a
difference the seeds could have found: the smallest true difference a two-sided test at the 5%
level detects with 80% power, given the observed spread (the noncentral t distribution).

What the seeds cannot support is not given a number:
  - fewer than MIN_SEEDS seeds (paired: shared seeds; Welch: either arm) is TOO_FEW_SEEDS: no
    interval, no p value, no detectable difference (two seeds give a t interval with one degree
    of freedom, twelve standard errors wide, and a detectable difference wider than anything an
    accuracy can show). The mean difference and the per-seed differences are still given.
  - the same difference on every seed (no spread, within SAME_ON_EVERY_SEED) is NOT_ESTIMABLE:
    the t statistic divides by zero, so there is no interval, no p value and no detectable
    difference; the verdict NO_SPREAD says what was seen. Likewise for Welch when every seed
    gave the same value in both arms.
Neither has a p value, so neither enters the report's count of false discoveries.

A difference of quantities with a known range (accuracy: a difference lies in ACCURACY_BOUNDS,
[-1, 1]) is bounded: the caller passes `bounds`, the interval is clipped to them, and a detectable
difference larger than any difference within them is left out (NaN) and flagged `undetectable`:
these seeds could not have detected any difference the quantity can show. Without `bounds`
(e.g. log speed ratios) nothing is clipped.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize
from scipy import stats as scipy_stats

CONFIDENCE = 0.95
POWER = 0.80
# Across all the report's accuracy differences (and, separately, its speed ratios), the share of
# those called clear that may be chance (Benjamini-Hochberg).
FALSE_DISCOVERY_RATE = 0.05
# Fewer seeds (or timed rounds) than this give no interval, no p value and no verdict.
MIN_SEEDS = 3
# The range a difference of two accuracies (shares of a test set) can take.
ACCURACY_BOUNDS = (-1.0, 1.0)

# How an interval was computed (the `interval` column of a comparison's table).
PAIRED = "paired"
WELCH = "welch"
IDENTICAL = "identical"
TOO_FEW_SEEDS = "too few seeds"
NOT_ESTIMABLE = "not estimable"

# Verdicts.
HIGHER = "higher"
LOWER = "lower"
NO_CLEAR_DIFFERENCE = "no clear difference"
# The same difference on every seed (interval NOT_ESTIMABLE): what was seen, not a test result.
NO_SPREAD = "same on every seed"
# (Too few seeds: the verdict is TOO_FEW_SEEDS, the same non-verdict as the interval.)
# Accuracies are counts over a test set, so per-seed differences either agree up to float
# rounding or differ by at least one test image; below this spread they are the same.
SAME_ON_EVERY_SEED = 1e-12
SAME = "identical"

# Former names, kept for the modules that import them: a single seed is one case of too few.
SINGLE_SEED = TOO_FEW_SEEDS
NO_INTERVAL = TOO_FEW_SEEDS


@dataclass(frozen=True)
class Summary:
    """One arm's values over seeds: count, mean, sample standard deviation (NaN for one)."""

    n: int
    mean: float
    std: float


@dataclass(frozen=True)
class Difference:
    """mean(arm) - mean(baseline), its confidence interval, and what the seeds could detect.

    interval: PAIRED, WELCH, IDENTICAL, TOO_FEW_SEEDS or NOT_ESTIMABLE (the last three: low,
    high, detectable and p_value are NaN).
    verdict: HIGHER or LOWER when the interval excludes zero, NO_CLEAR_DIFFERENCE when it
    contains zero, SAME for identical arms, TOO_FEW_SEEDS for too few seeds, NO_SPREAD for the
    same difference on every seed.
    low, high: the interval, clipped to the bounds the caller gave.
    detectable: the smallest true difference this design detects with 80% power at the 5% level;
    NaN where it lies beyond the bounds, and then `undetectable` is True.
    per_seed: arm - baseline for each shared seed (paired and identical arms), in seed order.
    p_value: the two-sided p value of the same t test (NaN without an interval), for the
    report's control of false discoveries across all its comparisons.
    """

    difference: float
    low: float
    high: float
    degrees_of_freedom: float
    interval: str
    verdict: str
    detectable: float = float("nan")
    per_seed: tuple[float, ...] = field(default=())
    p_value: float = float("nan")
    undetectable: bool = False

    @property
    def has_interval(self) -> bool:
        return not math.isnan(self.low)


NAN = float("nan")

Bounds = tuple[float, float] | None


def summarize(values: Sequence[float]) -> Summary:
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        raise ValueError("no values to summarize")
    std = float(values.std(ddof=1)) if values.size > 1 else NAN
    return Summary(int(values.size), float(values.mean()), std)


def _p_value(difference: float, standard_error: float, degrees_of_freedom: float) -> float:
    """Two-sided p value of a t statistic (the standard error is positive)."""
    statistic = abs(difference) / standard_error
    return float(2.0 * scipy_stats.t.sf(statistic, degrees_of_freedom))


def _verdict(difference: float, low: float, high: float) -> str:
    if low <= 0.0 <= high:
        return NO_CLEAR_DIFFERENCE
    return HIGHER if difference > 0 else LOWER


def _check_bounds(bounds: Bounds) -> None:
    if bounds is not None and not bounds[0] <= 0.0 <= bounds[1]:
        raise ValueError(f"bounds of a difference must include zero, not {bounds}")


def _clip(value: float, bounds: Bounds) -> float:
    return value if bounds is None else float(min(max(value, bounds[0]), bounds[1]))


def detectable_difference(
    standard_error: float,
    degrees_of_freedom: float,
    power: float = POWER,
    confidence: float = CONFIDENCE,
) -> float:
    """The smallest true difference a two-sided t test detects with `power`, at level
    1 - confidence, when the difference's standard error is `standard_error`.

    The test statistic of a true difference d is noncentral t with noncentrality
    d / standard_error; the answer solves P(|T| > t_crit) = power for d.
    """
    if standard_error == 0.0:
        return 0.0
    if not math.isfinite(degrees_of_freedom) or degrees_of_freedom <= 0:
        return NAN
    critical = float(scipy_stats.t.ppf(0.5 + confidence / 2, degrees_of_freedom))

    def shortfall(noncentrality: float) -> float:
        reject = scipy_stats.nct.sf(critical, degrees_of_freedom, noncentrality)
        reject += scipy_stats.nct.cdf(-critical, degrees_of_freedom, noncentrality)
        return float(reject) - power

    upper = 2.0 * critical + 4.0
    while shortfall(upper) < 0:
        upper *= 2
    return float(optimize.brentq(shortfall, 0.0, upper, xtol=1e-10)) * standard_error


def _t_difference(
    difference: float,
    standard_error: float,
    degrees_of_freedom: float,
    interval: str,
    confidence: float,
    bounds: Bounds,
    per_seed: tuple[float, ...] = (),
) -> Difference:
    """A t interval, verdict, p value and detectable difference, within `bounds`."""
    quantile = float(scipy_stats.t.ppf(0.5 + confidence / 2, degrees_of_freedom))
    low = difference - quantile * standard_error
    high = difference + quantile * standard_error
    detectable = detectable_difference(standard_error, degrees_of_freedom, confidence=confidence)
    undetectable = bounds is not None and detectable > max(-bounds[0], bounds[1])
    return Difference(
        difference,
        _clip(low, bounds),
        _clip(high, bounds),
        degrees_of_freedom,
        interval,
        # Zero lies within the bounds, so clipping never changes whether it is in the interval.
        _verdict(difference, low, high),
        NAN if undetectable else detectable,
        per_seed,
        _p_value(difference, standard_error, degrees_of_freedom),
        undetectable,
    )


def too_few_seeds(difference: float, per_seed: tuple[float, ...] = ()) -> Difference:
    """Fewer than MIN_SEEDS seeds: the mean difference (and per-seed ones), nothing more."""
    return Difference(difference, NAN, NAN, NAN, TOO_FEW_SEEDS, TOO_FEW_SEEDS, NAN, per_seed)


def paired_difference(
    baseline: Sequence[float],
    arm: Sequence[float],
    confidence: float = CONFIDENCE,
    bounds: Bounds = None,
) -> Difference:
    """Difference of two arms that ran the same seeds, values given in the same seed order;
    its interval within `bounds` (None: unbounded)."""
    _check_bounds(bounds)
    baseline, arm = np.asarray(baseline, dtype=float), np.asarray(arm, dtype=float)
    if baseline.shape != arm.shape or baseline.size == 0:
        raise ValueError("paired values need one value per seed in each arm, in the same order")
    differences = arm - baseline
    per_seed = tuple(float(d) for d in differences)
    summary = summarize(differences)
    if summary.n < MIN_SEEDS:
        return too_few_seeds(summary.mean, per_seed)
    degrees_of_freedom = summary.n - 1
    standard_error = summary.std / math.sqrt(summary.n)
    if standard_error < SAME_ON_EVERY_SEED:
        # The same difference on every seed: the seeds show no spread, so there is no t
        # statistic, no interval, no p value and no power to compute.
        return Difference(
            summary.mean, NAN, NAN, degrees_of_freedom, NOT_ESTIMABLE, NO_SPREAD, NAN, per_seed
        )
    return _t_difference(
        summary.mean, standard_error, degrees_of_freedom, PAIRED, confidence, bounds, per_seed
    )


def welch_difference(
    baseline: Sequence[float],
    arm: Sequence[float],
    confidence: float = CONFIDENCE,
    bounds: Bounds = None,
) -> Difference:
    """Difference of two independent samples: mean(arm) - mean(baseline), Welch interval
    within `bounds` (None: unbounded)."""
    _check_bounds(bounds)
    a, b = summarize(baseline), summarize(arm)
    difference = b.mean - a.mean
    if a.n < MIN_SEEDS or b.n < MIN_SEEDS:
        return too_few_seeds(difference)
    var_a, var_b = a.std**2 / a.n, b.std**2 / b.n
    standard_error = math.sqrt(var_a + var_b)
    if standard_error < SAME_ON_EVERY_SEED:
        # Every seed gave the same value in both arms: no spread, no test.
        return Difference(difference, NAN, NAN, NAN, NOT_ESTIMABLE, NO_SPREAD)
    degrees_of_freedom = (var_a + var_b) ** 2 / (var_a**2 / (a.n - 1) + var_b**2 / (b.n - 1))
    return _t_difference(difference, standard_error, degrees_of_freedom, WELCH, confidence, bounds)


def identical_difference(baseline: Sequence[float], arm: Sequence[float]) -> Difference:
    """Arms that trained identically on every seed: no interval, the differences as they are
    (whatever the number of seeds: the losses, not a test, show it)."""
    differences = np.asarray(arm, dtype=float) - np.asarray(baseline, dtype=float)
    return Difference(
        float(differences.mean()),
        NAN,
        NAN,
        NAN,
        IDENTICAL,
        SAME,
        NAN,
        tuple(float(d) for d in differences),
    )


def q_values(p_values: Sequence[float]) -> np.ndarray:
    """p values adjusted for testing them all (Benjamini-Hochberg): the differences whose q is at
    most FALSE_DISCOVERY_RATE are those still called clear when, among everything called clear,
    at most that share may be chance."""
    p_values = np.asarray(p_values, dtype=float)
    if p_values.size == 0:
        return p_values
    return scipy_stats.false_discovery_control(p_values, method="bh")


def compare(
    baseline: Mapping[int, float],
    arm: Mapping[int, float],
    identical: bool = False,
    bounds: Bounds = None,
) -> Difference:
    """arm - baseline, values keyed by seed: identical, paired where the seeds match, else
    Welch; intervals within `bounds` (ACCURACY_BOUNDS for accuracies)."""
    if set(baseline) == set(arm):
        seeds = sorted(baseline)
        values = [baseline[s] for s in seeds], [arm[s] for s in seeds]
        if identical:
            return identical_difference(*values)
        return paired_difference(*values, bounds=bounds)
    return welch_difference(list(baseline.values()), list(arm.values()), bounds=bounds)

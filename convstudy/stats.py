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
level detects with 80% power, given the observed spread (the noncentral t distribution). An arm
with a single seed has no spread, hence no interval, and its comparisons say so.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize
from scipy import stats as scipy_stats

CONFIDENCE = 0.95
POWER = 0.80
# Across all the report's accuracy differences, the share of those called clear that may be
# chance (Benjamini-Hochberg).
FALSE_DISCOVERY_RATE = 0.05

# How an interval was computed (the `interval` column of a comparison's table).
PAIRED = "paired"
WELCH = "welch"
IDENTICAL = "identical"
SINGLE_SEED = "single seed"

# Verdicts.
HIGHER = "higher"
LOWER = "lower"
NO_CLEAR_DIFFERENCE = "no clear difference"
NO_INTERVAL = "single seed: no interval"
# Accuracies are counts over a test set, so per-seed differences either agree up to float
# rounding or differ by at least one test image; below this spread they are the same.
SAME_ON_EVERY_SEED = 1e-12
SAME = "identical"


@dataclass(frozen=True)
class Summary:
    """One arm's values over seeds: count, mean, sample standard deviation (NaN for one)."""

    n: int
    mean: float
    std: float


@dataclass(frozen=True)
class Difference:
    """mean(arm) - mean(baseline), its confidence interval, and what the seeds could detect.

    interval: PAIRED, WELCH, IDENTICAL or SINGLE_SEED (then low, high and detectable are NaN).
    verdict: HIGHER or LOWER when the interval excludes zero, NO_CLEAR_DIFFERENCE when it
    contains zero, SAME for identical arms, NO_INTERVAL for a single seed.
    detectable: the smallest true difference this design detects with 80% power at the 5% level.
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

    @property
    def has_interval(self) -> bool:
        return not math.isnan(self.low)


NAN = float("nan")


def summarize(values: Sequence[float]) -> Summary:
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        raise ValueError("no values to summarize")
    std = float(values.std(ddof=1)) if values.size > 1 else NAN
    return Summary(int(values.size), float(values.mean()), std)


def _p_value(difference: float, standard_error: float, degrees_of_freedom: float) -> float:
    """Two-sided p value of a t statistic; an exact difference (no spread) has p 0, or 1 if 0."""
    if standard_error < SAME_ON_EVERY_SEED:
        return 1.0 if difference == 0.0 else 0.0
    statistic = abs(difference) / standard_error
    return float(2.0 * scipy_stats.t.sf(statistic, degrees_of_freedom))


def _verdict(difference: float, low: float, high: float) -> str:
    if low <= 0.0 <= high:
        return NO_CLEAR_DIFFERENCE
    return HIGHER if difference > 0 else LOWER


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


def paired_difference(
    baseline: Sequence[float], arm: Sequence[float], confidence: float = CONFIDENCE
) -> Difference:
    """Difference of two arms that ran the same seeds, values given in the same seed order."""
    baseline, arm = np.asarray(baseline, dtype=float), np.asarray(arm, dtype=float)
    if baseline.shape != arm.shape or baseline.size == 0:
        raise ValueError("paired values need one value per seed in each arm, in the same order")
    differences = arm - baseline
    per_seed = tuple(float(d) for d in differences)
    summary = summarize(differences)
    if summary.n < 2:
        return Difference(summary.mean, NAN, NAN, NAN, SINGLE_SEED, NO_INTERVAL, NAN, per_seed)
    degrees_of_freedom = summary.n - 1
    standard_error = summary.std / math.sqrt(summary.n)
    if standard_error < SAME_ON_EVERY_SEED:
        # The same difference on every seed: exact for these seeds, but they show no spread, so
        # there is no t interval to speak of and no power to compute.
        exact = summary.mean
        verdict = _verdict(exact, exact, exact)
        p_value = _p_value(exact, 0.0, degrees_of_freedom)
        return Difference(
            exact, exact, exact, degrees_of_freedom, PAIRED, verdict, NAN, per_seed, p_value
        )
    quantile = float(scipy_stats.t.ppf(0.5 + confidence / 2, degrees_of_freedom))
    low = summary.mean - quantile * standard_error
    high = summary.mean + quantile * standard_error
    return Difference(
        summary.mean,
        low,
        high,
        degrees_of_freedom,
        PAIRED,
        _verdict(summary.mean, low, high),
        detectable_difference(standard_error, degrees_of_freedom, confidence=confidence),
        per_seed,
        _p_value(summary.mean, standard_error, degrees_of_freedom),
    )


def welch_difference(
    baseline: Sequence[float], arm: Sequence[float], confidence: float = CONFIDENCE
) -> Difference:
    """Difference of two independent samples: mean(arm) - mean(baseline), Welch interval."""
    a, b = summarize(baseline), summarize(arm)
    difference = b.mean - a.mean
    if a.n < 2 or b.n < 2:
        return Difference(difference, NAN, NAN, NAN, SINGLE_SEED, NO_INTERVAL)
    var_a, var_b = a.std**2 / a.n, b.std**2 / b.n
    standard_error = math.sqrt(var_a + var_b)
    if standard_error == 0.0:
        # Every seed gave the same value in both arms: the difference is exact.
        return Difference(
            difference,
            difference,
            difference,
            math.inf,
            WELCH,
            _verdict(difference, difference, difference),
            0.0,
            p_value=_p_value(difference, 0.0, math.inf),
        )
    degrees_of_freedom = (var_a + var_b) ** 2 / (var_a**2 / (a.n - 1) + var_b**2 / (b.n - 1))
    quantile = float(scipy_stats.t.ppf(0.5 + confidence / 2, degrees_of_freedom))
    low, high = difference - quantile * standard_error, difference + quantile * standard_error
    return Difference(
        difference,
        low,
        high,
        degrees_of_freedom,
        WELCH,
        _verdict(difference, low, high),
        detectable_difference(standard_error, degrees_of_freedom, confidence=confidence),
        p_value=_p_value(difference, standard_error, degrees_of_freedom),
    )


def identical_difference(baseline: Sequence[float], arm: Sequence[float]) -> Difference:
    """Arms that trained identically on every seed: no interval, the differences as they are."""
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
    baseline: Mapping[int, float], arm: Mapping[int, float], identical: bool = False
) -> Difference:
    """arm - baseline, values keyed by seed: identical, paired where the seeds match, else
    Welch."""
    if set(baseline) == set(arm):
        seeds = sorted(baseline)
        values = [baseline[s] for s in seeds], [arm[s] for s in seeds]
        if identical:
            return identical_difference(*values)
        return paired_difference(*values)
    return welch_difference(list(baseline.values()), list(arm.values()))

"""Statistics over seeds: mean and spread of an arm, and how two arms differ.

Each arm of a comparison runs once per seed, so an arm's result is a small sample (three seeds
in the full study, two in the quick preset). Two arms are compared by the difference of their
means with a Welch confidence interval: it does not assume equal variances, and it uses the
t-distribution with Welch-Satterthwaite degrees of freedom, which matters at these sample sizes
(with 3 seeds per arm the 97.5% t quantile is 2.78 at 4 degrees of freedom, not 1.96).

A comparison whose interval contains zero is "no clear difference", never a win. An arm with a
single seed has no spread, hence no interval, and its comparisons say so.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

CONFIDENCE = 0.95

HIGHER = "higher"
LOWER = "lower"
NO_CLEAR_DIFFERENCE = "no clear difference"
NO_INTERVAL = "single seed: no interval"


@dataclass(frozen=True)
class Summary:
    """One arm's values over seeds: count, mean, sample standard deviation (NaN for one)."""

    n: int
    mean: float
    std: float


@dataclass(frozen=True)
class Difference:
    """mean(arm) - mean(baseline) with its confidence interval (NaN bounds when there is none).

    verdict is HIGHER or LOWER when the interval excludes zero, NO_CLEAR_DIFFERENCE when it
    contains zero, NO_INTERVAL when an arm has a single seed.
    """

    difference: float
    low: float
    high: float
    degrees_of_freedom: float
    verdict: str

    @property
    def has_interval(self) -> bool:
        return not math.isnan(self.low)


def summarize(values: Sequence[float]) -> Summary:
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        raise ValueError("no values to summarize")
    std = float(values.std(ddof=1)) if values.size > 1 else float("nan")
    return Summary(int(values.size), float(values.mean()), std)


def welch_difference(
    baseline: Sequence[float], arm: Sequence[float], confidence: float = CONFIDENCE
) -> Difference:
    """The difference mean(arm) - mean(baseline) and its Welch confidence interval."""
    a, b = summarize(baseline), summarize(arm)
    difference = b.mean - a.mean
    if a.n < 2 or b.n < 2:
        return Difference(difference, float("nan"), float("nan"), float("nan"), NO_INTERVAL)
    var_a, var_b = a.std**2 / a.n, b.std**2 / b.n
    standard_error = math.sqrt(var_a + var_b)
    if standard_error == 0.0:
        # Every seed gave the same value in both arms: the difference is exact.
        low = high = difference
        degrees_of_freedom = float("inf")
    else:
        degrees_of_freedom = (var_a + var_b) ** 2 / (var_a**2 / (a.n - 1) + var_b**2 / (b.n - 1))
        quantile = float(scipy_stats.t.ppf(0.5 + confidence / 2, degrees_of_freedom))
        low, high = difference - quantile * standard_error, difference + quantile * standard_error
    if low <= 0.0 <= high:
        verdict = NO_CLEAR_DIFFERENCE
    else:
        verdict = HIGHER if difference > 0 else LOWER
    return Difference(difference, low, high, degrees_of_freedom, verdict)

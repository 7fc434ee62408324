"""The report prints each interval's bounds low first, as the comparison table holds them."""

import re

import pandas as pd
import pytest

from convstudy import analysis, stats
from convstudy.report import arms, key_findings

NUMBER = r"([+-]?\d+\.\d+)"

# A comparison row of a known, lopsided interval (so that swapped bounds show), as
# analysis.comparison_table writes it.
ROW = pd.Series(
    {
        "comparison": "pooling",
        "arm": "fashion_mnist/lenet-mxnet/avg_pool",
        "label": "average pooling",
        "role": "arm",
        "seeds": 5,
        "baseline_arm": "fashion_mnist/lenet-mxnet/base",
        "difference": 0.0113,
        "ci_low": -0.0042,
        "ci_high": 0.0268,
        "interval": stats.PAIRED,
        "verdict": stats.NO_CLEAR_DIFFERENCE,
        "detectable": 0.021,
        "q_value": 0.3,
        "speed_ratio": 0.55,
        "speed_ratio_low": 0.48,
        "speed_ratio_high": 0.63,
        "passes": 7,
        "speed_verdict": analysis.SLOWER,
        "speed_verdict_controlled": analysis.SLOWER,
    }
)


def bounds(text, pattern):
    match = re.search(pattern.format(n=NUMBER), text)
    assert match, f"no interval in {text!r}"
    return float(match.group(1)), float(match.group(2))


@pytest.mark.parametrize("interval", [stats.PAIRED, stats.WELCH])
@pytest.mark.parametrize("verdict", [stats.NO_CLEAR_DIFFERENCE, stats.HIGHER])
def test_a_difference_prints_its_interval_low_to_high_as_in_the_table(interval, verdict):
    row = ROW.copy()
    row["interval"], row["verdict"] = interval, verdict
    if verdict == stats.HIGHER:
        row["ci_low"], row["ci_high"] = 0.0031, 0.0197
    table = (round(row["ci_low"], 3), round(row["ci_high"], 3))
    name = arms.INTERVAL_NAMES[interval]

    low, high = bounds(arms.difference_text(row), name + " {n} to {n}")
    assert low < high and (low, high) == table
    low, high = bounds(arms.difference_cell(row), r"\[{n}, {n}\]")
    assert low < high and (low, high) == table
    # The key findings give it in points of accuracy, to one decimal.
    low, high = bounds(key_findings._interval(row), name + " {n} to {n}")
    assert low < high and (low, high) == (
        round(row["ci_low"] * 100, 1),
        round(row["ci_high"] * 100, 1),
    )


def test_a_speed_ratio_prints_its_interval_low_to_high_as_in_the_table():
    table = (ROW["speed_ratio_low"], ROW["speed_ratio_high"])
    low, high = bounds(arms.ratio_text(ROW), "95% interval {n} to {n}")
    assert low < ROW["speed_ratio"] < high and (low, high) == table
    low, high = bounds(arms.ratio_cell(ROW), r"\[{n}, {n}\]")
    assert low < ROW["speed_ratio"] < high and (low, high) == table
    assert arms.ratio_cell(ROW).endswith(": slower")

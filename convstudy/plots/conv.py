"""Figures of the convolution sections: agreement between implementations, and timings."""

import numpy as np
from matplotlib.figure import Figure

from convstudy.plots import FIGURE_WIDTH, legend_outside, styled

# Differences of exactly zero cannot sit on a log axis; they are drawn at this floor instead.
ZERO_FLOOR = 1e-12


@styled
def agreement_figure(table, difference_columns: list[str]) -> Figure:
    """Largest absolute difference per case (rows of table) and comparison (columns), log scale."""
    cases = list(table["case"])
    positions = np.arange(len(cases))
    bar_width = 0.8 / len(difference_columns)
    figure = Figure(figsize=(FIGURE_WIDTH, 5.5), layout="constrained")
    axis = figure.subplots()
    for index, column in enumerate(difference_columns):
        values = np.maximum(table[column].to_numpy(dtype=float), ZERO_FLOOR)
        axis.bar(
            positions + (index - (len(difference_columns) - 1) / 2) * bar_width,
            values,
            bar_width,
            label=column.removeprefix("max_abs_diff_").replace("_", " "),
        )
    axis.set_yscale("log")
    axis.set_xticks(positions, cases, rotation=30, ha="right")
    axis.set_ylabel("largest |difference|")
    axis.set_title("Same weights, same input: how far the implementations differ (float32)")
    axis.grid(True, axis="y", which="major", alpha=0.3)
    axis.set_axisbelow(True)
    legend_outside(axis, title="comparison")
    return figure


@styled
def timing_figure(table, title: str) -> Figure:
    """Median seconds against multiply-adds, one line per implementation, log-log.

    table has columns implementation, multiply_adds, median_seconds (NaN where not run).
    """
    figure = Figure(figsize=(FIGURE_WIDTH * 0.85, 5.0), layout="constrained")
    axis = figure.subplots()
    for implementation, rows in table.groupby("implementation", sort=False):
        rows = rows.dropna(subset=["median_seconds"]).sort_values("multiply_adds")
        axis.plot(rows["multiply_adds"], rows["median_seconds"], marker="o", label=implementation)
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("multiply-adds per call")
    axis.set_ylabel("median seconds per call")
    axis.set_title(title)
    axis.grid(True, which="major", alpha=0.3)
    legend_outside(axis, title="implementation")
    return figure

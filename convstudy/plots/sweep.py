"""A sweep of one setting (e.g. the learning rate): final test accuracy against its value."""

import numpy as np
from matplotlib.figure import Figure

from convstudy.plots import BASELINE_STYLE, FIGURE_WIDTH, chance_lines, legend_outside, styled
from convstudy.plots.curves import arm_style


@styled
def sweep_figure(table, runs, setting: str, title: str) -> Figure:
    """Every seed's final test accuracy as a dot, the mean over seeds as a line, on a log axis
    of the swept setting; the values not clearly worse than the best are shaded; the baseline's
    value is marked (a band in its colour, its mean ringed); reference arms are horizontal
    lines, each in its own colour and dash pattern; chance accuracy is a grey line. The legend
    is to the right."""
    figure = Figure(figsize=(FIGURE_WIDTH, 5.2), layout="constrained")
    axis = figure.subplots()
    swept = table[table["role"] != "reference"].sort_values("sweep_value")
    for row in swept.itertuples():
        values = runs.loc[runs["arm"] == row.arm, "test_accuracy"].to_numpy(float)
        axis.plot(
            np.full(len(values), row.sweep_value), values, "o", color="C0", alpha=0.5, markersize=6
        )
    axis.plot(
        swept["sweep_value"],
        swept["test_accuracy_mean"],
        "-",
        color="C0",
        marker="D",
        markersize=7,
        linewidth=2,
        label="mean over seeds\n(dots: each seed)",
    )
    near = swept[swept["near_best"]]
    if len(near):
        low, high = near["sweep_value"].min(), near["sweep_value"].max()
        axis.axvspan(
            low / 1.25,
            high * 1.25,
            color="C2",
            alpha=0.15,
            label="not clearly below the best\n(paired 95% interval)",
        )
    baseline = table[table["role"] == "baseline"]
    if len(baseline):
        base = baseline.iloc[0]
        axis.axvline(
            base["sweep_value"],
            label=f"baseline: {setting} {base['sweep_value']:g}",
            zorder=1.5,
            **BASELINE_STYLE,
        )
        axis.plot(
            [base["sweep_value"]],
            [base["test_accuracy_mean"]],
            "o",
            markersize=16,
            markerfacecolor="none",
            markeredgecolor="black",
            markeredgewidth=1.5,
        )
    styles = arm_style(table)
    for row in table[table["role"] == "reference"].itertuples():
        style = styles[row.arm]
        axis.axhline(
            row.test_accuracy_mean,
            color=style["color"],
            linestyle=style["linestyle"],
            linewidth=style["linewidth"],
            label=f"reference {row.label}: {row.test_accuracy_mean:.3f}",
        )
    chance_lines(axis, table["arm"])
    axis.set_xscale("log")
    axis.minorticks_off()
    ticks = sorted(swept["sweep_value"])
    axis.set_xticks(ticks, [f"{v:g}" for v in ticks])
    axis.set_xlabel(f"{setting} (log scale)")
    axis.set_ylabel("final test accuracy")
    axis.grid(True, alpha=0.3)
    legend_outside(axis)
    figure.suptitle(title)
    return figure

"""A sweep of one setting (e.g. the learning rate): final test accuracy against its value."""

import numpy as np
from matplotlib.figure import Figure


def sweep_figure(table, runs, setting: str, title: str) -> Figure:
    """Every seed's final test accuracy as a dot, the mean over seeds as a line, on a log axis
    of the swept setting; the values not clearly worse than the best are shaded; reference arms
    are dashed horizontal lines."""
    figure = Figure(figsize=(11.0, 4.5), layout="constrained")
    axis = figure.subplots()
    swept = table[table["role"] != "reference"].sort_values("sweep_value")
    for row in swept.itertuples():
        values = runs.loc[runs["arm"] == row.arm, "test_accuracy"].to_numpy(float)
        axis.plot(
            np.full(len(values), row.sweep_value), values, "o", color="C0", alpha=0.5, markersize=5
        )
    axis.plot(
        swept["sweep_value"],
        swept["test_accuracy_mean"],
        "-",
        color="C0",
        marker="D",
        label="mean over seeds (dots: each seed)",
    )
    near = swept[swept["near_best"]]
    if len(near):
        low, high = near["sweep_value"].min(), near["sweep_value"].max()
        axis.axvspan(
            low / 1.25,
            high * 1.25,
            color="C2",
            alpha=0.12,
            label="not clearly below the best (paired 95% CI)",
        )
    for row in table[table["role"] == "reference"].itertuples():
        axis.axhline(
            row.test_accuracy_mean,
            color="0.35",
            linestyle="--",
            linewidth=1,
            label=f"reference {row.label}: {row.test_accuracy_mean:.3f}",
        )
    axis.set_xscale("log")
    axis.minorticks_off()
    ticks = sorted(swept["sweep_value"])
    axis.set_xticks(ticks, [f"{v:g}" for v in ticks])
    axis.set_xlabel(f"{setting} (log scale)")
    axis.set_ylabel("final test accuracy")
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=8, loc="best")
    figure.suptitle(title)
    return figure

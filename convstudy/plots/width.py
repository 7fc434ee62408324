"""The parameter-size question: accuracy against parameter count as the width changes."""

import numpy as np
from matplotlib.figure import Figure

from convstudy.plots.curves import curve_axis


def _accuracy_axis(axis, rows, label: str, colour: str) -> None:
    """Test accuracy (with its spread over seeds) and training accuracy against parameters."""
    rows = rows.sort_values("parameters")
    prefix = f"{label}: " if label else ""
    errors = np.nan_to_num(rows["test_accuracy_std"].to_numpy(dtype=float))
    axis.errorbar(
        rows["parameters"],
        rows["test_accuracy_mean"],
        yerr=errors,
        marker="o",
        capsize=3,
        color=colour,
        label=f"{prefix}test",
    )
    axis.plot(
        rows["parameters"],
        rows["train_accuracy_mean"],
        marker="x",
        linestyle=":",
        color=colour,
        label=f"{prefix}training",
    )
    for row in rows.itertuples():
        axis.annotate(
            f"x{row.width:g}" if hasattr(row, "width") else row.label,
            (row.parameters, row.test_accuracy_mean),
            textcoords="offset points",
            xytext=(4, -10),
            fontsize=7,
            color=colour,
        )


def _parameter_axis(axis, parameters) -> None:
    """A log axis of parameter counts, ticked at the counts that ran."""
    axis.set_xscale("log")
    axis.minorticks_off()
    values = sorted(set(int(p) for p in parameters))
    axis.set_xticks(values, [f"{v:,}" for v in values], rotation=30, ha="right", fontsize=8)
    axis.set_xlabel("parameters (log scale)")


def width_figure(table) -> Figure:
    """All width sweeps: accuracy vs parameters, and the train-test gap vs parameters."""
    table = table[table["role"] != "reference"]
    figure = Figure(figsize=(11.0, 4.5), layout="constrained")
    accuracy_axis, gap_axis = figure.subplots(1, 2)
    for index, (dataset, rows) in enumerate(table.groupby("dataset", sort=False)):
        colour = f"C{index}"
        _accuracy_axis(accuracy_axis, rows, dataset, colour)
        rows = rows.sort_values("parameters")
        gap_axis.plot(
            rows["parameters"], rows["generalization_gap"], marker="o", color=colour, label=dataset
        )
    for axis in (accuracy_axis, gap_axis):
        _parameter_axis(axis, table["parameters"])
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    accuracy_axis.set_ylabel("final accuracy (mean +- std over seeds)")
    accuracy_axis.set_title("accuracy against parameter count (labels: width multiplier)")
    gap_axis.axhline(0, color="grey", linewidth=0.8)
    gap_axis.set_ylabel("training - test accuracy")
    gap_axis.set_title("generalization gap")
    figure.suptitle("LeNet width: how many parameters does each dataset need?")
    return figure


def comparison_width_figure(table, epochs, title: str) -> Figure:
    """One width sweep: accuracy vs parameters, and the test-accuracy curves of each width."""
    figure = Figure(figsize=(11.0, 4.5), layout="constrained")
    accuracy_axis, curve_axis_ = figure.subplots(1, 2)
    _accuracy_axis(accuracy_axis, table[table["role"] != "reference"], "", "C0")
    _parameter_axis(accuracy_axis, table["parameters"])
    accuracy_axis.set_ylabel("final accuracy (mean +- std over seeds)")
    accuracy_axis.grid(True, which="both", alpha=0.3)
    accuracy_axis.legend(fontsize=8)
    accuracy_axis.set_title("accuracy against parameter count")
    curve_axis(curve_axis_, table, epochs, "test_accuracy", "test accuracy")
    curve_axis_.legend(fontsize=8)
    figure.suptitle(title)
    return figure

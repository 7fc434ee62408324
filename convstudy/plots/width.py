"""The parameter-size question: accuracy against parameter count as the width changes."""

import re

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from convstudy.plots import FIGURE_WIDTH, chance_lines, legend_outside, styled
from convstudy.plots.curves import curve_axis
from convstudy.settings import parse_arm

# A marker per width multiplier, in increasing order of width; the base setting gets a star.
WIDTH_MARKERS = ("v", "^", "s", "D", "P", "X", "p")
BASE_MARKER = "*"
BASE_VARIANT = "base"
_WIDTH_SETTING = re.compile(r"(?:^|, )width ([0-9.eE+-]+)")


def _width_of(row) -> float:
    """An arm's width multiplier: its width column, or its setting text ('width 0.5')."""
    value = getattr(row, "width", None)
    if value is not None and np.isfinite(value):
        return float(value)
    found = _WIDTH_SETTING.search(str(getattr(row, "setting", "")))
    return float(found.group(1)) if found else float("nan")


def _is_base(row) -> bool:
    return parse_arm(row.arm, "figure")[3] == BASE_VARIANT


def _point_names(table) -> dict[str, tuple[str, str, float]]:
    """Per arm: its marker, its name in the legend (x<width>, or its label where the width is
    unknown) and its marker size, in increasing order of width. The base setting is a larger
    star."""
    rows = sorted(table.itertuples(), key=lambda row: (_width_of(row), row.label))
    names = {}
    for row in rows:
        width = _width_of(row)
        names[row.arm] = f"x{width:g}" if np.isfinite(width) else row.label
    ordered = list(dict.fromkeys(names[row.arm] for row in rows if not _is_base(row)))
    markers = {name: WIDTH_MARKERS[i % len(WIDTH_MARKERS)] for i, name in enumerate(ordered)}
    points = {}
    for row in rows:
        name = names[row.arm]
        if _is_base(row):
            points[row.arm] = (BASE_MARKER, f"{name} (base setting)", 17.0)
        else:
            points[row.arm] = (markers[name], name, 9.0)
    return points


def _accuracy_axis(axis, rows, label: str, colour: str, points=None) -> None:
    """Test accuracy (with its spread over seeds, solid) and training accuracy (dotted) against
    parameters; each width a marker of its own (filled: test, hollow: training)."""
    rows = rows.sort_values("parameters")
    points = points or _point_names(rows)
    prefix = f"{label}: " if label else ""
    errors = np.nan_to_num(rows["test_accuracy_std"].to_numpy(dtype=float))
    axis.errorbar(
        rows["parameters"],
        rows["test_accuracy_mean"],
        yerr=errors,
        capsize=4,
        color=colour,
        linewidth=2,
        label=f"{prefix}test",
    )
    axis.plot(
        rows["parameters"],
        rows["train_accuracy_mean"],
        linestyle=(0, (1, 1.5)),
        linewidth=2,
        color=colour,
        label=f"{prefix}training",
    )
    for row in rows.itertuples():
        marker, _, size = points[row.arm]
        axis.plot(
            [row.parameters],
            [row.test_accuracy_mean],
            marker=marker,
            markersize=size,
            color=colour,
            markeredgecolor="black",
            markeredgewidth=0.8,
            zorder=3,
        )
        axis.plot(
            [row.parameters],
            [row.train_accuracy_mean],
            marker=marker,
            markersize=size * 0.8,
            markerfacecolor="white",
            markeredgecolor=colour,
            markeredgewidth=1.5,
            zorder=3,
        )


def _width_handles(points) -> list[Line2D]:
    """Legend entries of the width markers (in increasing order of width), in grey, each once."""
    seen = {}
    for marker, name, size in points.values():
        seen.setdefault(name, (marker, size))
    return [
        Line2D(
            [],
            [],
            linestyle="none",
            marker=marker,
            markersize=min(size, 13),
            color="0.3",
            markeredgecolor="black",
            label=name,
        )
        for name, (marker, size) in seen.items()
    ]


def _ordered_handles(axis) -> list:
    """The axis's legend entries: each dataset's test then training line, then chance."""
    handles, labels = axis.get_legend_handles_labels()
    prefixes = list(dict.fromkeys(label.rpartition(": ")[0] for label in labels))

    def order(index: int):
        label = labels[index]
        if label.startswith("chance"):
            return (1, index, 0)
        prefix, _, kind = label.rpartition(": ")
        return (0, prefixes.index(prefix), 0 if kind == "test" else 1)

    return [handles[index] for index in sorted(range(len(labels)), key=order)]


def _parameter_axis(axis, parameters) -> None:
    """A log axis of parameter counts, ticked at the counts that ran (counts within 8% of a
    ticked one are not ticked again, so the labels never overlap)."""
    axis.set_xscale("log")
    axis.minorticks_off()
    values = []
    for value in sorted(set(int(p) for p in parameters)):
        if not values or value > values[-1] * 1.08:
            values.append(value)
    axis.set_xticks(values, [f"{v:,}" for v in values], rotation=30, ha="right")
    low, high = min(values), max(values)
    axis.set_xlim(low / 1.25, high * 1.25)
    axis.set_xlabel("parameters (log scale)")


@styled
def width_figure(table) -> Figure:
    """All width sweeps: accuracy vs parameters (one colour per dataset, one marker per width,
    the base setting a star, chance per number of classes), and the train-test gap below it."""
    table = table[table["role"] != "reference"]
    figure = Figure(figsize=(FIGURE_WIDTH, 9.0), layout="constrained")
    accuracy_axis, gap_axis = figure.subplots(2, 1, sharex=True, height_ratios=[5, 3])
    points = _point_names(table)
    for index, (dataset, rows) in enumerate(table.groupby("dataset", sort=False)):
        colour = f"C{index}"
        _accuracy_axis(accuracy_axis, rows, dataset, colour, points)
        rows = rows.sort_values("parameters")
        gap_axis.plot(
            rows["parameters"], rows["generalization_gap"], color=colour, linewidth=2, label=dataset
        )
        for row in rows.itertuples():
            marker, _, size = points[row.arm]
            gap_axis.plot(
                [row.parameters],
                [row.generalization_gap],
                marker=marker,
                markersize=size,
                color=colour,
                markeredgecolor="black",
                markeredgewidth=0.8,
            )
    chance_lines(accuracy_axis, table["arm"])
    _parameter_axis(gap_axis, table["parameters"])
    for axis in (accuracy_axis, gap_axis):
        axis.grid(True, which="both", alpha=0.3)
    handles = _ordered_handles(accuracy_axis) + _width_handles(points)
    legend_outside(accuracy_axis, handles=handles, title="solid: test, dotted: training")
    accuracy_axis.set_ylabel("final accuracy\n(mean ± std over seeds)")
    accuracy_axis.set_title("accuracy against parameter count (markers: width multiplier)")
    gap_axis.axhline(0, color="grey", linewidth=0.8)
    gap_axis.set_ylabel("training − test accuracy")
    gap_axis.set_title("generalization gap")
    figure.suptitle("LeNet width: how many parameters does each dataset need?")
    return figure


@styled
def comparison_width_figure(table, epochs, title: str) -> Figure:
    """One width sweep: accuracy vs parameters (one marker per width, the base setting a star,
    chance dotted), and below it the test-accuracy curves of each width."""
    figure = Figure(figsize=(FIGURE_WIDTH, 9.5), layout="constrained")
    accuracy_axis, curve_axis_ = figure.subplots(2, 1)
    compared = table[table["role"] != "reference"]
    points = _point_names(compared)
    _accuracy_axis(accuracy_axis, compared, "", "C0", points)
    chance_lines(accuracy_axis, compared["arm"])
    _parameter_axis(accuracy_axis, compared["parameters"])
    accuracy_axis.set_ylabel("final accuracy\n(mean ± std over seeds)")
    accuracy_axis.grid(True, which="both", alpha=0.3)
    handles = _ordered_handles(accuracy_axis) + _width_handles(points)
    legend_outside(accuracy_axis, handles=handles)
    accuracy_axis.set_title("accuracy against parameter count (markers: width multiplier)")
    curve_axis(curve_axis_, table, epochs, "test_accuracy", "test accuracy per epoch")
    legend_outside(curve_axis_)
    figure.suptitle(title)
    return figure

"""Training curves of a comparison (each arm's seeds as a mean line with a band), each arm's
per-seed difference from the baseline, and where its training time goes (measured alone)."""

import numpy as np
from matplotlib.figure import Figure

from convstudy.plots import FIGURE_WIDTH, chance_lines, styled
from convstudy.plots.timing import BAR_HEIGHT, PANEL_EXTRA, breakdown_axis

CURVES = (
    ("train_loss", "training loss"),
    ("train_accuracy", "training accuracy"),
    ("test_accuracy", "test accuracy"),
)
# The references (e.g. the textbook's 2019 and 2.0 settings) each have a colour, a dash pattern
# and a marker of their own, none of them an arm's (the arms are solid, in tab10's colours).
REFERENCE_STYLES = (
    {"color": "#111111", "linestyle": (0, (5, 2)), "marker": "s"},
    {"color": "#c51b7d", "linestyle": (0, (1, 1.2)), "marker": "^"},
    {"color": "#8c8c8c", "linestyle": (0, (6, 2, 1, 2)), "marker": "D"},
)
LINE_WIDTH = 1.8
BASELINE_WIDTH = 3.2  # the baseline's line is the thickest
# Zero difference from the baseline, in the baseline's colour and width.
_BASELINE_MARK = {"color": "C0", "linewidth": BASELINE_WIDTH, "alpha": 0.6}


def arm_style(table) -> dict[str, dict]:
    """Line style per arm: a colour each, solid, the baseline thickest; each reference its own
    colour, dash pattern and marker."""
    styles, colour, reference = {}, 0, 0
    for row in table.itertuples():
        if row.role == "reference":
            style = dict(REFERENCE_STYLES[reference % len(REFERENCE_STYLES)])
            styles[row.arm] = {**style, "linewidth": LINE_WIDTH + 0.4}
            reference += 1
        else:
            width = BASELINE_WIDTH if row.role == "baseline" else LINE_WIDTH
            styles[row.arm] = {"color": f"C{colour}", "linestyle": "-", "linewidth": width}
            styles[row.arm]["marker"] = "o"
            colour += 1
    return styles


def arm_label(row) -> str:
    """An arm's name in a legend: its label, its seeds, and its role if it has one."""
    label = f"{row.label} ({row.seeds} seed{'s' if row.seeds != 1 else ''})"
    if row.role in ("baseline", "reference"):
        label += f", {row.role}"
    return label


def curve_axis(axis, table, epochs, metric: str, ylabel: str) -> None:
    """One metric per epoch: the mean over seeds, and mean +- one standard deviation as a band
    (no band for a single seed). Accuracy also gets the chance level of the arms' datasets."""
    styles = arm_style(table)
    for row in table.itertuples():
        per_epoch = epochs[epochs["arm"] == row.arm].groupby("epoch")[metric]
        mean = per_epoch.mean()
        axis.plot(
            mean.index, mean.to_numpy(), markersize=5, label=arm_label(row), **styles[row.arm]
        )
        if row.seeds > 1:
            spread = per_epoch.std(ddof=1).to_numpy()
            axis.fill_between(
                mean.index,
                mean.to_numpy() - spread,
                mean.to_numpy() + spread,
                color=styles[row.arm]["color"],
                alpha=0.15,
                linewidth=0,
            )
    if "accuracy" in metric:
        chance_lines(axis, table["arm"])
    axis.set_xlabel("epoch")
    axis.set_ylabel(ylabel)
    axis.set_title(ylabel)
    axis.grid(True, alpha=0.3)
    epochs_run = sorted(epochs["epoch"].unique())
    if len(epochs_run) <= 12:
        axis.set_xticks(epochs_run)


def seed_differences(row) -> list[float]:
    """The per-seed differences a comparison table row lists ('+0.0120 -0.0040 ...')."""
    text = row["seed_differences"] if isinstance(row, dict) else row.seed_differences
    if not isinstance(text, str):
        return []
    return [float(value) for value in text.split()]


def differences_axis(axis, table) -> None:
    """Each arm's final test accuracy minus the baseline's: one dot per seed (paired and
    identical arms), the 95% interval as a line, zero (the baseline) as the reference."""
    rows = [row for row in table.itertuples() if row.role != "baseline"]
    styles = arm_style(table)
    positions = np.arange(len(rows))[::-1]
    for position, row in zip(positions, rows, strict=True):
        style = styles[row.arm]
        if np.isfinite(row.ci_low):
            axis.plot(
                [row.ci_low, row.ci_high],
                [position, position],
                color=style["color"],
                linewidth=6,
                alpha=0.45,
                solid_capstyle="butt",
            )
        dots = seed_differences(row)
        if dots:
            axis.plot(
                dots,
                [position] * len(dots),
                linestyle="none",
                marker=style["marker"],
                color=style["color"],
                markersize=7,
                alpha=0.8,
            )
        axis.plot([row.difference], [position], "|", color="k", markersize=18, markeredgewidth=2)
    baseline = table.iloc[0]
    axis.axvline(0, label=f"baseline: {baseline['label']}", **_BASELINE_MARK)
    axis.set_yticks(positions, [f"{row.label}\n{row.interval}" for row in rows])
    axis.set_ylim(-0.6, len(rows) - 0.4)
    axis.set_xlabel(
        "final test accuracy minus the baseline's (dots: seeds; bar: 95% interval; |: mean)"
    )
    axis.set_title(f"difference from the baseline ({baseline['label']}), per seed", loc="left")
    axis.grid(True, axis="x", alpha=0.3)


@styled
def curves_figure(table, epochs, title: str) -> Figure:
    """Loss, training and test accuracy per epoch, their legend below them; per-seed
    differences from the baseline (where there are other arms); and where each arm's training
    time goes, timed alone."""
    rows = len(table)
    heights = [4.4 + 0.3 * ((rows + 2) // 2)]
    if rows > 1:
        heights.append(0.55 * (rows - 1) + 1.6)
    heights.append(BAR_HEIGHT * rows + PANEL_EXTRA)
    figure = Figure(figsize=(FIGURE_WIDTH, sum(heights) + 0.6), layout="constrained")
    parts = list(figure.subfigures(len(heights), 1, height_ratios=heights))
    axes = parts[0].subplots(1, 3)
    for axis, (metric, ylabel) in zip(axes, CURVES, strict=True):
        curve_axis(axis, table, epochs, metric, ylabel)
    handles, labels = axes[-1].get_legend_handles_labels()  # the arms and the chance level
    parts[0].legend(handles, labels, loc="outside lower center", ncols=2)
    if rows > 1:
        differences_axis(parts[1].subplots(), table)
    time_axis = parts[-1].subplots()
    breakdown_axis(time_axis, list(table["label"]), table)
    time_axis.set_title("training time by phase, each arm timed alone", loc="left")
    figure.suptitle(title)
    return figure

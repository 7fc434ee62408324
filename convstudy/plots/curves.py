"""Training curves of a comparison (each arm's seeds as a mean line with a band), each arm's
per-seed difference from the baseline, and where its training time goes (measured alone)."""

import numpy as np
from matplotlib.figure import Figure

from convstudy.plots.timing import breakdown_axis

CURVES = (
    ("train_loss", "training loss"),
    ("train_accuracy", "training accuracy"),
    ("test_accuracy", "test accuracy"),
)
# References are grey, each with its own dash pattern.
REFERENCE_STYLES = (
    {"color": "0.35", "linestyle": "--"},
    {"color": "0.55", "linestyle": ":"},
    {"color": "0.2", "linestyle": "-."},
)


def arm_style(table) -> dict[str, dict]:
    """Line style per arm: a colour each, the references grey and dashed."""
    styles, colour, reference = {}, 0, 0
    for row in table.itertuples():
        if row.role == "reference":
            styles[row.arm] = dict(REFERENCE_STYLES[reference % len(REFERENCE_STYLES)])
            reference += 1
        else:
            styles[row.arm] = {"color": f"C{colour}", "linestyle": "-"}
            colour += 1
    return styles


def curve_axis(axis, table, epochs, metric: str, ylabel: str) -> None:
    """One metric per epoch: the mean over seeds, and mean +- one standard deviation as a band
    (no band for a single seed)."""
    styles = arm_style(table)
    for row in table.itertuples():
        per_epoch = epochs[epochs["arm"] == row.arm].groupby("epoch")[metric]
        mean = per_epoch.mean()
        label = f"{row.label} ({row.seeds} seed{'s' if row.seeds != 1 else ''})"
        if row.role == "reference":
            label += ", reference"
        axis.plot(
            mean.index, mean.to_numpy(), marker="o", markersize=3, label=label, **styles[row.arm]
        )
        if row.seeds > 1:
            spread = per_epoch.std(ddof=1).to_numpy()
            axis.fill_between(
                mean.index,
                mean.to_numpy() - spread,
                mean.to_numpy() + spread,
                color=styles[row.arm]["color"],
                alpha=0.2,
                linewidth=0,
            )
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
    identical arms), the 95% interval as a line, zero as the reference."""
    rows = [row for row in table.itertuples() if row.role != "baseline"]
    styles = arm_style(table)
    positions = np.arange(len(rows))[::-1]
    for position, row in zip(positions, rows, strict=True):
        colour = styles[row.arm]["color"]
        if np.isfinite(row.ci_low):
            axis.plot(
                [row.ci_low, row.ci_high],
                [position, position],
                color=colour,
                linewidth=3,
                alpha=0.5,
                solid_capstyle="butt",
            )
        dots = seed_differences(row)
        if dots:
            axis.plot(dots, [position] * len(dots), "o", color=colour, markersize=4)
        axis.plot([row.difference], [position], "|", color="k", markersize=12)
    axis.axvline(0, color="0.4", linewidth=0.8)
    axis.set_yticks(positions, [f"{row.label}\n({row.interval})" for row in rows], fontsize=8)
    axis.set_ylim(-0.7, len(rows) - 0.3)
    axis.set_xlabel("final test accuracy minus the baseline's (dots: seeds; line: 95% CI)")
    axis.set_title(f"difference from {table.iloc[0]['label']}, per seed")
    axis.grid(True, axis="x", alpha=0.3)


def curves_figure(table, epochs, title: str) -> Figure:
    """Loss, training and test accuracy per epoch; per-seed differences from the baseline; and
    where each arm's training time goes, timed alone."""
    figure = Figure(figsize=(11.0, 7.5), layout="constrained")
    axes = figure.subplot_mosaic([["loss", "train", "test"], ["diff", "diff", "time"]])
    for key, (metric, ylabel) in zip(("loss", "train", "test"), CURVES, strict=True):
        curve_axis(axes[key], table, epochs, metric, ylabel)
    handles, labels = axes["loss"].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower left", ncols=min(3, len(labels)), fontsize=8)
    if len(table) > 1:
        differences_axis(axes["diff"], table)
    else:
        axes["diff"].set_axis_off()
    breakdown_axis(axes["time"], list(table["label"]), table)
    axes["time"].set_xlabel("s per 10,000 training images, alone", fontsize=8)
    axes["time"].set_title("training time by phase")
    figure.suptitle(title)
    return figure

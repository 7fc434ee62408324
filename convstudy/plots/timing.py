"""Where training time goes: stacked bars of its phases per arm, and each arm's speed, all
measured alone (convstudy.speed; seconds per PER_IMAGES training images)."""

import numpy as np
from matplotlib.figure import Figure

from convstudy.analysis import PER_IMAGES, TRAIN_PHASE_COLUMNS, TRAIN_PHASES

# One colour per phase, the same in every figure: data waits in red so they stand out.
PHASE_COLOURS = {
    "data": "#d62728",
    "forward": "#1f77b4",
    "backward": "#aec7e8",
    "step": "#2ca02c",
    "other": "#c7c7c7",
    "eval": "#9467bd",
}
ALONE_LABEL = f"seconds per {PER_IMAGES:,} training images (median of passes, measured alone)"


def breakdown_axis(axis, labels: list[str], seconds, legend: bool = True) -> None:
    """Horizontal stacked bars, one per label (top to bottom), of seconds per training phase.

    seconds: a DataFrame with the seconds_<phase> columns, rows in the order of labels.
    """
    positions = np.arange(len(labels))[::-1]
    left = np.zeros(len(labels))
    for phase, column in zip(TRAIN_PHASES, TRAIN_PHASE_COLUMNS, strict=True):
        values = seconds[column].to_numpy(dtype=float)
        axis.barh(positions, values, left=left, color=PHASE_COLOURS[phase], label=phase)
        left += values
    for position, total in zip(positions, left, strict=True):
        axis.text(total, position, f" {total:.2f} s", va="center", fontsize=8)
    axis.set_yticks(positions, labels, fontsize=8)
    axis.set_xlabel(ALONE_LABEL, fontsize=8)
    axis.set_xlim(0, left.max() * 1.3 if len(left) and left.max() > 0 else 1)
    if legend:
        axis.legend(
            fontsize=7, ncols=len(TRAIN_PHASES), loc="upper center", bbox_to_anchor=(0.5, -0.25)
        )


def speed_axis(axis, table) -> None:
    """Training images per second of each arm: every timed pass as a dot, the median as a bar."""
    labels = list(table["label"])
    positions = np.arange(len(labels))[::-1]
    axis.barh(positions, table["images_per_second"], color="#bbbbbb", label="median")
    for position, passes in zip(positions, table["pass_images_per_second"], strict=True):
        speeds = [float(value) for value in str(passes).split()]
        axis.plot(speeds, [position] * len(speeds), "k.", markersize=5)
    axis.plot([], [], "k.", label="each pass")
    axis.set_yticks(positions, labels, fontsize=8)
    axis.set_xlabel("training images per second, measured alone", fontsize=8)
    axis.legend(fontsize=7, loc="lower right")


def comparison_timing_figure(table, title: str) -> Figure:
    """A timing comparison: time by phase, and training speed (every pass and the median)."""
    labels = list(table["label"])
    figure = Figure(figsize=(11.0, 1.0 + 0.6 * len(labels) + 1.2), layout="constrained")
    time_axis, images_axis = figure.subplots(1, 2, width_ratios=[3, 2])
    breakdown_axis(time_axis, labels, table)
    time_axis.set_title("training time by phase")
    speed_axis(images_axis, table)
    images_axis.set_title("training speed")
    threads = ", ".join(sorted({str(t) for t in table["threads"]}))
    figure.suptitle(f"{title}\n(each arm timed alone, {threads} framework thread(s))")
    return figure


def time_breakdown_figure(table) -> Figure:
    """Every arm timed alone, one panel per model: training time by phase."""
    models = list(dict.fromkeys(table["model"]))  # in the table's order
    heights = [max(2, (table["model"] == model).sum()) for model in models]
    figure = Figure(figsize=(11.0, 1.4 + 0.32 * sum(heights) + len(models)), layout="constrained")
    axes = figure.subplots(len(models), 1, squeeze=False, height_ratios=heights)[:, 0]
    for axis, model in zip(axes, models, strict=True):
        rows = table[table["model"] == model]
        labels = [f"{r.dataset} / {r.framework} / {r.variant}" for r in rows.itertuples()]
        breakdown_axis(axis, labels, rows, legend=False)
        axis.set_title(f"{model}: training time by phase")
    handles, names = axes[0].get_legend_handles_labels()
    figure.legend(handles, names, loc="outside lower center", ncols=len(names), fontsize=8)
    figure.suptitle("Where the time goes: every arm, timed alone")
    return figure

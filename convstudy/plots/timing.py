"""Where training time goes: stacked bars of its phases per arm, and each arm's speed, all
measured alone (convstudy.speed; seconds per PER_IMAGES training images)."""

import numpy as np
from matplotlib.figure import Figure

from convstudy.analysis import PER_IMAGES
from convstudy.plots import FIGURE_WIDTH, legend_outside, styled
from convstudy.timing import TRAIN_PHASES

# One colour per phase, the same in every figure, each distinct from the others and from the
# white background: data waits in red so they stand out.
PHASE_COLOURS = {
    "data": "#d62728",
    "forward": "#1f77b4",
    "backward": "#9ecae1",
    "step": "#2ca02c",
    "other": "#8c564b",
    "eval": "#9467bd",
}
ALONE_LABEL = f"seconds per {PER_IMAGES:,} training images (median of passes, measured alone)"
BAR_HEIGHT = 0.6  # inches of figure per bar
PANEL_EXTRA = 1.5  # inches of a bar panel's title, axis label and margins


def phase_order(seconds) -> list[str]:
    """The training phases, most total time first (over every row of seconds); ties keep the
    order of TRAIN_PHASES."""
    totals = {phase: float(np.nansum(seconds[f"seconds_{phase}"])) for phase in TRAIN_PHASES}
    return sorted(TRAIN_PHASES, key=lambda phase: -totals[phase])


def _seconds_text(values) -> str:
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    digits = 3 if high < 0.01 else 2
    if f"{low:.{digits}f}" == f"{high:.{digits}f}":
        return f"{high:.{digits}f} s"
    return f"{low:.{digits}f}–{high:.{digits}f} s"


def breakdown_axis(
    axis, labels: list[str], seconds, legend: bool = True, phases: list[str] | None = None
) -> None:
    """Horizontal stacked bars, one per label (top to bottom), of seconds per training phase,
    the phase with most time first (or in the order of phases). The legend gives each phase's
    seconds (their range over the bars), so a phase too small to see in a bar still shows.

    seconds: a DataFrame with the seconds_<phase> columns, rows in the order of labels.
    """
    phases = phases or phase_order(seconds)
    positions = np.arange(len(labels))[::-1]
    left = np.zeros(len(labels))
    for phase in phases:
        values = np.nan_to_num(seconds[f"seconds_{phase}"].to_numpy(dtype=float))
        axis.barh(
            positions,
            values,
            left=left,
            height=0.7,
            color=PHASE_COLOURS[phase],
            # An outline of the phase's own colour: a phase of a tiny share still shows.
            edgecolor=PHASE_COLOURS[phase],
            linewidth=1.0,
            label=f"{phase}: {_seconds_text(values)}",
        )
        left += values
    for position, total in zip(positions, left, strict=True):
        axis.text(total, position, f" {total:.2f} s", va="center")
    axis.set_yticks(positions, labels)
    axis.set_ylim(-0.6, len(labels) - 0.4)
    axis.set_xlabel(ALONE_LABEL)
    axis.set_xlim(0, left.max() * 1.18 if len(left) and left.max() > 0 else 1)
    axis.grid(True, axis="x", alpha=0.3)
    axis.set_axisbelow(True)
    if legend:
        legend_outside(axis, title="phase, seconds")


def speed_axis(axis, table) -> None:
    """Training images per second of each arm: every timed pass as a dot, the median as a bar."""
    labels = list(table["label"])
    positions = np.arange(len(labels))[::-1]
    axis.barh(positions, table["images_per_second"], height=0.7, color="#bbbbbb", label="median")
    for position, passes in zip(positions, table["pass_images_per_second"], strict=True):
        speeds = [float(value) for value in str(passes).split()]
        axis.plot(speeds, [position] * len(speeds), "k.", markersize=7)
    axis.plot([], [], "k.", markersize=7, label="each pass")
    axis.set_yticks(positions, labels)
    axis.set_ylim(-0.6, len(labels) - 0.4)
    axis.set_xlabel("training images per second, measured alone")
    axis.grid(True, axis="x", alpha=0.3)
    axis.set_axisbelow(True)
    legend_outside(axis)


@styled
def comparison_timing_figure(table, title: str) -> Figure:
    """A timing comparison: time by phase, and training speed (every pass and the median), one
    above the other, each legend to its right."""
    labels = list(table["label"])
    panel = BAR_HEIGHT * len(labels) + PANEL_EXTRA
    figure = Figure(figsize=(FIGURE_WIDTH, 2 * panel + 0.9), layout="constrained")
    time_axis, images_axis = figure.subplots(2, 1)
    breakdown_axis(time_axis, labels, table)
    time_axis.set_title("training time by phase", loc="left")
    speed_axis(images_axis, table)
    images_axis.set_title("training speed", loc="left")
    threads = ", ".join(sorted({str(t) for t in table["threads"]}))
    figure.suptitle(f"{title}\n(each arm timed alone, {threads} framework thread(s))")
    return figure


@styled
def time_breakdown_figure(table) -> Figure:
    """Every arm timed alone, one panel per model: training time by phase, the phases in one
    order (most total time first) in every panel, the legend beside the first panel."""
    models = list(dict.fromkeys(table["model"]))  # in the table's order
    heights = [max(2, (table["model"] == model).sum()) for model in models]
    figure = Figure(
        figsize=(FIGURE_WIDTH, 0.45 * sum(heights) + PANEL_EXTRA * len(models) + 0.6),
        layout="constrained",
    )
    axes = figure.subplots(len(models), 1, squeeze=False, height_ratios=heights)[:, 0]
    phases = phase_order(table)
    for index, (axis, model) in enumerate(zip(axes, models, strict=True)):
        rows = table[table["model"] == model]
        labels = [f"{r.dataset} / {r.framework} / {r.variant}" for r in rows.itertuples()]
        breakdown_axis(axis, labels, rows, legend=False, phases=phases)
        axis.set_title(f"{model}: training time by phase", loc="left")
        if index == 0:
            # The legend's seconds are over every arm of the figure, not this panel's only.
            for bars, phase in zip(axis.containers, phases, strict=True):
                bars.set_label(f"{phase}: {_seconds_text(table[f'seconds_{phase}'])}")
            legend_outside(axis, title="phase, seconds\n(all arms)")
    figure.suptitle("Where the time goes: every arm, timed alone")
    return figure

"""Where an epoch's time goes: stacked bars of its phases, per setting."""

import numpy as np
from matplotlib.figure import Figure

from convstudy.analysis import PHASE_COLUMNS, PHASES
from convstudy.models import MODELS

# One colour per phase, the same in every figure: data waits in red so they stand out.
PHASE_COLOURS = {
    "data": "#d62728",
    "forward": "#1f77b4",
    "backward": "#aec7e8",
    "step": "#2ca02c",
    "other": "#c7c7c7",
    "eval": "#9467bd",
}


def breakdown_axis(axis, labels: list[str], seconds, legend: bool = True) -> None:
    """Horizontal stacked bars, one per label (top to bottom), of seconds per phase.

    seconds: a DataFrame with the seconds_<phase> columns, rows in the order of labels.
    """
    positions = np.arange(len(labels))[::-1]
    left = np.zeros(len(labels))
    for phase, column in zip(PHASES, PHASE_COLUMNS, strict=True):
        values = seconds[column].to_numpy(dtype=float)
        axis.barh(positions, values, left=left, color=PHASE_COLOURS[phase], label=phase)
        left += values
    for position, total in zip(positions, left, strict=True):
        axis.text(total, position, f" {total:.2f} s", va="center", fontsize=8)
    axis.set_yticks(positions, labels, fontsize=8)
    axis.set_xlabel("seconds per epoch (mean over seeds)")
    axis.set_xlim(0, left.max() * 1.25 if len(left) and left.max() > 0 else 1)
    if legend:
        axis.legend(fontsize=7, ncols=len(PHASES), loc="upper center", bbox_to_anchor=(0.5, -0.2))


def comparison_timing_figure(table, title: str) -> Figure:
    """A timing comparison: epoch time by phase, and training images per second."""
    labels = list(table["label"])
    figure = Figure(figsize=(11.0, 1.0 + 0.6 * len(labels) + 1.2), layout="constrained")
    time_axis, speed_axis = figure.subplots(1, 2, width_ratios=[3, 2])
    breakdown_axis(time_axis, labels, table)
    time_axis.set_title("epoch time by phase")
    positions = np.arange(len(labels))[::-1]
    errors = np.nan_to_num(table["images_per_second_std"].to_numpy(dtype=float))
    speed_axis.barh(
        positions, table["images_per_second_mean"], xerr=errors, color="#7f7f7f", capsize=3
    )
    speed_axis.set_yticks(positions, labels, fontsize=8)
    speed_axis.set_xlabel("training images per second (mean +- std over seeds)")
    speed_axis.set_title("training speed")
    figure.suptitle(title)
    return figure


def time_breakdown_figure(table) -> Figure:
    """Every setting that ran, one panel per model: epoch time by phase (means over seeds)."""
    models = [model for model in MODELS if model in set(table["model"])]
    heights = [max(2, (table["model"] == model).sum()) for model in models]
    figure = Figure(figsize=(11.0, 1.2 + 0.32 * sum(heights) + len(models)), layout="constrained")
    axes = figure.subplots(len(models), 1, squeeze=False, height_ratios=heights)[:, 0]
    for index, (axis, model) in enumerate(zip(axes, models, strict=True)):
        rows = table[table["model"] == model]
        labels = [f"{r.dataset} / {r.framework} / {r.variant}" for r in rows.itertuples()]
        breakdown_axis(axis, labels, rows, legend=index == 0)
        axis.set_title(f"{model}: seconds per epoch by phase")
    figure.suptitle("Where the time goes: every setting that ran")
    return figure

"""Confusion matrices drawn cell by cell: counts, and each true class's row in percent."""

import math

import numpy as np
from matplotlib.figure import Figure

from convstudy.confusion import row_normalized
from convstudy.plots import FIGURE_WIDTH, FONT, styled

SIDE_BY_SIDE = 12  # classes: up to this many, the two matrices side by side; else one above
WRITTEN = 24  # classes: up to this many, every cell's number is written in
TICKED = 24  # at most this many class names along an axis (every k-th class beyond)


def _matrix_axis(axis, values, classes: list[str], texts, colour_limit: float, title: str):
    image = axis.imshow(values, cmap="Blues", vmin=0, vmax=colour_limit)
    size = len(classes)
    if size <= WRITTEN:
        for (true, predicted), text in np.ndenumerate(texts):
            if not text:
                continue
            dark = values[true, predicted] > 0.55 * colour_limit
            axis.text(
                predicted,
                true,
                text,
                ha="center",
                va="center",
                fontsize=FONT,
                color="white" if dark else "black",
                fontweight="bold" if true == predicted else "normal",
            )
    step = math.ceil(size / TICKED)
    ticks = range(0, size, step)
    axis.set_xticks(ticks, [classes[i] for i in ticks], rotation=40, ha="right")
    axis.set_yticks(ticks, [classes[i] for i in ticks])
    axis.set_xlabel("predicted class")
    axis.set_ylabel("true class")
    axis.set_title(title)
    return image


@styled
def confusion_figure(counts: np.ndarray, classes: list[str], title: str) -> Figure:
    """Left (or top): counts (every non-zero cell written in). Right (or bottom): each row
    divided by its total, in percent, so the diagonal is each class's recall; cells under 0.5%
    are left blank. Each colour bar is in its matrix's unit: test images, and percent."""
    size = len(classes)
    shares = row_normalized(counts) * 100
    side_by_side = size <= SIDE_BY_SIDE
    if side_by_side:
        figure = Figure(figsize=(FIGURE_WIDTH, 5.9), layout="constrained")
        count_axis, share_axis = figure.subplots(1, 2)
    else:
        side = min(FIGURE_WIDTH - 1.5, 0.4 * size + 2.5)
        figure = Figure(figsize=(FIGURE_WIDTH, 2 * side + 1.0), layout="constrained")
        count_axis, share_axis = figure.subplots(2, 1)
    count_texts = np.where(counts > 0, counts.astype(str), "")
    # Colour counts on the largest off-diagonal cell's scale, so mistakes show; the diagonal
    # saturates (its numbers say the rest).
    off_diagonal = counts[~np.eye(size, dtype=bool)]
    count_limit = max(1.0, 2.0 * float(off_diagonal.max()) if off_diagonal.size else 1.0)
    image = _matrix_axis(count_axis, counts, classes, count_texts, count_limit, "counts")
    figure.colorbar(image, ax=count_axis, shrink=0.8, label="test images (colour capped)")
    share_texts = np.where(shares >= 0.5, np.char.mod("%.0f", shares), "")
    image = _matrix_axis(
        share_axis, shares, classes, share_texts, 100.0, "% of each true class (row)"
    )
    bar = figure.colorbar(image, ax=share_axis, shrink=0.8, label="% of the true class")
    bar.set_ticks([0, 20, 40, 60, 80, 100])
    if side_by_side:
        # The same classes down both: their names once, on the left.
        share_axis.set_ylabel("")
        share_axis.tick_params(labelleft=False)
    figure.suptitle(title)
    return figure

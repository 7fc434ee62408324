"""Confusion matrices drawn cell by cell: counts, and each true class's row as shares."""

import numpy as np
from matplotlib.figure import Figure

from convstudy.confusion import row_normalized


def _matrix_axis(axis, values, classes: list[str], texts, colour_limit: float, title: str):
    image = axis.imshow(values, cmap="Blues", vmin=0, vmax=colour_limit)
    size = len(classes)
    font = 9 if size <= 10 else 6
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
            fontsize=font,
            color="white" if dark else "black",
            fontweight="bold" if true == predicted else "normal",
        )
    axis.set_xticks(range(size), classes, rotation=40, ha="right", fontsize=font)
    axis.set_yticks(range(size), classes, fontsize=font)
    axis.set_xlabel("predicted class")
    axis.set_ylabel("true class")
    axis.set_title(title)
    return image


def confusion_figure(counts: np.ndarray, classes: list[str], title: str) -> Figure:
    """Left: counts (every non-zero cell written in). Right: each row divided by its total, in
    percent, so the diagonal is each class's recall; cells under 0.5% are left blank."""
    shares = row_normalized(counts)
    side = max(5.0, 0.55 * len(classes) + 1.5)
    figure = Figure(figsize=(2 * side + 1.5, side), layout="constrained")
    count_axis, share_axis = figure.subplots(1, 2)
    count_texts = np.where(counts > 0, counts.astype(str), "")
    # Colour counts on the largest off-diagonal cell's scale, so mistakes show; the diagonal
    # saturates (its numbers say the rest).
    off_diagonal = counts[~np.eye(len(classes), dtype=bool)]
    count_limit = max(1.0, 2.0 * float(off_diagonal.max()) if off_diagonal.size else 1.0)
    image = _matrix_axis(count_axis, counts, classes, count_texts, count_limit, "counts")
    figure.colorbar(image, ax=count_axis, shrink=0.8, label="test images (colour capped)")
    share_texts = np.where(shares >= 0.005, np.char.mod("%.0f", shares * 100), "")
    image = _matrix_axis(
        share_axis, shares, classes, share_texts, 1.0, "row-normalized: % of each true class"
    )
    figure.colorbar(image, ax=share_axis, shrink=0.8, label="share of the true class")
    figure.suptitle(title)
    return figure

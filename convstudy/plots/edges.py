"""Figures of section 1: per-image grids of edge responses, the kernels, energy by orientation."""

import numpy as np
from matplotlib.figure import Figure

from convstudy.kernels import ORIENTATION_DEGREES
from convstudy.plots import FIGURE_WIDTH, FONT, legend_outside, styled

# Responses are shown as magnitudes on one scale per kernel family and image, so the panels of a
# row compare directly; the scale's top is this percentile (a few very strong edges would
# otherwise leave everything else black).
DISPLAY_PERCENTILE = 99.5


def _orientation_title(orientation: str) -> str:
    return f"{orientation} ({ORIENTATION_DEGREES[orientation]}\N{DEGREE SIGN})"


@styled
def edge_grid_figure(
    photograph,
    responses: dict[tuple[str, str], np.ndarray],
    combined: dict[str, np.ndarray],
    shares: dict[tuple[str, str], float],
) -> Figure:
    """One row per kernel family (named on the left): the input, |response| per orientation,
    then all combined.

    The first column holds the original photograph (top row) and the grey image the kernels see
    (the other rows).
    """
    families = list(combined)
    orientations = [o for f, o in responses if f == families[0]]
    height, width = photograph.grey.shape
    columns = len(orientations) + 2
    panel_w = (FIGURE_WIDTH - 0.5) / columns
    panel_h = panel_w * height / width + 0.6
    figure = Figure(figsize=(FIGURE_WIDTH, panel_h * len(families) + 0.5), layout="constrained")
    axes = figure.subplots(len(families), columns, squeeze=False)
    for row, family in enumerate(families):
        scale = max(float(np.percentile(combined[family], DISPLAY_PERCENTILE)), 1e-12)
        if row == 0:
            axes[row, 0].imshow(photograph.rgb, interpolation="antialiased")
            axes[row, 0].set_title("original")
        else:
            axes[row, 0].imshow(photograph.grey, cmap="gray", vmin=0, vmax=1)
            axes[row, 0].set_title("grey input\n(BT.601)")
        axes[row, 0].set_ylabel(family.capitalize(), fontsize=FONT + 2)
        for column, orientation in enumerate(orientations, start=1):
            axes[row, column].imshow(
                np.abs(responses[family, orientation]), cmap="gray", vmin=0, vmax=scale
            )
            share = shares[family, orientation]
            axes[row, column].set_title(
                f"{_orientation_title(orientation)}\n{share:.0%} of energy", fontsize=FONT
            )
        axes[row, -1].imshow(combined[family], cmap="gray", vmin=0, vmax=scale)
        axes[row, -1].set_title("combined\n(max |response|)", fontsize=FONT)
    for axis in axes.flat:
        axis.set_xticks([])
        axis.set_yticks([])
    figure.suptitle(f"{photograph.name} ({height} x {width})")
    return figure


@styled
def kernels_figure(kernels: dict[tuple[str, str], np.ndarray]) -> Figure:
    """Each kernel's weights as a coloured 3x3 grid with the numbers written in."""
    families = list(dict.fromkeys(f for f, _ in kernels))
    orientations = list(dict.fromkeys(o for _, o in kernels))
    limit = max(float(np.abs(k).max()) for k in kernels.values())
    figure = Figure(figsize=(2.2 * len(orientations), 2.4 * len(families)), layout="constrained")
    axes = figure.subplots(len(families), len(orientations), squeeze=False)
    for row, family in enumerate(families):
        for column, orientation in enumerate(orientations):
            kernel = kernels[family, orientation]
            axis = axes[row, column]
            axis.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
            for (i, j), value in np.ndenumerate(kernel):
                colour = "white" if abs(value) > 0.6 * limit else "black"
                axis.text(j, i, f"{value:g}", ha="center", va="center", fontsize=FONT, color=colour)
            axis.set_title(f"{family} {_orientation_title(orientation)}", fontsize=FONT)
            axis.set_xticks([])
            axis.set_yticks([])
    return figure


@styled
def edge_energy_figure(table) -> Figure:
    """Share of edge energy per orientation, per image: one panel per kernel family.

    table has columns image, family, orientation, share (pandas DataFrame).
    """
    families = list(dict.fromkeys(table["family"]))
    orientations = list(dict.fromkeys(table["orientation"]))
    images = list(dict.fromkeys(table["image"]))
    bar_width = 0.8 / len(orientations)
    figure = Figure(
        figsize=(min(FIGURE_WIDTH, max(7.5, 1.2 * len(images) + 4)), 3.4 * len(families)),
        layout="constrained",
    )
    axes = figure.subplots(len(families), 1, squeeze=False)[:, 0]
    positions = np.arange(len(images))
    for axis, family in zip(axes, families, strict=True):
        rows = table[table["family"] == family].set_index(["image", "orientation"])["share"]
        for index, orientation in enumerate(orientations):
            shares = [rows[image, orientation] for image in images]
            axis.bar(
                positions + (index - (len(orientations) - 1) / 2) * bar_width,
                shares,
                bar_width,
                label=_orientation_title(orientation),
            )
        axis.set_xticks(positions, images, rotation=20, ha="right")
        axis.set_ylabel("share of edge energy")
        axis.set_title(f"{family}: each orientation's share of the edge energy", loc="left")
        axis.axhline(
            1 / len(orientations),
            color="0.3",
            linewidth=1.2,
            linestyle=":",
            label=f"even split (1/{len(orientations)})",
        )
        axis.grid(True, axis="y", alpha=0.3)
        axis.set_axisbelow(True)
    legend_outside(axes[0], title="orientation")
    return figure

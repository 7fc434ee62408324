"""Figures of section 1: per-image grids of edge responses, the kernels, energy by orientation."""

import numpy as np
from matplotlib.figure import Figure

from convstudy.kernels import ORIENTATION_DEGREES

# Responses are shown as magnitudes on one scale per kernel family and image, so the panels of a
# row compare directly; the scale's top is this percentile (a few very strong edges would
# otherwise leave everything else black).
DISPLAY_PERCENTILE = 99.5


def _orientation_title(orientation: str) -> str:
    return f"{orientation} ({ORIENTATION_DEGREES[orientation]}\N{DEGREE SIGN})"


def edge_grid_figure(
    photograph,
    responses: dict[tuple[str, str], np.ndarray],
    combined: dict[str, np.ndarray],
    shares: dict[tuple[str, str], float],
) -> Figure:
    """One row per kernel family: the input, |response| per orientation, then all combined.

    The first column holds the original photograph (top row) and the grey image the kernels see
    (the other rows).
    """
    families = list(combined)
    orientations = [o for f, o in responses if f == families[0]]
    height, width = photograph.grey.shape
    columns = len(orientations) + 2
    panel_w = 2.6
    panel_h = panel_w * height / width + 0.45
    figure = Figure(
        figsize=(panel_w * columns, panel_h * len(families) + 0.4), layout="constrained"
    )
    axes = figure.subplots(len(families), columns, squeeze=False)
    for row, family in enumerate(families):
        scale = max(float(np.percentile(combined[family], DISPLAY_PERCENTILE)), 1e-12)
        if row == 0:
            axes[row, 0].imshow(photograph.rgb, interpolation="antialiased")
            axes[row, 0].set_title("original")
        else:
            axes[row, 0].imshow(photograph.grey, cmap="gray", vmin=0, vmax=1)
            axes[row, 0].set_title("grey input (BT.601)")
        for column, orientation in enumerate(orientations, start=1):
            axes[row, column].imshow(
                np.abs(responses[family, orientation]), cmap="gray", vmin=0, vmax=scale
            )
            share = shares[family, orientation]
            axes[row, column].set_title(
                f"{family} {_orientation_title(orientation)}\n{share:.0%} of energy", fontsize=9
            )
        axes[row, -1].imshow(combined[family], cmap="gray", vmin=0, vmax=scale)
        axes[row, -1].set_title(f"{family} combined\n(max |response|)", fontsize=9)
    for axis in axes.flat:
        axis.set_xticks([])
        axis.set_yticks([])
    figure.suptitle(f"{photograph.name} ({height} x {width})")
    return figure


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
                axis.text(j, i, f"{value:g}", ha="center", va="center", fontsize=11, color=colour)
            axis.set_title(f"{family} {_orientation_title(orientation)}", fontsize=9)
            axis.set_xticks([])
            axis.set_yticks([])
    return figure


def edge_energy_figure(table) -> Figure:
    """Share of edge energy per orientation, per image: one panel per kernel family.

    table has columns image, family, orientation, share (pandas DataFrame).
    """
    families = list(dict.fromkeys(table["family"]))
    orientations = list(dict.fromkeys(table["orientation"]))
    images = list(dict.fromkeys(table["image"]))
    bar_width = 0.8 / len(orientations)
    figure = Figure(
        figsize=(max(6.0, 1.2 * len(images) + 2), 3.2 * len(families)), layout="constrained"
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
        axis.set_title(f"{family}: mean squared response per orientation, as a share of the four")
        axis.axhline(1 / len(orientations), color="grey", linewidth=0.8, linestyle=":")
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside upper center", ncols=len(orientations))
    return figure

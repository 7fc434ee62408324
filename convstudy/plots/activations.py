"""Feature maps of a trained network beside the hand-designed edge responses of section 1, and
its learned first-layer kernels beside the hand-designed kernels."""

import math

import numpy as np
from matplotlib.figure import Figure

from convstudy.kernels import FAMILIES, ORIENTATION_DEGREES, ORIENTATIONS
from convstudy.plots import FONT, styled

COLUMNS = 1 + len(FAMILIES) * len(ORIENTATIONS)  # a sample image and every edge response
PANEL = 1.1  # inches per panel: with the colour bars, the figure is the page's width (11 in)


def _blank(axis) -> None:
    axis.set_xticks([])
    axis.set_yticks([])


def _kernel_name(family: str, orientation: str) -> str:
    return f"{family.capitalize()} {ORIENTATION_DEGREES[orientation]}°"


def _match_label(row) -> str:
    """Follows the map's name on its line ('conv1 #2 ≈'): the kernel on a line of its own, so
    neighbouring titles never touch."""
    return f" ≈\n{_kernel_name(row.family, row.orientation)}\nr = {row.r:+.2f}"


@styled
def activations_figure(
    greys: list[np.ndarray],
    titles: list[str],
    responses: list[dict[tuple[str, str], np.ndarray]],
    layer_maps: list[np.ndarray],
    best_matches,
    hand_kernels: dict[tuple[str, str], np.ndarray],
    learned_kernels: np.ndarray,
    dead: dict[str, list[int]],
    title: str,
) -> Figure:
    """Top: the hand-designed kernels and the learned first-layer kernels. Then per sample image:
    the image and every edge response (one signed scale), then each convolution layer's maps
    after the activation (one scale per layer), each block with its colour bar.

    best_matches: rows (layer, channel, family, orientation, r) naming each channel's most
    correlated edge response; dead: per layer, the channels that never fire on these images.
    """
    learned_rows = math.ceil(len(learned_kernels) / (COLUMNS - 1))
    layer_rows = [math.ceil(maps.shape[1] / COLUMNS) for maps in layer_maps]
    rows_per_sample = 1 + sum(layer_rows)
    total_rows = 1 + learned_rows + rows_per_sample * len(greys)
    figure = Figure(
        figsize=(PANEL * COLUMNS + 1.0, (PANEL + 0.5) * total_rows + 1.0), layout="constrained"
    )
    axes = figure.subplots(total_rows, COLUMNS, squeeze=False)
    for axis in axes.flat:
        _blank(axis)
        axis.set_visible(False)

    def show(axis, values, **style):
        axis.set_visible(True)
        return axis.imshow(values, **style)

    def colour_bar(image, rows) -> None:
        # Attached to whole rows of the grid, so every row keeps the same columns.
        figure.colorbar(image, ax=list(rows.flat), shrink=0.85, pad=0.01, aspect=12)

    # The kernels: hand-designed (3x3) in the first row, learned (first layer) below.
    limit = max(float(np.abs(k).max()) for k in hand_kernels.values())
    for column, ((family, orientation), kernel) in enumerate(hand_kernels.items(), start=1):
        image = show(axes[0, column], kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes[0, column].set_title(_kernel_name(family, orientation), fontsize=FONT)
    axes[0, 1].set_ylabel("hand-designed", fontsize=FONT)
    colour_bar(image, axes[0:1])
    limit = float(np.abs(learned_kernels).max()) or 1.0
    for channel, kernel in enumerate(learned_kernels):
        axis = axes[1 + channel // (COLUMNS - 1), 1 + channel % (COLUMNS - 1)]
        image = show(axis, kernel[0], cmap="RdBu_r", vmin=-limit, vmax=limit)
        axis.set_title(f"conv1 #{channel + 1}", fontsize=FONT)
    axes[1, 1].set_ylabel("learned", fontsize=FONT)
    colour_bar(image, axes[1 : 1 + learned_rows])

    matches = {(row.layer, row.channel): row for row in best_matches.itertuples()}
    for sample, (grey, sample_title, response) in enumerate(
        zip(greys, titles, responses, strict=True)
    ):
        top = 1 + learned_rows + sample * rows_per_sample
        show(axes[top, 0], grey, cmap="gray", vmin=0, vmax=1)
        axes[top, 0].set_title(sample_title, fontsize=FONT, wrap=True)
        limit = max(float(np.abs(r).max()) for r in response.values()) or 1.0
        for column, (family, orientation) in enumerate(response, start=1):
            image = show(
                axes[top, column],
                response[family, orientation],
                cmap="RdBu_r",
                vmin=-limit,
                vmax=limit,
            )
            axes[top, column].set_title(_kernel_name(family, orientation), fontsize=FONT)
        colour_bar(image, axes[top : top + 1])
        row = top + 1
        for layer, (maps, n_rows) in enumerate(zip(layer_maps, layer_rows, strict=True)):
            name = f"conv{layer + 1}"
            values = maps[sample]
            low, high = float(values.min()), float(values.max())
            for channel, channel_map in enumerate(values):
                axis = axes[row + channel // COLUMNS, channel % COLUMNS]
                image = show(
                    axis, channel_map, cmap="magma", vmin=low, vmax=high if high > low else low + 1
                )
                label = f"{name} #{channel + 1}"
                if channel + 1 in dead.get(name, []):
                    label += "\nnever fires"
                elif (name, channel + 1) in matches:
                    label += _match_label(matches[name, channel + 1])
                axis.set_title(label, fontsize=FONT)
            axes[row, 0].set_ylabel(f"{name} {values.shape[1]}x{values.shape[2]}", fontsize=FONT)
            colour_bar(image, axes[row : row + n_rows])
            row += n_rows
    figure.suptitle(
        f"{title}\nkernels and edge responses: blue negative, red positive; feature maps after "
        "the activation, one scale per layer;\n≈: the edge kernel whose response the map "
        "correlates with most, and r",
        fontsize=FONT + 1,
    )
    return figure

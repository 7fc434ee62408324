"""Feature maps of a trained network beside the hand-designed edge responses of section 1."""

import math

import numpy as np
from matplotlib.figure import Figure

from convstudy.kernels import FAMILIES, ORIENTATIONS

PANEL = 1.25  # inches per panel


def activations_figure(
    greys: list[np.ndarray],
    titles: list[str],
    responses: list[dict[tuple[str, str], np.ndarray]],
    layer_maps: list[np.ndarray],
    best_matches,
    title: str,
) -> Figure:
    """Per sample image: a row with the image and every edge response (signed, blue-red), then
    each convolution layer's maps (after the activation) wrapped over as many rows as needed.

    best_matches: rows (layer, channel, family, orientation, r) naming each channel's most
    correlated edge response; written under the channel's panel.
    """
    columns = 1 + len(FAMILIES) * len(ORIENTATIONS)
    layer_rows = [math.ceil(maps.shape[1] / columns) for maps in layer_maps]
    rows_per_sample = 1 + sum(layer_rows)
    figure = Figure(
        figsize=(PANEL * columns, (PANEL + 0.25) * rows_per_sample * len(greys) + 0.6),
        layout="constrained",
    )
    axes = figure.subplots(rows_per_sample * len(greys), columns, squeeze=False)
    for axis in axes.flat:
        axis.set_xticks([])
        axis.set_yticks([])
        axis.set_frame_on(False)
    matches = {
        (row.layer, row.channel): f"{row.family[0].upper()} {row.orientation} {row.r:+.2f}"
        for row in best_matches.itertuples()
    }
    for sample, (grey, sample_title, response) in enumerate(
        zip(greys, titles, responses, strict=True)
    ):
        top = sample * rows_per_sample
        axis = axes[top, 0]
        axis.imshow(grey, cmap="gray", vmin=0, vmax=1)
        axis.set_title(sample_title, fontsize=7)
        axis.set_frame_on(True)
        limit = max(float(np.abs(r).max()) for r in response.values()) or 1.0
        for column, (family, orientation) in enumerate(response, start=1):
            axis = axes[top, column]
            axis.imshow(response[family, orientation], cmap="RdBu_r", vmin=-limit, vmax=limit)
            axis.set_title(f"{family}\n{orientation}", fontsize=7)
            axis.set_frame_on(True)
        row = top + 1
        for layer, (maps, n_rows) in enumerate(zip(layer_maps, layer_rows, strict=True)):
            name = f"conv{layer + 1}"
            for channel, channel_map in enumerate(maps[sample]):
                axis = axes[row + channel // columns, channel % columns]
                # Each map on its own scale, so weak but structured maps still show; one that
                # never fires stays black.
                low, high = float(channel_map.min()), float(channel_map.max())
                axis.imshow(
                    channel_map, cmap="magma", vmin=low, vmax=high if high > low else low + 1
                )
                axis.set_frame_on(True)
                label = f"{name} #{channel + 1}"
                if (name, channel + 1) in matches:
                    label += f"\n~{matches[name, channel + 1]}"
                axis.set_title(label, fontsize=6)
            axes[row, 0].set_ylabel(f"{name}\n{maps.shape[2]}x{maps.shape[3]}", fontsize=7)
            row += n_rows
    figure.suptitle(
        f"{title}\nedge responses: blue negative, red positive; feature maps after the "
        "activation, each on its own scale; ~: most correlated edge kernel (P Prewitt, "
        "S Sobel) and r",
        fontsize=9,
    )
    return figure

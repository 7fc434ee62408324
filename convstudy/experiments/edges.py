"""Section 1: edge detection with hand-designed kernels.

Each photograph is cross-correlated with every Prewitt and Sobel kernel twice: by the numpy
function convstudy.conv.cross_correlate2d and by cv2.filter2D, both extending the image beyond
its border by reflection without repeating the edge pixel (BORDER_REFLECT_101, OpenCV's default;
zero padding would draw a false edge along every border of a bright image). The table records
how far the two disagree. Responses are of the grey image scaled to [0, 1].

Edge energy of a kernel on an image: the mean over pixels of the squared response. Its share is
that energy divided by the sum over the four orientations of the same family, so the shares say
which edge directions dominate a picture (e.g. a rocket's vertical lines).
"""

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from convstudy import images, kernels
from convstudy.atomic import save_figure, write_table, write_text
from convstudy.conv import BORDERS, DEFAULT_BORDER, cross_correlate2d
from convstudy.plots import edges as edge_plots

TABLE_COLUMNS = [
    "image",
    "height",
    "width",
    "family",
    "orientation",
    "degrees",
    "energy",
    "share",
    "max_abs_diff_vs_cv2",
]


def filter2d_cv2(image: np.ndarray, kernel: np.ndarray, border: str = DEFAULT_BORDER):
    """OpenCV's cross-correlation of a float64 image with the same border as cross_correlate2d."""
    import cv2

    return cv2.filter2D(image, cv2.CV_64F, kernel, borderType=BORDERS[border][1])


def edge_responses(
    grey: np.ndarray, kernel_set: dict[tuple[str, str], np.ndarray], border: str = DEFAULT_BORDER
) -> tuple[dict[tuple[str, str], np.ndarray], dict[tuple[str, str], float]]:
    """Each kernel's response (numpy) and its largest absolute difference from cv2.filter2D."""
    responses, differences = {}, {}
    for key, kernel in kernel_set.items():
        responses[key] = cross_correlate2d(grey, kernel, border)
        differences[key] = float(
            np.max(np.abs(responses[key] - filter2d_cv2(grey, kernel, border)))
        )
    return responses, differences


def build_image_edges(
    name: str,
    path: str | Path,
    max_side: int | None,
    figure_path: str | Path,
    table_path: str | Path,
    log: Callable[[str], None] = print,
) -> pd.DataFrame:
    """One photograph: its grid figure (all kernels, combined) and its edge-energy rows."""
    photograph = images.read_photograph(name, path, max_side)
    height, width = photograph.grey.shape
    if (height, width) != photograph.original_size:
        log(f"{path}: {photograph.original_size} shrunk to {height} x {width} (edges.max_side)")
    log(f"{name}: {height} x {width} from {path}, border {DEFAULT_BORDER}")
    kernel_set = kernels.edge_kernels()
    responses, differences = edge_responses(photograph.grey, kernel_set)
    energies = {key: float(np.mean(response**2)) for key, response in responses.items()}
    totals = {
        family: sum(energies[family, o] for o in kernels.ORIENTATIONS)
        for family in kernels.FAMILIES
    }
    rows = []
    for (family, orientation), energy in energies.items():
        share = energy / totals[family] if totals[family] > 0 else float("nan")
        rows.append(
            {
                "image": name,
                "height": height,
                "width": width,
                "family": family,
                "orientation": orientation,
                "degrees": kernels.ORIENTATION_DEGREES[orientation],
                "energy": energy,
                "share": share,
                "max_abs_diff_vs_cv2": differences[family, orientation],
            }
        )
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    worst = table["max_abs_diff_vs_cv2"].max()
    log(f"{name}: numpy cross-correlation vs cv2.filter2D, largest difference {worst:.2e}")
    combined = {
        family: kernels.combine_orientations([responses[family, o] for o in kernels.ORIENTATIONS])
        for family in kernels.FAMILIES
    }
    shares = {(r.family, r.orientation): r.share for r in table.itertuples()}
    figure = edge_plots.edge_grid_figure(photograph, responses, combined, shares)
    save_figure(figure, figure_path)
    write_table(table, table_path)
    return table


def build_edge_summary(
    image_tables: Sequence[str | Path],
    table_path: str | Path,
    markdown_path: str | Path,
    energy_figure_path: str | Path,
    kernels_figure_path: str | Path,
    skipped: Sequence[tuple[str, str]] = (),
    log: Callable[[str], None] = print,
) -> pd.DataFrame:
    """All images' edge energies in one table, its bar chart, and a figure of the kernels."""
    for path, why in skipped:
        log(f"skipped {path}: {why}")
    table = pd.concat([pd.read_csv(path) for path in image_tables], ignore_index=True)
    table = table[TABLE_COLUMNS]
    log(f"{table['image'].nunique()} images, {len(table)} rows")
    save_figure(edge_plots.kernels_figure(kernels.edge_kernels()), kernels_figure_path)
    save_figure(edge_plots.edge_energy_figure(table), energy_figure_path)
    write_table(table, table_path)
    write_text(markdown_path, energy_markdown(table))
    return table


def energy_markdown(table: pd.DataFrame) -> str:
    """Readable form of the table: one row per image, the share of each orientation per family."""
    pivot = table.pivot_table(
        index="image", columns=["family", "orientation"], values="share", sort=False
    )
    pivot.columns = [f"{family} {orientation}" for family, orientation in pivot.columns]
    return (
        "Share of edge energy (mean squared response) per orientation, per kernel family.\n\n"
        + pivot.to_markdown(floatfmt=".3f")
        + "\n"
    )

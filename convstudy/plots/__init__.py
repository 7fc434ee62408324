"""Figures of the study, drawn with matplotlib's object API (no pyplot, so no display needed).

Every figure is drawn under one style (STYLE: the font sizes) and saved by save_figure, which
records in the PNG's text metadata the smallest font of the figure in pixels (`min_font_px`).

The report shows a figure at most MAX_WIDTH pixels wide (convstudy.report.MAX_FIGURE_WIDTH), in
a page whose content is 768 pixels wide at a browser width of 800. A figure FIGURE_WIDTH inches
wide at DPI is scaled down there to 768 / 1100 of its size, so its smallest text, FONT points
(15.3 pixels in the PNG), shows about 10.7 pixels tall: figures are at most FIGURE_WIDTH wide
and no text in them is smaller than FONT.
"""

import functools
import io
import math
import struct
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from convstudy.atomic import atomic_path

DPI = 100
FIGURE_WIDTH = 11.0  # inches: 1,100 pixels, the widest the report shows a figure unscaled
FONT = 11  # points: the smallest text in any figure
TITLE_FONT = 12.5
STYLE = {
    "font.size": FONT,
    "axes.titlesize": TITLE_FONT,
    "axes.labelsize": FONT,
    "xtick.labelsize": FONT,
    "ytick.labelsize": FONT,
    "legend.fontsize": FONT,
    "legend.title_fontsize": FONT,
    "figure.titlesize": 14,
    "figure.labelsize": FONT,
    "savefig.dpi": DPI,
}
# Where a figure is shown narrowest: the page's content width at a browser width of 800 pixels.
NARROW_DISPLAY = 768
MAX_WIDTH = 1100  # pixels: the report scales wider figures down to this (MAX_FIGURE_WIDTH)
LEGIBLE_PX = 10  # the smallest text, in pixels as displayed there

# Lines that mark a level rather than data. Chance: thin, grey, solid (the references are
# dashed or dotted); a second and third chance level (datasets of other numbers of classes) are
# finely dashed. The baseline's setting: a broad band in the baseline's colour (C0).
CHANCE_STYLE = {"color": "0.4", "linewidth": 1.4}
CHANCE_STYLES = ("-", (0, (8, 2)), (0, (2, 2)))
BASELINE_STYLE = {"color": "C0", "linewidth": 8, "alpha": 0.25, "solid_capstyle": "butt"}


def styled(function: Callable[..., Figure]) -> Callable[..., Figure]:
    """Draw a figure under the study's STYLE (the font sizes every text of it starts from)."""

    @functools.wraps(function)
    def draw(*args, **kwargs) -> Figure:
        with mpl.rc_context(STYLE):
            return function(*args, **kwargs)

    return draw


def _visible_texts(artist) -> Iterable[Text]:
    """Every text artist that is drawn: visible, non-empty, in a visible parent."""
    if not artist.get_visible():
        return
    if isinstance(artist, Text):
        if artist.get_text().strip():
            yield artist
    for child in artist.get_children():
        yield from _visible_texts(child)


def min_font_px(figure: Figure, dpi: float = DPI, drawn: bool = False) -> float:
    """The smallest font of any drawn text of figure (titles, labels, tick labels, legends,
    annotations), in pixels of an image saved at dpi. Draws the figure (without rendering) so
    that its ticks exist, unless it has just been drawn (drawn: saved, its layout done); texts
    that fall outside the canvas are not counted."""
    renderer = FigureCanvasAgg(figure).get_renderer()
    if not drawn:
        figure.draw_without_rendering()
    canvas = figure.bbox
    sizes = []
    for text in _visible_texts(figure):
        extent = text.get_window_extent(renderer)
        if extent.width <= 0 or extent.height <= 0 or not extent.overlaps(canvas):
            continue
        sizes.append(text.get_fontsize())
    return min(sizes) * dpi / 72 if sizes else math.nan


def displayed_font_px(font_px: float, png_width: int) -> float:
    """How tall a font of font_px pixels of a PNG png_width pixels wide shows in the report at
    its narrowest (scaled to at most MAX_WIDTH, shown at most NARROW_DISPLAY wide)."""
    width = min(png_width, MAX_WIDTH)
    return font_px * min(width, NARROW_DISPLAY) / png_width


def save_figure(figure: Figure, path: str | Path, dpi: int = DPI) -> float:
    """A figure as PNG, written atomically, with its smallest font in pixels in the PNG's text
    metadata (key min_font_px). Returns that size."""
    with mpl.rc_context(STYLE):  # ticks made while drawing take the style's sizes too
        png = io.BytesIO()
        figure.savefig(png, format="png", dpi=dpi)
        # Read from the drawing just saved: a figure of many panels spends most of its time in
        # the layout, which a second draw would repeat.
        smallest = min_font_px(figure, dpi, drawn=True)
    with atomic_path(path) as temporary:
        Path(temporary).write_bytes(with_png_text(png.getvalue(), "min_font_px", f"{smallest:.2f}"))
    return smallest


def with_png_text(png: bytes, key: str, value: str) -> bytes:
    """PNG bytes with a tEXt chunk (key, value) after the header chunk, as savefig's metadata
    would write it."""
    header_end = 8 + 4 + 4 + 13 + 4  # the 8-byte signature, then IHDR: always first, 13 bytes
    data = key.encode("latin-1") + b"\0" + value.encode("latin-1")
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + data))
    return png[:header_end] + chunk + png[header_end:]


def legend_outside(axis, **options):
    """A legend to the right of axis, top-aligned with it: never on its data."""
    return axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **options)


def chance_levels(arms: Iterable[str]) -> dict[float, list[str]]:
    """Chance accuracy (1 / number of classes) of the datasets the arms ran on: level -> the
    datasets at it, in the arms' order."""
    from convstudy.data.cache import TASKS
    from convstudy.settings import parse_arm

    levels: dict[float, list[str]] = {}
    for arm in arms:
        dataset = parse_arm(arm, "figure")[0]
        level = 1 / TASKS[dataset].num_classes
        if dataset not in levels.setdefault(level, []):
            levels[level].append(dataset)
    return levels


def chance_lines(axis, arms: Iterable[str]) -> None:
    """A line at chance accuracy for each dataset of the arms, labelled chance (and which
    classes, where the arms ran on datasets of different numbers of classes)."""
    levels = chance_levels(arms)
    for index, (level, datasets) in enumerate(sorted(levels.items(), reverse=True)):
        label = "chance" if len(levels) == 1 else f"chance, {', '.join(datasets)}"
        label += f" (1/{round(1 / level)})"
        style = dict(CHANCE_STYLE, linestyle=CHANCE_STYLES[index % len(CHANCE_STYLES)])
        axis.axhline(level, label=label, zorder=1.5, **style)

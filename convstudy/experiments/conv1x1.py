"""Section 3: the 1x1 convolution as a matrix multiplication, and any convolution via im2col.

1x1: a 1x1 convolution mixes channels pixel by pixel with one Co x Ci matrix, so in NHWC layout
it is a single (N*H*W) x Ci by Ci x Co matrix product (convstudy.conv.conv1x1_nhwc). It is timed
against the framework layers and a looped version as the shapes grow; every implementation's
values are compared with a float64 reference.

im2col: any kernel, stride and padding becomes one matrix product once each output pixel's input
window is unfolded into a row (convstudy.conv.conv2d_im2col). It is compared with the framework
convolutions on the section-2 grid of cases and timed there; the unfolded matrix is Kh*Kw times
larger than the input, which is its price.

Timing: median of repeated calls after a warm-up (convstudy.timing.median_seconds), float32
everywhere, each implementation on its own layout (NHWC numpy for the matrix product, NCHW tensors
for the frameworks) with the conversion done beforehand, outside the timer. mxnet calls wait for
their result (mxnet computes asynchronously). Thread count: the `threads` argument for torch,
OMP_NUM_THREADS for mxnet and numpy's BLAS (Snakemake sets it to the rule's threads).
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from convstudy.atomic import save_figure, write_table
from convstudy.conv import (
    conv1x1_loops,
    conv1x1_nhwc,
    conv2d_im2col,
    conv2d_multiply_adds,
    im2col,
)
from convstudy.experiments.conv_shapes import CASES, ConvCase
from convstudy.timing import median_seconds

SEED = 31
REPEATS = 7
LOOP_REPEATS = 3
# The looped 1x1 version runs only up to this many multiply-adds (~0.1 s at ~0.15 us each,
# overhead included); beyond it the table says "not run".
LOOP_MULTIPLY_ADDS = 1_100_000


@dataclass(frozen=True)
class Shape1x1:
    """A 1x1 convolution's sizes: input N x Ci x H x W, Co output channels."""

    batch: int
    in_channels: int
    out_channels: int
    height: int
    width: int

    @property
    def multiply_adds(self) -> int:
        return self.batch * self.height * self.width * self.in_channels * self.out_channels


# Growing shapes: the channel widths of small and middle-sized networks, then the section-2
# original input (3 -> 4 channels on 2 images of 360 x 480).
SHAPES_1X1 = (
    Shape1x1(1, 8, 4, 8, 8),
    Shape1x1(1, 16, 8, 16, 16),
    Shape1x1(2, 32, 16, 32, 32),
    Shape1x1(2, 3, 4, 360, 480),
    Shape1x1(2, 64, 32, 64, 64),
    Shape1x1(2, 128, 64, 96, 96),
)
TABLE_COLUMNS_1X1 = [
    "N",
    "Ci",
    "Co",
    "H",
    "W",
    "multiply_adds",
    "implementation",
    "median_seconds",
    "repeats",
    "max_abs_diff",
    "threads",
    "note",
]


def set_threads(threads: int) -> None:
    """Give torch `threads` threads: with mxnet imported it may otherwise drop to one."""
    import torch

    torch.set_num_threads(max(1, threads))


def conv1x1_rows(
    shape: Shape1x1, seed: int, threads: int, log: Callable[[str], None] = print
) -> list[dict]:
    """Timing and largest difference from a float64 reference, per implementation, one shape."""
    from convstudy.framework_conv import FRAMEWORKS, prepare_conv2d, to_numpy

    rng = np.random.default_rng(seed)
    x_nhwc = rng.standard_normal(
        (shape.batch, shape.height, shape.width, shape.in_channels)
    ).astype(np.float32)
    weight = (
        rng.standard_normal((shape.out_channels, shape.in_channels)) / np.sqrt(shape.in_channels)
    ).astype(np.float32)
    x_nchw = np.ascontiguousarray(x_nhwc.transpose(0, 3, 1, 2))
    weight_4d = weight.reshape(shape.out_channels, shape.in_channels, 1, 1)
    reference = conv1x1_nhwc(x_nhwc.astype(np.float64), weight.astype(np.float64))
    reference = reference.transpose(0, 3, 1, 2)  # NCHW, as the frameworks return it

    runs = {"matmul_nhwc": lambda: conv1x1_nhwc(x_nhwc, weight)}
    for framework in FRAMEWORKS:
        runs[framework] = prepare_conv2d(framework, x_nchw, weight_4d)
    runs["loops"] = lambda: conv1x1_loops(x_nchw, weight)

    base = {
        "N": shape.batch,
        "Ci": shape.in_channels,
        "Co": shape.out_channels,
        "H": shape.height,
        "W": shape.width,
        "multiply_adds": shape.multiply_adds,
        "threads": threads,
    }
    rows = []
    for implementation, run in runs.items():
        if implementation == "loops" and shape.multiply_adds > LOOP_MULTIPLY_ADDS:
            rows.append(
                {
                    **base,
                    "implementation": implementation,
                    "median_seconds": float("nan"),
                    "repeats": 0,
                    "max_abs_diff": float("nan"),
                    "note": f"not run: over {LOOP_MULTIPLY_ADDS:,} multiply-adds",
                }
            )
            continue
        out = to_numpy(run())  # also the warm-up call: median_seconds needs none more
        if implementation == "matmul_nhwc":
            out = out.transpose(0, 3, 1, 2)
        repeats = LOOP_REPEATS if implementation == "loops" else REPEATS
        seconds = median_seconds(run, repeats, warmup=0)
        rows.append(
            {
                **base,
                "implementation": implementation,
                "median_seconds": seconds,
                "repeats": repeats,
                "max_abs_diff": float(np.max(np.abs(out - reference))),
                "note": "",
            }
        )
    summary = ", ".join(f"{r['implementation']} {r['median_seconds']:.2g} s" for r in rows)
    log(f"1x1 {shape}: {summary}")
    return rows


def build_conv1x1(
    table_path: str | Path,
    markdown_path: str | Path,
    figure_path: str | Path,
    threads: int = 1,
    log: Callable[[str], None] = print,
) -> pd.DataFrame:
    """The 1x1 timing table over growing shapes and its log-log figure."""
    return _build_timing_section(
        [(shape, conv1x1_rows) for shape in SHAPES_1X1],
        TABLE_COLUMNS_1X1,
        "1x1 convolution: matrix product vs framework layers vs loops",
        ["N", "Ci", "Co", "H", "W", "multiply_adds"],
        (table_path, markdown_path, figure_path),
        threads,
        log,
    )


# --- im2col on the section-2 grid --------------------------------------------------------------

TABLE_COLUMNS_IM2COL = [
    "case",
    "N",
    "Ci",
    "Co",
    "H",
    "W",
    "Kh",
    "Kw",
    "pad_h",
    "pad_w",
    "stride_h",
    "stride_w",
    "output_shape",
    "columns_shape",
    "columns_mb",
    "multiply_adds",
    "implementation",
    "median_seconds",
    "repeats",
    "max_abs_diff_vs_torch",
    "threads",
]


def im2col_rows(
    case: ConvCase, seed: int, threads: int, log: Callable[[str], None] = print
) -> list[dict]:
    """im2col against the framework convolutions on one case: values and timings."""
    from convstudy.framework_conv import FRAMEWORKS, prepare_conv2d, to_numpy

    x, weight, bias = case.random_arrays(seed)
    conv_args = {"stride": case.stride, "padding": case.padding}
    runs = {"im2col": lambda: conv2d_im2col(x, weight, bias, **conv_args)}
    for framework in FRAMEWORKS:
        runs[framework] = prepare_conv2d(framework, x, weight, bias, **conv_args)
    # Each first call is also its warm-up: median_seconds below needs none more.
    outputs = {name: to_numpy(run()) for name, run in runs.items()}
    columns = im2col(x, case.kernel, case.stride, case.padding)
    base = {
        **case.columns(),
        "output_shape": "x".join(map(str, case.output_shape())),
        "columns_shape": "x".join(map(str, columns.shape)),
        "columns_mb": columns.nbytes / 1e6,
        "multiply_adds": conv2d_multiply_adds(
            case.input_shape, case.kernel_shape, case.stride, case.padding
        ),
        "threads": threads,
    }
    rows = []
    for name, run in runs.items():
        rows.append(
            {
                **base,
                "implementation": name,
                "median_seconds": median_seconds(run, REPEATS, warmup=0),
                "repeats": REPEATS,
                "max_abs_diff_vs_torch": float(
                    np.max(np.abs(outputs[name].astype(np.float64) - outputs["torch"]))
                ),
            }
        )
    summary = ", ".join(f"{r['implementation']} {r['median_seconds']:.2g} s" for r in rows)
    log(f"im2col {case.name}: {summary}")
    return rows


def build_im2col(
    table_path: str | Path,
    markdown_path: str | Path,
    figure_path: str | Path,
    threads: int = 1,
    log: Callable[[str], None] = print,
) -> pd.DataFrame:
    """im2col vs the framework convolutions on every section-2 case: table and timing figure."""
    return _build_timing_section(
        [(case, im2col_rows) for case in CASES],
        TABLE_COLUMNS_IM2COL,
        "Any convolution: im2col + one matrix product vs frameworks",
        ["case", "output_shape", "columns_shape", "multiply_adds"],
        (table_path, markdown_path, figure_path),
        threads,
        log,
    )


def _build_timing_section(items, columns, title, pivot_index, paths, threads, log):
    """Rows of every (item, rows function), seeded in turn; the table, its pivot and figure."""
    from convstudy.plots.conv import timing_figure

    table_path, markdown_path, figure_path = paths
    set_threads(threads)
    rows = []
    for index, (item, make_rows) in enumerate(items):
        rows.extend(make_rows(item, SEED + index, threads, log))
    table = pd.DataFrame(rows, columns=columns)
    save_figure(timing_figure(table, title), figure_path)
    write_table(table, table_path)
    _write_pivot(table, markdown_path, pivot_index)
    return table


def _write_pivot(table: pd.DataFrame, markdown_path: str | Path, index: list[str]) -> None:
    """Readable form: one row per shape, median milliseconds per implementation."""
    from convstudy.atomic import write_text

    pivot = table.pivot_table(
        index=index, columns="implementation", values="median_seconds", sort=False
    )
    pivot = (pivot * 1e3).reindex(columns=list(dict.fromkeys(table["implementation"])))
    pivot = pivot.reset_index()
    pivot = pivot.astype(object).where(pivot.notna(), None)  # None prints as missingval
    text = (
        "Median milliseconds per call (-: not run).\n\n"
        + pivot.to_markdown(index=False, floatfmt=".3g", missingval="-")
        + "\n"
    )
    write_text(markdown_path, text)

"""Section 2: shapes of layers and kernels, and the values behind them.

For each case of a grid (the original study's case N=2, Ci=3, Co=4, H=360, W=480, K=3, p=1, s=1
and variations: no padding, non-square kernels and inputs, strides whose division leaves a
remainder, 1x1 kernels, a kernel as large as the input), the output shape is computed by the
formula H2 = floor((H + 2p - Kh)/s) + 1 and by three framework convolutions given the same random
weights: mxnet.gluon.nn.Conv2D, mxnet.nd.Convolution and torch.nn.functional.conv2d. Their values
are checked against the seven-loop numpy convolution (convstudy.conv.conv2d_loops).

The loop version costs ~0.12 us per multiply-add plus ~1 us per output value in Python: the
original case (37 million multiply-adds, 1.4 million outputs) would take about 5 s, so a case
whose loop_work exceeds LOOP_WORK_BUDGET is value-checked on a crop of its input (the table's
note says so, with the crop's size and the estimated full-size time); the frameworks run on the
same crop for that comparison, and at full size for the shapes and for agreeing with each other.
Crops keep H and W congruent modulo the stride, so a floor remainder stays a remainder.

The gluon layer is built without in_channels: its weight shape before the first call shows
Ci = 0 (unknown), after it the inferred Ci (delayed initialization).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from convstudy.atomic import save_figure, write_table
from convstudy.conv import conv2d_loops, conv2d_multiply_adds, conv2d_output_shape

# In multiply-adds; an output value's own loop overhead counts as LOOP_OUTPUT_OVERHEAD of them.
LOOP_WORK_BUDGET = 4_000_000
LOOP_OUTPUT_OVERHEAD = 8
SEED = 20240


@dataclass(frozen=True)
class ConvCase:
    """One convolution: input N x Ci x H x W, Co kernels Kh x Kw, padding and stride per axis."""

    name: str
    batch: int
    in_channels: int
    out_channels: int
    height: int
    width: int
    kernel: tuple[int, int]
    padding: tuple[int, int] = (0, 0)
    stride: tuple[int, int] = (1, 1)

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        return (self.batch, self.in_channels, self.height, self.width)

    @property
    def kernel_shape(self) -> tuple[int, int, int, int]:
        return (self.out_channels, self.in_channels, *self.kernel)

    def output_shape(self) -> tuple[int, int, int, int]:
        return conv2d_output_shape(self.input_shape, self.kernel_shape, self.stride, self.padding)

    def columns(self) -> dict:
        """The case as table columns."""
        return {
            "case": self.name,
            "N": self.batch,
            "Ci": self.in_channels,
            "Co": self.out_channels,
            "H": self.height,
            "W": self.width,
            "Kh": self.kernel[0],
            "Kw": self.kernel[1],
            "pad_h": self.padding[0],
            "pad_w": self.padding[1],
            "stride_h": self.stride[0],
            "stride_w": self.stride[1],
        }

    def random_arrays(self, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Input, weight and bias in float32, weights scaled by 1/sqrt(fan-in) like an init."""
        rng = np.random.default_rng(seed)
        fan_in = self.in_channels * self.kernel[0] * self.kernel[1]
        x = rng.standard_normal(self.input_shape).astype(np.float32)
        weight = (rng.standard_normal(self.kernel_shape) / np.sqrt(fan_in)).astype(np.float32)
        bias = rng.standard_normal(self.out_channels).astype(np.float32)
        return x, weight, bias


CASES = (
    ConvCase("original", 2, 3, 4, 360, 480, (3, 3), (1, 1), (1, 1)),
    ConvCase("no padding", 2, 3, 4, 360, 480, (3, 3), (0, 0), (1, 1)),
    ConvCase("stride 2, floor", 2, 3, 4, 360, 480, (3, 3), (0, 0), (2, 2)),
    ConvCase("5x5, pad 2, stride (3, 2)", 2, 3, 4, 360, 480, (5, 5), (2, 2), (3, 2)),
    ConvCase("non-square kernel 3x5", 2, 3, 4, 360, 480, (3, 5), (1, 2), (1, 1)),
    ConvCase("non-square 1x7, stride (1, 3)", 1, 2, 3, 50, 31, (1, 7), (0, 3), (1, 3)),
    ConvCase("even kernel 4x2, odd input", 2, 3, 4, 33, 17, (4, 2), (1, 0), (2, 3)),
    ConvCase("1x1 kernel", 2, 3, 4, 360, 480, (1, 1), (0, 0), (1, 1)),
    ConvCase("1x1 kernel, stride 2", 2, 8, 4, 45, 61, (1, 1), (0, 0), (2, 2)),
    ConvCase("LeNet conv1", 2, 1, 6, 28, 28, (5, 5), (2, 2), (1, 1)),
    ConvCase("AlexNet conv1 / 16", 2, 1, 6, 224, 224, (11, 11), (1, 1), (4, 4)),
    ConvCase("kernel = input", 2, 3, 4, 5, 5, (5, 5), (0, 0), (1, 1)),
    ConvCase("kernel > input, padded", 1, 2, 3, 3, 4, (5, 5), (2, 2), (1, 1)),
)


def loop_work(input_shape, kernel_shape, stride, padding) -> int:
    """The loop version's cost in multiply-add units, its per-output overhead included."""
    batch, out_channels, out_h, out_w = conv2d_output_shape(
        input_shape, kernel_shape, stride, padding
    )
    outputs = batch * out_channels * out_h * out_w
    return conv2d_multiply_adds(input_shape, kernel_shape, stride, padding) + (
        LOOP_OUTPUT_OVERHEAD * outputs
    )


def loop_crop(case: ConvCase, budget: int = LOOP_WORK_BUDGET) -> tuple[int, int]:
    """Height and width on which the loop version runs: the full size if within budget.

    Otherwise H and W shrink in proportion, each by whole strides (so H and W keep their
    remainder modulo the stride, and the same floor), until the work fits.
    """

    def work(height, width):
        shape = (case.batch, case.in_channels, height, width)
        return loop_work(shape, case.kernel_shape, case.stride, case.padding)

    sizes = [case.height, case.width]
    # Smallest sizes that still leave a window, with the original remainder modulo the stride.
    smallest = [
        max(kernel - 2 * pad, 1) + (size - max(kernel - 2 * pad, 1)) % stride
        for size, kernel, pad, stride in zip(
            sizes, case.kernel, case.padding, case.stride, strict=True
        )
    ]
    while work(*sizes) > budget and sizes != smallest:
        # Shrink the axis that is relatively larger, so the crop keeps the input's aspect.
        axis = int(sizes[1] / case.width > sizes[0] / case.height)
        if sizes[axis] - case.stride[axis] < smallest[axis]:
            axis = 1 - axis
        sizes[axis] -= case.stride[axis]
    return sizes[0], sizes[1]


def _shape_text(shape) -> str:
    return "x".join(str(int(d)) for d in shape)


def _max_abs_difference(a: np.ndarray, b: np.ndarray) -> float:
    if a.shape != b.shape:
        return float("nan")
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))


def case_row(case: ConvCase, seed: int, log: Callable[[str], None] = print) -> dict:
    """Shapes and value differences of one case (one row of the table)."""
    from convstudy.framework_conv import FRAMEWORKS, framework_conv2d, gluon_conv_layer

    x, weight, bias = case.random_arrays(seed)
    conv_args = {"stride": case.stride, "padding": case.padding}
    full = {f: framework_conv2d(f, x, weight, bias, **conv_args) for f in FRAMEWORKS}
    gluon = gluon_conv_layer(x, weight, bias, **conv_args)

    crop_h, crop_w = loop_crop(case)
    cropped = np.ascontiguousarray(x[:, :, :crop_h, :crop_w])
    start = time.perf_counter()
    loop = conv2d_loops(cropped, weight, bias, **conv_args)
    loop_seconds = time.perf_counter() - start
    on_crop = {f: framework_conv2d(f, cropped, weight, bias, **conv_args) for f in FRAMEWORKS}

    formula = case.output_shape()
    shapes = {f: full[f].shape for f in FRAMEWORKS}
    loop_formula = conv2d_output_shape(cropped.shape, weight.shape, case.stride, case.padding)
    note = ""
    if (crop_h, crop_w) != (case.height, case.width):
        full_work = loop_work(x.shape, weight.shape, case.stride, case.padding)
        crop_work = loop_work(cropped.shape, weight.shape, case.stride, case.padding)
        note = (
            f"loop checked on a {crop_h}x{crop_w} crop (at full size it would take about "
            f"{loop_seconds * full_work / crop_work:.0f} s)"
        )
    row = {
        **case.columns(),
        "formula_shape": _shape_text(formula),
        **{f"{f}_shape": _shape_text(shapes[f]) for f in FRAMEWORKS},
        "loop_input_hw": f"{crop_h}x{crop_w}",
        "loop_shape": _shape_text(loop.shape),
        "shapes_agree": all(s == formula for s in shapes.values()) and loop.shape == loop_formula,
        "gluon_weight_before_first_call": _shape_text(gluon.weight_shape_before_first_call),
        "gluon_weight_after_first_call": _shape_text(gluon.weight_shape_after_first_call),
        **{f"max_abs_diff_{f}_vs_loop": _max_abs_difference(on_crop[f], loop) for f in FRAMEWORKS},
        "max_abs_diff_frameworks_full": max(
            _max_abs_difference(full[f], full["torch"]) for f in FRAMEWORKS
        ),
        "loop_seconds": loop_seconds,
        "note": note,
    }
    log(
        f"{case.name}: {row['formula_shape']}, loop {loop_seconds:.2f} s on {row['loop_input_hw']}"
        f", largest difference vs loop "
        f"{max(row[f'max_abs_diff_{f}_vs_loop'] for f in FRAMEWORKS):.1e}"
    )
    return row


def shapes_table(cases=CASES, seed: int = SEED, log: Callable[[str], None] = print):
    return pd.DataFrame([case_row(case, seed + index, log) for index, case in enumerate(cases)])


def build_conv_shapes(
    table_path: str | Path,
    markdown_path: str | Path,
    figure_path: str | Path,
    log: Callable[[str], None] = print,
) -> pd.DataFrame:
    """The shapes table of every case and a figure of how closely the implementations agree."""
    from convstudy.plots.conv import agreement_figure

    table = shapes_table(log=log)
    disagreeing = table.loc[~table["shapes_agree"], "case"].tolist()
    # Reported, not raised: the table is the finding either way (tests guard the formula).
    log(f"shapes disagree with the formula in: {', '.join(disagreeing) or 'no case'}")
    difference_columns = [c for c in table.columns if c.startswith("max_abs_diff_")]
    save_figure(agreement_figure(table, difference_columns), figure_path)
    write_table(table, table_path, markdown_path, floatfmt=".2g")
    return table

"""Sections 2 and 3: the shape formula, the loop convolution, 1x1 and im2col against frameworks."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from convstudy import conv
from convstudy.experiments.conv1x1 import SHAPES_1X1
from convstudy.experiments.conv_shapes import (
    CASES,
    LOOP_WORK_BUDGET,
    ConvCase,
    loop_crop,
    loop_work,
)
from convstudy.framework_conv import FRAMEWORKS, framework_conv2d, gluon_conv_layer
from convstudy.timing import median_seconds

# float32 frameworks against float64 numpy: differences stay at float32 rounding.
TOLERANCE = {"rtol": 1e-5, "atol": 1e-5}


def random_conv_config(rng):
    """A random valid 2-D convolution: sizes, kernel, padding, stride per axis."""
    config = {}
    for axis in ("h", "w"):
        size = int(rng.integers(1, 40))
        padding = int(rng.integers(0, 4))
        kernel = int(rng.integers(1, size + 2 * padding + 1))
        config[axis] = (size, kernel, padding, int(rng.integers(1, 5)))
    return config


def test_conv_output_size_equals_torch_on_200_random_configurations():
    rng = np.random.default_rng(2024)
    for _ in range(200):
        config = random_conv_config(rng)
        (h, kh, ph, sh), (w, kw, pw, sw) = config["h"], config["w"]
        out = F.conv2d(
            torch.zeros(1, 1, h, w), torch.zeros(1, 1, kh, kw), stride=(sh, sw), padding=(ph, pw)
        )
        assert out.shape[2:] == (
            conv.conv_output_size(h, kh, ph, sh),
            conv.conv_output_size(w, kw, pw, sw),
        ), config


def test_pool_output_size_equals_torch_on_random_configurations():
    rng = np.random.default_rng(7)
    for _ in range(100):
        size, window = int(rng.integers(2, 40)), int(rng.integers(1, 6))
        window = min(window, size)
        stride = None if rng.random() < 0.3 else int(rng.integers(1, 4))
        padding = int(rng.integers(0, window // 2 + 1))  # torch allows at most half the window
        out = F.max_pool2d(torch.zeros(1, 1, size, size), window, stride, padding)
        assert out.shape[2] == conv.pool_output_size(size, window, stride, padding)


def test_the_formula_floors_and_refuses_impossible_sizes():
    assert conv.conv_output_size(360, 3, 1, 1) == 360
    assert conv.conv_output_size(360, 3, 0, 2) == 179  # (357 / 2) = 178.5 -> 178, + 1
    assert conv.conv_output_size(224, 11, 1, 4) == 54
    assert conv.pool_output_size(28, 2) == 14
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv.conv_output_size(3, 5, 0, 1)
    with pytest.raises(ValueError, match="need size"):
        conv.conv_output_size(10, 3, 0, 0)
    with pytest.raises(ValueError, match="input channels"):
        conv.conv2d_output_shape((1, 3, 8, 8), (4, 2, 3, 3))


LOOP_CASES = [
    ConvCase("square", 2, 3, 4, 9, 9, (3, 3), (1, 1), (1, 1)),
    ConvCase("non-square input and kernel", 1, 2, 3, 7, 12, (2, 5), (0, 2), (1, 1)),
    ConvCase("stride with remainder", 2, 3, 2, 11, 10, (3, 3), (0, 0), (2, 3)),
    ConvCase("padding and stride", 1, 4, 5, 13, 8, (5, 3), (2, 1), (3, 2)),
    ConvCase("1x1", 2, 6, 3, 5, 7, (1, 1), (0, 0), (1, 1)),
    ConvCase("kernel larger than input", 1, 1, 2, 3, 2, (5, 4), (2, 2), (1, 1)),
]


@pytest.mark.parametrize("case", LOOP_CASES, ids=lambda case: case.name)
@pytest.mark.parametrize("with_bias", [True, False])
def test_loop_convolution_equals_every_framework(case, with_bias):
    x, weight, bias = case.random_arrays(seed=len(case.name))
    bias = bias if with_bias else None
    expected_shape = case.output_shape()
    loop = conv.conv2d_loops(x, weight, bias, case.stride, case.padding)
    assert loop.shape == expected_shape
    for framework in FRAMEWORKS:
        out = framework_conv2d(framework, x, weight, bias, case.stride, case.padding)
        assert out.shape == expected_shape, framework
        np.testing.assert_allclose(out, loop, **TOLERANCE, err_msg=framework)
    im2col = conv.conv2d_im2col(x, weight, bias, case.stride, case.padding)
    np.testing.assert_allclose(im2col, loop, **TOLERANCE)


def test_loop_convolution_on_a_hand_computed_example():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    weight = np.ones((1, 1, 2, 2))
    # Sums of 2x2 windows at stride 2: (0+1+4+5), (2+3+6+7), (8+9+12+13), (10+11+14+15).
    np.testing.assert_array_equal(
        conv.conv2d_loops(x, weight, np.array([0.5]), stride=2)[0, 0], [[10.5, 18.5], [42.5, 50.5]]
    )
    # Zero padding of 1: the corner window sees only x[0, 0].
    assert conv.conv2d_loops(x, weight, padding=1)[0, 0, 0, 0] == 0.0


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_im2col_equals_torch_on_the_section_2_grid(case):
    x, weight, bias = case.random_arrays(seed=3)
    expected = framework_conv2d("torch", x, weight, bias, case.stride, case.padding)
    got = conv.conv2d_im2col(x, weight, bias, case.stride, case.padding)
    assert got.shape == expected.shape == case.output_shape()
    np.testing.assert_allclose(got, expected, **TOLERANCE)


def test_im2col_rows_are_the_windows():
    x = np.arange(2 * 2 * 4 * 5, dtype=float).reshape(2, 2, 4, 5)
    columns = conv.im2col(x, (2, 3), stride=(2, 1), padding=(0, 1))
    padded = np.pad(x, ((0, 0), (0, 0), (0, 0), (1, 1)))
    assert columns.shape == (2 * 2 * 5, 2 * 2 * 3)
    # Image 1, output pixel (1, 2): rows 2-3, padded columns 2-4, all channels.
    np.testing.assert_array_equal(columns[1 * 10 + 1 * 5 + 2], padded[1, :, 2:4, 2:5].ravel())


@pytest.mark.parametrize("shape", SHAPES_1X1[:3], ids=str)
def test_1x1_matmul_equals_loops_and_frameworks(shape):
    rng = np.random.default_rng(shape.multiply_adds)
    x = rng.standard_normal((shape.batch, shape.in_channels, shape.height, shape.width))
    x = x.astype(np.float32)
    weight = rng.standard_normal((shape.out_channels, shape.in_channels)).astype(np.float32)
    matmul = conv.conv1x1_nhwc(x.transpose(0, 2, 3, 1), weight).transpose(0, 3, 1, 2)
    loops = conv.conv1x1_loops(x, weight)
    np.testing.assert_allclose(matmul, loops, **TOLERANCE)
    weight_4d = weight[:, :, None, None]
    for framework in FRAMEWORKS:
        np.testing.assert_allclose(framework_conv2d(framework, x, weight_4d), loops, **TOLERANCE)
    np.testing.assert_allclose(conv.conv2d_loops(x, weight_4d), loops, **TOLERANCE)


def test_gluon_infers_in_channels_at_the_first_call():
    x, weight, bias = LOOP_CASES[3].random_arrays(seed=0)
    layer = gluon_conv_layer(x, weight, bias, stride=(3, 2), padding=(2, 1))
    assert layer.weight_shape_before_first_call == (5, 0, 5, 3)
    assert layer.weight_shape_after_first_call == (5, 4, 5, 3)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_loop_crops_fit_the_budget_and_keep_the_remainder(case):
    height, width = loop_crop(case)
    cropped = (case.batch, case.in_channels, height, width)
    assert loop_work(cropped, case.kernel_shape, case.stride, case.padding) <= LOOP_WORK_BUDGET
    assert height % case.stride[0] == case.height % case.stride[0]
    assert width % case.stride[1] == case.width % case.stride[1]
    conv.conv2d_output_shape(cropped, case.kernel_shape, case.stride, case.padding)


def test_median_seconds_warms_up_then_times_each_repeat():
    calls = []
    seconds = median_seconds(lambda: calls.append(1), repeats=5, warmup=2)
    assert len(calls) == 7 and 0 <= seconds < 0.1
    with pytest.raises(ValueError, match="repeats"):
        median_seconds(lambda: None, repeats=0)

"""Convolution written out in numpy, from the slowest readable form to one matrix multiplication.

Layouts: feature maps N x C x H x W (NCHW) unless a name says NHWC; kernels Co x Ci x Kh x Kw.
"Convolution" here is what deep-learning layers compute, i.e. cross-correlation (no kernel flip).

Output size along one axis, for input size H, kernel K, padding p on EACH side and stride s:
    H2 = floor((H + 2p - K) / s) + 1
(the last window that would run past the padded input is dropped, hence the floor).
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# How the image is extended beyond its border, by name: numpy.pad mode and the OpenCV border type
# with the same meaning (cv2.BORDER_REFLECT_101 = 4, BORDER_CONSTANT = 0, BORDER_REPLICATE = 1,
# written as numbers so this module does not need OpenCV).
BORDERS = {
    # gfedcb|abcdefgh|gfedcba: mirrored without repeating the edge pixel (OpenCV's default).
    "reflect101": ("reflect", 4),
    # 000000|abcdefgh|000000: zeros, as a convolution layer pads.
    "constant": ("constant", 0),
    # aaaaaa|abcdefgh|hhhhhhh: the edge pixel repeated.
    "replicate": ("edge", 1),
}
DEFAULT_BORDER = "reflect101"


def as_pair(value) -> tuple[int, int]:
    """(value, value) for one number, else the two values: a size given per axis (H, W)."""
    if isinstance(value, int | np.integer):
        return int(value), int(value)
    first, second = value
    return int(first), int(second)


def conv_output_size(size: int, kernel: int, padding: int = 0, stride: int = 1) -> int:
    """Output length of a convolution along one axis: floor((size + 2*padding - kernel)/stride) + 1.

    padding is added on each side. Raises ValueError when no window fits.
    """
    if size < 1 or kernel < 1 or stride < 1 or padding < 0:
        raise ValueError(
            f"need size, kernel, stride >= 1 and padding >= 0, got size={size}, "
            f"kernel={kernel}, padding={padding}, stride={stride}"
        )
    padded = size + 2 * padding
    if kernel > padded:
        raise ValueError(
            f"kernel {kernel} is larger than the padded input {padded} "
            f"(size {size} + 2 x padding {padding}): no output"
        )
    return (padded - kernel) // stride + 1


def pool_output_size(size: int, window: int, stride: int | None = None, padding: int = 0) -> int:
    """Output length of a pooling layer along one axis, floor mode (mxnet 'valid', torch default).

    The same formula as conv_output_size; stride defaults to the window (non-overlapping pools),
    as in mxnet.gluon.nn.MaxPool2D and torch.nn.MaxPool2d.
    """
    return conv_output_size(size, window, padding, window if stride is None else stride)


def conv2d_output_shape(
    input_shape: tuple[int, int, int, int],
    kernel_shape: tuple[int, int, int, int],
    stride=1,
    padding=0,
) -> tuple[int, int, int, int]:
    """(N, Co, H2, W2) of an NCHW input convolved with a Co x Ci x Kh x Kw kernel."""
    batch, in_channels, height, width = input_shape
    out_channels, kernel_in_channels, kernel_h, kernel_w = kernel_shape
    if kernel_in_channels != in_channels:
        raise ValueError(
            f"kernel expects {kernel_in_channels} input channels, input has {in_channels}"
        )
    (stride_h, stride_w), (pad_h, pad_w) = as_pair(stride), as_pair(padding)
    return (
        batch,
        out_channels,
        conv_output_size(height, kernel_h, pad_h, stride_h),
        conv_output_size(width, kernel_w, pad_w, stride_w),
    )


# --- 2-D cross-correlation of one image (section 1) -----------------------------------------


def cross_correlate2d(
    image: np.ndarray, kernel: np.ndarray, border: str = DEFAULT_BORDER
) -> np.ndarray:
    """Cross-correlate a 2-D image with a 2-D kernel; output has the image's size (float64).

    out[i, j] = sum_a sum_b kernel[a, b] * image[i + a - Kh//2, j + b - Kw//2], with pixels outside
    the image taken from the border extension named by `border` (see BORDERS). The anchor Kh//2,
    Kw//2 is OpenCV's, so this equals cv2.filter2D(image, -1, kernel, borderType=...) for any
    kernel size and any image size, down to 1x1. Vectorized over pixels: one whole-image
    multiply-add per kernel weight.
    """
    image = np.asarray(image, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError(f"need a 2-D image and kernel, got {image.shape} and {kernel.shape}")
    if border not in BORDERS:
        raise ValueError(f"unknown border {border!r}; known: {', '.join(BORDERS)}")
    height, width = image.shape
    kernel_h, kernel_w = kernel.shape
    top, left = kernel_h // 2, kernel_w // 2
    pad_width = ((top, kernel_h - 1 - top), (left, kernel_w - 1 - left))
    # Where the kernel reaches further than the image is wide, numpy reflects again from the far
    # side and repeats a 1-pixel side, exactly as OpenCV's borderInterpolate does, so even a 1x1
    # image gets cv2.filter2D's result.
    padded = np.pad(image, pad_width, mode=BORDERS[border][0])
    out = np.zeros_like(image)
    for a in range(kernel_h):
        for b in range(kernel_w):
            if kernel[a, b] != 0.0:
                out += kernel[a, b] * padded[a : a + height, b : b + width]
    return out


# --- the convolution layer, written out (section 2) -----------------------------------------


def conv2d_loops(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None, stride=1, padding=0
) -> np.ndarray:
    """A convolution layer as seven explicit loops: every multiply-add is visible.

    y[n, co, i, j] = bias[co] + sum over ci, a, b of
                     weight[co, ci, a, b] * x[n, ci, i*s_h + a - p_h, j*s_w + b - p_w]
    where an index outside the input reads zero (zero padding). Slow by design: about 0.1-0.2 us
    per multiply-add, so keep N*Co*H2*W2*Ci*Kh*Kw to a few million. Returns float64.
    """
    out_shape = conv2d_output_shape(x.shape, weight.shape, stride, padding)
    batch, out_channels, out_h, out_w = out_shape
    _, in_channels, height, width = x.shape
    _, _, kernel_h, kernel_w = weight.shape
    (stride_h, stride_w), (pad_h, pad_w) = as_pair(stride), as_pair(padding)
    # Nested Python lists index about three times faster than numpy arrays element by element.
    xs = np.asarray(x, dtype=np.float64).tolist()
    ws = np.asarray(weight, dtype=np.float64).tolist()
    bs = [0.0] * out_channels if bias is None else np.asarray(bias, dtype=np.float64).tolist()
    y = np.empty(out_shape, dtype=np.float64)
    for n in range(batch):
        for co in range(out_channels):
            for i in range(out_h):
                for j in range(out_w):
                    total = bs[co]
                    for ci in range(in_channels):
                        for a in range(kernel_h):
                            row = i * stride_h + a - pad_h
                            if not 0 <= row < height:
                                continue  # a padding row: contributes zero
                            for b in range(kernel_w):
                                col = j * stride_w + b - pad_w
                                if 0 <= col < width:
                                    total += ws[co][ci][a][b] * xs[n][ci][row][col]
                    y[n, co, i, j] = total
    return y


def conv2d_multiply_adds(input_shape, kernel_shape, stride=1, padding=0) -> int:
    """Multiply-adds of a convolution counted as N*Co*H2*W2*Ci*Kh*Kw (padding included)."""
    batch, out_channels, out_h, out_w = conv2d_output_shape(
        input_shape, kernel_shape, stride, padding
    )
    _, in_channels, kernel_h, kernel_w = kernel_shape
    return batch * out_channels * out_h * out_w * in_channels * kernel_h * kernel_w


# --- 1x1 convolution (section 3) --------------------------------------------------------------


def conv1x1_nhwc(x_nhwc: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """A 1x1 convolution as one matrix multiplication: NHWC input, Co x Ci (x 1 x 1) weight.

    Every pixel's channel vector is multiplied by the same Co x Ci matrix, so all N*H*W pixels
    stack into the rows of one (N*H*W) x Ci matrix.
    """
    batch, height, width, in_channels = x_nhwc.shape
    matrix = weight.reshape(weight.shape[0], in_channels)
    return (x_nhwc.reshape(-1, in_channels) @ matrix.T).reshape(batch, height, width, -1)


def conv1x1_loops(x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """A 1x1 convolution (NCHW, no bias) with explicit loops over N, Co, H, W and Ci."""
    batch, in_channels, height, width = x.shape
    out_channels = weight.shape[0]
    xs = np.asarray(x, dtype=np.float64).tolist()
    ws = np.asarray(weight, dtype=np.float64).reshape(out_channels, in_channels).tolist()
    y = np.empty((batch, out_channels, height, width), dtype=np.float64)
    for n in range(batch):
        for co in range(out_channels):
            for i in range(height):
                for j in range(width):
                    total = 0.0
                    for ci in range(in_channels):
                        total += ws[co][ci] * xs[n][ci][i][j]
                    y[n, co, i, j] = total
    return y


# --- any convolution as one matrix multiplication (section 3) -------------------------------


def im2col(x: np.ndarray, kernel_size, stride=1, padding=0) -> np.ndarray:
    """Unfold the patches of an NCHW input: one row per output pixel, (N*H2*W2) x (Ci*Kh*Kw).

    Row n*H2*W2 + i*W2 + j holds the zero-padded window under output pixel (i, j) of image n,
    channel-major then kernel row then kernel column, i.e. in weight.reshape(Co, -1)'s order.
    """
    (kernel_h, kernel_w), (stride_h, stride_w) = as_pair(kernel_size), as_pair(stride)
    pad_h, pad_w = as_pair(padding)
    batch, in_channels, height, width = x.shape
    out_h = conv_output_size(height, kernel_h, pad_h, stride_h)
    out_w = conv_output_size(width, kernel_w, pad_w, stride_w)
    padded = np.pad(x, ((0, 0), (0, 0), (pad_h, pad_h), (pad_w, pad_w)))
    # A view: windows[n, c, i, j] is the Kh x Kw window starting at padded row i, column j.
    windows = sliding_window_view(padded, (kernel_h, kernel_w), axis=(2, 3))
    windows = windows[:, :, : out_h * stride_h : stride_h, : out_w * stride_w : stride_w]
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(
        batch * out_h * out_w, in_channels * kernel_h * kernel_w
    )


def conv2d_im2col(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None, stride=1, padding=0
) -> np.ndarray:
    """A convolution layer as im2col and one matrix multiplication; NCHW in and out."""
    batch, out_channels, out_h, out_w = conv2d_output_shape(x.shape, weight.shape, stride, padding)
    columns = im2col(x, weight.shape[2:], stride, padding)
    y = columns @ weight.reshape(out_channels, -1).T
    if bias is not None:
        y += bias
    return y.reshape(batch, out_h, out_w, out_channels).transpose(0, 3, 1, 2)

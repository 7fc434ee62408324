"""The frameworks' convolutions, given numpy weights: the references the numpy versions must match.

Three ways, all NCHW input and a Co x Ci x Kh x Kw weight, computed in float32:
  gluon   mxnet.gluon.nn.Conv2D, the layer a model is built from (delayed initialization)
  nd      mxnet.nd.Convolution, the operator underneath it
  torch   torch.nn.functional.conv2d

mxnet and torch are imported inside the functions: importing mxnet is slow and prints warnings,
and most users of this library need neither.
"""

from dataclasses import dataclass

import numpy as np

from convstudy.conv import as_pair

FRAMEWORKS = ("gluon", "nd", "torch")


@dataclass
class GluonConv:
    """A gluon Conv2D holding given weights, and the weight shape it had before its first call."""

    layer: object
    weight_shape_before_first_call: tuple[int, ...]
    weight_shape_after_first_call: tuple[int, ...]


def gluon_conv_layer(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None, stride=1, padding=0
) -> GluonConv:
    """A gluon Conv2D built WITHOUT in_channels, shaped by a first call on x, then given weight.

    Gluon infers in_channels at the first forward pass (delayed initialization): before it the
    weight's shape is (Co, 0, Kh, Kw), the 0 meaning "not known yet".
    """
    import mxnet as mx

    out_channels, _, kernel_h, kernel_w = weight.shape
    layer = mx.gluon.nn.Conv2D(
        channels=out_channels,
        kernel_size=(kernel_h, kernel_w),
        strides=as_pair(stride),
        padding=as_pair(padding),
        use_bias=bias is not None,
    )
    before = tuple(layer.weight.shape)
    layer.initialize()
    data = mx.nd.array(x, dtype="float32")
    layer(data).wait_to_read()  # the first call fixes in_channels and allocates the weight
    after = tuple(layer.weight.shape)
    layer.weight.set_data(mx.nd.array(weight, dtype="float32"))
    if bias is not None:
        layer.bias.set_data(mx.nd.array(bias, dtype="float32"))
    return GluonConv(layer, before, after)


def prepare_conv2d(framework: str, x, weight, bias=None, stride=1, padding=0):
    """A no-argument function running one forward pass of `framework` on x, converted once.

    Data and weights become framework tensors here, outside the returned function, so a timer
    around it measures the convolution (forced to finish: mxnet runs asynchronously), not numpy
    conversions. The function returns the framework's output tensor.
    """
    stride, padding = as_pair(stride), as_pair(padding)
    if framework == "torch":
        import torch
        import torch.nn.functional as F

        data = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
        kernel = torch.from_numpy(np.ascontiguousarray(weight, dtype=np.float32))
        offsets = None if bias is None else torch.from_numpy(np.asarray(bias, dtype=np.float32))

        def run_torch():
            with torch.no_grad():
                return F.conv2d(data, kernel, offsets, stride=stride, padding=padding)

        return run_torch
    if framework not in FRAMEWORKS:
        raise ValueError(f"unknown framework {framework!r}; known: {', '.join(FRAMEWORKS)}")
    import mxnet as mx

    data = mx.nd.array(x, dtype="float32")
    if framework == "gluon":
        layer = gluon_conv_layer(x, weight, bias, stride, padding).layer

        def run_gluon():
            out = layer(data)
            out.wait_to_read()
            return out

        return run_gluon
    kernel = mx.nd.array(weight, dtype="float32")
    offsets = None if bias is None else mx.nd.array(bias, dtype="float32")

    def run_nd():
        out = mx.nd.Convolution(
            data=data,
            weight=kernel,
            bias=offsets,
            kernel=tuple(weight.shape[2:]),
            stride=stride,
            pad=padding,
            num_filter=weight.shape[0],
            no_bias=bias is None,
        )
        out.wait_to_read()
        return out

    return run_nd


def framework_conv2d(framework: str, x, weight, bias=None, stride=1, padding=0) -> np.ndarray:
    """The convolution computed by one of FRAMEWORKS, as a float32 numpy array."""
    return to_numpy(prepare_conv2d(framework, x, weight, bias, stride, padding)())


def to_numpy(tensor) -> np.ndarray:
    """A torch tensor, mxnet NDArray or numpy array as a numpy array."""
    if isinstance(tensor, np.ndarray):
        return tensor
    return tensor.asnumpy() if hasattr(tensor, "asnumpy") else tensor.numpy()

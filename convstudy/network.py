"""A network described once, as a list of layers; each framework backend builds the same list.

Each layer type knows its output shape, its trainable parameters and how to describe itself, so
shapes, parameter counts and the architecture tables all come from the description the backends
build, and cannot drift from the networks that are trained. A Residual layer holds a body of
layers whose output is added to its input (the building block of ResNet).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

import numpy as np

from convstudy.conv import conv_output_size, pool_output_size

Shape = tuple[int, ...]


class ShapeError(ValueError):
    """The network does not fit the input (a feature map shrinks to nothing)."""


@dataclass(frozen=True)
class Conv:
    channels: int
    kernel: int
    stride: int = 1
    padding: int = 0

    def output_shape(self, shape: Shape) -> Shape:
        size = partial(
            conv_output_size, kernel=self.kernel, padding=self.padding, stride=self.stride
        )
        return (self.channels, size(shape[1]), size(shape[2]))

    def parameters(self, shape: Shape) -> int:
        return self.channels * shape[0] * self.kernel**2 + self.channels

    def describe(self) -> str:
        extras = [f"stride {self.stride}"] * (self.stride != 1)
        extras += [f"pad {self.padding}"] * (self.padding != 0)
        return ", ".join([f"Conv {self.channels}", f"{self.kernel}x{self.kernel}", *extras])


@dataclass(frozen=True)
class Dense:
    units: int

    def output_shape(self, shape: Shape) -> Shape:
        if len(shape) != 1:
            raise ShapeError(f"a Dense layer needs features, got shape {shape}; Flatten first")
        return (self.units,)

    def parameters(self, shape: Shape) -> int:
        return self.units * shape[0] + self.units

    def describe(self) -> str:
        return f"Dense {self.units}"


@dataclass(frozen=True)
class BatchNorm:
    """Batch normalization over channels (after a Conv) or features (after a Dense)."""

    def output_shape(self, shape: Shape) -> Shape:
        return shape

    def parameters(self, shape: Shape) -> int:
        return 2 * shape[0]  # scale and shift; the running statistics are not trained

    def describe(self) -> str:
        return "BatchNorm"


@dataclass(frozen=True)
class Activation:
    function: str  # relu | sigmoid

    def output_shape(self, shape: Shape) -> Shape:
        return shape

    def parameters(self, shape: Shape) -> int:
        return 0

    def describe(self) -> str:
        return "ReLU" if self.function == "relu" else self.function.capitalize()


@dataclass(frozen=True)
class Pool:
    """Max or average pooling over size x size windows. padding (each side, at most half the
    window, as PyTorch allows) is never a maximum, and an average counts it as zeros: its
    windows are divided by size**2 throughout (count_include_pad, both frameworks' default)."""

    kind: str  # max | avg
    size: int
    stride: int
    padding: int = 0

    def output_shape(self, shape: Shape) -> Shape:
        if not 0 <= self.padding <= self.size // 2:
            raise ShapeError(
                f"a pool's padding must be 0 to half its window ({self.size // 2}), "
                f"got {self.padding}"
            )
        size = partial(pool_output_size, window=self.size, stride=self.stride, padding=self.padding)
        return (shape[0], size(shape[1]), size(shape[2]))

    def parameters(self, shape: Shape) -> int:
        return 0

    def describe(self) -> str:
        text = f"{self.kind.capitalize()}Pool {self.size}x{self.size}, stride {self.stride}"
        return text + (f", pad {self.padding}" if self.padding else "")


@dataclass(frozen=True)
class GlobalAvgPool:
    """The mean of each channel's whole feature map: channels x 1 x 1 (a Flatten then gives
    the channels as features, as in d2l's ResNet)."""

    def output_shape(self, shape: Shape) -> Shape:
        if len(shape) != 3:
            raise ShapeError(f"global average pooling needs feature maps, got shape {shape}")
        return (shape[0], 1, 1)

    def parameters(self, shape: Shape) -> int:
        return 0

    def describe(self) -> str:
        return "GlobalAvgPool"


@dataclass(frozen=True)
class Flatten:
    def output_shape(self, shape: Shape) -> Shape:
        return (int(np.prod(shape)),)

    def parameters(self, shape: Shape) -> int:
        return 0

    def describe(self) -> str:
        return "Flatten"


@dataclass(frozen=True)
class Dropout:
    rate: float

    def output_shape(self, shape: Shape) -> Shape:
        return shape

    def parameters(self, shape: Shape) -> int:
        return 0

    def describe(self) -> str:
        return f"Dropout {self.rate:g}"


@dataclass(frozen=True)
class Residual:
    """body(x) + x, or body(x) + shortcut(x) with a shortcut convolution (d2l's Residual with
    use_1x1conv=True: a 1x1 convolution, with the body's stride, that gives x the body's
    channels and size). Without a shortcut the body must give back the shape it was given;
    with one, the shortcut must give the body's shape."""

    body: tuple
    shortcut: Conv | None = None

    def output_shape(self, shape: Shape) -> Shape:
        result = layer_shapes(list(self.body), shape)[-1]
        if self.shortcut is None:
            if result != shape:
                raise ShapeError(
                    f"a residual body turns {shape} into {result}; it must keep it, or the "
                    "block needs a shortcut convolution giving that shape"
                )
            return shape
        added = self.shortcut.output_shape(shape)
        if added != result:
            raise ShapeError(
                f"a residual body turns {shape} into {result} but its shortcut "
                f"({self.shortcut.describe()}) into {added}; they must agree"
            )
        return result

    def parameters(self, shape: Shape) -> int:
        shortcut = 0 if self.shortcut is None else self.shortcut.parameters(shape)
        return parameter_count(list(self.body), shape) + shortcut

    def describe(self) -> str:
        body = "Residual (" + "; ".join(layer.describe() for layer in self.body) + ")"
        added = "input" if self.shortcut is None else f"({self.shortcut.describe()})"
        return f"{body} + {added}"


Layer = Conv | Dense | BatchNorm | Activation | Pool | GlobalAvgPool | Flatten | Dropout | Residual


def scaled(width: int, multiplier: float) -> int:
    return max(1, round(width * multiplier))


def layer_shapes(spec: list[Layer], input_shape: Shape) -> list[Shape]:
    """The output shape (without batch) of each layer; raises ShapeError where it vanishes or
    where a layer does not fit the one before it."""
    shape, shapes = tuple(input_shape), []
    for index, layer in enumerate(spec):
        try:
            shape = tuple(layer.output_shape(shape))
        except ShapeError as error:  # the layers do not fit together, whatever the input size
            raise ShapeError(f"layer {index} ({layer.describe()}): {error}") from None
        except ValueError as error:
            raise ShapeError(
                f"layer {index} ({layer}) gets a {'x'.join(map(str, shape[1:]))} input: "
                f"{error}; use larger input images (image_size)"
            ) from None
        shapes.append(shape)
    return shapes


def parameter_count(spec: list[Layer], input_shape: Shape) -> int:
    """Trainable parameters of the whole network."""
    return sum(row["parameters"] for row in layer_table(spec, input_shape))


def layer_table(spec: list[Layer], input_shape: Shape) -> list[dict]:
    """Each layer with its output shape (without batch) and its trainable parameters."""
    rows, shape = [], tuple(input_shape)
    for layer, out_shape in zip(spec, layer_shapes(spec, input_shape), strict=True):
        rows.append(
            {
                "layer": layer.describe(),
                "output_shape": " x ".join(str(size) for size in out_shape),
                "parameters": layer.parameters(shape),
            }
        )
        shape = out_shape
    return rows


def walk(spec: list[Layer], input_shape: Shape) -> Iterator[tuple[Layer, Shape]]:
    """Every layer with the shape it is given, in order, the bodies of residual layers
    included, each followed by its shortcut convolution (the order in which weights are
    listed: initial_state, backends' state)."""
    shape = tuple(input_shape)
    for layer, out_shape in zip(spec, layer_shapes(spec, input_shape), strict=True):
        if isinstance(layer, Residual):
            yield from walk(list(layer.body), shape)
            if layer.shortcut is not None:
                yield layer.shortcut, shape
        else:
            yield layer, shape
        shape = out_shape


def initial_state(spec: list[Layer], input_shape: Shape, seed: int) -> list:
    """The starting weights of every layer, in walk order, drawn once in numpy.

    Both backends load these arrays, so an MXNet and a PyTorch run with the same seed start from
    the same network. Weights are Xavier-uniform (the textbook's init; mxnet's Xavier() and
    torch's xavier_uniform_ draw from this same distribution), biases zero; BatchNorm starts as
    the identity (scale 1, shift 0, running mean 0, running variance 1).
    Each entry is (kind, arrays): ("conv"|"dense", [weight, bias]) or ("batchnorm", [gamma,
    beta, running_mean, running_var]).
    """
    rng = np.random.default_rng(seed)
    state = []
    for layer, shape in walk(spec, input_shape):
        if isinstance(layer, Conv | Dense):
            if isinstance(layer, Conv):
                weight_shape = (layer.channels, shape[0], layer.kernel, layer.kernel)
                receptive = layer.kernel**2
            else:
                weight_shape = (layer.units, shape[0])
                receptive = 1
            fan_out, fan_in = weight_shape[0] * receptive, weight_shape[1] * receptive
            bound = (6.0 / (fan_in + fan_out)) ** 0.5
            weight = rng.uniform(-bound, bound, size=weight_shape).astype(np.float32)
            bias = np.zeros(weight_shape[0], np.float32)
            state.append(("conv" if isinstance(layer, Conv) else "dense", [weight, bias]))
        elif isinstance(layer, BatchNorm):
            channels = shape[0]
            ones, zeros = np.ones(channels, np.float32), np.zeros(channels, np.float32)
            state.append(("batchnorm", [ones, zeros.copy(), zeros.copy(), ones.copy()]))
    return state

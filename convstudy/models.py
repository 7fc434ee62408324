"""Models described once, as a list of layers; each framework backend builds the same list.

Shapes and parameter counts are derived from the same description, so tables and tests cannot
drift from the networks that are trained.
"""

from dataclasses import dataclass
from functools import partial

from convstudy.conv import conv_output_size, pool_output_size


@dataclass(frozen=True)
class Conv:
    channels: int
    kernel: int
    stride: int = 1
    padding: int = 0


@dataclass(frozen=True)
class Dense:
    units: int


@dataclass(frozen=True)
class BatchNorm:
    """Batch normalization over channels (after a Conv) or features (after a Dense)."""


@dataclass(frozen=True)
class Activation:
    function: str  # relu | sigmoid


@dataclass(frozen=True)
class Pool:
    kind: str  # max | avg
    size: int
    stride: int


@dataclass(frozen=True)
class Flatten:
    pass


@dataclass(frozen=True)
class Dropout:
    rate: float


Layer = Conv | Dense | BatchNorm | Activation | Pool | Flatten | Dropout

MODELS = ("lenet", "alexnet")
ACTIVATIONS = ("relu", "sigmoid")
POOLINGS = ("max", "avg")


class ShapeError(ValueError):
    """The model does not fit the input (a feature map shrinks to nothing)."""


def scaled(width: int, multiplier: float) -> int:
    return max(1, round(width * multiplier))


def lenet(
    num_classes: int,
    activation: str = "sigmoid",
    pooling: str = "avg",
    batchnorm: bool = False,
    width: float = 1.0,
) -> list[Layer]:
    """LeNet-5 as in d2l: two 5x5 convolutions, three dense layers; the textbook's defaults."""

    def block(layer: Layer) -> list[Layer]:
        return [layer, *([BatchNorm()] if batchnorm else []), Activation(activation)]

    return [
        *block(Conv(scaled(6, width), 5, padding=2)),
        Pool(pooling, 2, 2),
        *block(Conv(scaled(16, width), 5)),
        Pool(pooling, 2, 2),
        Flatten(),
        *block(Dense(scaled(120, width))),
        *block(Dense(scaled(84, width))),
        Dense(num_classes),
    ]


def alexnet(
    num_classes: int,
    activation: str = "relu",
    pooling: str = "max",
    batchnorm: bool = False,
    width: float = 1 / 16,
    dropout: float = 0.5,
) -> list[Layer]:
    """AlexNet as in d2l (five convolutions, three dense layers) with every width scaled.

    The default multiplier 1/16 keeps about 1/256 of the textbook's 46.8 M parameters.
    """

    def block(layer: Layer) -> list[Layer]:
        return [layer, *([BatchNorm()] if batchnorm else []), Activation(activation)]

    return [
        *block(Conv(scaled(96, width), 11, stride=4, padding=1)),
        Pool(pooling, 3, 2),
        *block(Conv(scaled(256, width), 5, padding=2)),
        Pool(pooling, 3, 2),
        *block(Conv(scaled(384, width), 3, padding=1)),
        *block(Conv(scaled(384, width), 3, padding=1)),
        *block(Conv(scaled(256, width), 3, padding=1)),
        Pool(pooling, 3, 2),
        Flatten(),
        *block(Dense(scaled(4096, width))),
        Dropout(dropout),
        *block(Dense(scaled(4096, width))),
        Dropout(dropout),
        Dense(num_classes),
    ]


def build_spec(model: str, settings: dict, num_classes: int) -> list[Layer]:
    """The layer list of a run, from its resolved settings."""
    switches = {
        "activation": settings["activation"],
        "pooling": settings["pooling"],
        "batchnorm": settings["batchnorm"],
        "width": settings["width"],
    }
    if model == "lenet":
        return lenet(num_classes, **switches)
    if model == "alexnet":
        return alexnet(num_classes, dropout=settings["dropout"], **switches)
    raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")


def input_shape(settings: dict, image_shape: tuple[int, int, int]) -> tuple[int, int, int]:
    """What a run's network takes: the dataset's images, resized to image_size if set."""
    channels, height, _ = image_shape
    size = settings["image_size"] or height
    return channels, size, size


def layer_shapes(spec: list[Layer], input_shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    """The output shape (without batch) of each layer; raises ShapeError where it vanishes."""
    shape, shapes = tuple(input_shape), []
    for index, layer in enumerate(spec):
        if isinstance(layer, Conv | Pool):
            channels, height, width = shape
            try:
                if isinstance(layer, Conv):
                    size = partial(
                        conv_output_size,
                        kernel=layer.kernel,
                        padding=layer.padding,
                        stride=layer.stride,
                    )
                    channels = layer.channels
                else:
                    size = partial(pool_output_size, window=layer.size, stride=layer.stride)
                shape = (channels, size(height), size(width))
            except ValueError as error:
                raise ShapeError(
                    f"layer {index} ({layer}) gets a {height}x{width} input: {error}; use "
                    "larger input images (image_size)"
                ) from None
        elif isinstance(layer, Flatten):
            shape = (shape[0] * shape[1] * shape[2],)
        elif isinstance(layer, Dense):
            shape = (layer.units,)
        shapes.append(shape)
    return shapes


def layer_parameters(layer: Layer, input_shape: tuple[int, ...]) -> int:
    """Trainable parameters of one layer given its input shape (BatchNorm: scale and shift;
    its running statistics are not trained)."""
    if isinstance(layer, Conv):
        return layer.channels * input_shape[0] * layer.kernel**2 + layer.channels
    if isinstance(layer, Dense):
        return layer.units * input_shape[0] + layer.units
    if isinstance(layer, BatchNorm):
        return 2 * input_shape[0]
    return 0


def parameter_count(spec: list[Layer], input_shape: tuple[int, ...]) -> int:
    """Trainable parameters of the whole network."""
    return sum(row["parameters"] for row in layer_table(spec, input_shape))


def describe_layer(layer: Layer) -> str:
    """A layer as the architecture tables name it, e.g. 'Conv 6, 5x5, pad 2'."""
    if isinstance(layer, Conv):
        extras = [f"stride {layer.stride}"] * (layer.stride != 1)
        extras += [f"pad {layer.padding}"] * (layer.padding != 0)
        return ", ".join([f"Conv {layer.channels}", f"{layer.kernel}x{layer.kernel}", *extras])
    if isinstance(layer, Dense):
        return f"Dense {layer.units}"
    if isinstance(layer, Pool):
        return f"{layer.kind.capitalize()}Pool {layer.size}x{layer.size}, stride {layer.stride}"
    if isinstance(layer, Activation):
        return layer.function.capitalize() if layer.function != "relu" else "ReLU"
    if isinstance(layer, Dropout):
        return f"Dropout {layer.rate:g}"
    return type(layer).__name__


def layer_table(spec: list[Layer], input_shape: tuple[int, ...]) -> list[dict]:
    """Each layer with its output shape (without batch) and its trainable parameters."""
    rows, shape = [], tuple(input_shape)
    for layer, out_shape in zip(spec, layer_shapes(spec, input_shape), strict=True):
        rows.append(
            {
                "layer": describe_layer(layer),
                "output_shape": " x ".join(str(size) for size in out_shape),
                "parameters": layer_parameters(layer, shape),
            }
        )
        shape = out_shape
    return rows


def initial_state(spec: list[Layer], input_shape: tuple[int, ...], seed: int) -> list:
    """The starting weights of every layer, in spec order, drawn once in numpy.

    Both backends load these arrays, so an MXNet and a PyTorch run with the same seed start from
    the same network. Weights are Xavier-uniform (the textbook's init; mxnet's Xavier() and
    torch's xavier_uniform_ draw from this same distribution), biases zero; BatchNorm starts as
    the identity (scale 1, shift 0, running mean 0, running variance 1).
    Each entry is (kind, arrays): ("conv"|"dense", [weight, bias]) or ("batchnorm", [gamma,
    beta, running_mean, running_var]).
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    state, shape = [], tuple(input_shape)
    for layer, out_shape in zip(spec, layer_shapes(spec, input_shape), strict=True):
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
        shape = out_shape
    return state

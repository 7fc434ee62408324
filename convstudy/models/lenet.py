"""LeNet-5 as in d2l: two 5x5 convolutions and three dense layers, for 28x28 images."""

from convstudy.network import Activation, BatchNorm, Conv, Dense, Flatten, Layer, Pool, scaled

NAME = "LeNet"  # how messages name it
SECTION = "lenet"  # the report section its comparisons belong to
RESOURCES = {"mem_mb": 1500, "runtime": 60}  # one training run: memory (MB), minutes
# The settings build reads: a variant setting any other model setting (dropout) is refused.
READS = frozenset({"activation", "pooling", "batchnorm", "width"})


def network(
    num_classes: int,
    activation: str = "sigmoid",
    pooling: str = "avg",
    batchnorm: bool = False,
    width: float = 1.0,
) -> list[Layer]:
    """The textbook's LeNet by default; every width multiplied by `width`."""

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


def build(num_classes: int, settings: dict) -> list[Layer]:
    """The network of a run, from its resolved settings."""
    return network(
        num_classes,
        settings["activation"],
        settings["pooling"],
        settings["batchnorm"],
        settings["width"],
    )

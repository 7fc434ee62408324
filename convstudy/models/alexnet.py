"""AlexNet as in d2l: five convolutions and three dense layers, for 224x224 images."""

from convstudy.network import (
    Activation,
    BatchNorm,
    Conv,
    Dense,
    Dropout,
    Flatten,
    Layer,
    Pool,
    scaled,
)

NAME = "AlexNet"  # how messages name it
SECTION = "alexnet"  # the report section its comparisons belong to
RESOURCES = {"mem_mb": 3000, "runtime": 240}  # one training run: memory (MB), minutes
# The settings build reads: a variant setting any other model setting is refused.
READS = frozenset({"activation", "pooling", "batchnorm", "width", "dropout"})


def network(
    num_classes: int,
    activation: str = "relu",
    pooling: str = "max",
    batchnorm: bool = False,
    width: float = 1 / 16,
    dropout: float = 0.5,
) -> list[Layer]:
    """Every width scaled by `width`: the default 1/16 keeps about 1/256 of the textbook's
    46.8 M parameters; width 1 is the textbook's network."""

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


def build(num_classes: int, settings: dict) -> list[Layer]:
    """The network of a run, from its resolved settings."""
    return network(
        num_classes,
        settings["activation"],
        settings["pooling"],
        settings["batchnorm"],
        settings["width"],
        settings["dropout"],
    )

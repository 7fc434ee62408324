"""LeNet-5 as in d2l: two 5x5 convolutions and three dense layers, for 28x28 images."""

from convstudy import outline
from convstudy.network import Activation, BatchNorm, Conv, Dense, Flatten, Layer, Pool, scaled
from convstudy.settings import RunSettings, model_comparisons, parse_arm, references, variant_label

NAME = "LeNet"  # how messages and the report name it
SECTION = "lenet"  # the report section its comparisons belong to: its own
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


def build(num_classes: int, settings: RunSettings) -> list[Layer]:
    """The network of a run, from its resolved settings."""
    return network(
        num_classes,
        settings.activation,
        settings.pooling,
        settings.batchnorm,
        settings.width,
    )


def introduction(config: dict) -> str:
    """What its report section is about (the study's design, not its results), naming the
    reference arms its comparisons draw beside them by their labels in the config."""
    drawn = dict.fromkeys(
        variant_label(config, parse_arm(arm, name)[3])
        for name, comparison in model_comparisons(config, "lenet").items()
        for arm in references(comparison)
    )
    beside = (
        f"Drawn dashed beside the comparisons, the textbook's settings [1]: {' and '.join(drawn)}; "
        "against base they are stated once, below. "
        if drawn
        else ""
    )
    return (
        "LeNet [2] trained from scratch, each design choice a controlled comparison: every arm of "
        "a comparison runs the same seeds, which fix the initial weights and the order of the "
        "training images, and is compared with the comparison's baseline seed by seed (the "
        "paired 95% interval of the difference [7]); where the interval includes zero, the text "
        f"says how large a difference the seeds would have detected [8]. {beside}Batch "
        "normalization is [4]. Speeds are ratios from the arms timed together in rounds; each "
        f"arm's own speed is in section {outline.number('time', config['models'])}."
    )

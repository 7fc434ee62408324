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
from convstudy.settings import RunSettings, arm_settings, model_comparisons, parse_arm

NAME = "AlexNet"  # how messages and the report name it
SECTION = "alexnet"  # the report section its comparisons belong to: its own
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


def build(num_classes: int, settings: RunSettings) -> list[Layer]:
    """The network of a run, from its resolved settings."""
    return network(
        num_classes,
        settings.activation,
        settings.pooling,
        settings.batchnorm,
        settings.width,
        settings.dropout,
    )


def _width(width: float) -> str:
    """'1/16 of its width' for 0.0625, 'its full width' for 1, 'x2 its width' for 2."""
    if width == 1:
        return "its full width"
    if width < 1 and (1 / width).is_integer():
        return (
            f"1/{1 / width:g} of its width (width {width:g}: about 1/{width**-2:g} of its "
            "weights)"
        )
    return f"x{width:g} its width"


def introduction(config: dict) -> str:
    """What its report section is about: its width and image size as the config sets them for
    base, and the widths of the arms that need a GPU."""
    base = arm_settings(config, "alexnet", "base")
    size = base["image_size"]
    larger = sorted(
        {
            arm_settings(config, "alexnet", parse_arm(arm, name)[3])["width"]
            for name, comparison in model_comparisons(config, "alexnet").items()
            if comparison.get("needs_gpu")
            for arm in comparison["runs"]
        }
        - {base["width"]}
    )
    return (
        "AlexNet [3] as in the textbook [1]"
        + (f", its images resized to {size} x {size}" if size else "")
        + f", at {_width(base['width'])}, so that it trains on a CPU"
        + (
            f"; where a GPU is available, the network at {' and '.join(map(_width, larger))} "
            "beside it."
            if larger
            else "."
        )
    )

"""The models of the study: one module each, found by name.

A model is a module in this package, named as the model (convstudy/models/<name>.py), with
  build(num_classes, settings) -> list of layers (convstudy.network)
  NAME       how messages name it, e.g. "LeNet"
  SECTION    the report section its comparisons belong to (convstudy.outline)
  RESOURCES  what one training run needs: {"mem_mb": ..., "runtime": minutes}
  READS      the settings keys build reads (a frozenset), e.g. {"activation", "width"}
and a docstring whose first line describes it. Listing the name under models: in config.yaml
puts it in the study: the runs its comparisons declare become targets, their jobs' resources
come from RESOURCES and the comparisons' report section from SECTION. (How the report names a
variant is the variant's own label, in config.yaml.)

READS is what the config is checked against when the workflow loads. The settings every run
reads, whatever its model, are convstudy.settings.TRAINING_SETTINGS (lr, batch_size,
image_size, ...); every other setting shapes the network and means something only to the
models that read it. A variant (or a model's own defaults under models:) that sets one its
model does not read is an error naming the model, the variant and the key: a dropout variant
of LeNet would train the same network as its base and be reported as identical to it.
"""

import importlib
import pkgutil
from functools import cache
from types import ModuleType

from convstudy.network import Layer


@cache
def registry() -> dict[str, ModuleType]:
    """Every model module of this package, by name."""
    return {
        info.name: importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_")
    }


def get(name: str) -> ModuleType:
    models = registry()
    if name not in models:
        raise ValueError(
            f"unknown model {name!r}: there is no convstudy/models/{name}.py (models: "
            f"{', '.join(sorted(models))})"
        )
    return models[name]


def reads(name: str) -> frozenset[str]:
    """The settings keys the model's build reads."""
    return frozenset(get(name).READS)


def display_name(name: str) -> str:
    """How messages name the model: its NAME, e.g. LeNet."""
    return getattr(get(name), "NAME", name)


def describe(name: str) -> str:
    """The first line of the model module's docstring."""
    return (get(name).__doc__ or name).strip().splitlines()[0]


def build_spec(model: str, settings: dict, num_classes: int) -> list[Layer]:
    """The layer list of a run, from its resolved settings."""
    return get(model).build(num_classes, settings)


def input_shape(settings: dict, image_shape: tuple[int, int, int]) -> tuple[int, int, int]:
    """What a run's network takes: the dataset's images, resized to image_size if set."""
    channels, height, _ = image_shape
    size = settings["image_size"] or height
    return channels, size, size

"""The models of the study: one module each, found by name.

A model is a module in this package, named as the model (convstudy/models/<name>.py), with
  build(num_classes, settings) -> list of layers (convstudy.network), from a run's settings
             (a convstudy.settings.RunSettings)
  NAME       how messages and the report name it, e.g. "LeNet"
  SECTION    the report section its comparisons belong to: its own name for a section of its
             own, titled NAME, or another model's name to join that model's section
  introduction(config) -> what its section is about (the study's design, not its results),
             stating the values of the config it describes (config.yaml, its preset applied)
  RESOURCES  what one training run needs: {"mem_mb": ..., "runtime": minutes}
  READS      the settings keys build reads (a frozenset), e.g. {"activation", "width"}
and a docstring whose first line describes it. Listing the name under models: in config.yaml
puts it in the study: the runs its comparisons declare become targets, their jobs' resources
come from RESOURCES, and the report gives its section a number among the models' sections, in
the order of models: (convstudy.outline). The report names a model by its NAME, and an arm by
its variant's label (under variants: in config.yaml) where every part of the variant has one.

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


def section(name: str) -> str:
    """The key of the report section the model's comparisons belong to (its SECTION)."""
    return get(name).SECTION


def introduction(name: str, config: dict) -> str:
    """What the model's report section is about, stating the config's values it describes."""
    return get(name).introduction(config)


def build_spec(model: str, settings, num_classes: int) -> list[Layer]:
    """The layer list of a run, from its resolved settings (a convstudy.settings.RunSettings)."""
    return get(model).build(num_classes, settings)


def input_shape(settings, image_shape: tuple[int, int, int]) -> tuple[int, int, int]:
    """What a run's network takes: the dataset's images, resized to image_size if set."""
    channels, height, _ = image_shape
    size = settings.image_size or height
    return channels, size, size

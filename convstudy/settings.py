"""A run's identity and its resolved settings, from config.yaml.

A run is (dataset, model, framework, variant, seed), written as
    {dataset}/{model}-{framework}/{variant}/seed{seed}
Its settings are the base `train:` settings, overridden by the model's defaults (`models:`),
then by the variant (`variants:`; "a+b" applies a, then b), then by the preset's `scale:`.
Everything is checked here, when the workflow loads, so a bad setting fails before any
training starts, with a message naming it.
"""

import re
from dataclasses import dataclass

from convstudy import backends, models
from convstudy.config import ConfigError
from convstudy.data.cache import TASKS

RUN_PATTERN = re.compile(
    r"^(?P<dataset>[^/]+)/(?P<model>[^/-]+)-(?P<framework>[^/]+)/(?P<variant>[^/]+)$"
)


@dataclass(frozen=True, order=True)
class Run:
    dataset: str
    model: str
    framework: str
    variant: str
    seed: int

    @property
    def arm(self) -> str:
        """The run without its seed: what a comparison names."""
        return f"{self.dataset}/{self.model}-{self.framework}/{self.variant}"

    @property
    def path(self) -> str:
        return f"{self.arm}/seed{self.seed}"


def parse_arm(text: str, where: str) -> tuple[str, str, str, str]:
    match = RUN_PATTERN.match(text)
    if not match:
        raise ConfigError(
            f"{where}: {text!r} is not a run; write dataset/model-framework/variant, "
            "e.g. fashion_mnist/lenet-mxnet/base"
        )
    return match["dataset"], match["model"], match["framework"], match["variant"]


def comparison_runs(config: dict, name: str) -> list[Run]:
    """Every run (each arm, each seed) that a declared comparison needs, its reference arm's
    (drawn beside the arms) last."""
    comparison = config["comparisons"][name]
    seeds = comparison.get("seeds") or config["scale"]["seeds"]
    arms = [(text, f"comparisons.{name}.runs[{i}]") for i, text in enumerate(comparison["runs"])]
    if comparison.get("reference") in comparison["runs"]:
        raise ConfigError(
            f"comparisons.{name}.reference: {comparison['reference']!r} is already one of its "
            "runs; a reference is an extra arm drawn beside them"
        )
    if comparison.get("reference"):
        arms.append((comparison["reference"], f"comparisons.{name}.reference"))
    runs = []
    for text, where in arms:
        dataset, model, framework, variant = parse_arm(text, where)
        runs.extend(Run(dataset, model, framework, variant, seed) for seed in seeds)
    return runs


def declared_runs(config: dict) -> list[Run]:
    """All runs of all comparisons, each once, in a stable order."""
    return sorted({run for name in config["comparisons"] for run in comparison_runs(config, name)})


def resolve(config: dict, run: Run) -> dict:
    """The complete settings of a run; raises ConfigError naming any bad value."""
    where = f"run {run.path}"
    if run.dataset not in TASKS:
        raise ConfigError(
            f"{where}: unknown dataset {run.dataset!r}; use one of {', '.join(TASKS)}"
        )
    if run.model not in models.MODELS:
        raise ConfigError(
            f"{where}: unknown model {run.model!r}; use one of {', '.join(models.MODELS)}"
        )
    if run.framework not in backends.FRAMEWORKS:
        raise ConfigError(
            f"{where}: unknown framework {run.framework!r}; use one of "
            f"{', '.join(backends.FRAMEWORKS)}"
        )
    settings = dict(config["train"])
    settings.update(config["models"].get(run.model, {}))
    for part in run.variant.split("+"):
        if part not in config["variants"]:
            raise ConfigError(
                f"{where}: unknown variant {part!r}; declare it under variants: in config.yaml "
                f"(known: {', '.join(sorted(config['variants']))})"
            )
        settings.update(config["variants"][part])
    scale = config["scale"]
    for key in ("epochs", "train_limit", "test_limit"):
        if scale.get(key) is not None:
            settings[key] = scale[key]
    settings.setdefault("train_limit", None)
    settings.setdefault("test_limit", None)
    settings.update(
        run=run.path,
        dataset=run.dataset,
        model=run.model,
        framework=run.framework,
        variant=run.variant,
        seed=run.seed,
        threads=config["threads"][run.framework],
        device=config["device"],
        cpu_fallback=config["cpu_fallback"],
    )
    _check(settings, where)
    return settings


def _check(settings: dict, where: str) -> None:
    if settings["workers"] > 0 and settings["data_path"] != "loader":
        raise ConfigError(
            f"{where}: workers: {settings['workers']} needs data_path: loader (the in-memory "
            "path has no worker processes)"
        )
    task = TASKS[settings["dataset"]]
    spec = models.build_spec(settings["model"], settings, task.num_classes)
    shape = models.input_shape(settings, task.image_shape)
    try:
        models.layer_shapes(spec, shape)
    except models.ShapeError as error:
        raise ConfigError(
            f"{where}: {settings['model']} does not fit {settings['dataset']} images of "
            f"{shape[1]}x{shape[2]}: {error}"
        ) from None


def check_all(config: dict) -> dict[Run, dict]:
    """Resolve every declared run (raising on the first bad one)."""
    return {run: resolve(config, run) for run in declared_runs(config)}

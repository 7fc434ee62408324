"""A run's identity and its resolved settings, from config.yaml.

A run is (dataset, model, framework, variant, seed), written as
    {dataset}/{model}-{framework}/{variant}/seed{seed}
Its settings are the base `train:` settings, overridden by the model's defaults (`models:`),
then by the variant (`variants:`; "a+b" applies a, then b), then by the preset's `scale:`.
Everything is checked here, when the workflow loads, so a bad setting fails before any
training starts, with a message naming it.

resolve() gives them as a plain dict: what Snakemake hands a job (its params) and what
metrics.json records. The library reads them as a RunSettings, converted once where a rule's
script calls it.
"""

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

from convstudy import backends, models, network
from convstudy.config import ConfigError
from convstudy.data.cache import TASKS

RUN_PATTERN = re.compile(
    r"^(?P<dataset>[^/]+)/(?P<model>[^/-]+)-(?P<framework>[^/]+)/(?P<variant>[^/]+)$"
)


# Keys of a variant that describe it rather than set anything.
VARIANT_ONLY_KEYS = {"label"}
# Settings that every run reads, whatever its model: the training loop's, the data path's and
# the backends'. Every other setting shapes the network, and only the models whose READS name
# it read it (convstudy.models): a variant setting it for another model is refused at load.
TRAINING_SETTINGS = frozenset(
    {
        "epochs",
        "batch_size",
        "optimizer",
        "lr",
        "momentum",
        "weight_decay",
        "image_size",
        "data_path",
        "workers",
        "hybridize",
        "eval_batch_size",
    }
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

    @property
    def arm_wildcards(self) -> dict:
        """Its arm's parts by name: the wildcards of an arm's files."""
        return dict(
            dataset=self.dataset, model=self.model, framework=self.framework, variant=self.variant
        )

    @property
    def wildcards(self) -> dict:
        """Its parts by name: the wildcards of a run's files."""
        return {**self.arm_wildcards, "seed": self.seed}


@dataclass(frozen=True)
class RunSettings:
    """A run's resolved settings (resolve), typed. Its dict form, as_dict(), is the `settings`
    of metrics.json and what its digest hashes: key for key, in the same order, the dict it was
    read from (resolve()'s: config.yaml's order), so that results written from the plain dict
    are written alike."""

    # train: (or the model's defaults, a variant, scale:), in config.yaml's order
    epochs: int
    batch_size: int
    optimizer: str  # sgd | nesterov | adam
    lr: float
    momentum: float
    weight_decay: float
    activation: str  # relu | sigmoid
    pooling: str  # max | avg
    batchnorm: bool
    width: float
    dropout: float
    image_size: int | None  # None: as stored
    data_path: str  # memory | loader
    workers: int
    hybridize: bool
    eval_batch_size: int
    # scale: the first N training and test images (None: all)
    train_limit: int | None
    test_limit: int | None
    # the run, and where it computes
    run: str  # dataset/model-framework/variant/seed<N>
    dataset: str
    model: str
    framework: str
    variant: str
    seed: int
    threads: int
    device: str  # cpu | cuda | auto
    cpu_fallback: bool
    # The order of the keys it was read from, for its dict form (not a setting).
    key_order: tuple[str, ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def names(cls) -> list[str]:
        """The settings, in the order of config.yaml."""
        return [each.name for each in fields(cls) if each.name != "key_order"]

    @classmethod
    def from_dict(cls, values: Mapping) -> "RunSettings":
        """From resolve()'s dict, a job's params or a metrics.json's settings."""
        names = cls.names()
        missing = [name for name in names if name not in values]
        unknown = [key for key in values if key not in names]
        if missing or unknown:
            raise ValueError(
                "not a run's settings: "
                + "; ".join(
                    part
                    for part in (
                        missing and f"missing {', '.join(missing)}",
                        unknown and f"unknown {', '.join(unknown)}",
                    )
                    if part
                )
            )
        return cls(**{name: values[name] for name in names}, key_order=tuple(values))

    def as_dict(self) -> dict:
        """The plain dict (metrics.json's settings), in the order it was read in."""
        return {name: getattr(self, name) for name in self.key_order or self.names()}

    @property
    def digest(self) -> str:
        """What a checkpoint is matched against (settings_digest of the dict form)."""
        return settings_digest(self.as_dict())

    @property
    def arm(self) -> str:
        """The run without its seed: dataset/model-framework/variant."""
        return self.run.rsplit("/", 1)[0]

    def replace(self, **changes) -> "RunSettings":
        """A copy with some settings changed (e.g. device="cpu")."""
        return replace(self, **changes)


def settings_digest(settings: Mapping) -> str:
    """A run's settings as a short hash: the same settings, the same digest, whatever the
    order of their keys."""
    return hashlib.sha256(json.dumps(dict(settings), sort_keys=True).encode()).hexdigest()[:16]


def parse_arm(text: str, where: str) -> tuple[str, str, str, str]:
    match = RUN_PATTERN.match(text)
    if not match:
        raise ConfigError(
            f"{where}: {text!r} is not a run; write dataset/model-framework/variant, "
            "e.g. fashion_mnist/lenet-mxnet/base"
        )
    return match["dataset"], match["model"], match["framework"], match["variant"]


def references(comparison: dict) -> list[str]:
    """A comparison's reference arms (drawn beside its runs): none, one, or a list."""
    reference = comparison.get("reference")
    if reference is None:
        return []
    return [reference] if isinstance(reference, str) else list(reference)


def arm_seeds(config: dict, comparison: dict, model: str) -> list[int]:
    """The seeds an arm of this model runs in this comparison: scale.seeds, or the
    comparison's own (a list, or N for the first N of scale.seeds), at most
    scale.max_seeds[model] of them (the first ones)."""
    own = comparison.get("seeds")
    seeds = list(config["scale"]["seeds"])
    if isinstance(own, int):
        seeds = seeds[:own]
    elif own:
        seeds = list(own)
    limit = config["scale"].get("max_seeds", {}).get(model)
    return seeds[:limit] if limit else seeds


def unpaired_arms(config: dict, name: str) -> str | None:
    """Why a comparison's accuracy differences are unpaired (Welch's interval) where its arms
    ran different seeds, naming its arms, their seeds and how to pair them; None when every arm
    ran its baseline's (the first arm's) seeds."""
    comparison = config["comparisons"][name]
    arms = list(comparison["runs"]) + references(comparison)
    seeds = {arm: arm_seeds(config, comparison, parse_arm(arm, name)[1]) for arm in arms}
    baseline = set(seeds[arms[0]])
    if all(set(own) == baseline for own in seeds.values()):
        return None
    limits = config["scale"].get("max_seeds", {})
    capped = sorted({parse_arm(arm, name)[1] for arm in arms if parse_arm(arm, name)[1] in limits})
    listed = "; ".join(
        f"{arm} seeds {', '.join(map(str, own)) or 'none'}" for arm, own in seeds.items()
    )
    why = (
        f" (scale.max_seeds caps {', '.join(f'{m} at {limits[m]}' for m in capped)})"
        if capped
        else ""
    )
    return (
        f"comparisons.{name}: its arms run different seeds{why}, so each difference from "
        f"{arms[0]} takes Welch's interval (unpaired), not the paired one: {listed}. To pair "
        f"them, give the comparison the seeds every arm can run (seeds: N for the first N of "
        "scale.seeds, or a list)."
    )


def comparison_runs(config: dict, name: str) -> list[Run]:
    """Every run (each arm, each seed) that a declared comparison needs, its reference arms'
    (drawn beside the arms) last."""
    comparison = config["comparisons"][name]
    arms = [(text, f"comparisons.{name}.runs[{i}]") for i, text in enumerate(comparison["runs"])]
    for reference in references(comparison):
        if reference in comparison["runs"]:
            raise ConfigError(
                f"comparisons.{name}.reference: {reference!r} is already one of its runs; a "
                "reference is an extra arm drawn beside them"
            )
        arms.append((reference, f"comparisons.{name}.reference"))
    runs = []
    for text, where in arms:
        dataset, model, framework, variant = parse_arm(text, where)
        seeds = arm_seeds(config, comparison, model)
        runs.extend(Run(dataset, model, framework, variant, seed) for seed in seeds)
    return runs


def declared_runs(config: dict) -> list[Run]:
    """All runs of all comparisons, each once, in a stable order."""
    return sorted({run for name in config["comparisons"] for run in comparison_runs(config, name)})


def variant_label(config: dict, variant: str) -> str:
    """How a report names a variant: its `label` where every part has one, else its name."""
    labels = [config["variants"].get(part, {}).get("label") for part in variant.split("+")]
    return " + ".join(labels) if all(labels) else variant


def _reads(model: str) -> str:
    """What a message says a model reads: 'LeNet reads: activation, ...'."""
    return f"{models.display_name(model)} reads: {', '.join(sorted(models.reads(model)))}"


def _unread(model: str, values: dict) -> str | None:
    """The first key of values (a variant's or a model's defaults) that the model does not
    read, or None."""
    reads = models.reads(model)
    for key in values:
        if key not in VARIANT_ONLY_KEYS | TRAINING_SETTINGS | reads:
            return key
    return None


def unread_setting(config: dict, arm: str) -> str | None:
    """Why an arm's variant is refused: one of its parts sets a key the arm's model does not
    read, so the arm would train the same network as without it (and a comparison would call
    it identical to its baseline); None when every key it sets is read. Unknown models and
    variants are left to resolve."""
    _, model, _, variant = parse_arm(arm, "arm")
    if model not in config["models"] or model not in models.registry():
        return None
    name = models.display_name(model)
    for part in variant.split("+"):
        key = _unread(model, config["variants"].get(part, {}))
        if key is None:
            continue
        readers = [
            models.display_name(other)
            for other in config["models"]
            if other in models.registry() and key in models.reads(other)
        ]
        remedy = (
            f", or use the variant only with a model that reads it ({', '.join(readers)})"
            if readers
            else " (no model of the study reads it)"
        )
        return (
            f"variant {part!r} sets {key}, which {name} does not read ({_reads(model)}), so "
            f"{arm} would train the same network as without it; remove {key} from the "
            f"variant{remedy}"
        )
    return None


def arm_settings(config: dict, model: str, variant: str, where: str = "arm") -> dict:
    """What an arm of this model and variant sets, before the preset's scale and the run's
    identity: the base `train:` settings, the model's defaults over them, then each part of the
    variant in order."""
    settings = dict(config["train"])
    settings.update(config["models"].get(model) or {})
    for part in variant.split("+"):
        if part not in config["variants"]:
            raise ConfigError(
                f"{where}: unknown variant {part!r}; declare it under variants: in config.yaml "
                f"(known: {', '.join(sorted(config['variants']))})"
            )
        settings.update(
            {k: v for k, v in config["variants"][part].items() if k not in VARIANT_ONLY_KEYS}
        )
    return settings


def model_comparisons(config: dict, model: str) -> dict[str, dict]:
    """The comparisons whose first arm is of this model (those its report section shows, but
    for timing comparisons), by name, in config order."""
    return {
        name: comparison
        for name, comparison in config["comparisons"].items()
        if parse_arm(comparison["runs"][0], f"comparisons.{name}")[1] == model
    }


def resolve(config: dict, run: Run) -> dict:
    """The complete settings of a run, as a plain dict (a job's params; RunSettings.from_dict
    types it); raises ConfigError naming any bad value."""
    where = f"run {run.path}"
    if run.dataset not in TASKS:
        raise ConfigError(
            f"{where}: unknown dataset {run.dataset!r}; use one of {', '.join(TASKS)}"
        )
    if run.model not in config["models"]:
        raise ConfigError(
            f"{where}: unknown model {run.model!r}; use one of {', '.join(config['models'])} "
            "(the models listed under models: in config.yaml)"
        )
    if run.framework not in backends.FRAMEWORKS:
        raise ConfigError(
            f"{where}: unknown framework {run.framework!r}; use one of "
            f"{', '.join(backends.FRAMEWORKS)}"
        )
    for section, values in [("train", config["train"]), *config["models"].items()]:
        if "label" in values:
            where_label = section if section == "train" else f"models.{section}"
            raise ConfigError(f"{where_label}.label: only a variant has a label")
    settings = arm_settings(config, run.model, run.variant, where)
    problem = unread_setting(config, run.arm)
    if problem:
        raise ConfigError(problem)  # it names the arm
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


def _check(values: dict, where: str) -> None:
    settings = RunSettings.from_dict(values)
    if settings.workers > 0 and settings.data_path != "loader":
        raise ConfigError(
            f"{where}: workers: {settings.workers} needs data_path: loader (the in-memory "
            "path has no worker processes)"
        )
    task = TASKS[settings.dataset]
    spec = models.build_spec(settings.model, settings, task.num_classes)
    shape = models.input_shape(settings, task.image_shape)
    try:
        network.layer_shapes(spec, shape)
    except network.ShapeError as error:
        raise ConfigError(
            f"{where}: {settings.model} does not fit {settings.dataset} images of "
            f"{shape[1]}x{shape[2]}: {error}"
        ) from None


def divergence_runs(config: dict, name: str) -> dict[str, dict[str, Run]]:
    """The runs a comparison's divergence diagnostic traces: variant -> framework -> the run of
    its arm's dataset and model with that variant, on the comparison's first seed. Its arms must
    be one arm in each framework."""
    comparison = config["comparisons"][name]
    where = f"comparisons.{name}.divergence"
    arms = [parse_arm(arm, f"comparisons.{name}.runs") for arm in comparison["runs"]]
    frameworks = sorted(framework for _, _, framework, _ in arms)
    if len(arms) != 2 or len({arm[:2] + arm[3:] for arm in arms}) != 1:
        raise ConfigError(
            f"{where}: needs two runs that differ only in their framework, e.g. "
            f"fashion_mnist/lenet-mxnet/base and fashion_mnist/lenet-torch/base (got "
            f"{', '.join(comparison['runs'])})"
        )
    if frameworks != sorted(backends.FRAMEWORKS):
        raise ConfigError(f"{where}: needs one run in each of {', '.join(backends.FRAMEWORKS)}")
    dataset, model, _, _ = arms[0]
    seed = arm_seeds(config, comparison, model)[0]
    return {
        variant: {
            framework: Run(dataset, model, framework, variant, seed)
            for framework in backends.FRAMEWORKS
        }
        for variant in comparison["divergence"]["variants"]
    }


def check_comparison(config: dict, name: str, resolved: dict[Run, dict]) -> None:
    """What the schema cannot say of a comparison: a sweep names a setting its arms vary, and
    an expected ranking names two of its arms."""
    comparison = config["comparisons"][name]
    where = f"comparisons.{name}"
    arms = list(comparison["runs"]) + references(comparison)
    if comparison.get("figure") == "sweep":
        setting = comparison.get("sweep")
        if setting not in config["train"]:
            raise ConfigError(
                f"{where}: figure: sweep needs sweep: <setting>, one of "
                f"{', '.join(config['train'])} (got {setting!r})"
            )
        values = {
            resolved[run][setting]
            for run in comparison_runs(config, name)
            if run.arm in comparison["runs"]
        }
        if len(values) < 2 or not all(isinstance(v, int | float) and v > 0 for v in values):
            raise ConfigError(
                f"{where}: its runs must sweep {setting} over at least two positive numbers "
                f"(got {sorted(values, key=str)})"
            )
    elif "sweep" in comparison:
        raise ConfigError(f"{where}: sweep: is only for figure: sweep")
    if "divergence" in comparison:
        for runs in divergence_runs(config, name).values():
            for run in runs.values():
                resolve(config, run)
    for arm in comparison.get("expected_faster", []):
        if arm not in arms:
            raise ConfigError(
                f"{where}.expected_faster: {arm!r} is not one of its arms ({', '.join(arms)})"
            )


def check_models(config: dict) -> None:
    """Every model listed under models: has its module, convstudy/models/<name>.py, and its
    own defaults set only settings it reads."""
    for name in config["models"]:
        try:
            models.get(name)
        except ValueError as error:
            raise ConfigError(f"models.{name}: {error}") from None
        key = _unread(name, config["models"][name] or {})
        if key is not None:
            raise ConfigError(
                f"models.{name}: sets {key}, which {models.display_name(name)} does not read "
                f"({_reads(name)}); remove it"
            )


def check_reads(config: dict) -> None:
    """Every arm of every comparison sets, through its variant, only settings its model reads
    (or that every run reads): a variant its model ignores would be an arm identical to its
    baseline."""
    for name, comparison in config["comparisons"].items():
        for arm in list(comparison["runs"]) + references(comparison):
            parse_arm(arm, f"comparisons.{name}")
            problem = unread_setting(config, arm)
            if problem:
                raise ConfigError(f"comparisons.{name}: {problem}")


def check_all(config: dict) -> dict[Run, dict]:
    """Resolve every declared run and check every comparison (raising on the first bad one)."""
    check_models(config)
    check_reads(config)
    resolved = {run: resolve(config, run) for run in declared_runs(config)}
    for name in config["comparisons"]:
        check_comparison(config, name, resolved)
    return resolved


def gpu_decision(
    switch: str | bool,
    device: str,
    gpus_given: int,
    gpus_listed: list[str],
    why_none_listed: str,
    framework_gpu: dict[str, bool],
) -> tuple[bool, str]:
    """Whether a comparison that needs a GPU (needs_gpu: true) runs, and why: the report says it
    when it does not.

    switch: config gpu_comparisons (auto, or true / false to decide for it); device: config
    device; gpus_given: the `gpu` resource Snakemake was given (--resources gpu=N, as
    profiles/local-gpu and profiles/slurm set it; 0 if none); gpus_listed: what nvidia-smi lists
    on the machine running Snakemake; framework_gpu: whether the installed build of each of the
    comparison's frameworks can use a GPU."""
    if switch is True:
        return True, "gpu_comparisons: true"
    if switch is False:
        return False, "gpu_comparisons: false"
    if device == "cpu":
        return False, "device: cpu"
    cpu_only = sorted(framework for framework, gpu in framework_gpu.items() if not gpu)
    if cpu_only:
        return False, f"the installed {' and '.join(cpu_only)} cannot use a GPU (a CPU-only build)"
    if gpus_given > 0:
        return True, f"Snakemake may hand out {gpus_given} GPUs (--resources gpu={gpus_given})"
    if gpus_listed:
        return True, f"this machine has {', '.join(gpus_listed)}"
    return False, (
        f"no GPU here: {why_none_listed}, and Snakemake was given no GPUs to hand out "
        "(--resources gpu=N, as profiles/local-gpu and profiles/slurm set)"
    )

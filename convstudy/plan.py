"""The study as one object: what it runs, on which seeds, and what this machine leaves out.

A Study is built once, when the workflow loads, from the config (its preset applied) and three
questions it asks of the machine only when a target needs the answer:
  dataset_status(dataset) -> (available, why)   can this machine have the dataset?
  gpu_facts() -> (GPUs Snakemake may hand out, GPUs listed here, why none are listed)
  framework_gpu(framework) -> bool              can the installed build use a GPU?
It owns the declared runs and their settings (resolved and checked once: a bad setting fails at
load), each comparison's arms, seeds, baseline and first seed, the comparisons and runs this
machine can run (and why the others are left out), and the work of every job of the default
target. It knows nothing of Snakemake: the rules ask it (rules/common/study.smk) and turn its
answers into paths.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from convstudy import backends, models, outline
from convstudy.analysis import comparison_kind, comparison_section
from convstudy.config import ConfigError
from convstudy.data import catalog
from convstudy.data.cache import TASKS
from convstudy.settings import (
    Run,
    arm_seeds,
    check_all,
    comparison_runs,
    divergence_runs,
    gpu_decision,
    parse_arm,
    references,
    resolve,
    unpaired_arms,
    variant_label,
)

# Sections 6 and 7 (activation maps, confusion matrices) draw grey 28x28 images of ten classes.
SHOWCASE_DATASETS = ("mnist", "fashion_mnist")
# The settings of a timing job's passes (config timing:).
TIMING_KEYS = ("repeats", "images", "warmup_images")


@dataclass(frozen=True)
class Comparison:
    """A declared comparison: its arms (its references last), the seeds each runs, and its runs.
    The first arm is the baseline every other arm is compared with."""

    name: str
    declared: dict
    arms: tuple[str, ...]
    seeds: dict[str, tuple[int, ...]]
    runs: tuple[Run, ...]

    @classmethod
    def declared_in(cls, config: dict, name: str, runs: list[Run]) -> "Comparison":
        declared = config["comparisons"][name]
        arms = tuple(declared["runs"]) + tuple(references(declared))
        seeds = {arm: tuple(arm_seeds(config, declared, parse_arm(arm, name)[1])) for arm in arms}
        return cls(name, declared, arms, seeds, tuple(runs))

    @property
    def baseline(self) -> str:
        return self.arms[0]

    @property
    def first_seed(self) -> int:
        """The baseline's first seed: the one a single network of the comparison is shown with."""
        return self.seeds[self.baseline][0]

    @property
    def title(self) -> str:
        return self.declared["title"]

    @property
    def kind(self) -> str:
        """What its figure draws: curves, bars, sweep, width or timing."""
        return comparison_kind(self.declared)

    @property
    def section(self) -> str:
        """The key (convstudy.outline) of the report section it belongs to."""
        return comparison_section(self.declared)

    @property
    def tasks(self) -> set[str]:
        """The tasks (datasets) its arms train on."""
        return {run.dataset for run in self.runs}

    @property
    def models(self) -> set[str]:
        return {run.model for run in self.runs}

    @property
    def frameworks(self) -> set[str]:
        return {run.framework for run in self.runs}

    @property
    def needs_gpu(self) -> bool:
        return bool(self.declared.get("needs_gpu"))

    @property
    def traces_divergence(self) -> bool:
        """Whether it declares where its two frameworks part ways (divergence:)."""
        return "divergence" in self.declared


class Study:
    """The study declared by a config, on this machine (see the module's docstring); its
    edge_images are the names of section 1's photographs, listed when the workflow loads."""

    def __init__(
        self,
        config: dict,
        dataset_status: Callable[[str], tuple[bool, str]] = lambda dataset: (True, ""),
        gpu_facts: Callable[[], tuple] = lambda: (0, [], "no GPU asked for"),
        framework_gpu: Callable[[str], bool] = backends.installed_with_gpu_support,
        edge_images: tuple[str, ...] = (),
    ):
        self.config = config
        self._dataset_status = dataset_status
        self._gpu_facts = gpu_facts
        self._framework_gpu = framework_gpu
        self.edge_images = tuple(edge_images)
        # Every declared run, resolved and checked (a ConfigError names the first bad one).
        self.settings: dict = check_all(config)
        self.comparisons = {}
        for name in config["comparisons"]:
            runs = comparison_runs(config, name)
            self.comparisons[name] = Comparison.declared_in(config, name, runs)
        self._framework_gpus: dict[str, bool] = {}

    # --- what the config declares -----------------------------------------------------------

    @property
    def runs(self) -> list[Run]:
        """Every run of every comparison, each once, in a stable order."""
        return list(self.settings)

    def settings_of(self, run: Run) -> dict:
        """A run's resolved settings (one no comparison declares is resolved on demand)."""
        return self.settings.get(run) or resolve(self.config, run)

    @cached_property
    def _first_seeds(self) -> dict[str, int]:
        first: dict[str, int] = {}
        for run in self.settings:
            first[run.arm] = min(run.seed, first.get(run.arm, run.seed))
        return first

    def first_seed(self, arm: str) -> int:
        """An arm's first seed: the smallest it runs in any comparison (the first of
        scale.seeds for an arm none declares). Its timing, its architecture and its showcase run
        use this seed's settings and initial weights."""
        return self._first_seeds.get(arm, self.config["scale"]["seeds"][0])

    def first_run(self, arm: str) -> Run:
        dataset, model, framework, variant = parse_arm(arm, "arm")
        return Run(dataset, model, framework, variant, self.first_seed(arm))

    def target_problem(self, run: Run, seeded: bool = True) -> str | None:
        """What is wrong with a requested run (or, not seeded, with its arm): a dataset, model,
        framework or variant that is not known (a typo), with the known ones, or settings that
        do not go together (alexnet on mnist at 28x28); None when nothing is."""
        variants = self.config["variants"]
        for what, value, known in (
            ("dataset", run.dataset, list(TASKS)),
            ("model", run.model, list(self.config["models"])),
            ("framework", run.framework, list(backends.FRAMEWORKS)),
        ):
            if value not in known:
                return f"{run.arm}: unknown {what} {value!r}; known: {', '.join(known)}"
        for part in run.variant.split("+"):
            if part not in variants:
                return (
                    f"{run.arm}: unknown variant {part!r}; known: {', '.join(sorted(variants))} "
                    "(or several joined with +, as declared under variants: in config.yaml)"
                )
        try:
            self.settings_of(run if seeded else self.first_run(run.arm))
        except ConfigError as error:
            return str(error)
        return None

    def timing_settings(self, arm: str) -> dict:
        """The settings an arm trains with in a timing job: its first seed's."""
        return self.settings_of(self.first_run(arm))

    def cpu_estimate_settings(self, arm: str) -> dict:
        """The settings an arm's first seed trains with, on the CPU."""
        return dict(self.timing_settings(arm), device="cpu")

    def unpaired_warnings(self) -> list[str]:
        """For each comparison whose arms ran different seeds (compared unpaired), why."""
        return [why for name in self.comparisons if (why := unpaired_arms(self.config, name))]

    def comparison_params(self, name: str) -> dict:
        """What a comparison's script and captions need: its declaration, the report's name of
        each arm whose variant has a label, and each arm's seeds."""
        comparison = self.comparisons[name]
        return {
            "name": name,
            **comparison.declared,
            "figure": comparison.kind,
            "reference": references(comparison.declared),
            "labels": {arm: self.label(arm) for arm in comparison.arms},
            "arm_seeds": {arm: list(seeds) for arm, seeds in comparison.seeds.items()},
        }

    def label(self, arm: str) -> str:
        """How the report names an arm: its variant's label (or the variant's name)."""
        return variant_label(self.config, parse_arm(arm, "arm")[3])

    def divergence_networks(self, name: str) -> list[dict]:
        """Each network a comparison's divergence diagnostic traces: its variant, how the report
        names it, and the resolved settings of its run in each framework (the comparison's first
        seed)."""
        return [
            {
                "variant": variant,
                "label": variant_label(self.config, variant),
                "settings": {framework: self.settings_of(run) for framework, run in runs.items()},
            }
            for variant, runs in divergence_runs(self.config, name).items()
        ]

    def divergence_task(self, name: str) -> str:
        """The task a divergence diagnostic trains on: its comparison's."""
        return parse_arm(self.comparisons[name].baseline, name)[0]

    def section_title(self, key: str) -> str:
        """A report section's title (its models' sections numbered in the order of models:)."""
        return outline.title(key, self.config["models"])

    def showcase_run(self, dataset: str) -> Run:
        """The run whose network sections 6 and 7 show on a dataset (analysis.showcase)."""
        return self.first_run(f"{dataset}/{self.config['analysis']['showcase']}")

    def architecture_settings(self) -> dict[str, dict]:
        """name -> the resolved settings of the arm analysis.architectures names for it."""
        architectures = self.config["analysis"]["architectures"]
        for name, arm in architectures.items():
            parse_arm(arm, f"analysis.architectures.{name}")
        return {name: self.timing_settings(arm) for name, arm in architectures.items()}

    # --- what this machine runs ----------------------------------------------------------------

    def dataset_available(self, dataset: str) -> bool:
        return self._dataset_status(dataset)[0]

    def runnable(self, run: Run) -> bool:
        """Whether the dataset a run needs can be had on this machine."""
        return self.dataset_available(TASKS[run.dataset].dataset)

    def framework_gpu(self, framework: str) -> bool:
        if framework not in self._framework_gpus:
            self._framework_gpus[framework] = self._framework_gpu(framework)
        return self._framework_gpus[framework]

    def gpu_request(self, framework: str) -> int:
        """1 where a run in this framework may use a GPU (device cuda/auto, and a framework
        build that can)."""
        return int(self.config["device"] != "cpu" and self.framework_gpu(framework))

    def comparison_gpu_request(self, name: str) -> int:
        """1 where any arm of the comparison may use a GPU."""
        return max(self.gpu_request(f) for f in self.comparisons[name].frameworks)

    def comparison_resource(self, name: str, resource: str) -> int:
        """The largest of a resource its arms' models declare (RESOURCES)."""
        return max(models.get(m).RESOURCES[resource] for m in self.comparisons[name].models)

    def gpu_decision(self, name: str) -> tuple[bool, str]:
        """(runs, why) of a comparison: one that needs a GPU runs only where GPUs are there."""
        comparison = self.comparisons[name]
        if not comparison.needs_gpu:
            return True, ""
        return gpu_decision(
            self.config["gpu_comparisons"],
            self.config["device"],
            *self._gpu_facts(),
            {f: self.framework_gpu(f) for f in sorted(comparison.frameworks)},
        )

    @cached_property
    def skipped_comparisons(self) -> dict[str, str]:
        """name -> the dataset it needs that this machine cannot get: left out (the report says
        which, why, and how to enable them)."""
        skipped = {}
        for name, comparison in self.comparisons.items():
            for run in comparison.runs:
                if not self.runnable(run):
                    skipped[name] = TASKS[run.dataset].dataset
                    break
        return skipped

    @cached_property
    def gpu_skipped_comparisons(self) -> dict[str, str]:
        """name -> why: the comparisons that need a GPU and are left out here (their datasets
        are available); the report says so, why, and what an epoch would take on the CPU."""
        decisions = {
            name: self.gpu_decision(name)
            for name in self.comparisons
            if name not in self.skipped_comparisons
        }
        return {name: why for name, (runs, why) in decisions.items() if not runs}

    @cached_property
    def runnable_comparisons(self) -> list[str]:
        left_out = {**self.skipped_comparisons, **self.gpu_skipped_comparisons}
        return [name for name in self.comparisons if name not in left_out]

    @cached_property
    def gpu_only_runs(self) -> frozenset[Run]:
        """The runs that only comparisons left out for lack of a GPU need."""
        needed = {run for c in self.comparisons.values() for run in c.runs}
        kept = {
            run
            for name, comparison in self.comparisons.items()
            if name not in self.gpu_skipped_comparisons
            for run in comparison.runs
        }
        return frozenset(needed - kept)

    @cached_property
    def runnable_runs(self) -> list[Run]:
        """Every declared run whose dataset can be had, but those only of comparisons left out
        for lack of a GPU."""
        return [r for r in self.settings if self.runnable(r) and r not in self.gpu_only_runs]

    def gpu_skipped_arms(self, name: str) -> list[str]:
        """The arms of a comparison left out for lack of a GPU that no other comparison runs:
        those whose CPU time per epoch the report estimates."""
        runs = self.comparisons[name].runs
        return sorted({run.arm for run in runs if run in self.gpu_only_runs})

    @property
    def divergence_comparisons(self) -> list[str]:
        """The runnable comparisons that declare where their frameworks part ways."""
        return [n for n in self.runnable_comparisons if self.comparisons[n].traces_divergence]

    @property
    def width_comparisons(self) -> list[str]:
        return [n for n in self.runnable_comparisons if self.comparisons[n].kind == "width"]

    def width_section(self) -> str:
        """The section (key) of the width sweeps: the first one's (with none, the first
        model's)."""
        widths = self.width_comparisons
        if not widths:
            return models.section(next(iter(self.config["models"])))
        return self.comparisons[widths[0]].section

    @property
    def showcase_datasets(self) -> list[str]:
        """The datasets of sections 6 and 7 this machine can have."""
        return [d for d in SHOWCASE_DATASETS if self.dataset_available(d)]

    @property
    def trained_runs(self) -> list[Run]:
        """Every run the default target trains: the runnable runs and the showcase runs."""
        showcase = [self.showcase_run(dataset) for dataset in self.showcase_datasets]
        return list(dict.fromkeys([*self.runnable_runs, *showcase]))

    def build_conditions(self) -> dict:
        """What the environment table states of the study's scale and threads: the seeds each
        model actually ran."""
        runs = self.runnable_runs
        return {
            "preset": self.config["preset"],
            "epochs": self.config["scale"]["epochs"],
            "train_limit": self.config["scale"]["train_limit"],
            "test_limit": self.config["scale"]["test_limit"],
            "seeds": {
                model: sorted({run.seed for run in runs if run.model == model})
                for model in sorted({run.model for run in runs})
            },
            "threads": self.config["threads"],
            "timing": self.config["timing"],
        }

    # --- the work of every job, as the cost estimate reads it ------------------------------

    def jobs(self) -> list[dict]:
        """Every job of the default target, but the estimate itself, with the work it does:
        {rule, name, wildcards, and what the estimate times}. A job that trains has its
        `settings` (and threads); one that times has its `arms` and `timing`; one whose start-up
        imports frameworks names them in `imports`."""
        config = self.config
        datasets = [d for d in catalog.DATASETS if self.dataset_available(d)]
        jobs = [_job("dataset", d, dataset=d) for d in datasets]
        for run in self.trained_runs:
            settings = self.settings_of(run)
            job = _job("train", run.path, **run.wildcards)
            jobs.append({**job, "settings": settings, "threads": settings["threads"]})
        timing = {key: config["timing"][key] for key in TIMING_KEYS}
        for name in self.runnable_comparisons:
            arms = [self.timing_settings(arm) for arm in self.comparisons[name].arms]
            jobs.append(
                {**_job("time_comparison", name, name=name), "arms": arms, "timing": timing}
            )
        for name in self.divergence_comparisons:
            networks = self.divergence_networks(name)
            arms = [settings for network in networks for settings in network["settings"].values()]
            # Each network trains in both frameworks, up to `steps` batches (its data allowing).
            steps = config["comparisons"][name]["divergence"]["steps"]
            tracing = {"repeats": 1, "images": steps * max(a["batch_size"] for a in arms)}
            jobs.append(
                {
                    **_job("framework_divergence", name, name=name),
                    "arms": arms,
                    "timing": {**tracing, "warmup_images": 0},
                    "threads": max(config["threads"].values()),
                }
            )
        estimate = config["timing"]["cpu_estimate"]
        for name in self.gpu_skipped_comparisons:
            for arm in self.gpu_skipped_arms(name):
                job = _job("estimate_cpu_epoch", arm, **self.first_run(arm).arm_wildcards)
                arms = [self.cpu_estimate_settings(arm)]
                jobs.append(
                    {
                        **job,
                        "arms": arms,
                        "timing": {"repeats": 1, **estimate},
                        "images": estimate["images"],
                    }
                )
        jobs += [_job("edges_image", image, image=image) for image in self.edge_images]
        jobs.append(_job("edges_summary", "edges_summary"))
        # Sections 2 and 3 compute their convolutions in both frameworks.
        for rule in ("conv_shapes", "conv1x1_timing", "im2col_timing"):
            jobs.append({**_job(rule, rule), "imports": list(backends.FRAMEWORKS)})
        jobs += [_job("comparison", name, name=name) for name in self.runnable_comparisons]
        if self.width_comparisons:
            jobs.append(_job("width", "width"))
        for dataset in self.showcase_datasets:
            # Activation maps load the trained network: its framework's import.
            imports = [self.showcase_run(dataset).framework]
            jobs.append({**_job("activation_maps", dataset, dataset=dataset), "imports": imports})
            jobs.append(_job("confusion_matrix", dataset, dataset=dataset))
        for rule in ("aggregate", "time_breakdown", "architectures", "environment", "report"):
            jobs.append(_job(rule, rule))
        return jobs


def _job(rule: str, job_name: str, **wildcards) -> dict:
    return {"rule": rule, "name": job_name, "wildcards": wildcards}

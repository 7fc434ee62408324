# Helpers of rules/runs.smk: run ids <-> paths, each run's settings, what a run asks of the machine.

import json
import shutil
from functools import cache
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.io import IOFile

from convstudy import models
from convstudy import settings as run_settings
from convstudy.backends import FRAMEWORKS, installed_with_gpu_support
from convstudy.config import ConfigError
from convstudy.environment import gpu_names
from convstudy.train import finished_record

RUN = "{dataset}/{model}-{framework}/{variant}/seed{seed}"
ARM = "{dataset}/{model}-{framework}/{variant}"
# Loose on purpose: a path with a part that is not known (a typo) still matches, and the rules'
# input (arm_input) stops the load naming that part and the known ones.
ARM_CONSTRAINTS = {
    "dataset": r"[^/]+",
    "model": r"[^/-]+",
    "framework": r"[^/]+",
    "variant": r"[^/]+",
}


def unknown_arm_part(wildcards):
    """What is unknown in an arm's dataset, model, framework and variant, with the known
    values, or None."""
    for what, value, known in (
        ("dataset", wildcards.dataset, list(TASKS)),
        ("model", wildcards.model, list(config["models"])),
        ("framework", wildcards.framework, list(FRAMEWORKS)),
    ):
        if value not in known:
            return f"unknown {what} {value!r}; known: {', '.join(known)}"
    for part in wildcards.variant.split("+"):
        if part not in config["variants"]:
            return (
                f"unknown variant {part!r}; known: {', '.join(sorted(config['variants']))} "
                "(or several joined with +, as declared under variants: in config.yaml)"
            )
    return None


def arm_input(wildcards):
    """The dataset a run, timing or estimate reads. A path naming an unknown dataset, model,
    framework or variant, or settings that do not go together (alexnet on mnist at 28x28),
    stops here, before any job, with one line saying which."""
    w = wildcards
    arm = f"{w.dataset}/{w.model}-{w.framework}/{w.variant}"
    problem = unknown_arm_part(wildcards)
    if problem:
        stop_for_target(f"{arm}: {problem}")
    seed = getattr(wildcards, "seed", None)
    try:
        settings_of_run(
            run_of(wildcards) if seed is not None else run_settings.timing_run(config, arm)
        )
    except ConfigError as error:
        stop_for_target(str(error))
    return task_cache(wildcards)

# Resolving every declared run now makes a bad setting fail before any training starts.
DECLARED_RUNS = checked(run_settings.check_all, config)
# A comparison whose arms ran different seeds is compared unpaired; said now, in case it was not
# meant.
for _name in config["comparisons"]:
    if _unpaired := run_settings.unpaired_arms(config, _name):
        logger.warning(_unpaired)


def run_of(wildcards):
    return run_settings.Run(
        wildcards.dataset,
        wildcards.model,
        wildcards.framework,
        wildcards.variant,
        int(wildcards.seed),
    )


def settings_of_run(run):
    return DECLARED_RUNS.get(run) or run_settings.resolve(config, run)


def settings_of(wildcards):
    return settings_of_run(run_of(wildcards))


def comparison_arm_list(name):
    return run_analysis.comparison_arms(config["comparisons"][name])


def comparison_timing_settings(wildcards):
    """The settings each arm of a comparison trains with in its timing job."""
    return [
        settings_of_run(run_settings.timing_run(config, arm))
        for arm in comparison_arm_list(wildcards.name)
    ]


def comparison_task_caches(wildcards):
    """task -> its dataset's cached file, for the arms of a comparison."""
    arms = comparison_arm_list(wildcards.name)
    tasks = {run_settings.parse_arm(arm, wildcards.name)[0] for arm in arms}
    return {task: dataset_cache(TASKS[task].dataset) for task in sorted(tasks)}


def comparison_resource(name):
    """A comparison's timing job's resource: the largest its arms' models declare."""

    def resource(wildcards):
        arms = comparison_arm_list(wildcards.name)
        names = {run_settings.parse_arm(arm, wildcards.name)[1] for arm in arms}
        return max(models.get(model).RESOURCES[name] for model in names)

    return resource


def comparison_gpu_request(wildcards):
    """1 where any arm of the comparison may use a GPU."""
    arms = comparison_arm_list(wildcards.name)
    frameworks = {run_settings.parse_arm(arm, wildcards.name)[2] for arm in arms}
    return int(config["device"] != "cpu" and any(_framework_gpu(f) for f in frameworks))


def model_resource(name):
    """A resource of a training or timing job, as its model's module declares it."""
    return lambda wildcards: models.get(wildcards.model).RESOURCES[name]


@cache
def _framework_gpu(framework):
    return installed_with_gpu_support(framework)


def gpu_request(wildcards):
    """1 where the run may use a GPU (device cuda/auto, and a framework build that can)."""
    return int(config["device"] != "cpu" and _framework_gpu(wildcards.framework))


# What the invocation that submitted a cluster job saw of GPUs: the job, on another node, decides
# with it, so that its plan (which comparisons run) is the one it was submitted with.
GPU_FACTS = Path(".snakemake") / "convstudy" / "gpus.json"


@cache
def gpu_facts():
    """(GPUs Snakemake may hand out, GPUs nvidia-smi lists here, why none are listed), asked
    once per invocation, and only when a requested target needs to know."""
    if workflow.remote_exec and GPU_FACTS.is_file():
        return tuple(json.loads(GPU_FACTS.read_text()))
    given = workflow.global_resources["gpu"] if "gpu" in set(workflow.global_resources) else 0
    facts = (int(getattr(given, "value", given) or 0), *gpu_names())
    if not workflow.remote_exec:
        GPU_FACTS.parent.mkdir(parents=True, exist_ok=True)
        GPU_FACTS.write_text(json.dumps(facts))
    return facts


@cache
def gpu_decision(name):
    """(runs, why) of a comparison: those that need a GPU run only where GPUs are available."""
    if not config["comparisons"][name].get("needs_gpu"):
        return True, ""
    frameworks = {run.framework for run in comparison_runs(config, name)}
    return run_settings.gpu_decision(
        config["gpu_comparisons"],
        config["device"],
        *gpu_facts(),
        {framework: _framework_gpu(framework) for framework in frameworks},
    )


def every_core(wildcards):
    """Every core this invocation was given (--cores), so that no other job runs beside a job
    that measures time. A cluster run without --cores gets one; its profile asks for a whole
    node."""
    try:
        return workflow.cores
    except WorkflowError:
        return 1


def run_file(run, key="metrics"):
    """A file of a run, as rules.train names its outputs (metrics, predictions or weights)."""
    return expand(
        rules.train.output[key],
        dataset=run.dataset,
        model=run.model,
        framework=run.framework,
        variant=run.variant,
        seed=run.seed,
    )[0]


def runnable(run):
    """Whether the dataset a run needs can be had on this machine."""
    return dataset_status(TASKS[run.dataset].dataset)[0]


def runnable_runs():
    """Every declared run whose dataset can be had, but those only of comparisons left out for
    lack of a GPU."""
    return [run for run in DECLARED_RUNS if runnable(run) and run not in gpu_only_runs()]


@cache
def gpu_only_runs():
    """The runs that only comparisons left out for lack of a GPU need."""
    left_out = set(gpu_skipped_comparisons())
    needed = {run for name in config["comparisons"] for run in comparison_runs(config, name)}
    kept = {
        run
        for name in config["comparisons"]
        if name not in left_out
        for run in comparison_runs(config, name)
    }
    return needed - kept


def cpu_estimate_settings(wildcards):
    """The settings an arm's first seed trains with, on the CPU: what an epoch would take there."""
    arm = f"{wildcards.dataset}/{wildcards.model}-{wildcards.framework}/{wildcards.variant}"
    return dict(settings_of_run(run_settings.timing_run(config, arm)), device="cpu")


# A run's checkpoint outlives its job: once the outputs are written it records the finished run
# (links to its outputs), so that a kill before Snakemake records them as complete costs no
# training (the rerun restores them). Once Snakemake has recorded them, the record goes: here,
# before any job starts (onstart) and when the invocation ends (onsuccess, onerror).
CHECKPOINTS = Path("results") / "checkpoints"


def recorded_complete(path):
    """Whether Snakemake has recorded path, as it is now, as the complete output of its job."""
    path = Path(path)
    if not path.is_file():
        return False
    try:
        record = workflow.persistence.metadata(IOFile(str(path)))
    except Exception:  # noqa: BLE001 - no record to go by: keep the checkpoint
        return False
    return (
        record is not None
        and not record.incomplete
        and record.endtime is not None
        and record.endtime >= path.stat().st_mtime - 1e-3
    )


def clear_finished_checkpoints():
    if workflow.remote_exec or not CHECKPOINTS.is_dir():
        return
    # Snakemake caches the records it has read, and a record it read as missing before a job
    # stays missing in that cache after the job has written it.
    getattr(workflow.persistence, "_clear_cache", lambda: None)()
    for progress in sorted(CHECKPOINTS.glob("**/progress.json")):
        record = finished_record(progress.parent)
        if record and recorded_complete(record.get("outputs", {}).get("metrics", "")):
            shutil.rmtree(progress.parent, ignore_errors=True)

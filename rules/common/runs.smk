# Helpers of rules/runs.smk: run paths <-> the study's runs, what a job asks of the machine, and
# the checkpoints of finished runs.

import shutil
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.io import IOFile

from convstudy import models
from convstudy import settings as run_settings
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


def run_of(wildcards):
    return run_settings.Run(
        wildcards.dataset,
        wildcards.model,
        wildcards.framework,
        wildcards.variant,
        int(getattr(wildcards, "seed", -1)),
    )


def arm_of(wildcards):
    return run_of(wildcards).arm


def arm_input(wildcards):
    """The dataset a run, timing or estimate reads. A path naming an unknown dataset, model,
    framework or variant, or settings that do not go together (alexnet on mnist at 28x28),
    stops here, before any job, with one line saying which."""
    problem = STUDY.target_problem(run_of(wildcards), seeded=hasattr(wildcards, "seed"))
    if problem:
        stop_for_target(problem)
    return task_cache(wildcards)


def settings_of(wildcards):
    return STUDY.settings_of(run_of(wildcards))


def comparison_timing_settings(wildcards):
    """The settings each arm of a comparison trains with in its timing job."""
    return [STUDY.timing_settings(arm) for arm in STUDY.comparisons[wildcards.name].arms]


def comparison_task_caches(wildcards):
    """task -> its dataset's cached file, for the arms of a comparison."""
    tasks = STUDY.comparisons[wildcards.name].tasks
    return {task: dataset_cache(TASKS[task].dataset) for task in sorted(tasks)}


def comparison_resource(name):
    """A comparison's timing job's resource: the largest its arms' models declare."""
    return lambda wildcards: STUDY.comparison_resource(wildcards.name, name)


def comparison_gpu_request(wildcards):
    """1 where any arm of the comparison may use a GPU."""
    return STUDY.comparison_gpu_request(wildcards.name)


def model_resource(name):
    """A resource of a training or timing job, as its model's module declares it."""
    return lambda wildcards: models.get(wildcards.model).RESOURCES[name]


def gpu_request(wildcards):
    """1 where the run may use a GPU (device cuda/auto, and a framework build that can)."""
    return STUDY.gpu_request(wildcards.framework)


def cpu_estimate_settings(wildcards):
    """The settings an arm's first seed trains with, on the CPU: what an epoch would take there."""
    return STUDY.cpu_estimate_settings(arm_of(wildcards))


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
    return expand(rules.train.output[key], **run.wildcards)[0]


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

# Config after its preset, and which parts of the study can run on this machine.

import os
from pathlib import Path

from convstudy.config import apply_preset
from convstudy.data import catalog, sources

apply_preset(config)
validate(config, "../schemas/config.schema.yaml")

RESULTS = Path("results")

# Rule scripts import the convstudy library from this checkout, whichever Python runs them
# (.venv, a conda env from --sdm conda, or a cluster node).
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (workflow.basedir, os.environ.get("PYTHONPATH")) if p
)


def dataset_cache(dataset):
    return RESULTS / "datasets" / f"{dataset}.npz"


def _dataset_status(dataset):
    """(available, why): decided once, when the workflow loads, so no run fails hours in."""
    if dataset_cache(dataset).exists():
        return True, "already cached"
    info = catalog.dataset_info(dataset)
    reasons = []
    for source in config["datasets"][dataset]["sources"]:
        present, why = sources.probe(info, source)
        if present:
            return True, why
        reasons.append(f"{sources.describe(source)}: {why}")
    return False, "; ".join(reasons)


DATASET_STATUS = {name: _dataset_status(name) for name in catalog.DATASETS}

for _name, (_available, _why) in DATASET_STATUS.items():
    if not _available:
        logger.warning(
            f"{catalog.DATASETS[_name].title} is not available ({_why}); the parts of the "
            f"study that need it are skipped. To enable them, see datasets.{_name} in config.yaml."
        )


def available_datasets():
    return [dataset_cache(d) for d, (ok, _) in DATASET_STATUS.items() if ok]


# --- runs ------------------------------------------------------------------------------------

from functools import cache

from convstudy import settings as run_settings
from convstudy.backends import installed_with_gpu_support
from convstudy.data.cache import TASKS

RUN = "{dataset}/{model}-{framework}/{variant}/seed{seed}"

# Resolving every declared run now makes a bad setting fail before any training starts.
DECLARED_RUNS = run_settings.check_all(config)


def run_of(wildcards):
    return run_settings.Run(
        wildcards.dataset,
        wildcards.model,
        wildcards.framework,
        wildcards.variant,
        int(wildcards.seed),
    )


def settings_of(wildcards):
    run = run_of(wildcards)
    return DECLARED_RUNS.get(run) or run_settings.resolve(config, run)


def runnable(run):
    """Whether the dataset a run needs can be had on this machine."""
    return DATASET_STATUS[TASKS[run.dataset].dataset][0]


def run_file(run, name):
    return RESULTS / "runs" / run.path / name


@cache
def _framework_gpu(framework):
    return installed_with_gpu_support(framework)


def gpu_request(wildcards):
    """1 where the run may use a GPU (device cuda/auto, and a framework build that can)."""
    return int(config["device"] != "cpu" and _framework_gpu(wildcards.framework))

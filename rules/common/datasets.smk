# Helpers of rules/datasets.smk: where a dataset is cached, and whether this machine can get it.

from pathlib import Path

from convstudy.data import catalog
from convstudy.data.availability import Availability
from convstudy.data.cache import TASKS, cache_problem, damaged_cache


def dataset_cache(dataset):
    """The cached file of a dataset (rule dataset's output)."""
    return expand(rules.dataset.output[0], dataset=dataset)[0]


def dataset_config(wildcards):
    """A dataset's config; a path naming an unknown dataset (results/datasets/mnst.npz) stops
    here, before any job, with one line saying so."""
    if wildcards.dataset not in catalog.DATASETS:
        stop_for_target(
            f"results/datasets/{wildcards.dataset}.npz: unknown dataset "
            f"{wildcards.dataset!r}; known: {', '.join(catalog.DATASETS)}"
        )
    return config["datasets"][wildcards.dataset]


def task_cache(wildcards):
    """The cached file of the dataset behind a task (e.g. cifar100_fine is in cifar100)."""
    return dataset_cache(TASKS[wildcards.dataset].dataset)


def warn_of_damaged_caches():
    """Said at load, before any job runs; the jobs that read a damaged cache stop with the same
    advice. (Reading a file's header is cheap and local.)"""
    for dataset in catalog.DATASETS:
        cached = dataset_cache(dataset)
        if Path(cached).exists() and (problem := cache_problem(cached)):
            logger.warning(str(damaged_cache(cached, problem)))


AVAILABILITY = Availability(
    config["datasets"],
    dataset_cache,
    memory=Path(".snakemake") / "convstudy" / "source_probes.json",
    offline=config["offline"],
)
_said_unavailable = set()


def dataset_status(dataset):
    """(available, why) of a dataset on this machine; the first answer 'no' is logged."""
    available, why = AVAILABILITY.status(dataset)
    if not available and dataset not in _said_unavailable:
        _said_unavailable.add(dataset)
        logger.warning(
            f"{catalog.DATASETS[dataset].title} is not available ({why}); the parts of the "
            f"study that need it are skipped. To enable them, see datasets.{dataset} in "
            "config.yaml."
        )
    return available, why


def available_datasets(wildcards=None):
    return [dataset_cache(d) for d in catalog.DATASETS if dataset_status(d)[0]]

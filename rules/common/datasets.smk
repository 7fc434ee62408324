# Helpers of rules/datasets.smk: where a dataset is cached, and whether this machine can get it.

from pathlib import Path

from convstudy.data import catalog
from convstudy.data.availability import Availability
from convstudy.data.cache import TASKS, cache_problem, repair
from convstudy.data.errors import DataError


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


def damaged_caches():
    """(dataset, its cache, why) of each cache that is damaged. (Reading a file's zip directory
    is cheap and local.)"""
    for dataset in catalog.DATASETS:
        cached = dataset_cache(dataset)
        if Path(cached).exists() and (problem := cache_problem(cached)):
            yield dataset, cached, problem


def warn_of_damaged_caches():
    """Said at load, before any job runs (a dry run included)."""
    for dataset, cached, problem in damaged_caches():
        logger.warning(
            f"{cached}: the cached dataset is damaged ({problem}); it is rebuilt from its "
            f"sources (datasets.{dataset} in config.yaml) before any job reads it"
        )


def repair_damaged_caches():
    """Rebuild each damaged cache from its sources, before any job runs (onstart). Said in
    Snakemake's log and in the dataset's own log; one the sources cannot give is left as it
    is, and the jobs that read it stop naming it."""
    if workflow.remote_exec:
        return
    for dataset, cached, problem in list(damaged_caches()):
        log_file = Path(expand(rules.dataset.log[0], dataset=dataset)[0])
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(log_file, "a") as stream:

            def log(message):
                logger.info(message)
                stream.write(f"{message}\n")

            log(
                f"{cached}: the cached dataset is damaged ({problem}); rebuilding it from its "
                "sources"
            )
            try:
                repair(
                    catalog.dataset_info(dataset),
                    config["datasets"][dataset]["sources"],
                    config["datasets"][dataset].get("content_md5"),
                    cached,
                    log,
                )
            except DataError as error:
                message = (
                    f"{cached}: the cached dataset is damaged and its sources cannot rebuild "
                    f"it: {error}"
                )
                logger.error(message)
                stream.write(f"{message}\n")
                continue
            log(f"{cached}: rebuilt from its sources, the same contents as before")


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

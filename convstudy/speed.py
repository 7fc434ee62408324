"""How fast an arm trains, measured alone.

A training run's own epoch times are measured while Snakemake runs other jobs beside it (up to
--cores at once), so they mix the arm's speed with the machine's load. Every time the report
compares comes from here instead: the workflow's timing job for an arm reserves every core
Snakemake was given, so no other job runs beside it, and trains the arm's network (its first
seed's weights, its settings and thread count) for one untimed warm-up pass and then `repeats`
timed passes over the same training images, each pass with its own data loader as an epoch has.
Each pass records seconds by phase and training images per second; the tables give the median
and the spread (min to max) over passes.

Separate timing jobs run minutes apart, and a shared machine's speed drifts between them (two
builds of the same arms here differed by up to 30%, and arms with the same computation ranked
differently). So a timing comparison, whose point is a ranking, is timed in one job that takes
its arms in rounds, a pass of each per round: the drift falls on every arm alike.
"""

import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from functools import cache
from pathlib import Path

import numpy as np

from convstudy import environment, models
from convstudy.atomic import write_text
from convstudy.data.cache import TASKS, Dataset, load_task
from convstudy.settings import RunSettings
from convstudy.train import epoch_order, prepare_backend, train_pass

ALONE = "alone"
ESTIMATE = "estimate"


class _Arm:
    """One arm made ready to time: its network built from its first seed's weights, its optimizer
    configured and an untimed warm-up pass done."""

    def __init__(
        self, settings: RunSettings, dataset: Dataset, images: int, warmup_images: int, log
    ):
        self.settings = settings
        self.dataset = dataset.subset(settings.train_limit, settings.test_limit)
        self.images = min(images, len(self.dataset.train_labels))
        self.backend, _, _ = prepare_backend(settings, self.dataset)
        self.warmup = min(warmup_images, self.images)
        self.backend.seed(settings.seed)
        order = epoch_order(settings.seed, 0, self.images)[: self.warmup]
        train_pass(self.backend, settings, self.dataset, order)
        self.passes = []

    def timed_pass(self, repeat: int, log) -> None:
        order = epoch_order(self.settings.seed, repeat + 1, self.images)
        seconds = train_pass(self.backend, self.settings, self.dataset, order)["seconds"]
        speed = self.images / seconds["train"]
        self.passes.append({"images": self.images, "seconds": seconds, "images_per_second": speed})
        log(
            f"{self.settings.run} pass {repeat + 1}: {seconds['train']:.2f} s, "
            f"{speed:,.0f} images/s ("
            + ", ".join(f"{k} {v:.2f} s" for k, v in seconds.items() if k != "train")
            + ")"
        )


def measure_interleaved(
    arms: Sequence[tuple[RunSettings, Dataset]],
    repeats: int,
    images: int,
    warmup_images: int,
    cores_reserved: int,
    log=print,
) -> list[dict]:
    """Time the arms in rounds: each round times one pass of every arm, one after another, so a
    change in the machine's speed during the job (other virtual machines on the host, clock
    changes) falls on every arm alike instead of on whichever arm was timed at that moment.
    Each arm's passes are `repeats` passes over its first `images` training images (at most its
    run's training set), after an untimed pass over `warmup_images` of them."""
    if repeats < 1:
        raise ValueError(f"timing.repeats must be at least 1, got {repeats}")
    started_at = time.time()
    ready = [_Arm(settings, dataset, images, warmup_images, log) for settings, dataset in arms]
    for arm in ready:
        log(
            f"{arm.settings.run}: timing {repeats} passes of {arm.images} training images "
            f"alone ({cores_reserved} cores reserved, {arm.settings.threads} framework "
            f"threads, {arm.backend.device})"
            + (f", in rounds with {len(ready) - 1} other arm(s)" if len(ready) > 1 else "")
        )
    for repeat in range(repeats):
        for arm in ready:
            arm.timed_pass(repeat, log)
    finished_at = time.time()
    results = []
    for arm in ready:
        median = float(np.median([p["images_per_second"] for p in arm.passes]))
        log(f"{arm.settings.run}: median {median:,.0f} training images/s")
        results.append(
            {
                "arm": arm.settings.arm,
                "settings": arm.settings.as_dict(),
                "timing": ALONE,
                "cores_reserved": cores_reserved,
                "threads": arm.settings.threads,
                "device": arm.backend.device,
                "warmup_images": arm.warmup,
                "passes": arm.passes,
                "interleaved_with": len(ready) - 1,
                "machine": environment.machine(),
                "versions": arm.backend.versions,
                "started_at": started_at,
                "finished_at": finished_at,
            }
        )
    return results


def measure(
    settings: RunSettings,
    dataset: Dataset,
    repeats: int,
    images: int,
    warmup_images: int,
    cores_reserved: int,
    log=print,
) -> dict:
    """One arm timed on its own: `repeats` passes (see measure_interleaved)."""
    (result,) = measure_interleaved(
        [(settings, dataset)], repeats, images, warmup_images, cores_reserved, log
    )
    return result


def _measure_arms(arms, timing_config: dict, cores: int, log) -> list[dict]:
    return measure_interleaved(
        arms,
        repeats=timing_config["repeats"],
        images=timing_config["images"],
        warmup_images=timing_config["warmup_images"],
        cores_reserved=cores,
        log=log,
    )


def measure_to_file(
    settings: RunSettings, dataset_path, timing_config: dict, cores: int, output, log=print
) -> dict:
    """The timing job: one arm measured (nothing else runs beside it: the rule reserves every
    core), written as JSON."""
    dataset = load_task(dataset_path, settings.dataset)
    (result,) = _measure_arms([(settings, dataset)], timing_config, cores, log)
    write_text(output, json.dumps(result, indent=1))
    return result


def measure_comparison_to_file(
    arm_settings: Sequence[RunSettings],
    dataset_paths,
    timing_config: dict,
    cores: int,
    output,
    log=print,
) -> list[dict]:
    """The timing job of a timing comparison: its arms timed in rounds (nothing else runs beside
    it: the rule reserves every core), written as a JSON list of per-arm timings."""
    load = cache(load_task)  # arms on the same dataset share one copy of it
    arms = [
        (settings, load(str(dataset_paths[settings.dataset]), settings.dataset))
        for settings in arm_settings
    ]
    result = _measure_arms(arms, timing_config, cores, log)
    write_text(output, json.dumps(result, indent=1))
    return result


def estimate_cpu_epoch(
    settings: RunSettings,
    dataset: Dataset,
    images: int,
    warmup_images: int,
    cores_reserved: int,
    log=print,
) -> dict:
    """What an epoch of this arm would take on this machine's CPU, estimated from one short pass
    timed alone: its seconds per training image times the run's training images, plus its
    forward seconds per image times the test images (evaluation is a forward pass). For an arm
    too slow to train here (the full-size AlexNet): a measurement of N images, scaled, not a
    guess, and labelled as such."""
    cpu = settings.replace(device="cpu")
    timed = measure(cpu, dataset, 1, images, warmup_images, cores_reserved, log)
    (measured,) = timed["passes"]
    run_set = dataset.subset(settings.train_limit, settings.test_limit)
    n_train, n_test = len(run_set.train_labels), len(run_set.test_labels)
    n, seconds = measured["images"], measured["seconds"]
    per_image, forward_per_image = seconds["train"] / n, seconds["forward"] / n
    epoch_seconds = per_image * n_train + forward_per_image * n_test
    log(
        f"estimated epoch on the CPU: {epoch_seconds:,.0f} s ({n_train} training images at "
        f"{per_image:.4f} s, {n_test} test images at {forward_per_image:.4f} s; measured on {n})"
    )
    return {
        **timed,
        "timing": ESTIMATE,
        "images_measured": n,
        "batch_size": min(settings.batch_size, n),
        "seconds_per_image": per_image,
        "forward_seconds_per_image": forward_per_image,
        "train_images": n_train,
        "test_images": n_test,
        "epoch_seconds": epoch_seconds,
    }


def estimate_to_file(
    settings: RunSettings, dataset_path, estimate_config: dict, cores: int, output, log=print
) -> dict:
    """The estimate job: an arm's CPU time per epoch from a short pass timed alone, as JSON."""
    result = estimate_cpu_epoch(
        settings,
        load_task(dataset_path, settings.dataset),
        images=estimate_config["images"],
        warmup_images=estimate_config["warmup_images"],
        cores_reserved=cores,
        log=log,
    )
    write_text(output, json.dumps(result, indent=1))
    return result


# --- the cost of a build, before it runs (convstudy.cost) ---


def pass_rate(settings: RunSettings, dataset: Dataset, images: int, log=print):
    """What a pass of this arm costs here (a convstudy.cost.Rate): built and warmed up on one
    batch, then a pass of one batch and a pass of `images` images, timed alone. Their line
    separates a pass's fixed cost (a data loader's workers starting) from its cost per image."""
    from convstudy.cost import fit_rate

    batch = settings.batch_size
    started = time.perf_counter()
    arm = _Arm(settings, dataset, images, min(batch, images), log)
    built = time.perf_counter() - started
    large = arm.images
    passes = []
    for index, images in enumerate((max(1, min(batch, large // 2)), large)):
        order = epoch_order(settings.seed, index + 1, arm.images)[:images]
        cpu = time.process_time()
        seconds = train_pass(arm.backend, settings, arm.dataset, order)["seconds"]
        cpu = time.process_time() - cpu
        passes.append(
            {
                "images": images,
                "seconds": seconds["train"],
                "cpu_seconds": cpu,
                "forward_seconds": seconds["forward"],
            }
        )
    rate = fit_rate(*passes, setup_seconds=0.0)
    warmup = rate.pass_seconds + arm.warmup * rate.seconds_per_image
    rate = fit_rate(*passes, setup_seconds=built - warmup)
    log(
        f"{settings.arm}: {rate.seconds_per_image * 1000:.3f} ms per "
        f"training image, {rate.pass_seconds:.2f} s per pass, {rate.setup_seconds:.2f} s to "
        f"build (passes of {passes[0]['images']} and {passes[1]['images']} images)"
    )
    return rate


def estimate_build_to_files(
    planned: Sequence[dict],
    cores: int,
    batches: int,
    json_path,
    markdown_path,
    log=print,
) -> dict:
    """The estimate job: what the planned jobs (convstudy.cost.job_costs) cost on this machine at
    `cores`, from an earlier build's benchmark files where they exist, else from a short pass of
    each computation left (pass_rate, over stand-in images of its task's shape: no dataset is
    needed) and a process's start-up, timed here; written as JSON and markdown, and logged."""
    from convstudy import cost

    planned = [dict(job, done=Path(job["output"]).exists()) for job in planned]
    earlier = {
        job["benchmark"]: bench
        for job in planned
        if (bench := cost.read_benchmark(job["benchmark"])) is not None
    }
    known_arms = {
        cost.arm_key(job["settings"])
        for job in planned
        if job["rule"] == "train" and job["benchmark"] in earlier
    }
    to_measure = {}  # cost key -> (settings, images of its larger pass)
    for job in planned:
        if job["done"] or job["benchmark"] in earlier:
            continue
        if job["rule"] == "train" and cost.arm_key(job["settings"]) not in known_arms:
            settings = job["settings"]
            to_measure.setdefault(cost.cost_key(settings), (settings, None))
        for settings in job.get("arms", []):
            images = job.get("images")  # an estimate job's own pass, for arms too slow for more
            to_measure.setdefault(cost.cost_key(settings), (settings, images))
    # First, before any framework is imported: what a job's start-up costs here.
    frameworks = {s["framework"] for s, _ in to_measure.values()}
    frameworks |= {f for job in planned if not job["done"] for f in job.get("imports", [])}
    startup = cost.measure_startup_here(frameworks)
    log(
        f"start-up of a job: {startup.base:.1f} s, and to import "
        + ", ".join(f"{k} {v:.1f} s" for k, v in startup.frameworks.items())
        + f"; of a job that draws: {startup.drawing:.1f} s"
    )
    log(f"timing {len(to_measure)} kinds of pass, alone ({cores} cores reserved)")

    def rate_of(key):
        settings, images = to_measure[key]
        images = images or batches * settings["batch_size"]
        stand_in = TASKS[settings["dataset"]].stand_in(images)
        return pass_rate(RunSettings.from_dict(settings), stand_in, images, log)

    # A framework's first network in a process takes longer to build than the next (the
    # framework sets itself up), and every job that builds one pays it: the first build of its
    # cheapest kind, less the second.
    rates, first_network = {}, {}
    for framework in sorted(startup.frameworks):
        keys = [key for key, (s, _) in to_measure.items() if s["framework"] == framework]
        if keys:
            key = min(
                keys, key=lambda k: models.get(to_measure[k][0]["model"]).RESOURCES["runtime"]
            )
            first, rates[key] = rate_of(key), rate_of(key)
            first_network[framework] = max(0.0, first.setup_seconds - rates[key].setup_seconds)
    log(
        "a framework's first network in a job: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in first_network.items())
    )
    imports = {f: t + first_network.get(f, 0.0) for f, t in startup.frameworks.items()}
    startup = replace(startup, frameworks=imports)
    for key in to_measure:
        if key not in rates:
            rates[key] = rate_of(key)
    sizes = {name: task.sizes for name, task in TASKS.items()}
    jobs = cost.job_costs(planned, rates, startup, earlier, sizes)
    result = cost.summary(jobs, cores, cost.usable_cpus())
    # What was measured, by the first arm of each kind of pass (its settings' run, seed left out).
    result["passes"] = {
        settings["run"].rsplit("/", 1)[0]: asdict(rates[key])
        for key, (settings, _) in to_measure.items()
    }
    result["startup"] = asdict(startup)
    result["first_network"] = first_network  # (in startup's frameworks, with the import)
    # Other work on the machine slows every measured pass: the estimate assumes it continues.
    result["load_average"] = os.getloadavg()[0]
    text = cost.markdown(result)
    write_text(json_path, json.dumps(result, indent=1))
    write_text(markdown_path, text)
    for line in text.splitlines():
        log(line)
    return result

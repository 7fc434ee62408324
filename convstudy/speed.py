"""How fast an arm trains, measured alone.

A training run's own epoch times are measured while Snakemake runs other jobs beside it (up to
--cores at once), so they mix the arm's speed with the machine's load. Every time the report
compares comes from here instead: the workflow's timing job for an arm reserves every core
Snakemake was given, so no other job runs beside it, and trains the arm's network (its first
seed's weights, its settings and thread count) for one untimed warm-up pass and then `repeats`
timed passes over the same training images, each pass with its own data loader as an epoch has.
Each pass records seconds by phase and training images per second; the tables give the median
and the spread (min to max) over passes.
"""

import json
import time

import numpy as np

from convstudy import backends, environment, models, network
from convstudy.atomic import write_text
from convstudy.data.cache import Dataset, load_task
from convstudy.train import epoch_order, train_pass

ALONE = "alone"
ESTIMATE = "estimate"


def measure(
    settings: dict,
    dataset: Dataset,
    repeats: int,
    images: int,
    warmup_images: int,
    cores_reserved: int,
    log=print,
) -> dict:
    """Time `repeats` passes over the first `images` training images (at most the run's own
    training set), after an untimed pass over `warmup_images` of them."""
    if repeats < 1:
        raise ValueError(f"timing.repeats must be at least 1, got {repeats}")
    started_at = time.time()
    dataset = dataset.subset(settings["train_limit"], settings["test_limit"])
    n = min(images, len(dataset.train_labels))
    shape = models.input_shape(settings, dataset.image_shape)
    spec = models.build_spec(settings["model"], settings, dataset.num_classes)
    backend = backends.create(
        settings["framework"],
        settings["threads"],
        settings["device"],
        settings["cpu_fallback"],
        settings["hybridize"],
    )
    backend.build(spec, shape, network.initial_state(spec, shape, settings["seed"]))
    backend.configure_optimizer(settings)
    log(
        f"{settings['run']}: timing {repeats} passes of {n} training images alone "
        f"({cores_reserved} cores reserved, {settings['threads']} framework threads, "
        f"{backend.device})"
    )
    warmup = min(warmup_images, n)
    backend.seed(settings["seed"])
    train_pass(backend, settings, dataset, epoch_order(settings["seed"], 0, n)[:warmup])
    passes = []
    for repeat in range(repeats):
        order = epoch_order(settings["seed"], repeat + 1, n)
        seconds = train_pass(backend, settings, dataset, order)["seconds"]
        passes.append({"images": n, "seconds": seconds, "images_per_second": n / seconds["train"]})
        log(
            f"pass {repeat + 1}/{repeats}: {seconds['train']:.2f} s, "
            f"{passes[-1]['images_per_second']:,.0f} images/s ("
            + ", ".join(f"{k} {v:.2f} s" for k, v in seconds.items() if k != "train")
            + ")"
        )
    median = float(np.median([p["images_per_second"] for p in passes]))
    log(f"median {median:,.0f} training images/s")
    return {
        "arm": settings["run"].rsplit("/", 1)[0],
        "settings": settings,
        "timing": ALONE,
        "cores_reserved": cores_reserved,
        "threads": settings["threads"],
        "device": backend.device,
        "warmup_images": warmup,
        "passes": passes,
        "machine": environment.machine(),
        "versions": backend.versions,
        "started_at": started_at,
        "finished_at": time.time(),
    }


def measure_to_file(
    settings: dict, dataset_path, timing_config: dict, cores: int, output, log=print
) -> dict:
    """The timing job: one arm measured (nothing else runs beside it: the rule reserves every
    core), written as JSON."""
    result = measure(
        settings,
        load_task(dataset_path, settings["dataset"]),
        repeats=timing_config["repeats"],
        images=timing_config["images"],
        warmup_images=timing_config["warmup_images"],
        cores_reserved=cores,
        log=log,
    )
    write_text(output, json.dumps(result, indent=1))
    return result


def estimate_cpu_epoch(
    settings: dict,
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
    cpu = dict(settings, device="cpu")
    timed = measure(cpu, dataset, 1, images, warmup_images, cores_reserved, log)
    (measured,) = timed["passes"]
    run_set = dataset.subset(settings["train_limit"], settings["test_limit"])
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
        "batch_size": min(settings["batch_size"], n),
        "seconds_per_image": per_image,
        "forward_seconds_per_image": forward_per_image,
        "train_images": n_train,
        "test_images": n_test,
        "epoch_seconds": epoch_seconds,
    }


def estimate_to_file(
    settings: dict, dataset_path, estimate_config: dict, cores: int, output, log=print
) -> dict:
    """The estimate job: an arm's CPU time per epoch from a short pass timed alone, as JSON."""
    result = estimate_cpu_epoch(
        settings,
        load_task(dataset_path, settings["dataset"]),
        images=estimate_config["images"],
        warmup_images=estimate_config["warmup_images"],
        cores_reserved=cores,
        log=log,
    )
    write_text(output, json.dumps(result, indent=1))
    return result

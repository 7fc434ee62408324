"""One training loop for every run, whatever the framework (in the spirit of d2l's train_ch6).

A run is fully described by its resolved settings (convstudy.settings.RunSettings), and its
network is made ready one way wherever it trains: a run, a timing job, the activation maps of a
trained run (prepare_backend). The loop draws the sample order and initial weights itself
(numpy, from the seed), so two runs that differ only in framework or data path see the same
data in the same order from the same start. It writes a checkpoint after every epoch and
resumes from it when rerun with the same settings.

Once the outputs are written, the checkpoint becomes a record of the finished run: links to the
outputs (no second copy on disk) in place of the last epoch's state. A run killed after that,
before Snakemake has recorded its outputs as complete, has them deleted by the rerun
(--rerun-incomplete); the rerun restores them from the record instead of training again. The
workflow removes a record once Snakemake has recorded the run's outputs (rules/common/runs.smk),
so that a run the user asks to run again (--forcerun) trains again.
"""

import json
import os
import resource
import shutil
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from convstudy import backends, environment, models, network
from convstudy.backends import Backend
from convstudy.data.cache import Dataset
from convstudy.data.transforms import to_network_input
from convstudy.network import Layer
from convstudy.settings import RunSettings
from convstudy.timing import TIMED_PHASES, PhaseTimer

ALONGSIDE = "alongside other jobs"


@dataclass(frozen=True)
class RunFiles:
    metrics: Path  # metrics.json: per-epoch history, timings, settings, environment
    predictions: Path  # predictions.npz: predicted and true test labels
    weights: Path  # final weights, in the framework's own format
    checkpoints: Path  # a folder outside the declared outputs, kept if the run is killed
    # The rule's log. Snakemake deletes it before a rerun, so each checkpoint keeps a copy, and
    # a resumed run's log starts with it (earlier_log).
    log: Path | None = None

    @property
    def outputs(self) -> dict[str, Path]:
        return {"metrics": self.metrics, "predictions": self.predictions, "weights": self.weights}


def prepare_backend(
    settings: RunSettings, dataset: Dataset
) -> tuple[Backend, list[Layer], tuple[int, int, int]]:
    """A run's network in its framework, ready to train: the model's layers for these settings
    and the dataset's images (resized to image_size), built with the run's initial weights
    (from its seed) on its threads and device, and its optimizer configured. Returns the
    backend, the layers and the input shape (channels, height, width)."""
    shape = models.input_shape(settings, dataset.image_shape)
    spec = models.build_spec(settings.model, settings, dataset.num_classes)
    backend = backends.create(
        settings.framework,
        settings.threads,
        settings.device,
        settings.cpu_fallback,
        settings.hybridize,
    )
    restart(backend, settings, spec, shape)
    return backend, spec, shape


def restart(backend: Backend, settings: RunSettings, spec: list[Layer], shape) -> None:
    """Back to the run's start: its initial weights and a fresh optimizer."""
    backend.build(spec, shape, network.initial_state(spec, shape, settings.seed))
    backend.configure_optimizer(settings)


def epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    """The sample order of one epoch: a function of (seed, epoch) only, so a resumed run
    visits the same samples as an uninterrupted one."""
    return np.random.default_rng([seed, epoch]).permutation(n)


def train(settings: RunSettings, dataset: Dataset, files: RunFiles, log=print) -> dict:
    """Train one run to completion (resuming if a checkpoint matches) and write its outputs."""
    digest = settings.digest
    restored = _restore_finished(files, digest, log)
    if restored is not None:
        return restored
    dataset = dataset.subset(settings.train_limit, settings.test_limit)
    backend, spec, shape = prepare_backend(settings, dataset)
    history, start, times = _resume(
        backend,
        files.checkpoints,
        digest,
        log,
        lambda: restart(backend, settings, spec, shape),
    )
    n_train = len(dataset.train_labels)
    log(
        f"{settings.run}: {backend.parameter_count():,} parameters on {backend.device}, "
        f"{n_train} training / {len(dataset.test_labels)} test images of shape {shape}, "
        f"{settings.data_path} data path"
    )
    for epoch in range(start, settings.epochs):
        backend.seed(settings.seed * 1000 + epoch)
        record, predicted = train_epoch(backend, settings, dataset, epoch, log)
        history.append(record)
        log(
            f"epoch {epoch + 1}/{settings.epochs}: loss {record['train_loss']:.4f}, "
            f"train acc {record['train_accuracy']:.4f}, test acc {record['test_accuracy']:.4f}, "
            f"{record['seconds']['total']:.1f} s, {record['images_per_second']:,.0f} images/s, "
            f"{time_left(history, settings.epochs)}"
        )
        _save_checkpoint(backend, files.checkpoints, digest, history, predicted, times, files.log)
    _test_kill("last-epoch")
    predicted = _load_predictions(files.checkpoints)

    metrics = {
        "run": settings.run,
        "settings": settings.as_dict(),
        "settings_digest": digest,
        "parameters": backend.parameter_count(),
        "parameters_from_spec": network.parameter_count(spec, shape),
        "device": backend.device,
        # What a scheduler assigned (Slurm sets it for a job given a GPU).
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
        "versions": backend.versions,
        "machine": environment.machine(),
        "peak_memory_mb": _peak_memory_mb(),
        # Epoch times are measured while Snakemake runs other jobs beside this one; speed
        # claims come from the timing jobs instead (convstudy.speed), which run alone.
        "timing": ALONGSIDE,
        # When the run first started, and when it resumed after each interruption.
        "started_at": times["started_at"],
        "resumed_at": times["resumed_at"],
        "finished_at": time.time(),
        "epochs": history,
        "final": {
            "train_loss": history[-1]["train_loss"],
            "train_accuracy": history[-1]["train_accuracy"],
            "test_accuracy": history[-1]["test_accuracy"],
            "images_per_second": float(np.median([h["images_per_second"] for h in history])),
            "epoch_seconds": float(np.median([h["seconds"]["total"] for h in history])),
        },
    }
    files.weights.parent.mkdir(parents=True, exist_ok=True)
    backend.save_weights(str(files.weights))
    np.savez(files.predictions, predicted=predicted, labels=dataset.test_labels)
    files.metrics.write_text(json.dumps(metrics, indent=1))
    _mark_finished(files, digest)
    _test_kill("outputs")
    return metrics


def time_left(history: list[dict], epochs: int) -> str:
    """The time this run has left, at the median pace of its epochs so far."""
    left = epochs - len(history)
    if left <= 0:
        return "done"
    seconds = left * float(np.median([h["seconds"]["total"] for h in history]))
    return f"about {seconds / 60:.0f} min left" if seconds >= 90 else f"about {seconds:.0f} s left"


def _test_kill(stage: str) -> None:
    """For the tests of an interrupted run: CONVSTUDY_TEST_KILL_AFTER=<stage> kills this
    process's group (Snakemake and its job, as a kill of the whole invocation would) after the
    last epoch's checkpoint (last-epoch) or after the outputs are written (outputs)."""
    if os.environ.get("CONVSTUDY_TEST_KILL_AFTER") == stage:
        os.killpg(os.getpgid(0), signal.SIGKILL)


def _batches(backend, settings: RunSettings, dataset: Dataset, order: np.ndarray):
    """Yield framework batches in `order`, by the run's data path."""
    images, labels, size = dataset.train_images, dataset.train_labels, settings.image_size
    batch_size = settings.batch_size
    if settings.data_path == "loader":
        yield from backend.loader(
            images,
            labels,
            order,
            batch_size,
            settings.workers,
            lambda image: to_network_input(image, size),
        )
        return

    def prepare(begin):
        chosen = order[begin : begin + batch_size]
        return to_network_input(images[chosen], size), labels[chosen]

    # The next batch is prepared in a thread while the current one trains (numpy and OpenCV
    # release the GIL); the batches and their order are exactly those of a plain loop.
    with ThreadPoolExecutor(max_workers=1) as preparer:
        upcoming = preparer.submit(prepare, 0)
        for begin in range(batch_size, len(order) + batch_size, batch_size):
            batch_images, batch_labels = upcoming.result()
            if begin < len(order):
                upcoming = preparer.submit(prepare, begin)
            yield backend.to_batch(batch_images, batch_labels)


def train_pass(backend, settings: RunSettings, dataset: Dataset, order: np.ndarray) -> dict:
    """One pass of training over the samples in `order`: summed loss, correct predictions and
    seconds by phase (convstudy.timing.TRAIN_PHASES) and in all ("train")."""
    timer = PhaseTimer()
    loss_sum, correct = 0.0, 0
    started = time.perf_counter()
    batches = iter(_batches(backend, settings, dataset, order))
    while True:
        with timer.phase("data"):
            batch = next(batches, None)
        if batch is None:
            break
        batch_loss, batch_correct = backend.train_step(batch, timer)
        loss_sum += batch_loss
        correct += batch_correct
    # Sums kept on a GPU are read once, here (every phase has already waited for the device).
    loss_sum, correct = backend.read(loss_sum), backend.read(correct)
    seconds = {phase: timer.seconds.get(phase, 0.0) for phase in TIMED_PHASES}
    seconds["train"] = time.perf_counter() - started
    seconds["other"] = max(0.0, seconds["train"] - sum(seconds[p] for p in TIMED_PHASES))
    return {"loss_sum": loss_sum, "correct": correct, "seconds": seconds}


def train_epoch(backend, settings: RunSettings, dataset: Dataset, epoch: int, log=print):
    """One epoch: a training pass in the epoch's order, then the test set predicted; its record
    (losses, accuracies, seconds by phase, convstudy.timing.EPOCH_PHASES) and predictions."""
    n_train = len(dataset.train_labels)
    started = time.perf_counter()
    trained = train_pass(backend, settings, dataset, epoch_order(settings.seed, epoch, n_train))
    seconds = trained["seconds"]
    loss = trained["loss_sum"] / n_train
    diverged = not np.isfinite(loss)
    if diverged:
        # A diverged run is a result (a learning-rate sweep has them), not a failure: its
        # weights are no longer numbers, so it predicts one class from here on.
        log(
            f"WARNING: epoch {epoch + 1}: the training loss is {trained['loss_sum']}; the run "
            f"diverged (learning rate {settings.lr:g} is too high for this setting)"
        )
    eval_started = time.perf_counter()
    predicted = _predict(backend, settings, dataset.test_images)
    seconds["eval"] = time.perf_counter() - eval_started
    seconds["total"] = time.perf_counter() - started
    record = {
        "epoch": epoch + 1,
        "train_loss": loss,
        "train_accuracy": trained["correct"] / n_train,
        "test_accuracy": float(np.mean(predicted == dataset.test_labels)),
        "seconds": seconds,
        "images_per_second": n_train / seconds["train"],
        "diverged": diverged,
    }
    return record, predicted


def _predict(backend, settings: RunSettings, images: np.ndarray) -> np.ndarray:
    step = settings.eval_batch_size
    return np.concatenate(
        [
            backend.predict(to_network_input(images[i : i + step], settings.image_size)).argmax(1)
            for i in range(0, len(images), step)
        ]
    )


def _peak_memory_mb() -> dict:
    # ru_maxrss is in KiB on Linux; children are the data-loader worker processes.
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"process": round(own, 1), "largest_worker": round(workers, 1)}


# --- checkpoints: one folder per finished epoch, named by progress.json (replaced atomically) ---
#
# progress.json: {digest, epoch, history, started_at, resumed_at}, and finished: true once the
# outputs are written, when the folder holds links to them (FINISHED) instead of epoch<N>/.

LOG_COPY = "run.log"
FINISHED = "finished"


def _write_progress(folder: Path, progress: dict) -> None:
    temporary = folder / "progress.json.part"
    temporary.write_text(json.dumps(progress))
    os.replace(temporary, folder / "progress.json")


def _save_checkpoint(
    backend,
    folder: Path,
    digest: str,
    history: list,
    predicted,
    times: dict,
    log_file: Path | None = None,
) -> None:
    epoch = history[-1]["epoch"]
    target = folder / f"epoch{epoch}"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    backend.save_checkpoint(str(target / "state"))
    np.save(target / "predictions.npy", predicted)
    if log_file and Path(log_file).is_file():
        shutil.copyfile(log_file, folder / LOG_COPY)
    _write_progress(folder, {"digest": digest, "epoch": epoch, "history": history, **times})
    for old in folder.glob("epoch*"):
        if old != target:
            shutil.rmtree(old, ignore_errors=True)


def _link_or_copy(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without hard links
        shutil.copyfile(source, target)


def _mark_finished(files: RunFiles, digest: str) -> None:
    """Turn the checkpoint into the record of a finished run: links to its outputs, and the
    log as it ends, in place of the last epoch's state."""
    folder = files.checkpoints
    staging = folder / f"{FINISHED}.part"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for key, path in files.outputs.items():
        _link_or_copy(path, staging / key)
    shutil.rmtree(folder / FINISHED, ignore_errors=True)
    os.replace(staging, folder / FINISHED)
    if files.log and Path(files.log).is_file():
        shutil.copyfile(files.log, folder / LOG_COPY)
    progress = json.loads((folder / "progress.json").read_text())
    outputs = {key: str(path) for key, path in files.outputs.items()}
    _write_progress(folder, dict(progress, digest=digest, finished=True, outputs=outputs))
    for old in folder.glob("epoch*"):
        shutil.rmtree(old, ignore_errors=True)


def finished_record(folder: Path) -> dict | None:
    """The progress of a checkpoint folder that records a finished run (its outputs written),
    or None."""
    try:
        progress = json.loads((Path(folder) / "progress.json").read_text())
    except (OSError, ValueError):
        return None
    return progress if isinstance(progress, dict) and progress.get("finished") else None


def _restore_finished(files: RunFiles, digest: str, log) -> dict | None:
    """The metrics of a run that had finished all its epochs and written its outputs before it
    was interrupted, with those outputs restored from its record; None when there is none (a
    record of other settings, or a damaged one, is left to _resume to discard)."""
    folder = files.checkpoints
    progress = finished_record(folder)
    if progress is None or progress.get("digest") != digest:
        return None
    kept = {key: folder / FINISHED / key for key in files.outputs}
    try:
        metrics = json.loads(kept["metrics"].read_text())
        if metrics["settings_digest"] != digest or not all(p.is_file() for p in kept.values()):
            raise ValueError("its outputs are incomplete")
    except (OSError, ValueError, KeyError) as error:
        log(
            f"WARNING: discarding a damaged record of a finished run in {folder} "
            f"({type(error).__name__}: {error}); training from the start"
        )
        shutil.rmtree(folder, ignore_errors=True)
        return None
    now = time.time()
    for key, path in files.outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        _link_or_copy(kept[key], path)
        os.utime(path, (now, now))  # newer than the inputs, as a freshly written output is
    log(
        f"all {len(metrics['epochs'])} epochs had finished before the run was interrupted; "
        f"its outputs are restored from {folder}, and nothing is trained again"
    )
    return metrics


def earlier_log(folder: Path) -> str:
    """What a run logged up to its last checkpoint ('' when there is none to resume from)."""
    folder = Path(folder)
    if not (folder / "progress.json").exists() or not (folder / LOG_COPY).is_file():
        return ""
    return (folder / LOG_COPY).read_text(errors="replace")


def _resume(backend, folder: Path, digest: str, log, start_afresh) -> tuple[list, int, dict]:
    """The history and epoch to continue from, the checkpoint's (loaded into backend) or none,
    and the run's times: when it first started and when it resumed.

    A checkpoint that cannot be read (cut short by a full disk, edited, half-copied) is
    discarded with a warning and the run starts afresh: it is only a shortcut, and the run's
    numbers are the same without it. A failed load may have changed some of the weights, so
    start_afresh() restores the initial ones.
    """
    now = time.time()
    fresh = [], 0, {"started_at": now, "resumed_at": []}
    progress = folder / "progress.json"
    if not progress.exists():
        return fresh
    try:
        saved = json.loads(progress.read_text())
        if saved["digest"] != digest:
            log(f"discarding a checkpoint of other settings in {folder}")
            shutil.rmtree(folder)
            return fresh
        epoch, history = int(saved["epoch"]), list(saved["history"])
        if len(history) != epoch:
            raise ValueError(f"{len(history)} epochs of history for epoch {epoch}")
        _load_predictions(folder)
        backend.load_checkpoint(str(folder / f"epoch{epoch}" / "state"))
    except Exception as error:  # noqa: BLE001 - whatever is wrong with it, the fix is the same
        log(
            f"WARNING: discarding a damaged checkpoint in {folder} ({type(error).__name__}: "
            f"{error}); training from the start"
        )
        shutil.rmtree(folder, ignore_errors=True)
        start_afresh()
        return fresh
    log(f"resumed after epoch {epoch} from {folder}")
    # A checkpoint written before these were kept counts from this start.
    times = {
        "started_at": float(saved.get("started_at", now)),
        "resumed_at": [*saved.get("resumed_at", []), now],
    }
    return history, epoch, times


def _load_predictions(folder: Path) -> np.ndarray:
    saved = json.loads((folder / "progress.json").read_text())
    return np.load(folder / f"epoch{saved['epoch']}" / "predictions.npy")

"""Training throughput: the textbook loop (a), a plain in-memory loop (b) and this project's
training path (c), measured in ONE run, alternating, on the same data, model, batch size,
threads and sample order.

    .venv/bin/python -m benchmarks.throughput                 # all cases, 2 threads
    .venv/bin/python -m benchmarks.throughput --cases torch-lenet --repeats 5
    .venv/bin/python -m benchmarks.throughput --device cuda   # on a GPU

Each case runs in its own process (mxnet fixes its thread pool at import), so process-wide
settings of the project's backends (torch: flush denormals to zero, channels-last weights) hold
for all three paths of a case. Prints images/s,
the ratios (c)/(a) and (c)/(b), the epoch-time breakdown, peak memory, and the loss and
accuracy after the pass, which must agree between (a) and (c).
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

CASES = {
    # case: (framework, model, variant, images per pass)
    "torch-lenet": ("torch", "lenet", "textbook", 60000),
    "mxnet-lenet": ("mxnet", "lenet", "textbook", 60000),
    "torch-alexnet": ("torch", "alexnet", "base", 3840),
    "mxnet-alexnet": ("mxnet", "alexnet", "base", 3840),
}
# The cases run when none are named (mxnet-alexnet is for GPUs: about 400 images/s on a CPU).
DEFAULT_CASES = ("torch-lenet", "mxnet-lenet", "torch-alexnet")
PATHS = ("a_textbook", "b_plain", "c_project")
# A second OpenMP thread makes mxnet slower on these small networks (measured: 9,187 vs
# 12,765 images/s for its own path), so its case runs on one; torch gains from two.
DEFAULT_THREADS = {"torch": 2, "mxnet": 1}
REPO = Path(__file__).resolve().parent.parent


class PeakMemory:
    """Largest resident memory of this process and its children (loader workers) while active."""

    def __init__(self):
        import psutil

        self.process, self.peak, self._stop = psutil.Process(), 0, threading.Event()

    def _sample(self):
        import psutil

        while not self._stop.is_set():
            total = self.process.memory_info().rss
            for child in self.process.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(0.01)

    def __enter__(self):
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def load_fashion_mnist():
    """Real Fashion-MNIST (the workflow's cache, else Debian's package), else same-shaped noise."""
    from convstudy.data import catalog
    from convstudy.data.cache import arrays_from_content, load_task
    from convstudy.data.sources import collect

    cached = REPO / "results" / "datasets" / "fashion_mnist.npz"
    if cached.exists():
        return load_task(cached, "fashion_mnist"), "real Fashion-MNIST"
    try:
        info = catalog.FASHION_MNIST
        content = collect(
            info,
            [{"path": "/usr/share/datasets/fashion-mnist"}],
            info.content_md5,
            log=lambda _: None,
        )
        arrays = arrays_from_content(info, content)
        from convstudy.data.cache import Dataset

        return (
            Dataset(
                "fashion_mnist",
                arrays["train_images"],
                arrays["train_labels_class"],
                arrays["test_images"],
                arrays["test_labels_class"],
                list(info.class_names),
            ),
            "real Fashion-MNIST",
        )
    except Exception:  # noqa: BLE001 - any failure means: measure on synthetic data
        from convstudy.data.cache import Dataset

        rng = np.random.default_rng(0)
        images = rng.integers(0, 256, (60000, 28, 28, 1), dtype=np.uint8)
        labels = rng.integers(0, 10, 60000)
        return (
            Dataset(
                "fashion_mnist",
                images,
                labels,
                images[:10000],
                labels[:10000],
                [str(i) for i in range(10)],
            ),
            "synthetic data of Fashion-MNIST's shape",
        )


def measure_path(
    case: str, path: str, threads: int, images: int | None, workers: int, device: str = "cpu"
) -> dict:
    """One path of one case, measured once, in this (fresh) process, on `device`."""
    framework, model, variant, default_images = CASES[case]
    import yaml

    from convstudy import backends, models, network
    from convstudy import settings as run_settings
    from convstudy.config import apply_preset
    from convstudy.settings import RunSettings
    from convstudy.train import epoch_order, prepare_backend, train_epoch

    config = apply_preset(yaml.safe_load((REPO / "config.yaml").read_text()))
    config["threads"][framework] = threads
    resolved = run_settings.resolve(
        config, run_settings.Run("fashion_mnist", model, framework, variant, 0)
    )
    settings = RunSettings.from_dict(resolved).replace(
        test_limit=1000, data_path="memory", workers=0, device=device
    )
    full, data_note = load_fashion_mnist()
    dataset = full.subset(images or default_images, 1000)
    order = epoch_order(settings.seed, 0, len(dataset.train_labels))
    shape = models.input_shape(settings, dataset.image_shape)
    spec = models.build_spec(model, settings, dataset.num_classes)
    state = network.initial_state(spec, shape, settings.seed)

    import benchmarks.reference_loops as reference

    def textbook_network():
        # d2l's networks: plain eager modules (mxnet: not hybridized), no process-wide tuning.
        backend = backends.create(framework, threads, device, hybridize=False)
        if framework == "torch":
            import torch

            # Before any computation, so that torch's worker threads inherit it too.
            torch.set_flush_denormal(False)
            backend.build(spec, shape, state)
            backend.net.to(memory_format=torch.contiguous_format)
        else:
            backend.build(spec, shape, state)
        backend.seed(settings.seed * 1000)  # the dropout masks of (c)'s first epoch
        return backend.net

    def run(subset, order):
        if path in ("a_textbook", "b_plain"):
            loop = getattr(reference, f"{framework}_{path[2:]}_epoch")
            extra = {"workers": workers} if path == "a_textbook" else {}
            return loop(
                textbook_network(),
                images=subset.train_images,
                labels=subset.train_labels,
                order=order,
                batch_size=settings.batch_size,
                lr=settings.lr,
                image_size=settings.image_size,
                device=device,
                **extra,
            )
        # The project's loop (c): the network made ready as every run's is, hybridized.
        backend, _, _ = prepare_backend(settings.replace(hybridize=True), subset)
        backend.seed(settings.seed * 1000)
        record, _ = train_epoch(backend, settings, subset, 0)
        return {
            "loss": record["train_loss"],
            "accuracy": record["train_accuracy"],
            "seconds": record["seconds"]["train"],
            "images_per_second": record["images_per_second"],
            "phases": {p: record["seconds"][p] for p in ("data", "forward", "backward", "step")},
        }

    # Warm-up on a few batches (first-call allocations, graph building, worker start-up).
    warm = dataset.subset(4 * settings.batch_size, 1000)
    run(warm, np.arange(len(warm.train_labels)))
    with PeakMemory() as memory:
        result = run(dataset, order)
    result["peak_memory_mb"] = memory.peak / 2**20
    result.update(data=data_note, batch_size=settings.batch_size, device=device)
    return result


def run_case(
    case: str, threads: int, repeats: int, images: int | None, workers: int, device: str = "cpu"
) -> dict:
    """Every path of a case, alternating, each measurement in a fresh process (so that no
    path inherits another's process-wide state: thread pools, denormal flushing, caches)."""
    framework, model, variant, default_images = CASES[case]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    results = {path: [] for path in PATHS}
    for _ in range(repeats):
        for path in PATHS:
            command = [
                sys.executable,
                "-m",
                "benchmarks.throughput",
                "--one",
                case,
                "--path",
                path,
                "--threads",
                str(threads),
                "--workers",
                str(workers),
                "--device",
                device,
            ]
            if images:
                command += ["--images", str(images)]
            output = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
            if output.returncode != 0:
                sys.exit(f"{case} {path} failed:\n{output.stderr[-3000:]}")
            results[path].append(json.loads(output.stdout.strip().splitlines()[-1]))
    return {
        "case": case,
        "framework": framework,
        "model": model,
        "variant": variant,
        "images": images or default_images,
        "threads": threads,
        "workers": workers,
        "device": device,
        "data": results["c_project"][0]["data"],
        "batch_size": results["c_project"][0]["batch_size"],
        "results": results,
    }


def summarize(report: dict) -> str:
    lines = [
        f"\n== {report['case']} ({report['variant']} settings, {report['images']} images/pass, "
        f"batch {report['batch_size']}, {report['threads']} threads, textbook loader "
        f"{report['workers']} workers, {report['device']}; {report['data']})"
    ]
    median = {
        path: float(np.median([r["images_per_second"] for r in runs]))
        for path, runs in report["results"].items()
    }
    lines.append(
        f"{'path':12} {'images/s':>10} {'data':>6} {'fwd':>6} {'bwd':>6} {'step':>6} "
        f"{'peak MB':>8} {'loss':>10} {'accuracy':>9}"
    )
    for path, runs in report["results"].items():
        best = runs[int(np.argsort([r["images_per_second"] for r in runs])[len(runs) // 2])]
        phases = best["phases"]
        lines.append(
            f"{path:12} {median[path]:10,.0f} "
            + " ".join(f"{phases.get(p, 0):6.2f}" for p in ("data", "forward", "backward", "step"))
            + f" {max(r['peak_memory_mb'] for r in runs):8.0f}"
            + f" {runs[0]['loss']:10.6f} {runs[0]['accuracy']:9.5f}"
        )
    a, b, c = (report["results"][p][0] for p in PATHS)
    lines.append(
        f"ratio (c)/(a) = {median['c_project'] / median['a_textbook']:.2f}   "
        f"(c)/(b) = {median['c_project'] / median['b_plain']:.2f}"
    )
    lines.append(
        f"same numbers: |loss (c) - loss (a)| = {abs(c['loss'] - a['loss']):.2e}, "
        f"accuracy (c) {c['accuracy']:.5f} vs (a) {a['accuracy']:.5f} (b) {b['accuracy']:.5f}"
    )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--cases", default=",".join(DEFAULT_CASES), help="comma-separated: " + ", ".join(CASES)
    )
    parser.add_argument(
        "--threads", type=int, help="compute threads (default: per case, torch 2, mxnet 1)"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--images", type=int, help="images per pass (default: per case)")
    parser.add_argument("--workers", type=int, default=4, help="textbook loader workers")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--json", help="also write the raw measurements here")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: one measurement
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.one:
        result = measure_path(
            args.one, args.path, args.threads, args.images, args.workers, args.device
        )
        print(json.dumps(result))
        return
    reports = []
    for case in args.cases.split(","):
        threads = args.threads or DEFAULT_THREADS[CASES[case][0]]
        report = run_case(case, threads, args.repeats, args.images, args.workers, args.device)
        reports.append(report)
        print(summarize(report), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(reports, indent=1))


if __name__ == "__main__":
    main()

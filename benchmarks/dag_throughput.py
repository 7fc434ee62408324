"""Throughput of many runs at once: threads per training job vs how many run side by side.

    .venv/bin/python -m benchmarks.dag_throughput            # 8 runs, three settings

Trains the same slice of runs (LeNet on real Fashion-MNIST in both frameworks, two seeds each,
a shortened schedule) through Snakemake, once per setting, from a clean results/ folder
(the dataset cache is linked in, not rebuilt), and prints the wall time of each:
  2 threads per run, --cores 2   one run at a time, using both cores
  1 thread per run,  --cores 2   two runs side by side
  1 thread per run,  --cores 4   four runs side by side (the README's `--cores 4`)
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from convstudy.config import deep_merge

REPO = Path(__file__).resolve().parent.parent
ARMS = [
    "fashion_mnist/lenet-mxnet/base",
    "fashion_mnist/lenet-mxnet/textbook",
    "fashion_mnist/lenet-torch/base",
    "fashion_mnist/lenet-torch/textbook",
]
SETTINGS = [
    ("2 threads/run, --cores 2", 2, 2),
    ("1 thread/run, --cores 2", 1, 2),
    ("1 thread/run, --cores 4", 1, 4),
]


def run_slice(workdir: Path, threads: int, cores: int, epochs: int, train_limit: int) -> float:
    config = deep_merge(
        yaml.safe_load((REPO / "config.yaml").read_text()),
        {
            "device": "cpu",
            "threads": {"mxnet": threads, "torch": threads},
            "scale": {"seeds": [0, 1], "epochs": epochs, "train_limit": train_limit},
            "comparisons": {"slice": {"title": "benchmark slice", "runs": ARMS}},
        },
    )
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    cached = REPO / "results" / "datasets" / "fashion_mnist.npz"
    if not cached.exists():
        sys.exit(
            f"{cached} is missing: build it first (snakemake --cores 1 {cached.relative_to(REPO)})"
        )
    (workdir / "results" / "datasets").mkdir(parents=True)
    os.symlink(cached, workdir / "results" / "datasets" / "fashion_mnist.npz")
    targets = [f"results/runs/{arm}/seed{seed}/metrics.json" for arm in ARMS for seed in (0, 1)]
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(workdir / "config.yaml"),
        "--cores",
        str(cores),
        *targets,
    ]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(result.stderr[-3000:])
    return elapsed


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--train-limit", type=int, default=30000)
    args = parser.parse_args()
    print(
        f"slice: {len(ARMS) * 2} runs ({', '.join(ARMS)}; seeds 0, 1), {args.epochs} epochs "
        f"of {args.train_limit} images each, {os.cpu_count()} CPUs"
    )
    times = {}
    for label, threads, cores in SETTINGS:
        with tempfile.TemporaryDirectory() as folder:
            times[label] = run_slice(Path(folder), threads, cores, args.epochs, args.train_limit)
        print(f"{label:28} {times[label]:7.1f} s", flush=True)
    baseline = times[SETTINGS[0][0]]
    for label in list(times)[1:]:
        print(f"speed-up of '{label}' over one run at a time: {baseline / times[label]:.2f}x")


if __name__ == "__main__":
    main()

"""A check anyone with an NVIDIA GPU can run: does this project train on it, in both frameworks,
with the CPU's numbers, and how fast?

    python -m benchmarks.gpu_check                # set-up included: downloads about 2.5 GB once
    python -m benchmarks.gpu_check --skip-setup   # .venv already set up with --gpu

From the repository root, with any Python 3 (the steps run in .venv). Each step is a row of the
table it prints at the end (and writes to results/gpu_check/summary.json):
  1. set-up: ./envs/setup.sh --gpu (MXNet's CUDA build beside torch's)
  2. the GPU-only tests (pytest -m gpu): each framework on CUDA gives the CPU's numbers
  3. the quick preset's LeNet and AlexNet runs on CUDA in both frameworks, through Snakemake
     (device: cuda, one seed, in results/gpu_check/quick)
  4. training throughput on the GPU: this project's path against the textbook loop
     (benchmarks.throughput --device cuda, one measurement per path)
  5. one epoch of the full-size AlexNet (PyTorch, all of Fashion-MNIST), through Snakemake
A step that fails is a row saying why (e.g. MXNet's CUDA wheels have no kernels for Hopper or
newer GPUs); the others still run. Without a GPU it stops at once, changing nothing.
Fashion-MNIST comes from the workflow's cache (results/datasets) or Debian's package.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = REPO / ".venv" / "bin" / "python"
OUT = REPO / "results" / "gpu_check"
QUICK_RUNS = [
    f"fashion_mnist/{model}-{framework}/base/seed0"
    for model in ("lenet", "alexnet")
    for framework in ("mxnet", "torch")
]
FULL_SIZE_RUN = "fashion_mnist/alexnet-torch/full_size/seed0"
THROUGHPUT_CASES = ("torch-lenet", "mxnet-lenet", "torch-alexnet", "mxnet-alexnet")


def no_gpu_reason() -> str | None:
    """Why this machine cannot run the check (asked of the NVIDIA driver, nothing installed or
    imported), or None when nvidia-smi lists a GPU."""
    sys.path.insert(0, str(REPO))
    from convstudy.environment import gpu_names

    names, why = gpu_names()
    return None if names else why


def run(command: list[str], cwd: Path = REPO, timeout: int = 3600, **env) -> tuple[bool, str]:
    """(succeeded, its output), the command echoed first."""
    print("$ " + " ".join(str(part) for part in command), flush=True)
    try:
        done = subprocess.run(
            [str(part) for part in command],
            cwd=cwd,
            env=dict(os.environ, **env),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return False, f"timed out after {timeout} s"
    return done.returncode == 0, done.stdout + done.stderr


def last_line(text: str, pattern: str = r"\S") -> str:
    lines = [line.strip() for line in text.splitlines() if re.search(pattern, line)]
    return lines[-1][:160] if lines else ""


def workflow_folder(folder: Path, overrides: str) -> Path:
    """A folder to run the workflow in: config.yaml, the overrides (YAML text, applied on top
    with --configfile), the dataset cache linked."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "config.yaml", folder / "config.yaml")
    (folder / "overrides.yaml").write_text(overrides)
    cached = REPO / "results" / "datasets" / "fashion_mnist.npz"
    link = folder / "results" / "datasets" / "fashion_mnist.npz"
    if cached.exists() and not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(cached)
    return folder


def snakemake(folder: Path, *targets: str) -> tuple[bool, str]:
    """The workflow in folder, one GPU run at a time, every failed job reported, not fatal."""
    return run(
        [
            PYTHON,
            "-m",
            "snakemake",
            "--snakefile",
            REPO / "Snakefile",
            "--directory",
            folder,
            "--configfile",
            folder / "overrides.yaml",
            "--cores",
            str(os.cpu_count()),
            "--resources",
            "gpu=1",
            "--keep-going",
            *targets,
        ],
        PATH=f"{PYTHON.parent}:{os.environ['PATH']}",
    )


def run_row(step: str, folder: Path, run_path: str) -> dict:
    """A training run's row: where it trained, how fast, how well; or why it failed."""
    metrics = folder / "results" / "runs" / run_path / "metrics.json"
    if not metrics.exists():
        log = folder / "results" / "logs" / "runs" / f"{run_path}.log"
        reason = last_line(log.read_text(), r"Error|error|cannot") if log.exists() else "no log"
        return {"step": step, "what": run_path, "result": f"FAILED: {reason}"}
    found = json.loads(metrics.read_text())
    final = found["final"]
    return {
        "step": step,
        "what": run_path,
        "result": (
            f"{found['device']}: {final['epoch_seconds']:.1f} s/epoch, "
            f"{final['images_per_second']:,.0f} images/s, test accuracy "
            f"{final['test_accuracy']:.3f} ({len(found['epochs'])} epochs of "
            f"{found['settings']['train_limit'] or 'all'} images)"
        ),
    }


def setup_step() -> list[dict]:
    started = time.monotonic()
    ok, output = run(["./envs/setup.sh", "--gpu"])
    seen = last_line(output, r"GPUs seen") or last_line(output)
    result = f"{'ok' if ok else 'FAILED'} in {time.monotonic() - started:.0f} s: {seen}"
    return [{"step": "1 set-up", "what": "./envs/setup.sh --gpu", "result": result}]


def tests_step() -> list[dict]:
    ok, output = run([PYTHON, "-m", "pytest", "-m", "gpu", "-q", "-rs", "-p", "no:cacheprovider"])
    summary = last_line(output, r"passed|failed|skipped|error")
    # Each reason once: "SKIPPED [1] tests/unit/test_gpu.py:44: <reason>".
    reasons = {
        line.split(": ", 1)[-1] for line in output.splitlines() if line.startswith("SKIPPED")
    }
    rows = [{"step": "2 tests", "what": "pytest -m gpu", "result": summary}]
    rows += [{"step": "2 tests", "what": "skipped", "result": why[:160]} for why in sorted(reasons)]
    return rows


def quick_runs_step() -> list[dict]:
    folder = workflow_folder(OUT / "quick", "preset: quick\ndevice: cuda\ncpu_fallback: false\n")
    snakemake(folder, *[f"results/runs/{run_path}/metrics.json" for run_path in QUICK_RUNS])
    return [run_row("3 quick runs", folder, run_path) for run_path in QUICK_RUNS]


def throughput_step() -> list[dict]:
    rows = []
    for case in THROUGHPUT_CASES:
        measured = OUT / f"throughput-{case}.json"
        ok, output = run(
            [
                PYTHON,
                "-m",
                "benchmarks.throughput",
                "--cases",
                case,
                "--device",
                "cuda",
                "--repeats",
                "1",
                "--json",
                measured,
            ]
        )
        if not ok:
            reason = last_line(output, r"Error|error|failed")
            rows.append({"step": "4 throughput", "what": case, "result": f"FAILED: {reason}"})
            continue
        (report,) = json.loads(measured.read_text())
        speed = {path: runs[0]["images_per_second"] for path, runs in report["results"].items()}
        loss = {path: runs[0]["loss"] for path, runs in report["results"].items()}
        rows.append(
            {
                "step": "4 throughput",
                "what": f"{case} ({report['images']} images, batch {report['batch_size']})",
                "result": (
                    f"textbook {speed['a_textbook']:,.0f}/s, plain {speed['b_plain']:,.0f}/s, "
                    f"this project {speed['c_project']:,.0f}/s: (c)/(a) "
                    f"{speed['c_project'] / speed['a_textbook']:.2f}; |loss (c) - (a)| "
                    f"{abs(loss['c_project'] - loss['a_textbook']):.1e}"
                ),
            }
        )
    return rows


def full_size_step() -> list[dict]:
    folder = workflow_folder(
        OUT / "full_size", "device: cuda\ncpu_fallback: false\nscale: {seeds: [0], epochs: 1}\n"
    )
    snakemake(folder, f"results/runs/{FULL_SIZE_RUN}/metrics.json")
    return [run_row("5 full-size AlexNet", folder, FULL_SIZE_RUN)]


def table(rows: list[dict]) -> str:
    widths = [max(len(row[key]) for row in rows) for key in ("step", "what")]
    return "\n".join(
        f"{row['step']:{widths[0]}}  {row['what']:{widths[1]}}  {row['result']}" for row in rows
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--skip-setup", action="store_true", help="the .venv is set up already")
    args = parser.parse_args()
    reason = no_gpu_reason()
    if reason:
        print(
            f"benchmarks.gpu_check needs an NVIDIA GPU, and this machine has none ({reason}). "
            "Nothing was run or changed; run it where nvidia-smi lists a GPU.",
            file=sys.stderr,
        )
        return 2
    started = time.monotonic()
    rows = [] if args.skip_setup else setup_step()
    if not PYTHON.exists():
        print(table(rows))
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    for step in (tests_step, quick_runs_step, throughput_step, full_size_step):
        rows += step()
        print(table(rows[-1:]), flush=True)
    rows.append(
        {"step": "total", "what": "", "result": f"{(time.monotonic() - started) / 60:.1f} min"}
    )
    (OUT / "summary.json").write_text(json.dumps(rows, indent=1))
    print("\n" + table(rows))
    return 0 if not any("FAILED" in row["result"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

"""The GPU check (benchmarks/gpu_check.py) stops at once where there is no GPU, and reads its
results into a table."""

import json
import os
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO


def fake_nvidia_smi(folder, script: str) -> dict:
    """An environment whose nvidia-smi (first on PATH) runs `script`."""
    folder.mkdir()
    (folder / "nvidia-smi").write_text(f"#!/bin/sh\n{script}\n")
    (folder / "nvidia-smi").chmod(0o755)
    return dict(os.environ, PATH=f"{folder}:{os.environ['PATH']}")


@pytest.mark.parametrize(
    "script, why",
    [
        ("exit 9", "nvidia-smi failed (CalledProcessError)"),
        ("exit 0", "nvidia-smi lists no GPU"),
    ],
)
def test_the_gpu_check_stops_at_once_without_a_gpu(tmp_path, script, why):
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.gpu_check"],
        cwd=REPO,
        env=fake_nvidia_smi(tmp_path / "bin", script),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip() == (
        f"benchmarks.gpu_check needs an NVIDIA GPU, and this machine has none ({why}). Nothing "
        "was run or changed; run it where nvidia-smi lists a GPU."
    )
    assert done.stdout == "" and time.monotonic() - started < 20


def test_the_gpu_check_reads_a_run_and_a_failure_into_its_table(tmp_path):
    from benchmarks import gpu_check

    run_path = "fashion_mnist/lenet-torch/base/seed0"
    metrics = tmp_path / "results" / "runs" / run_path / "metrics.json"
    metrics.parent.mkdir(parents=True)
    final = {"epoch_seconds": 1.234, "images_per_second": 5678.9, "test_accuracy": 0.8123}
    metrics.write_text(
        json.dumps(
            {
                "device": "cuda:0 (NVIDIA A10)",
                "final": final,
                "epochs": [{}, {}],
                "settings": {"train_limit": 1000},
            }
        )
    )
    failed = "fashion_mnist/lenet-mxnet/base/seed0"
    log = tmp_path / "results" / "logs" / "runs" / f"{failed}.log"
    log.parent.mkdir(parents=True)
    log.write_text("loading\nDeviceError: device: cuda was asked for, but mxnet cannot use it\n")
    rows = [gpu_check.run_row("3", tmp_path, run_path), gpu_check.run_row("3", tmp_path, failed)]
    assert gpu_check.table(rows).splitlines() == [
        f"3  {run_path}  cuda:0 (NVIDIA A10): 1.2 s/epoch, 5,679 images/s, test accuracy 0.812 "
        "(2 epochs of 1000 images)",
        f"3  {failed}  FAILED: DeviceError: device: cuda was asked for, but mxnet cannot use it",
    ]

"""Comparisons that need a GPU: where they run, and what the report says where they do not (with
the CPU time per epoch, estimated from a short measured pass)."""

import json

import pytest

from convstudy import settings as run_settings
from convstudy import speed
from convstudy.report import arms
from convstudy.settings import gpu_decision
from tests.runs import quick_config, synthetic_dataset

NO_GPU = (0, [], "nvidia-smi is not installed (no NVIDIA driver)")


def test_auto_runs_them_only_where_gpus_are_available_to_frameworks_that_can_use_them():
    torch_gpu = {"torch": True}
    assert gpu_decision("auto", "auto", *NO_GPU, torch_gpu) == (
        False,
        "no GPU here: nvidia-smi is not installed (no NVIDIA driver), and Snakemake was given "
        "no GPUs to hand out (--resources gpu=N, as profiles/local-gpu and profiles/slurm set)",
    )
    assert gpu_decision("auto", "auto", 0, ["NVIDIA A100"], "", torch_gpu) == (
        True,
        "this machine has NVIDIA A100",
    )
    # A cluster profile hands out GPUs that the machine running Snakemake does not have.
    assert gpu_decision("auto", "cuda", 100, [], "nvidia-smi lists no GPU", torch_gpu)[0]
    assert gpu_decision("auto", "cpu", 100, ["NVIDIA A100"], "", torch_gpu) == (
        False,
        "device: cpu",
    )
    assert gpu_decision("auto", "auto", 1, [], "", {"mxnet": False, "torch": True}) == (
        False,
        "the installed mxnet cannot use a GPU (a CPU-only build)",
    )


def test_the_switch_decides_whatever_the_machine():
    assert gpu_decision(True, "cpu", *NO_GPU, {"mxnet": False}) == (True, "gpu_comparisons: true")
    assert gpu_decision(False, "auto", 1, ["NVIDIA A100"], "", {"torch": True}) == (
        False,
        "gpu_comparisons: false",
    )


def test_the_cpu_estimate_is_one_measured_pass_scaled_to_the_runs_epoch():
    config = quick_config(train_limit=300, test_limit=100)
    settings = run_settings.RunSettings.from_dict(
        run_settings.resolve(config, run_settings.Run("fashion_mnist", "lenet", "torch", "base", 0))
    ).replace(
        device="cuda"
    )  # an estimate of the CPU, whatever the run would use
    dataset = synthetic_dataset(n_train=400, n_test=150)
    estimate = speed.estimate_cpu_epoch(settings, dataset, 96, 32, 2, log=lambda _: None)
    assert estimate["timing"] == "estimate" and estimate["device"].startswith("cpu")
    assert estimate["images_measured"] == 96 and estimate["batch_size"] == 96
    assert (estimate["train_images"], estimate["test_images"]) == (300, 100)
    (measured,) = estimate["passes"]
    assert estimate["seconds_per_image"] == pytest.approx(measured["seconds"]["train"] / 96)
    assert estimate["epoch_seconds"] == pytest.approx(
        300 * estimate["seconds_per_image"] + 100 * measured["seconds"]["forward"] / 96
    )


def test_the_report_says_once_which_comparison_was_left_out_why_and_its_estimate(tmp_path):
    estimate = tmp_path / "full_size.json"
    estimate.write_text(
        json.dumps(
            {
                "arm": "fashion_mnist/alexnet-torch/full_size",
                "threads": 1,
                "train_images": 60000,
                "test_images": 10000,
                "epoch_seconds": 3 * 3600 + 7 * 60,
                "images_measured": 256,
                "batch_size": 128,
                "seconds_per_image": 0.1802,
            }
        )
    )
    plan = {
        "skipped": [],
        "gpu_skipped": [
            {
                "name": "alexnet_full_size",
                "title": "AlexNet full size vs 1/256",
                "section": "alexnet",
                "why": "no GPU here",
                "estimates": [{"arm": "a", "label": "full size", "path": str(estimate)}],
            }
        ],
    }
    assert arms.left_out_notices(plan, "lenet") == []
    (block,) = arms.left_out_notices(plan, "alexnet")
    assert block["kind"] == "notice"
    assert block["text"] == (
        "Not run for lack of a GPU: AlexNet full size vs 1/256 (no GPU here). On this machine's "
        "CPU an epoch of fashion_mnist/alexnet-torch/full_size (full size: 60,000 training and "
        "10,000 test images) would take about 3 h 07 min: an estimate from one pass over 256 "
        "training images (batch 128, 1 thread, timed alone) at 0.180 s per image, scaled to the "
        "epoch. To run it anyway: snakemake --cores 4 --config gpu_comparisons=true."
    )

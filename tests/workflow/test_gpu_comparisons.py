"""The comparison that needs a GPU (the full-size AlexNet), as dry runs schedule it: run where the
workflow is given GPUs or told to, left out and estimated on the CPU elsewhere."""

import pytest

from convstudy.environment import gpu_names
from tests.conftest import run_snakemake

FULL_SIZE = "fashion_mnist/alexnet-torch/full_size"
ESTIMATE = f"output: results/estimates/{FULL_SIZE}.json"
RUNS = f"output: results/runs/{FULL_SIZE}/seed"
TIMING = "output: results/timing/comparisons/alexnet_full_size.json"


def dry_run(tmp_path, synthetic_sources, *args, **config):
    config = {"datasets": synthetic_sources, "preset": "quick", **config}
    return run_snakemake(tmp_path, "-n", "--cores", "4", *args, config=config).output


@pytest.mark.skipif(bool(gpu_names()[0]), reason="this machine lists a GPU: auto runs it here")
def test_without_a_gpu_it_is_left_out_and_its_cpu_epoch_estimated(tmp_path, synthetic_sources):
    output = dry_run(tmp_path, synthetic_sources)
    assert output.count(ESTIMATE) == 1
    assert RUNS not in output and TIMING not in output


@pytest.mark.parametrize(
    "args, config, runs",
    [
        (["--resources", "gpu=1"], {}, True),  # what profiles/local-gpu and profiles/slurm say
        ([], {"gpu_comparisons": True}, True),
        (["--resources", "gpu=1"], {"gpu_comparisons": False}, False),
        (["--resources", "gpu=1"], {"device": "cpu"}, False),
    ],
)
def test_given_gpus_or_told_to_it_runs_and_needs_no_estimate(
    tmp_path, synthetic_sources, args, config, runs
):
    output = dry_run(tmp_path, synthetic_sources, *args, **config)
    assert (RUNS in output, TIMING in output, ESTIMATE in output) == (runs, runs, not runs)
    if runs:  # two seeds in the quick preset
        assert output.count(RUNS) == 2

"""The build's cost, told before it starts: `snakemake estimate` on a fresh directory trains
nothing, downloads nothing, and prints and writes the estimate of the default target."""

import json

import pytest

from tests.conftest import run_snakemake

pytestmark = pytest.mark.slow


def test_the_estimate_comes_before_any_data_or_training(tmp_path, synthetic_sources):
    config = {"datasets": synthetic_sources, "preset": "quick"}
    result = run_snakemake(tmp_path, "--cores", "2", "estimate", config=config)
    results = tmp_path / "results"
    # Nothing but the estimate ran: no dataset was fetched and no network trained.
    assert not (results / "datasets").exists() and not (results / "runs").exists()
    estimate = json.loads((results / "estimate.json").read_text())
    assert estimate["cores"] == 2 and estimate["jobs_left"] == estimate["jobs"]
    assert estimate["wall_seconds"] > 0 and estimate["cpu_seconds"] > 0
    # Every kind of run is costed, and the rules that run once per comparison are counted once.
    assert set(estimate["by_kind"]) >= {
        "lenet x mxnet x fashion_mnist",
        "lenet x torch x fashion_mnist",
        "alexnet x torch x mnist",
        "lenet x mxnet x cifar100_fine",
    }
    comparisons = estimate["by_rule"]["comparison"]["jobs"]
    assert estimate["by_rule"]["time_comparison"]["jobs"] == comparisons > 0
    assert sum(row["runs"] for row in estimate["by_kind"].values()) == estimate["runs"]
    # Printed, laid out on the cores asked for.
    assert "about" in result.output and "at --cores 2 on this machine" in result.output
    assert (results / "estimate.md").read_text().startswith("# What this build costs")
    again = run_snakemake(tmp_path, "--cores", "4", "estimate", config=config)
    assert "at --cores 4 on this machine" in again.output  # laid out again, not measured again
    assert "timing " not in again.output.split("localrule estimate:")[0]

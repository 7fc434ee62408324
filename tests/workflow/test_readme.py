"""README's commands, as a user copies them, run in a copy of the workflow on synthetic data.

Each command below is a verbatim copy of one in README.md (the test fails if README changes it)
and runs from the root of a folder laid out like this repository (its files linked, its own
config.yaml and results/), as README's commands do.
"""

import os
import re
import subprocess

import cv2
import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import REPO, deep_update

pytestmark = pytest.mark.slow

CLUSTER_COMMAND = """.venv/bin/snakemake all --profile profiles/slurm \\
    --default-resources runtime=60 mem_mb=2000 \\
    slurm_partition=your_partition slurm_account=your_account"""

EDGE_FOLDER_COMMAND = (
    ".venv/bin/snakemake section_edges --cores 4 "
    "--config 'edges={images: ~/Pictures/holiday, max_side: 512}'"
)

WORKFLOW_FILES = ["Snakefile", "rules", "scripts", "schemas", "report", "envs", "profiles", ".venv"]


def readme_command(command):
    assert command in (REPO / "README.md").read_text(), f"README no longer says: {command}"
    return command


def checkout(folder, config=None):
    """A folder laid out like this repository: its workflow files linked, config.yaml copied
    with overrides."""
    folder.mkdir(parents=True)
    for name in WORKFLOW_FILES:
        (folder / name).symlink_to(REPO / name)
    settings = deep_update(yaml.safe_load((REPO / "config.yaml").read_text()), config or {})
    (folder / "config.yaml").write_text(yaml.safe_dump(settings))
    return folder


def run(command, folder, **env):
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=folder,
        env=dict(os.environ, **env),
        capture_output=True,
        text=True,
        timeout=900,
    )
    result.output = result.stdout + result.stderr
    assert result.returncode == 0, result.output[-6000:]
    return result


def test_the_edge_folder_command(tmp_path, synthetic_sources):
    home = tmp_path / "home"
    holiday = home / "Pictures" / "holiday"
    holiday.mkdir(parents=True)
    rng = np.random.default_rng(0)
    assert cv2.imwrite(str(holiday / "beach.jpg"), rng.integers(0, 256, (300, 1024, 3), np.uint8))
    assert cv2.imwrite(str(holiday / "dog.png"), rng.integers(0, 256, (64, 48), np.uint8))
    folder = checkout(tmp_path / "convstudy", {"datasets": synthetic_sources})
    run(readme_command(EDGE_FOLDER_COMMAND), folder, HOME=str(home))
    table = pd.read_csv(folder / "results" / "tables" / "edge_energy.csv")
    sizes = table.groupby("image")[["height", "width"]].first()
    assert tuple(sizes.loc["beach"]) == (150, 512)  # shrunk to max_side
    assert tuple(sizes.loc["dog"]) == (64, 48)


def train_jobs(dry_run_output):
    """{run: {resource: value}} of every training job a dry run lists."""
    jobs = {}
    for block in dry_run_output.split("\nrule ")[1:]:
        if not block.startswith("train:"):
            continue
        wildcards = dict(re.findall(r"(\w+)=([^,\n]+)", re.search(r"wildcards: (.*)", block)[1]))
        resources = dict(re.findall(r"(\w+)=([^,\n]+)", re.search(r"resources: (.*)", block)[1]))
        jobs["{dataset}/{model}-{framework}/{variant}/seed{seed}".format(**wildcards)] = resources
    return jobs


def test_the_cluster_command_in_a_dry_run(tmp_path, synthetic_sources):
    folder = checkout(tmp_path / "convstudy", {"datasets": synthetic_sources})
    result = run(readme_command(CLUSTER_COMMAND) + " --dry-run", folder)
    assert "This was a dry-run" in result.output
    jobs = train_jobs(result.stdout)
    assert len(jobs) > 100
    # Each run asks Slurm for what its model needs (the rule's own numbers), not one size for
    # all: LeNet runs peak at 300-800 MB and must fit nodes with less than 8 GB.
    for name, resources in jobs.items():
        alexnet = "/alexnet-" in name
        assert resources["mem_mb"] == ("3000" if alexnet else "1500"), (name, resources)
        assert resources["runtime"] == ("240" if alexnet else "60"), (name, resources)
        assert resources["slurm_partition"] == "your_partition", (name, resources)

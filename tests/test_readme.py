"""README's commands, as a user copies them, run in a copy of the workflow on synthetic data.

Each command below is a verbatim copy of one in README.md (the test fails if README changes it)
and runs from the root of a folder laid out like this repository (its files linked, its own
config.yaml and results/), as README's commands do.
"""

import os
import subprocess

import cv2
import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import REPO, deep_update

pytestmark = pytest.mark.slow

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

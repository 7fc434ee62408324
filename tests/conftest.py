import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

# MXNet fixes its thread pool when first imported, by whichever test imports it first; the
# backends expect the thread count they are given (1 in tests) to be the one in force.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from tests import synthetic

REPO = Path(__file__).resolve().parent.parent


def under_ci() -> bool:
    """Whether this is a CI run (CI=true, as CI services set it), where a skip passes unseen."""
    return os.environ.get("CI", "").strip().lower() == "true"


def require(condition, what_to_install: str) -> None:
    """Go on where condition holds; otherwise skip the test saying what to install, or, under
    CI (CI=true), fail saying so: there a skipped check would count as a passed one."""
    if condition:
        return
    if under_ci():
        pytest.fail(f"{what_to_install} (CI=true: a missing requirement fails the test)")
    pytest.skip(what_to_install)


@pytest.fixture(scope="session")
def synthetic_sources(tmp_path_factory):
    """Synthetic MNIST, Fashion-MNIST and CIFAR-100 in their real formats, as config sources."""
    root = tmp_path_factory.mktemp("sources")
    mnist = synthetic.write_idx_dataset(root / "mnist", seed=1)
    fashion = synthetic.write_idx_dataset(root / "fashion", seed=2, compress=False)
    cifar = synthetic.write_cifar100_archive(root / "cifar-100-python.tar.gz", seed=3)
    return {
        "mnist": {"sources": [{"path": str(root / "mnist")}], "content_md5": mnist},
        "fashion_mnist": {"sources": [{"path": str(root / "fashion")}], "content_md5": fashion},
        "cifar100": {
            "sources": [{"path": str(root / "cifar-100-python.tar.gz")}],
            "content_md5": cifar,
        },
    }


def deep_update(base, override):
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_update(base[key], value)
        else:
            base[key] = value
    return base


def snakemake_command(workdir, *args):
    """This repository's workflow, run in workdir with the config.yaml written there."""
    workdir = Path(workdir)
    return [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(workdir / "config.yaml"),
        *args,
    ]


def assert_no_traceback(output):
    """A load-time error shows its message alone: no Python traceback, no frame lines."""
    assert "Traceback" not in output and '  File "' not in output, output[-3000:]


def run_snakemake(workdir, *args, config=None, check=True, timeout=1200):
    """Run this repository's workflow in workdir on a copy of config.yaml with overrides."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    settings = yaml.safe_load((REPO / "config.yaml").read_text())
    deep_update(settings, config or {})
    # In config.yaml's order: the order of models: is the order of the report's sections.
    (workdir / "config.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    result = subprocess.run(
        snakemake_command(workdir, *args),
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    # Snakemake writes some messages to stdout (dry runs) and others to stderr.
    result.output = result.stdout + result.stderr
    if check and result.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} exited {result.returncode}\n{result.output[-6000:]}"
        )
    return result

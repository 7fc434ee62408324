"""Which device a run computes on, and which runs may ask a cluster for a GPU."""

import importlib.metadata

import pytest

from convstudy.backends import DeviceError, installed_with_gpu_support, resolve_device
from convstudy.environment import environment_table, library_versions, machine


def test_cpu_is_always_cpu():
    assert resolve_device("torch", "cpu", gpu_available=True, cpu_fallback=False) == "cpu"


def test_a_visible_gpu_is_used_when_asked_or_auto():
    for wanted in ("cuda", "auto"):
        assert resolve_device("torch", wanted, gpu_available=True, cpu_fallback=False) == "cuda"


def test_auto_without_gpu_runs_on_cpu_quietly(monkeypatch, recwarn):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert resolve_device("torch", "auto", gpu_available=False, cpu_fallback=False) == "cpu"
    assert len(recwarn) == 0


def test_auto_with_an_assigned_but_unusable_gpu_warns(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    with pytest.warns(RuntimeWarning, match=r"sees no GPU here \(CUDA_VISIBLE_DEVICES=0\)"):
        assert resolve_device("mxnet", "auto", gpu_available=False, cpu_fallback=False) == "cpu"


def test_cuda_without_gpu_fails_unless_fallback_is_configured(monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    with pytest.raises(RuntimeError, match="set cpu_fallback: true"):
        resolve_device("torch", "cuda", gpu_available=False, cpu_fallback=False)
    with pytest.warns(RuntimeWarning, match="running on the CPU instead"):
        assert resolve_device("torch", "cuda", gpu_available=False, cpu_fallback=True) == "cpu"


def test_gpu_support_is_read_from_the_installed_builds():
    import mxnet
    import torch

    # Without importing them, the same answer as the builds give of themselves.
    assert installed_with_gpu_support("mxnet") is mxnet.runtime.Features().is_enabled("CUDA")
    assert installed_with_gpu_support("torch") is (torch.version.cuda is not None)


class Distribution:
    def __init__(self, name):
        self.metadata = {"Name": name}


@pytest.mark.parametrize(
    "installed, gpu", [("mxnet", False), ("mxnet-cu117", True), ("mxnet-cu112", True)]
)
def test_mxnet_cuda_builds_are_recognised_by_their_name(monkeypatch, installed, gpu):
    others = [Distribution("numpy"), Distribution("torch")]
    monkeypatch.setattr(
        importlib.metadata, "distributions", lambda: [*others, Distribution(installed)]
    )
    assert installed_with_gpu_support("mxnet") is gpu


def test_the_environment_names_the_build_a_library_is_installed_as(monkeypatch):
    real_version = importlib.metadata.version

    def version(name):
        if name == "mxnet":  # as with mxnet's CUDA build installed
            raise importlib.metadata.PackageNotFoundError(name)
        return "1.9.1" if name == "mxnet-cu117" else real_version(name)

    monkeypatch.setattr(importlib.metadata, "version", version)
    monkeypatch.setattr(
        importlib.metadata, "packages_distributions", lambda: {"mxnet": ["mxnet-cu117"]}
    )
    versions = library_versions(("mxnet", "numpy", "no-such-library"))
    assert versions["mxnet"] == "1.9.1 (mxnet-cu117)"
    assert versions["numpy"] == real_version("numpy")
    assert versions["no-such-library"] == "not installed"


def test_a_gpu_the_build_cannot_run_is_left_with_a_warning_that_says_why(monkeypatch):
    # e.g. mxnet's CUDA wheels on a Hopper GPU: seen, but without kernels for it.
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    why = "a first operation on it failed (no kernel image)"
    with pytest.warns(RuntimeWarning, match=r"mxnet cannot use the GPU here: a first operation"):
        assert resolve_device("mxnet", "auto", True, cpu_fallback=False, unusable=why) == "cpu"
    with pytest.raises(DeviceError, match=r"cannot use the GPU here: .*set cpu_fallback: true"):
        resolve_device("mxnet", "cuda", True, cpu_fallback=False, unusable=why)


def test_the_build_wall_time_spans_every_timing_job_a_comparison_ones_included():
    here = machine()
    runs = [
        {"machine": here, "device": "cpu (1 threads)", "started_at": 100.0, "finished_at": 400.0},
        {"machine": here, "device": "cpu (1 threads)", "started_at": 150.0, "finished_at": 500.0},
    ]
    arm = {"machine": here, "cores_reserved": 4, "started_at": 500.0, "finished_at": 530.0}
    # A comparison's job writes its arms' timings, timed in rounds: it ran until the last ended.
    comparison = [dict(arm, started_at=600.0, finished_at=700.0), dict(arm, finished_at=1300.0)]
    conditions = {
        "threads": {"mxnet": 1},
        "timing": {"repeats": 3, "images": 1000, "warmup_images": 256},
        "preset": "quick",
        "epochs": 2,
        "train_limit": 1000,
        "test_limit": 500,
        "seeds": {"lenet": [0, 1]},
    }
    rows = {
        r["item"]: r["value"] for r in environment_table(runs, [[arm], comparison], conditions, {})
    }
    assert rows["Wall time of training and timing"].startswith("20 min: first job started")
    assert rows["Wall time of training and timing"].endswith("(2 runs, 2 timing jobs)")
    assert rows["Jobs at once"].startswith(
        "up to 4 (the cores given to Snakemake, --cores, which may be more than the machine's "
        "CPUs); observed: at most 2"
    )


def test_a_resumed_run_counts_as_running_only_since_it_resumed():
    here = machine()
    # Started at 100, killed, resumed at 900: it did not run beside the run from 300 to 500.
    runs = [
        {"machine": here, "device": "cpu", "started_at": 100.0, "resumed_at": [900.0]}
        | {"finished_at": 1000.0},
        {"machine": here, "device": "cpu", "started_at": 300.0, "finished_at": 500.0},
    ]
    arm = {"machine": here, "cores_reserved": 2, "started_at": 1000.0, "finished_at": 1060.0}
    conditions = {
        "threads": {"torch": 1},
        "timing": {"repeats": 3, "images": 1000, "warmup_images": 256},
        "preset": "quick",
        "epochs": 2,
        "train_limit": 1000,
        "test_limit": 500,
        "seeds": {"lenet": [0]},
    }
    rows = {r["item"]: r["value"] for r in environment_table(runs, [[arm]], conditions, {})}
    assert "observed: at most 1 training runs at the same time" in rows["Jobs at once"]
    # The wall time still spans from the first start.
    assert rows["Wall time of training and timing"].startswith("16 min: first job started")

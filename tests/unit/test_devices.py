"""Which device a run computes on, and which runs may ask a cluster for a GPU."""

import pytest

from convstudy.backends import DeviceError, installed_with_gpu_support, resolve_device


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
    import torch

    # PyPI's mxnet 1.9.1 is a CPU build; torch says itself which CUDA it was built for, if any.
    assert installed_with_gpu_support("mxnet") is False
    assert installed_with_gpu_support("torch") is (torch.version.cuda is not None)


def test_a_gpu_the_build_cannot_run_is_left_with_a_warning_that_says_why(monkeypatch):
    # e.g. mxnet's CUDA wheels on a Hopper GPU: seen, but without kernels for it.
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    why = "a first operation on it failed (no kernel image)"
    with pytest.warns(RuntimeWarning, match=r"mxnet cannot use the GPU here: a first operation"):
        assert resolve_device("mxnet", "auto", True, cpu_fallback=False, unusable=why) == "cpu"
    with pytest.raises(DeviceError, match=r"cannot use the GPU here: .*set cpu_fallback: true"):
        resolve_device("mxnet", "cuda", True, cpu_fallback=False, unusable=why)

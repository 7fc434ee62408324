"""The framework seam: one small interface, implemented once for MXNet and once for PyTorch.

The training loop (convstudy.train) only talks to a Backend. Everything framework-neutral (the
model description, initial weights, sample order, input transform) lives outside, so the two
frameworks run the same experiment.
"""

import importlib.metadata

from convstudy.backends.base import Backend, DeviceError, StepTrace, resolve_device

FRAMEWORKS = ("mxnet", "torch")
# The interface (convstudy.backends.base), offered here too: backends.Backend, backends.create.
__all__ = ["FRAMEWORKS", "Backend", "DeviceError", "create", "installed_with_gpu_support"]
__all__ += ["StepTrace", "resolve_device"]


def create(
    framework: str, threads: int, device: str, cpu_fallback: bool = False, hybridize: bool = True
) -> Backend:
    """A backend computing with exactly `threads` CPU threads on `device` (cpu | cuda | auto).
    hybridize (MXNet only) compiles the network into a static graph."""
    if framework == "mxnet":
        from convstudy.backends.mxnet_backend import MXNetBackend

        return MXNetBackend(threads, device, cpu_fallback, hybridize)
    if framework == "torch":
        from convstudy.backends.torch_backend import TorchBackend

        return TorchBackend(threads, device, cpu_fallback)
    raise ValueError(f"unknown framework {framework!r}; choose one of {', '.join(FRAMEWORKS)}")


def installed_with_gpu_support(framework: str) -> bool:
    """Can the installed build of framework use a GPU at all? Read from package metadata only,
    so the workflow can decide which jobs ask a cluster for a GPU without importing anything.
    PyPI's mxnet is CPU-only (CUDA builds are named mxnet-cu*); torch's Linux wheels on PyPI
    are CUDA builds unless their version says +cpu."""
    distributions = {d.metadata["Name"].lower() for d in importlib.metadata.distributions()}
    if framework == "mxnet":
        return any(name.startswith("mxnet-cu") for name in distributions)
    if framework == "torch":
        try:
            version = importlib.metadata.version("torch")
        except importlib.metadata.PackageNotFoundError:
            return False
        requires = importlib.metadata.requires("torch") or []
        return "+cpu" not in version and any(r.startswith("nvidia-") for r in requires)
    raise ValueError(f"unknown framework {framework!r}")

"""On a GPU: both backends train on CUDA and give the CPU's numbers within float tolerance, with
the time breakdown still adding up. Skipped, saying why, where a framework sees no usable GPU
(`pytest -m gpu` runs only these; benchmarks/gpu_check.py runs them on a GPU machine)."""

import numpy as np
import pytest

from convstudy import backends, network
from convstudy.models import alexnet, lenet
from convstudy.settings import RunSettings
from convstudy.timing import TRAIN_PHASES, PhaseTimer
from tests.runs import numbers, run_once, synthetic_dataset

pytestmark = pytest.mark.gpu


def gpu_unavailable(framework: str) -> str | None:
    """Why `framework` cannot train on a GPU here, or None when it can."""
    if framework == "torch":
        import torch

        return None if torch.cuda.is_available() else "PyTorch sees no CUDA GPU here"
    if not backends.installed_with_gpu_support("mxnet"):
        return "the installed mxnet is the CPU-only build (envs/setup.sh --gpu installs CUDA's)"
    try:
        import mxnet
    except OSError as error:  # the CUDA build without the NVIDIA driver
        return f"mxnet's CUDA build does not load here: {error}"
    if mxnet.context.num_gpus() == 0:
        return "mxnet sees no GPU here"
    from convstudy.backends.mxnet_backend import _gpu_problem

    problem = _gpu_problem(mxnet)
    return f"mxnet cannot use this GPU: {problem}" if problem else None


@pytest.fixture(params=backends.FRAMEWORKS)
def framework(request):
    reason = gpu_unavailable(request.param)
    if reason:
        pytest.skip(reason)
    return request.param


def test_a_short_run_on_the_gpu_gives_the_cpu_numbers(tmp_path, framework):
    # LeNet has no dropout, whose masks come from each device's own random numbers.
    dataset = synthetic_dataset(n_train=512, n_test=128)
    arm = f"fashion_mnist/lenet-{framework}/batchnorm"
    on_cpu, predicted_cpu, _ = run_once(tmp_path, arm, dataset, "cpu", {"device": "cpu"})
    on_gpu, predicted_gpu, _ = run_once(tmp_path, arm, dataset, "gpu", {"device": "cuda"})
    assert on_cpu["device"].startswith("cpu") and on_gpu["device"].startswith("cuda")
    for cpu_epoch, gpu_epoch in zip(numbers(on_cpu), numbers(on_gpu), strict=True):
        assert gpu_epoch[0] == pytest.approx(cpu_epoch[0], rel=1e-4)  # training loss
        assert gpu_epoch[1] == pytest.approx(cpu_epoch[1], abs=2 / 512)  # a near-tie may flip
        assert gpu_epoch[2] == pytest.approx(cpu_epoch[2], abs=2 / 128)
    assert np.mean(predicted_cpu != predicted_gpu) <= 2 / 128


def test_same_weights_give_the_cpu_logits_on_the_gpu(framework):
    spec, shape = alexnet.network(10), (1, 224, 224)
    state = network.initial_state(spec, shape, seed=3)
    images = np.random.default_rng(4).random((4, *shape), dtype=np.float32)
    logits = {}
    for device in ("cpu", "cuda"):
        backend = backends.create(framework, threads=1, device=device)
        backend.build(spec, shape, state)
        logits[device] = backend.predict(images)
    np.testing.assert_allclose(logits["cuda"], logits["cpu"], rtol=1e-4, atol=1e-5)


def test_on_the_gpu_the_values_stay_on_the_device_and_the_phases_add_up(tmp_path, framework):
    from convstudy.data.transforms import to_network_input

    metrics, _, _ = run_once(
        tmp_path,
        f"fashion_mnist/lenet-{framework}/base",
        synthetic_dataset(),
        "gpu",
        {"device": "cuda"},
        epochs=1,
    )
    seconds = metrics["epochs"][0]["seconds"]
    assert all(seconds[phase] > 0 for phase in ("data", "forward", "backward", "step"))
    parts = sum(seconds[phase] for phase in TRAIN_PHASES)
    assert parts == pytest.approx(seconds["train"], rel=1e-6)
    backend = backends.create(framework, threads=1, device="cuda")
    spec = lenet.network(10)
    backend.build(spec, (1, 28, 28), network.initial_state(spec, (1, 28, 28), seed=0))
    backend.configure_optimizer(RunSettings.from_dict(metrics["settings"]))
    dataset = synthetic_dataset(n_train=8)
    batch = backend.to_batch(to_network_input(dataset.train_images), dataset.train_labels)
    assert backend.deferred_metrics
    loss_sum, correct = backend.train_step(batch, PhaseTimer())
    assert not isinstance(loss_sum, float) and not isinstance(correct, int)
    assert backend.read(correct) <= 8 and np.isfinite(backend.read(loss_sum))

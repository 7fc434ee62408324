"""The models are described once; both frameworks build the same network from the description."""

import numpy as np
import pytest

from convstudy import backends, models, network
from convstudy import settings as run_settings
from convstudy.models import alexnet, lenet
from convstudy.network import Activation, BatchNorm, Conv, Dense, Flatten, Pool, Residual
from convstudy.settings import RunSettings


def tiny_residual_cnn(num_classes: int = 10) -> list:
    """A small ResNet-like network, for tests only: two residual blocks of 3x3 convolutions
    (with batch normalization), each block's output added to its input."""

    def block(channels):
        return Residual(
            (
                Conv(channels, 3, padding=1),
                BatchNorm(),
                Activation("relu"),
                Conv(channels, 3, padding=1),
                BatchNorm(),
            )
        )

    return [
        Conv(8, 3, padding=1),
        Activation("relu"),
        block(8),
        Activation("relu"),
        Pool("max", 2, 2),
        block(8),
        Activation("relu"),
        Flatten(),
        Dense(num_classes),
    ]


CASES = {
    "lenet textbook": (lenet.network(10), (1, 28, 28)),
    "lenet relu max bn": (lenet.network(10, "relu", "max", batchnorm=True), (1, 28, 28)),
    "lenet wide cifar": (lenet.network(100, "relu", "max", width=2.0), (3, 32, 32)),
    "alexnet": (alexnet.network(10), (1, 224, 224)),
    "alexnet bn cifar": (alexnet.network(20, batchnorm=True), (3, 96, 96)),
    "residual cnn": (tiny_residual_cnn(), (1, 28, 28)),
}


@pytest.fixture(scope="module", params=backends.FRAMEWORKS)
def backend(request):
    return backends.create(request.param, threads=1, device="cpu")


def test_textbook_parameter_counts():
    assert network.parameter_count(lenet.network(10), (1, 28, 28)) == 61_706
    textbook = network.parameter_count(alexnet.network(10, width=1.0), (1, 224, 224))
    reduced = network.parameter_count(alexnet.network(10), (1, 224, 224))
    assert textbook == 46_764_746
    assert reduced == 186_326 and 240 < textbook / reduced < 260


@pytest.mark.parametrize("case", CASES)
def test_each_framework_counts_the_parameters_of_the_spec(case, backend):
    spec, shape = CASES[case]
    backend.build(spec, shape, network.initial_state(spec, shape, seed=0))
    assert backend.parameter_count() == network.parameter_count(spec, shape)


@pytest.mark.parametrize("case", CASES)
def test_same_weights_give_the_same_logits_in_both_frameworks(case):
    spec, shape = CASES[case]
    # Non-trivial BatchNorm statistics, so inference-mode normalization is compared too.
    state = network.initial_state(spec, shape, seed=1)
    rng = np.random.default_rng(2)
    for kind, arrays in state:
        if kind == "batchnorm":
            arrays[0][:] = rng.uniform(0.5, 1.5, arrays[0].shape)
            arrays[2][:] = rng.normal(0, 0.1, arrays[2].shape)
            arrays[3][:] = rng.uniform(0.5, 2.0, arrays[3].shape)
    images = rng.random((3, *shape), dtype=np.float32)
    logits, maps = {}, {}
    for framework in backends.FRAMEWORKS:
        backend = backends.create(framework, threads=1, device="cpu")
        backend.build(spec, shape, state)
        logits[framework] = backend.predict(images)
        maps[framework] = backend.feature_maps(images)
        for (_, loaded), (_, given) in zip(backend.state(), state, strict=True):
            for a, b in zip(loaded, given, strict=True):
                np.testing.assert_array_equal(a, b)
    assert logits["mxnet"].shape == (3, spec[-1].units)
    np.testing.assert_allclose(logits["mxnet"], logits["torch"], rtol=1e-4, atol=1e-5)
    conv_shapes = [
        s
        for layer, s in zip(spec, network.layer_shapes(spec, shape), strict=True)
        if isinstance(layer, Conv)
    ]
    for ours, theirs, expected in zip(maps["mxnet"], maps["torch"], conv_shapes, strict=True):
        assert ours.shape == theirs.shape == (3, *expected)
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


def test_initial_state_is_xavier_uniform_and_seeded():
    spec, shape = lenet.network(10), (1, 28, 28)
    first, again = network.initial_state(spec, shape, 5), network.initial_state(spec, shape, 5)
    other = network.initial_state(spec, shape, 6)
    weight = first[0][1][0]  # conv1: 6 x 1 x 5 x 5; fan_in 25, fan_out 150
    bound = (6 / (25 + 150)) ** 0.5
    assert weight.shape == (6, 1, 5, 5) and np.abs(weight).max() <= bound
    assert np.abs(weight).max() > 0.9 * bound
    np.testing.assert_array_equal(weight, again[0][1][0])
    assert not np.array_equal(weight, other[0][1][0])
    assert not first[0][1][1].any()  # biases start at zero


def test_too_small_input_is_a_shape_error_naming_the_layer():
    with pytest.raises(
        network.ShapeError, match=r"layer 5 \(Pool.*\) gets a 2x2 input: kernel 3 is larger"
    ):
        network.layer_shapes(alexnet.network(10), (1, 28, 28))


def test_a_residual_block_adds_its_input_and_must_keep_its_shape():
    spec = tiny_residual_cnn()
    shapes = network.layer_shapes(spec, (1, 28, 28))
    assert shapes[2] == shapes[1] == (8, 28, 28) and shapes[-1] == (10,)
    # Two 3x3 convolutions of 8 channels and two batch norms per block.
    per_block = 2 * (8 * 8 * 9 + 8) + 2 * 16
    assert network.parameter_count(spec, (1, 28, 28)) == (
        (8 * 9 + 8) + 2 * per_block + (8 * 14 * 14 * 10 + 10)
    )
    assert [kind for kind, _ in network.initial_state(spec, (1, 28, 28), 0)] == (
        ["conv"] + ["conv", "batchnorm", "conv", "batchnorm"] * 2 + ["dense"]
    )
    with pytest.raises(network.ShapeError, match="residual body turns"):
        network.layer_shapes([Residual((Conv(4, 3),))], (1, 8, 8))


def test_a_model_is_a_module_found_by_name():
    assert {"lenet", "alexnet"} <= set(models.registry())
    assert models.section("lenet") == "lenet" and models.get("alexnet").RESOURCES["mem_mb"]
    assert models.describe("alexnet").startswith("AlexNet as in d2l")
    with pytest.raises(ValueError, match="there is no convstudy/models/resnet.py"):
        models.get("resnet")


class RecordingSettings:
    """A run's settings that remember which of them were read."""

    def __init__(self, settings):
        self._settings = settings
        self.read = set()

    def __getattr__(self, key):
        self.read.add(key)
        return getattr(self._settings, key)


@pytest.mark.parametrize("name", sorted(models.registry()))
def test_a_model_reads_exactly_the_settings_it_declares(name):
    # READS is what the load checks variants against: a key build reads but does not declare
    # would be refused in a variant, one it declares but ignores would let a variant through
    # that trains the same network as its base.
    from tests.runs import quick_config

    config = quick_config()
    config["models"].setdefault(name, {})
    run = run_settings.Run("fashion_mnist", name, "torch", "base", 0)
    settings = RecordingSettings(RunSettings.from_dict(run_settings.resolve(config, run)))
    models.build_spec(name, settings, 10)
    assert settings.read == models.reads(name)
    assert models.display_name(name) == models.get(name).NAME

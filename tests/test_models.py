"""The models are described once; both frameworks build the same network from the description."""

import numpy as np
import pytest

from convstudy import backends, models

CASES = {
    "lenet textbook": (models.lenet(10), (1, 28, 28)),
    "lenet relu max bn": (models.lenet(10, "relu", "max", batchnorm=True), (1, 28, 28)),
    "lenet wide cifar": (models.lenet(100, "relu", "max", width=2.0), (3, 32, 32)),
    "alexnet": (models.alexnet(10), (1, 224, 224)),
    "alexnet bn cifar": (models.alexnet(20, batchnorm=True), (3, 96, 96)),
}


@pytest.fixture(scope="module", params=backends.FRAMEWORKS)
def backend(request):
    return backends.create(request.param, threads=1, device="cpu")


def test_textbook_parameter_counts():
    assert models.parameter_count(models.lenet(10), (1, 28, 28)) == 61_706
    textbook = models.parameter_count(models.alexnet(10, width=1.0), (1, 224, 224))
    reduced = models.parameter_count(models.alexnet(10), (1, 224, 224))
    assert textbook == 46_764_746
    assert reduced == 186_326 and 240 < textbook / reduced < 260


@pytest.mark.parametrize("case", CASES)
def test_each_framework_counts_the_parameters_of_the_spec(case, backend):
    spec, shape = CASES[case]
    backend.build(spec, shape, models.initial_state(spec, shape, seed=0))
    assert backend.parameter_count() == models.parameter_count(spec, shape)


@pytest.mark.parametrize("case", CASES)
def test_same_weights_give_the_same_logits_in_both_frameworks(case):
    spec, shape = CASES[case]
    # Non-trivial BatchNorm statistics, so inference-mode normalization is compared too.
    state = models.initial_state(spec, shape, seed=1)
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
        for layer, s in zip(spec, models.layer_shapes(spec, shape), strict=True)
        if isinstance(layer, models.Conv)
    ]
    for ours, theirs, expected in zip(maps["mxnet"], maps["torch"], conv_shapes, strict=True):
        assert ours.shape == theirs.shape == (3, *expected)
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


def test_initial_state_is_xavier_uniform_and_seeded():
    spec, shape = models.lenet(10), (1, 28, 28)
    first, again = models.initial_state(spec, shape, 5), models.initial_state(spec, shape, 5)
    other = models.initial_state(spec, shape, 6)
    weight = first[0][1][0]  # conv1: 6 x 1 x 5 x 5; fan_in 25, fan_out 150
    bound = (6 / (25 + 150)) ** 0.5
    assert weight.shape == (6, 1, 5, 5) and np.abs(weight).max() <= bound
    assert np.abs(weight).max() > 0.9 * bound
    np.testing.assert_array_equal(weight, again[0][1][0])
    assert not np.array_equal(weight, other[0][1][0])
    assert not first[0][1][1].any()  # biases start at zero


def test_too_small_input_is_a_shape_error_naming_the_layer():
    with pytest.raises(
        models.ShapeError, match=r"layer 5 \(Pool.*\) gets a 2x2 input: kernel 3 is larger"
    ):
        models.layer_shapes(models.alexnet(10), (1, 28, 28))

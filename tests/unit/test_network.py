"""The layers of d2l's ResNet chapter: a residual block with a 1x1 shortcut convolution, pooling
with padding and global average pooling, described once and built alike by both frameworks."""

from types import SimpleNamespace

import numpy as np
import pytest

from convstudy import backends, network
from convstudy.conv import pool_output_size
from convstudy.network import (
    Activation,
    BatchNorm,
    Conv,
    Dense,
    Flatten,
    GlobalAvgPool,
    Pool,
    Residual,
)
from convstudy.timing import PhaseTimer

SHAPE = (1, 28, 28)


def residual(channels: int, stride: int = 1, project: bool = False) -> Residual:
    """d2l's Residual: two 3x3 convolutions with batch normalization; with project
    (use_1x1conv=True), a 1x1 convolution of the input, with the body's stride, is added."""
    return Residual(
        (
            Conv(channels, 3, stride=stride, padding=1),
            BatchNorm(),
            Activation("relu"),
            Conv(channels, 3, padding=1),
            BatchNorm(),
        ),
        shortcut=Conv(channels, 1, stride=stride) if project else None,
    )


def small_resnet(pooling: str = "max", num_classes: int = 10) -> list:
    """d2l's ResNet in small: a stem (convolution, batch norm, ReLU, a 3x3 stride-2 pool padded
    by 1), one residual block that keeps its input's shape, one that halves it and doubles the
    channels (with a 1x1 stride-2 shortcut), global average pooling and a dense layer."""
    return [
        Conv(8, 5, padding=2),
        BatchNorm(),
        Activation("relu"),
        Pool(pooling, 3, 2, padding=1),
        residual(8),
        Activation("relu"),
        residual(16, stride=2, project=True),
        Activation("relu"),
        GlobalAvgPool(),
        Flatten(),
        Dense(num_classes),
    ]


@pytest.mark.parametrize(
    "size, window, stride, padding", [(28, 3, 2, 1), (7, 2, 2, 1), (9, 3, 1, 1)]
)
def test_a_padded_pool_follows_the_output_size_formula(size, window, stride, padding):
    expected = (size + 2 * padding - window) // stride + 1
    assert pool_output_size(size, window, stride, padding) == expected
    shape = Pool("max", window, stride, padding).output_shape((4, size, size))
    assert shape == (4, expected, expected)


def test_d2l_resnet_stem_halves_twice():
    # 224x224: a 7x7 stride-2 convolution padded by 3, then a 3x3 stride-2 max pool padded by 1.
    stem = [Conv(64, 7, stride=2, padding=3), BatchNorm(), Activation("relu"), Pool("max", 3, 2, 1)]
    assert network.layer_shapes(stem, (1, 224, 224))[-1] == (64, 56, 56)
    assert Pool("max", 3, 2, 1).describe() == "MaxPool 3x3, stride 2, pad 1"
    assert Pool("avg", 2, 2).describe() == "AvgPool 2x2, stride 2"


def test_a_pool_padded_by_more_than_half_its_window_is_refused():
    # PyTorch refuses it; the description refuses it for both frameworks, naming the layer.
    with pytest.raises(
        network.ShapeError, match=r"layer 0 \(MaxPool 2x2, stride 2, pad 2\): .* half its window"
    ):
        network.layer_shapes([Pool("max", 2, 2, padding=2)], (1, 8, 8))


def test_global_average_pooling_keeps_one_number_per_channel():
    spec = [Conv(6, 3), GlobalAvgPool(), Flatten(), Dense(4)]
    assert network.layer_shapes(spec, (3, 9, 9)) == [(6, 7, 7), (6, 1, 1), (6,), (4,)]
    assert network.parameter_count(spec, (3, 9, 9)) == (6 * 3 * 9 + 6) + (4 * 6 + 4)
    with pytest.raises(network.ShapeError, match="needs features.*Flatten first"):
        network.layer_shapes([Conv(6, 3), GlobalAvgPool(), Dense(4)], (3, 9, 9))


def test_a_residual_block_with_a_shortcut_covers_shapes_parameters_and_weights():
    block = residual(16, stride=2, project=True)
    assert block.output_shape((8, 14, 14)) == (16, 7, 7)
    # Body: 3x3 8->16 and 16->16 with two batch norms; shortcut: 1x1 8->16.
    body = (16 * 8 * 9 + 16) + 2 * 16 + (16 * 16 * 9 + 16) + 2 * 16
    assert block.parameters((8, 14, 14)) == body + (16 * 8 + 16)
    assert block.describe().endswith(") + (Conv 16, 1x1, stride 2)")
    assert residual(8).describe().endswith(") + input")
    # Walk order: the body's layers, then the shortcut's convolution.
    walked = list(network.walk([block], (8, 14, 14)))
    assert [layer for layer, _ in walked] == [*block.body, block.shortcut]
    assert walked[-1][1] == (8, 14, 14)
    state = network.initial_state([block], (8, 14, 14), seed=0)
    assert [kind for kind, _ in state] == ["conv", "batchnorm", "conv", "batchnorm", "conv"]
    assert state[-1][1][0].shape == (16, 8, 1, 1) and not state[-1][1][1].any()


def test_a_shortcut_must_give_the_body_shape():
    body = residual(16, stride=2).body
    with pytest.raises(network.ShapeError, match="into .*16, 7, 7.* but its shortcut"):
        Residual(body, shortcut=Conv(16, 1)).output_shape((8, 14, 14))
    with pytest.raises(network.ShapeError, match="needs a shortcut convolution"):
        network.layer_shapes([Residual(body)], (8, 14, 14))


def test_small_resnet_shapes_and_parameters():
    spec = small_resnet()
    shapes = network.layer_shapes(spec, SHAPE)
    assert shapes[3] == (8, 14, 14) and shapes[4] == (8, 14, 14) and shapes[6] == (16, 7, 7)
    assert shapes[8:] == [(16, 1, 1), (16,), (10,)]
    identity = 2 * (8 * 8 * 9 + 8) + 2 * 16
    projection = (16 * 8 * 9 + 16) + (16 * 16 * 9 + 16) + 2 * 32 + (16 * 8 + 16)
    stem = (8 * 25 + 8) + 16
    assert network.parameter_count(spec, SHAPE) == stem + identity + projection + 16 * 10 + 10


def varied_batchnorm(state: list, seed: int) -> list:
    """Non-trivial batch-norm scales and running statistics, so inference-mode normalization is
    compared too."""
    rng = np.random.default_rng(seed)
    for kind, arrays in state:
        if kind == "batchnorm":
            arrays[0][:] = rng.uniform(0.5, 1.5, arrays[0].shape)
            arrays[2][:] = rng.normal(0, 0.1, arrays[2].shape)
            arrays[3][:] = rng.uniform(0.5, 2.0, arrays[3].shape)
    return state


def built(framework: str, spec: list, state: list):
    backend = backends.create(framework, threads=1, device="cpu")
    backend.build(spec, SHAPE, state)
    return backend


@pytest.mark.parametrize("pooling", ["max", "avg"])
def test_a_small_resnet_is_the_same_network_in_both_frameworks(pooling):
    spec = small_resnet(pooling)
    state = varied_batchnorm(network.initial_state(spec, SHAPE, seed=1), seed=2)
    images = np.random.default_rng(3).random((4, *SHAPE), dtype=np.float32)
    logits, maps = {}, {}
    for framework in backends.FRAMEWORKS:
        backend = built(framework, spec, state)
        assert backend.parameter_count() == network.parameter_count(spec, SHAPE)
        # The residual bodies' and shortcuts' weights are in the state, in walk order.
        for (kind, loaded), (given_kind, given) in zip(backend.state(), state, strict=True):
            assert kind == given_kind
            for a, b in zip(loaded, given, strict=True):
                np.testing.assert_array_equal(a, b)
        logits[framework] = backend.predict(images)
        maps[framework] = backend.feature_maps(images)
    assert logits["mxnet"].shape == (4, 10)
    np.testing.assert_allclose(logits["mxnet"], logits["torch"], rtol=1e-4, atol=1e-5)
    # The stem's convolution block is the one feature map at the top level.
    assert [m.shape for m in maps["mxnet"]] == [m.shape for m in maps["torch"]] == [(4, 8, 28, 28)]
    np.testing.assert_allclose(maps["mxnet"][0], maps["torch"][0], rtol=1e-4, atol=1e-5)


def test_one_training_step_of_a_small_resnet_changes_both_frameworks_alike():
    # The same gradients: the weights after one SGD step (batch statistics in training mode)
    # agree to float rounding.
    spec = small_resnet()
    state = network.initial_state(spec, SHAPE, seed=4)
    rng = np.random.default_rng(5)
    images, labels = rng.random((8, *SHAPE), dtype=np.float32), np.arange(8) % 10
    stepped = {}
    for framework in backends.FRAMEWORKS:
        backend = built(framework, spec, state)
        backend.configure_optimizer(
            SimpleNamespace(optimizer="sgd", lr=0.5, momentum=0.0, weight_decay=0.0)
        )
        backend.train_step(backend.to_batch(images, labels), PhaseTimer())
        stepped[framework] = backend.state()
    moved = 0.0
    for (kind, ours), (_, theirs), (_, start) in zip(
        stepped["mxnet"], stepped["torch"], state, strict=True
    ):
        # The running variance is left out: PyTorch updates it with the unbiased batch
        # variance, MXNet with the biased one (a relative n/(n-1) apart).
        compared = 3 if kind == "batchnorm" else len(ours)
        for index, (a, b) in enumerate(zip(ours[:compared], theirs[:compared], strict=True)):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
            moved = max(moved, float(np.abs(a - start[index]).max()))
    assert moved > 1e-3  # the step did change the weights


@pytest.mark.parametrize("framework", backends.FRAMEWORKS)
def test_a_small_resnet_saved_and_loaded_predicts_the_same(tmp_path, framework):
    spec = small_resnet()
    images = np.random.default_rng(6).random((2, *SHAPE), dtype=np.float32)
    trained = built(framework, spec, varied_batchnorm(network.initial_state(spec, SHAPE, 7), 8))
    trained.save_weights(str(tmp_path / "weights"))
    other = built(framework, spec, network.initial_state(spec, SHAPE, seed=9))
    assert not np.allclose(other.predict(images), trained.predict(images))
    other.load_weights(str(tmp_path / "weights"))
    np.testing.assert_array_equal(other.predict(images), trained.predict(images))
    for (_, a), (_, b) in zip(other.state(), trained.state(), strict=True):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("framework", backends.FRAMEWORKS)
def test_a_small_resnet_resumed_from_a_checkpoint_steps_as_the_uninterrupted_one(
    tmp_path, framework
):
    # Momentum is kept per weight: a checkpoint must give each shortcut and body weight its own.
    spec = small_resnet()
    rng = np.random.default_rng(10)
    batches = [(rng.random((4, *SHAPE), dtype=np.float32), np.arange(4)) for _ in range(2)]
    # What a backend's optimizer reads of a run's settings (a convstudy.settings.RunSettings).
    optimizer = SimpleNamespace(optimizer="sgd", lr=0.1, momentum=0.9, weight_decay=1e-4)
    first = built(framework, spec, network.initial_state(spec, SHAPE, seed=11))
    first.configure_optimizer(optimizer)
    first.train_step(first.to_batch(*batches[0]), PhaseTimer())
    first.save_checkpoint(str(tmp_path / "checkpoint"))
    resumed = built(framework, spec, network.initial_state(spec, SHAPE, seed=12))
    resumed.configure_optimizer(optimizer)
    resumed.load_checkpoint(str(tmp_path / "checkpoint"))
    for backend in (first, resumed):
        backend.train_step(backend.to_batch(*batches[1]), PhaseTimer())
    for (_, a), (_, b) in zip(first.state(), resumed.state(), strict=True):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y)

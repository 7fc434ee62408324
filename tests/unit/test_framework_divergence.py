"""Why MXNet and PyTorch part ways on the ReLU / max-pooling LeNet, on hand-made inputs.

Both frameworks route an exactly tied max-pooling window's gradient to its first largest value
and give ReLU no gradient at exactly 0: with the same values they make the same choices. What
differs is the last bits of the values: each rounds its sums and its sigmoid in its own way, and
where a window's two largest values (or a ReLU's input and 0) are that close, the two choose
differently and an element of the gradient moves.
"""

from types import SimpleNamespace

import numpy as np
import pytest

from convstudy import backends, divergence
from convstudy.divergence import IDENTITY, signed_dense, trace_once
from convstudy.network import Activation, BatchNorm, Conv, Dense, Flatten, Pool

FRAMEWORKS = ("mxnet", "torch")
# Gradients equal but for float rounding: the loss's gradient (softmax minus the label, where
# the two nearly cancel) already differs by about 1e-5 of itself between the frameworks.
ROUNDING = 1e-4


def create(framework):
    return backends.create(framework, 1, "cpu")


def both(spec, shape, state, images, labels):
    """One step of the same hand-made network in each framework."""
    return {
        framework: trace_once(create(framework), spec, shape, state, images, labels)
        for framework in FRAMEWORKS
    }


def test_exact_ties_and_relu_at_zero_are_handled_alike():
    rules = divergence.rules(create)
    # The tie rule is the same in both, so it cannot be what sets them apart...
    assert (
        rules["mxnet"] == rules["torch"] == {"max_pool_ties": "first", "relu_gradient_at_zero": 0}
    )
    # ...and on the same tied values their gradients go to the same elements, equal there up to
    # the rounding of the loss's gradient (each framework computes softmax its own way).
    images = np.full((len(divergence.TIE_SETS), 1, 2, 2), 0.5, np.float32)
    for image, positions in zip(images, divergence.TIE_SETS, strict=True):
        image.reshape(-1)[list(positions)] = 1.0
    spec = [Conv(1, 1), Pool("max", 2, 2), Flatten(), Dense(2)]
    traces = both(spec, (1, 2, 2), [IDENTITY, signed_dense(1)], images, np.zeros(len(images)))
    mxnet, torch = (traces[f].output_grads[0] for f in FRAMEWORKS)
    np.testing.assert_array_equal(mxnet != 0, torch != 0)
    np.testing.assert_allclose(mxnet, torch, rtol=ROUNDING)


def sigmoid_windows():
    """2x2 windows whose two candidates are the same float32 number a and the numbers a few
    ulp above it: their sigmoids are within an ulp or two of each other, so each framework's
    rounding of sigmoid decides which is larger. The other two values are far below."""
    starts = np.linspace(-0.5, 0.5, 61, dtype=np.float32)
    windows = []
    for start in starts:
        above = start
        for _ in range(16):
            above = np.nextafter(above, np.float32(1))
            windows.append([start, above, -4.0, -4.0])
    return np.array(windows, np.float32).reshape(-1, 1, 2, 2)


def test_sigmoid_rounding_moves_the_max_pool_gradient():
    images = sigmoid_windows()
    spec = [Conv(1, 1), Activation("sigmoid"), Pool("max", 2, 2), Flatten(), Dense(2)]
    traces = both(spec, (1, 2, 2), [IDENTITY, signed_dense(1)], images, np.zeros(len(images)))
    mxnet, torch = (traces[f] for f in FRAMEWORKS)
    # The same inputs reach the sigmoid in both (the identity copies them exactly).
    np.testing.assert_array_equal(mxnet.outputs[0], torch.outputs[0])
    sig = {f: traces[f].outputs[1].reshape(len(images), 4)[:, :2] for f in FRAMEWORKS}
    grad = {f: traces[f].output_grads[1].reshape(len(images), 4)[:, :2] for f in FRAMEWORKS}
    # Each window's gradient goes to exactly one of its two candidates.
    for f in FRAMEWORKS:
        assert ((grad[f] != 0).sum(axis=1) == 1).all()
    same_values = (sig["mxnet"] == sig["torch"]).all(axis=1)
    same_choice = ((grad["mxnet"] != 0) == (grad["torch"] != 0)).all(axis=1)
    # Where the sigmoids agree to the last bit, so do the choices: the cause is absent.
    assert same_choice[same_values].all()
    np.testing.assert_allclose(
        grad["mxnet"][same_values], grad["torch"][same_values], rtol=ROUNDING
    )
    # Where they do not, some windows send their gradient to the other candidate: one framework
    # gives the first candidate the whole gradient and the other gives it nothing.
    moved = ~same_choice
    assert moved.any(), "the frameworks' sigmoids rounded alike on every candidate"
    assert not (moved & same_values).any()
    first = np.flatnonzero(moved)[0]
    assert (grad["mxnet"][first] == 0).tolist() == (grad["torch"][first] != 0).tolist()
    # The two candidates of such a window are within two ulp of each other in both frameworks.
    ulp = np.spacing(np.float32(0.5))
    for f in FRAMEWORKS:
        assert (np.abs(sig[f][moved, 0] - sig[f][moved, 1]) <= 2 * ulp).all()


def cancelling_dense(units=120, inputs=400, batch=128, margin=0.0, seed=0):
    """LeNet's first dense layer's shape, fed one image repeated, with biases that cancel each
    unit's sum of products (computed in float64): each unit's output is what its float32 sum
    leaves over, a few ulp either side of 0, whose sign depends on the order of the sum; with
    a margin, the biases move every output that far from 0, alternately up and down."""
    rng = np.random.default_rng(seed)
    image = rng.uniform(0, 1, inputs).astype(np.float32)
    weights = rng.uniform(-0.1, 0.1, (units, inputs)).astype(np.float32)
    exact = weights.astype(np.float64) @ image.astype(np.float64)
    shift = margin * np.where(np.arange(units) % 2, 1.0, -1.0)
    bias = (shift - exact).astype(np.float32)
    spec = [Flatten(), Dense(units), Activation("relu"), Dense(2)]
    state = [("dense", [weights, bias]), signed_dense(units)]
    images = np.tile(image.reshape(1, inputs, 1, 1), (batch, 1, 1, 1))
    return both(spec, (inputs, 1, 1), state, images, np.zeros(batch))


def test_the_order_of_a_sum_flips_relu():
    traces = cancelling_dense()
    pre = {f: traces[f].outputs[1] for f in FRAMEWORKS}
    grad = {f: traces[f].output_grads[1] for f in FRAMEWORKS}
    # The frameworks' sums differ in the last bits...
    assert not np.array_equal(pre["mxnet"], pre["torch"])
    flipped = (pre["mxnet"] > 0) != (pre["torch"] > 0)
    # ...and where that puts a unit's output on the other side of 0, ReLU passes the gradient
    # in one framework and blocks it in the other.
    assert flipped.any(), "the frameworks summed every unit's products alike"
    assert ((grad["mxnet"] == 0) != (grad["torch"] == 0))[flipped].all()
    np.testing.assert_allclose(grad["mxnet"][~flipped], grad["torch"][~flipped], rtol=ROUNDING)


def test_relu_agrees_away_from_zero():
    # The same layer with every output 0.01 from 0, some ten thousand times what rounding moves
    # it by: none crosses 0. (Not further: the last layer sums the 60 positive outputs, and
    # large logits would leave the loss's gradient to underflow.)
    traces = cancelling_dense(margin=0.01)
    pre = {f: traces[f].outputs[1] for f in FRAMEWORKS}
    np.testing.assert_array_equal(pre["mxnet"] > 0, pre["torch"] > 0)
    np.testing.assert_allclose(
        traces["mxnet"].output_grads[1], traces["torch"].output_grads[1], rtol=1e-5
    )


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_traced_step_is_the_training_step(framework):
    # The diagnostic advances both frameworks with trace_step: it must train exactly as
    # train_step does (batch normalization and momentum included), or its steps would not be
    # the runs' steps.
    from convstudy import models, network
    from convstudy.timing import PhaseTimer
    from tests.runs import synthetic_dataset

    # What LeNet's build and a backend's optimizer read of a run's settings (a RunSettings).
    settings = SimpleNamespace(activation="relu", pooling="max", batchnorm=True, width=0.5)
    optimizer = SimpleNamespace(optimizer="nesterov", lr=0.1, momentum=0.9, weight_decay=1e-4)
    spec = models.build_spec("lenet", settings, 10)
    dataset = synthetic_dataset(n_train=96)
    images = dataset.train_images.transpose(0, 3, 1, 2).astype(np.float32) / 255
    weights = []
    for traced in (False, True):
        backend = create(framework)
        backend.build(spec, (1, 28, 28), network.initial_state(spec, (1, 28, 28), 0))
        backend.configure_optimizer(optimizer)
        for begin in range(0, 96, 32):
            x, y = images[begin : begin + 32], dataset.train_labels[begin : begin + 32]
            if traced:
                trace = backend.trace_step(x, y)
            else:
                backend.train_step(backend.to_batch(x, y), PhaseTimer())
        weights.append(backend.state())
    for (kind, arrays), (_, traced_arrays) in zip(*weights, strict=True):
        for array, traced_array in zip(arrays, traced_arrays, strict=True):
            np.testing.assert_array_equal(array, traced_array, err_msg=kind)
    # What it recorded: one output and one gradient per layer, one entry per weighted layer.
    assert len(trace.outputs) == len(trace.output_grads) == len(spec)
    assert [kind for kind, _ in trace.weight_grads] == [k for k, _ in weights[0]]
    assert any(isinstance(layer, BatchNorm) for layer in spec)
    assert all(o.shape == g.shape for o, g in zip(trace.outputs, trace.output_grads, strict=True))


# --- the diagnostic's comparison of two traced steps -------------------------------------------


def lenet_trace(activation="relu", pooling="max"):
    """One traced PyTorch step of a small LeNet on synthetic images."""
    from convstudy import models, network
    from tests.runs import synthetic_dataset

    settings = SimpleNamespace(activation=activation, pooling=pooling, batchnorm=False, width=0.5)
    spec = models.build_spec("lenet", settings, 10)
    dataset = synthetic_dataset(n_train=8)
    images = dataset.train_images.transpose(0, 3, 1, 2).astype(np.float32) / 255
    state = network.initial_state(spec, (1, 28, 28), 0)
    trace = trace_once(create("torch"), spec, (1, 28, 28), state, images, dataset.train_labels)
    return spec, images, trace


def rounded(trace, seed=1):
    """A copy of a trace with every value moved by about float32 rounding, as another
    framework's would be."""
    import copy

    rng = np.random.default_rng(seed)

    def jitter(array):
        return (array * (1 + 2e-7 * rng.standard_normal(array.shape))).astype(array.dtype)

    other = copy.deepcopy(trace)
    other.outputs = [jitter(a) for a in other.outputs]
    other.output_grads = [jitter(a) for a in other.output_grads]
    other.weight_grads = [(k, [jitter(a) for a in arrays]) for k, arrays in other.weight_grads]
    other.loss = trace.loss * (1 + 1e-7)
    return other


def test_values_within_rounding_do_not_part_the_frameworks():
    spec, _, trace = lenet_trace()
    found, largest = divergence.first_difference(spec, trace, rounded(trace))
    assert found is None
    assert 0 < largest["relative_difference"] < 1e-5


def test_a_max_pool_gradient_sent_to_another_element_is_found_and_explained():
    spec, images, trace = lenet_trace()
    other = rounded(trace)
    pool = 2  # the first max pooling: its input is layer 1's output (ReLU)
    assert isinstance(spec[pool], Pool) and spec[pool].kind == "max"
    # A window whose largest value has a gradient and whose runner-up is positive: make the two
    # one ulp apart, in one order in the first framework's values and in the other order in the
    # second's, and send the second's gradient to its runner-up, as max pooling would.
    grads, values = other.output_grads[pool - 1], other.outputs[pool - 1]
    for n, c, h, w in np.argwhere(np.abs(grads) > 0.1 * np.abs(grads).max()):
        top, left = h - h % 2, w - w % 2
        window = values[n, c, top : top + 2, left : left + 2].reshape(-1)
        chosen = (h - top) * 2 + (w - left)
        runner_up = max((i for i in range(4) if i != chosen), key=lambda i: window[i])
        if window[runner_up] > 0:
            break
    rh, rw = top + runner_up // 2, left + runner_up % 2
    mine = trace.outputs[pool - 1]
    mine[n, c, rh, rw] = np.nextafter(mine[n, c, h, w], np.float32(0))
    values[n, c, rh, rw] = np.nextafter(values[n, c, h, w], np.float32(np.inf))
    grads[n, c, rh, rw], grads[n, c, h, w] = grads[n, c, h, w], 0.0
    found, _ = divergence.first_difference(spec, trace, other)
    assert (found["what"], found["layer"], found["moved"]) == ("gradient", pool, 2)
    evidence = divergence.evidence(spec, pool, images, {"mxnet": trace, "torch": other})
    assert evidence["kind"] == "max_pool_choice" and evidence["windows"] == 1
    one_ulp = np.spacing(mine[n, c, h, w])
    scale = max(np.abs(mine).max(), np.abs(values).max())
    assert evidence["largest_share_apart"] == pytest.approx(one_ulp / scale)
    mxnet, torch = evidence["example"]["mxnet"], evidence["example"]["torch"]
    assert mxnet[0] > mxnet[1] and torch[1] > torch[0]


def test_a_relu_input_on_the_other_side_of_zero_is_found_and_explained():
    spec, images, trace = lenet_trace(pooling="avg")
    other = rounded(trace)
    relu = 1
    # An input of the first ReLU just above 0 in one framework, just below in the other: the
    # gradient it passes back is that element's in one and 0 in the other.
    pre, passed = other.outputs[relu - 1], other.output_grads[relu - 1]
    index = tuple(np.argwhere(np.abs(passed) > 0.5 * np.abs(passed).max())[0])
    trace.outputs[relu - 1][index], pre[index] = 1e-8, -1e-8
    passed[index] = 0.0
    found, _ = divergence.first_difference(spec, trace, other)
    assert (found["what"], found["layer"], found["moved"]) == ("gradient", relu, 1)
    evidence = divergence.evidence(spec, relu, images, {"mxnet": trace, "torch": other})
    assert evidence["kind"] == "relu_choice" and evidence["elements"] == 1
    assert evidence["example"] == {"mxnet": pytest.approx(1e-8), "torch": pytest.approx(-1e-8)}


def test_the_diagnostic_traces_each_network_from_the_workflow_settings():
    from benchmarks.framework_divergence import networks, summary
    from tests.runs import synthetic_dataset

    traced, steps = networks("lenet_frameworks", ["sigmoid+avg_pool", "base"], 1, "quick", "cpu")
    assert steps == 500 and [n["variant"] for n in traced] == ["sigmoid+avg_pool", "base"]
    # The quick preset: 2 epochs of its images, here 4 batches of 128 each.
    result = divergence.diagnose(traced, synthetic_dataset(n_train=512), steps=6, log=print)
    assert result["seed"] == 1 and result["frameworks"] == ["mxnet", "torch"]
    smooth, base = result["networks"]
    assert (smooth["activation"], smooth["pooling"]) == ("sigmoid", "avg")
    # Sigmoid and average pooling choose nothing: six steps within float rounding, every value
    # but the first ones of step 1 off by rounding only.
    assert smooth["first"] is None and smooth["steps_traced"] == smooth["steps_limit"] == 6
    assert 0 < smooth["largest_relative_difference"]["relative_difference"] < 1e-4
    assert smooth["first_inexact"]["what"] in ("output", "loss", "gradient", "weights")
    assert base["layers"][2] == "MaxPool 2x2, stride 2"
    text = summary(result)
    assert "sigmoid with average pooling: no value differs in 6 steps" in text
    assert "exact max-pool ties go to the first largest value" in text

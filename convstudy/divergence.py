"""Where MXNet and PyTorch part ways on one network, and why.

Both frameworks train the network from the same initial weights on the same batches, one step at
a time (Backend.trace_step), and every value of each step is compared in the order the step
computes it: each layer's output, the loss, then backward each gradient a layer passes back to
its input and each layer's weight gradients. The first value that differs beyond float rounding
(MOVED_SHARE) names the step and the layer where the runs part ways; `evidence` says what that
layer chose differently.

The frameworks compute with their own kernels, which round differently (sums of a matrix product
in another order, another approximation of exp), so their values differ in the last bits from
the first step on. Where every layer is smooth that difference stays at float rounding. Max
pooling and ReLU make choices: max pooling passes a window's gradient to its largest value only,
ReLU passes a gradient only where its input is positive. Where two values of a window, or a
ReLU's input and 0, are closer than the frameworks' rounding differences, the frameworks can
choose differently, and a whole element of the gradient moves; from that step on the weights
differ by more than rounding. `rules` checks the other possible cause on hand-made inputs: whether
the frameworks route exact ties in a max-pooling window, and ReLU's gradient at exactly 0, alike.
"""

import math
from collections.abc import Callable
from types import SimpleNamespace

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from convstudy import backends, network
from convstudy.backends import Backend, StepTrace
from convstudy.data.cache import Dataset
from convstudy.data.transforms import to_network_input
from convstudy.network import Activation, BatchNorm, Conv, Dense, Flatten, Pool
from convstudy.settings import RunSettings
from convstudy.train import epoch_order, prepare_backend

# Beyond float rounding: an element that one framework sets to exactly 0 and the other to more
# than this share of the value's largest magnitude. Rounding changes the last bits of a value
# (about 1e-7 of it in float32); it does not give one framework's element a share of a gradient
# that the other's lacks. A layer that chooses does: max pooling gives a window's gradient to one
# element and 0 to the others, ReLU gives 0 where its input is not positive, dropout zeroes the
# units its random numbers pick. (Values that agree drift apart slowly as rounding accumulates
# over the steps; `largest_relative_difference` reports how far, for each network.)
MOVED_SHARE = 1e-5


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    """The largest difference between a and b as a share of the largest magnitude of either."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    scale = max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0))
    return float(np.abs(a - b).max(initial=0.0) / scale) if scale > 0 else 0.0


def moved_elements(a: np.ndarray, b: np.ndarray) -> int:
    """Elements exactly 0 in one of a and b and more than MOVED_SHARE of the largest magnitude
    of either in the other: differences beyond float rounding."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    scale = max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0))
    moved = ((a == 0) != (b == 0)) & (np.abs(a - b) > MOVED_SHARE * scale)
    return int(moved.sum())


def layer_names(spec: list) -> list[str]:
    """Each top-level layer as the report names it: its description and its place."""
    return [f"layer {i + 1} of {len(spec)} ({layer.describe()})" for i, layer in enumerate(spec)]


def step_values(spec: list, trace: StepTrace) -> list[tuple[str, int, object]]:
    """Every value a step computes, in the order it computes them, as (what, layer, value):
    output (layer i's output), loss, gradient (what layer i passes back to its input; layer
    len(spec) is the loss, passing back the gradient at the last layer's output) and weights
    (layer i's weight gradients, a list of arrays)."""
    n = len(spec)
    values = [("output", i, trace.outputs[i]) for i in range(n)]
    values += [("loss", n, np.float64(trace.loss)), ("gradient", n, trace.output_grads[n - 1])]
    owners = _weight_owners(spec)
    for i in reversed(range(n)):
        grads = [
            arrays
            for owner, (_, arrays) in zip(owners, trace.weight_grads, strict=True)
            if owner == i
        ]
        if grads:
            values.append(("weights", i, [array for arrays in grads for array in arrays]))
        if i > 0:
            values.append(("gradient", i, trace.output_grads[i - 1]))
    return values


def _weight_owners(spec: list) -> list[int]:
    """The top-level layer each entry of the backends' state (and weight_grads) belongs to."""
    return [
        index
        for index, layer in enumerate(spec)
        for inner in _flat(layer)
        if isinstance(inner, Conv | Dense | BatchNorm)
    ]


def _flat(layer) -> list:
    """A layer, or the layers of a residual body, flattened (network.walk's order)."""
    if isinstance(layer, network.Residual):
        return [inner for body_layer in layer.body for inner in _flat(body_layer)]
    return [layer]


def _compared(a, b) -> tuple[int, int, float]:
    """(moved elements, elements, relative difference) of two values of step_values."""
    if isinstance(a, list):
        parts = [_compared(x, y) for x, y in zip(a, b, strict=True)]
        return sum(p[0] for p in parts), sum(p[1] for p in parts), max(p[2] for p in parts)
    return moved_elements(a, b), int(np.size(a)), relative_difference(a, b)


def describe_value(spec: list, what: str, layer: int) -> str:
    """A value of step_values in words."""
    names = layer_names(spec)
    if what == "output":
        return f"the output of {names[layer]}"
    if what == "loss":
        return "the loss"
    if what == "weights":
        return f"the weight gradients of {names[layer]}"
    if layer == len(spec):
        return f"the gradient of the loss at the output of {names[-1]}"
    return f"the gradient passed back by {names[layer]}"


def first_difference(spec: list, a: StepTrace, b: StepTrace) -> tuple[dict | None, dict]:
    """The first value of a step, in the order computed, that differs beyond float rounding,
    as {what, layer, moved, of, relative_difference} (None when every value agrees), and the
    largest relative difference of those that agree before it, as {what, layer,
    relative_difference}."""
    largest = {"what": None, "layer": None, "relative_difference": 0.0}
    for (what, layer, x), (_, _, y) in zip(step_values(spec, a), step_values(spec, b), strict=True):
        moved, size, difference = _compared(x, y)
        entry = {"what": what, "layer": layer, "relative_difference": difference}
        if moved:
            return {**entry, "moved": moved, "of": size}, largest
        if difference > largest["relative_difference"]:
            largest = entry
    return None, largest


def first_inexact(spec: list, a: StepTrace, b: StepTrace) -> dict | None:
    """The first value of a step, in the order computed, that is not the same to the last bit
    in both frameworks, as {what, layer, relative_difference}; None when all are."""
    for (what, layer, x), (_, _, y) in zip(step_values(spec, a), step_values(spec, b), strict=True):
        pairs = zip(x, y, strict=True) if isinstance(x, list) else [(x, y)]
        if not all(np.array_equal(p, q) for p, q in pairs):
            return {"what": what, "layer": layer, "relative_difference": _compared(x, y)[2]}
    return None


def _layer_input(trace: StepTrace, images: np.ndarray, layer: int) -> np.ndarray:
    return images if layer == 0 else trace.outputs[layer - 1]


def evidence(
    spec: list, layer: int, images: np.ndarray, traces: dict[str, StepTrace]
) -> dict | None:
    """What a max-pooling or ReLU layer whose passed-back gradient differs chose differently in
    the two frameworks, from their forward values; None for another layer."""
    (first, a), (second, b) = traces.items()
    x, y = _layer_input(a, images, layer), _layer_input(b, images, layer)
    kind = spec[layer]
    if isinstance(kind, Pool) and kind.kind == "max":
        return _max_pool_evidence(kind, x, y, (first, second))
    if isinstance(kind, Activation) and kind.function == "relu":
        return _relu_evidence(x, y, (first, second))
    return None


def _windows(x: np.ndarray, pool: Pool) -> np.ndarray:
    """Every pooling window of x (N, C, H, W) as (N, C, OH, OW, size * size), row by row."""
    view = sliding_window_view(x, (pool.size, pool.size), axis=(2, 3))
    view = view[:, :, :: pool.stride, :: pool.stride]
    return view.reshape(*view.shape[:4], pool.size * pool.size)


def _max_pool_evidence(pool: Pool, x: np.ndarray, y: np.ndarray, names) -> dict:
    """Windows whose largest value is another element in each framework's values; the first
    one's two contenders in both, and how far apart the contenders of any such window are, as a
    share of the layer's largest input (the scale of the rounding of the sums that made them:
    an ulp of a value near 0 would be no measure of it)."""
    wx, wy = _windows(x, pool), _windows(y, pool)
    # The first largest value of each window: where both frameworks send an exact tie's
    # gradient (rules() checks it).
    chosen_x, chosen_y = wx.argmax(axis=-1), wy.argmax(axis=-1)
    moved = np.argwhere(chosen_x != chosen_y)
    result = {"kind": "max_pool_choice", "windows": len(moved), "of": int(chosen_x.size)}
    if not len(moved):
        return result
    apart = []
    for index in map(tuple, moved):
        i, j = chosen_x[index], chosen_y[index]
        apart.append(max(wx[index][i] - wx[index][j], wy[index][j] - wy[index][i]))
    scale = max(np.abs(x).max(), np.abs(y).max())
    index = tuple(moved[0])
    i, j = chosen_x[index], chosen_y[index]
    result.update(
        {
            "largest_share_apart": float(max(apart) / scale),
            "example": {
                names[0]: [float(wx[index][i]), float(wx[index][j])],
                names[1]: [float(wy[index][i]), float(wy[index][j])],
            },
        }
    )
    return result


def _relu_evidence(x: np.ndarray, y: np.ndarray, names) -> dict:
    """Inputs that are positive in one framework's values and not in the other's: the first
    one in both, and how close to 0 any of them is, as a share of the largest input."""
    flipped = np.argwhere((x > 0) != (y > 0))
    result = {"kind": "relu_choice", "elements": len(flipped), "of": int(x.size)}
    if not len(flipped):
        return result
    index = tuple(flipped[0])
    scale = max(np.abs(x).max(), np.abs(y).max())
    near = max(max(abs(x[tuple(i)]), abs(y[tuple(i)])) for i in flipped)
    result.update(
        {
            "largest_share_of_input": float(near / scale),
            "example": {names[0]: float(x[index]), names[1]: float(y[index])},
        }
    )
    return result


def batches(settings: RunSettings, dataset: Dataset, steps: int):
    """The first `steps` batches a run trains on, as (epoch, images, labels): the sample order
    of convstudy.train, the in-memory path's inputs (the loader's are the same)."""
    n, size = len(dataset.train_labels), settings.batch_size
    done = 0
    for epoch in range(settings.epochs):
        order = epoch_order(settings.seed, epoch, n)
        for begin in range(0, n, size):
            if done == steps:
                return
            chosen = order[begin : begin + size]
            images = to_network_input(dataset.train_images[chosen], settings.image_size)
            yield epoch, images, dataset.train_labels[chosen]
            done += 1


def _backend(settings: RunSettings) -> Backend:
    """A bare backend of the run's framework, threads and device (nothing built)."""
    return backends.create(
        settings.framework,
        settings.threads,
        settings.device,
        settings.cpu_fallback,
        settings.hybridize,
    )


def trace_network(runs: dict[str, RunSettings], dataset: Dataset, steps: int, log=print) -> dict:
    """Train one network in both frameworks, step by step, up to `steps` steps (at most the
    run's own), until a value differs beyond float rounding. runs: framework -> the resolved
    settings of the same run in it (one seed: the same initial weights in both)."""
    first = next(iter(runs.values()))
    dataset = dataset.subset(first.train_limit, first.test_limit)
    built = {}
    for framework, settings in runs.items():
        built[framework], spec, _ = prepare_backend(settings, dataset)
    per_epoch = math.ceil(len(dataset.train_labels) / first.batch_size)
    limit = min(steps, per_epoch * first.epochs)
    largest = {"what": None, "layer": None, "relative_difference": 0.0, "step": None}
    result = {
        "layers": [layer.describe() for layer in spec],
        "steps_limit": limit,
        "steps_traced": 0,
        "first_inexact": None,
        "first": None,
    }
    epoch_seeded = None
    for step, (epoch, images, labels) in enumerate(batches(first, dataset, limit), start=1):
        if epoch != epoch_seeded:
            # As the training loop does: each epoch's dropout masks from its own seed.
            for backend in built.values():
                backend.seed(first.seed * 1000 + epoch)
            epoch_seeded = epoch
        traces = {name: backend.trace_step(images, labels) for name, backend in built.items()}
        found, agreeing = first_difference(spec, *traces.values())
        result["steps_traced"] = step
        if step == 1:
            # Where the frameworks' rounding first shows: the first value not the same to the
            # last bit, from the same weights and inputs.
            inexact = first_inexact(spec, *traces.values())
            if inexact:
                inexact["described"] = describe_value(spec, **_key(inexact))
            result["first_inexact"] = inexact
        if agreeing["relative_difference"] > largest["relative_difference"]:
            largest = {**agreeing, "step": step}
        if found:
            found.update(step=step, epoch=epoch + 1, described=describe_value(spec, **_key(found)))
            if found["what"] == "gradient" and found["layer"] < len(spec):
                found["evidence"] = evidence(spec, found["layer"], images, traces)
            result["first"] = found
            log(f"step {step}: {found['described']} differs in {found['moved']} elements")
            break
        if step % 50 == 0:
            log(f"step {step}: every value within float rounding so far")
    if largest["what"] is not None:
        largest["described"] = describe_value(spec, **_key(largest))
    result["largest_relative_difference"] = largest
    return result


def _key(entry: dict) -> dict:
    return {"what": entry["what"], "layer": entry["layer"]}


# --- the frameworks' rules, on hand-made inputs ----------------------------------------------

# Every set of two or more tied largest values a 2x2 window can hold (positions row by row).
TIE_SETS = [
    positions
    for positions in (tuple(p for p in range(4) if mask >> p & 1) for mask in range(16))
    if len(positions) >= 2
]


# What a backend's optimizer reads of a run's settings (a convstudy.settings.RunSettings): plain
# SGD, for hand-made networks that belong to no run.
PLAIN_SGD = SimpleNamespace(optimizer="sgd", lr=0.1, momentum=0.0, weight_decay=0)


def trace_once(
    backend: Backend, spec: list, shape, state: list, images: np.ndarray, labels: np.ndarray
) -> StepTrace:
    """One step of a hand-made network with the given weights, in one framework."""
    backend.build(spec, shape, state)
    backend.configure_optimizer(PLAIN_SGD)
    return backend.trace_step(np.asarray(images, np.float32), np.asarray(labels, np.int64))


def signed_dense(inputs: int) -> tuple[str, list[np.ndarray]]:
    """A last dense layer of two units that weigh every input +1 and -1: every element of the
    layer before it gets the same gradient (for images labelled 0)."""
    weights = np.stack([np.ones(inputs), -np.ones(inputs)]).astype(np.float32)
    return ("dense", [weights, np.zeros(2, np.float32)])


# A 1x1 convolution with weight 1 and bias 0 copies its input exactly: as a network's first
# layer it makes the gradient passed back to the input readable (output_grads[0]).
IDENTITY = ("conv", [np.ones((1, 1, 1, 1), np.float32), np.zeros(1, np.float32)])


def _probe(backend: Backend, spec: list, images: np.ndarray, dense_in: int) -> np.ndarray:
    """The gradient passed back to the input of a hand-made network on 2x2 images that starts
    with the identity and ends with signed_dense."""
    state = [IDENTITY, signed_dense(dense_in)]
    labels = np.zeros(len(images), np.int64)
    return trace_once(backend, spec, (1, 2, 2), state, images, labels).output_grads[0]


def max_pool_tie_rule(backend: Backend) -> str:
    """Where a framework's 2x2 max pooling sends the gradient of a window whose largest value
    is tied: first (the first tied value, row by row), last, all, or mixed."""
    images = np.full((len(TIE_SETS), 1, 2, 2), 0.5, np.float32)
    for image, positions in zip(images, TIE_SETS, strict=True):
        image.reshape(-1)[list(positions)] = 1.0
    spec = [Conv(1, 1), Pool("max", 2, 2), Flatten(), Dense(2)]
    grads = _probe(backend, spec, images, 1).reshape(len(TIE_SETS), 4)
    received = [tuple(np.flatnonzero(row)) for row in grads]
    for rule, pick in (
        ("first", lambda p: p[:1]),
        ("last", lambda p: p[-1:]),
        ("all", lambda p: p),
    ):
        if all(got == pick(tied) for got, tied in zip(received, TIE_SETS, strict=True)):
            return rule
    return "mixed"


def relu_gradient_at_zero(backend: Backend) -> float:
    """The share of the gradient a framework's ReLU passes back where its input is exactly 0
    (1 where it is positive)."""
    images = np.array([[[[0.0, 0.5], [-0.5, 0.0]]]], np.float32)
    spec = [Conv(1, 1), Activation("relu"), Flatten(), Dense(2)]
    grads = _probe(backend, spec, images, 4).reshape(4)
    return float(grads[0] / grads[1]) + 0.0  # not -0.0


def rules(create: Callable[[str], Backend], frameworks=("mxnet", "torch")) -> dict:
    """Each framework's rule for exact ties in max pooling and ReLU's gradient at 0."""
    return {
        framework: {
            "max_pool_ties": max_pool_tie_rule(create(framework)),
            "relu_gradient_at_zero": relu_gradient_at_zero(create(framework)),
        }
        for framework in frameworks
    }


# --- the diagnostic of a comparison ---------------------------------------------------------


def diagnose(networks: list[dict], dataset: Dataset, steps: int, log=print) -> dict:
    """Where the two frameworks part ways on each network, and their rules for exact ties and
    ReLU at 0. networks: [{variant, label, settings: framework -> resolved settings, a plain
    dict}] (the workflow's divergence_networks)."""
    typed = [
        {fw: RunSettings.from_dict(settings) for fw, settings in entry["settings"].items()}
        for entry in networks
    ]
    first = typed[0]
    one = next(iter(first.values()))
    result = {
        "dataset": one.dataset,
        "model": one.model,
        "seed": one.seed,
        "frameworks": list(first),
        "moved_share": MOVED_SHARE,
        "rules": rules(lambda framework: _backend(first[framework]), tuple(first)),
        "versions": {},
        "networks": [],
    }
    for settings in first.values():
        result["versions"].update(_backend(settings).versions)
    for entry, runs in zip(networks, typed, strict=True):
        settings = next(iter(runs.values()))
        log(f"{entry['variant']}: up to {steps} steps")
        traced = trace_network(runs, dataset, steps, log)
        result["networks"].append(
            {
                "variant": entry["variant"],
                "label": entry["label"],
                **{
                    key: getattr(settings, key)
                    for key in ("activation", "pooling", "lr", "batch_size")
                },
                **traced,
            }
        )
    return result


TABLE_COLUMNS = [
    "variant",
    "label",
    "activation",
    "pooling",
    "lr",
    "batch_size",
    "steps_traced",
    "first_step",
    "first_value",
    "moved",
    "of",
    "evidence",
    "largest_relative_difference",
]


def table(result: dict):
    """One row per network: where the frameworks part ways (empty where they do not within the
    steps traced) and the largest relative difference of the values that agreed before."""
    import pandas as pd

    rows = []
    for entry in result["networks"]:
        first = entry["first"] or {}
        rows.append(
            {
                **{key: entry[key] for key in TABLE_COLUMNS[:7]},
                "first_step": first.get("step"),
                "first_value": first.get("described"),
                "moved": first.get("moved"),
                "of": first.get("of"),
                "evidence": (first.get("evidence") or {}).get("kind"),
                "largest_relative_difference": entry["largest_relative_difference"][
                    "relative_difference"
                ],
            }
        )
    frame = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    # Whole numbers stay whole where a network did not part (an empty cell, not NaN's float).
    return frame.astype({"first_step": "Int64", "moved": "Int64", "of": "Int64"})

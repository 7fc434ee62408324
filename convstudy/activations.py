"""Section 6: what a trained network's convolutions respond to, beside hand-designed edge kernels.

For a few test images (the first test image of evenly spread classes), the feature maps of each
convolution block of a trained run (after its activation) are drawn beside the responses of
section 1's Prewitt and Sobel kernels on the same images (convstudy.kernels, cross-correlated by
convstudy.conv.cross_correlate2d, grey values in [0, 1] as the network sees them).

Where a layer keeps the input's size (LeNet's first convolution pads its 5x5 kernel by 2), each
of its channels is compared with each edge response by the Pearson correlation over all pixels of
the sample images: a channel that has learned an edge detector correlates strongly with it, the
sign telling the polarity (dark-to-light or light-to-dark).
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from convstudy import kernels
from convstudy.conv import cross_correlate2d
from convstudy.data.cache import Dataset, load_task
from convstudy.data.transforms import to_network_input
from convstudy.settings import RunSettings
from convstudy.train import prepare_backend

CORRELATION_COLUMNS = ["layer", "channel", "family", "orientation", "r", "best"]
ACTIVITY_COLUMNS = ["layer", "channel", "largest", "dead"]


def sample_indices(labels: np.ndarray, count: int) -> list[int]:
    """The first test image of each of `count` classes spread evenly over the classes present."""
    present = np.unique(labels)
    chosen = present[np.linspace(0, len(present) - 1, min(count, len(present))).round().astype(int)]
    return [int(np.flatnonzero(labels == label)[0]) for label in chosen]


def edge_responses(grey: np.ndarray) -> dict[tuple[str, str], np.ndarray]:
    """Every section-1 kernel's response to one grey image (H x W in [0, 1])."""
    return {key: cross_correlate2d(grey, kernel) for key, kernel in kernels.edge_kernels().items()}


def trained_network(settings: RunSettings, weights_path: str | Path, dataset: Dataset):
    """The run's network with its trained weights, on one CPU thread, for inference; and the
    shape of its input."""
    # Imperative (not hybridized): feature_maps steps through the blocks one by one.
    inference = settings.replace(threads=1, device="cpu", cpu_fallback=False, hybridize=False)
    backend, _, shape = prepare_backend(inference, dataset)
    backend.load_weights(str(weights_path))
    return backend, shape


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    x, y = x - x.mean(), y - y.mean()
    norm = np.sqrt((x * x).sum() * (y * y).sum())
    # A channel that never fires (a "dead" ReLU) has no correlation with anything.
    return float((x * y).sum() / norm) if norm > 0 else float("nan")


def edge_correlations(
    layer_maps: list[np.ndarray], responses: list[dict[tuple[str, str], np.ndarray]]
) -> pd.DataFrame:
    """Correlation of each channel with each edge response, for layers of the input's size.

    layer_maps: per layer, samples x channels x H x W; responses: per sample, the edge maps.
    """
    height, width = next(iter(responses[0].values())).shape
    rows = []
    for index, maps in enumerate(layer_maps):
        if maps.shape[2:] != (height, width):
            continue
        layer = f"conv{index + 1}"
        for channel in range(maps.shape[1]):
            activation = maps[:, channel].ravel().astype(np.float64)
            channel_rows = [
                {
                    "layer": layer,
                    "channel": channel + 1,
                    "family": family,
                    "orientation": orientation,
                    "r": _pearson(
                        activation, np.stack([r[family, orientation] for r in responses]).ravel()
                    ),
                }
                for family, orientation in responses[0]
            ]
            strengths = [abs(row["r"]) if np.isfinite(row["r"]) else -1.0 for row in channel_rows]
            best = int(np.argmax(strengths))
            for position, row in enumerate(channel_rows):
                row["best"] = position == best and strengths[best] >= 0
            rows.extend(channel_rows)
    return pd.DataFrame(rows, columns=CORRELATION_COLUMNS)


def channel_activity(layer_maps: list[np.ndarray]) -> pd.DataFrame:
    """Per layer and channel: the largest activation on the sample images, and whether the
    channel never fires (its map is constant, e.g. a ReLU that is zero everywhere)."""
    rows = []
    for index, maps in enumerate(layer_maps):
        for channel in range(maps.shape[1]):
            values = maps[:, channel]
            rows.append(
                {
                    "layer": f"conv{index + 1}",
                    "channel": channel + 1,
                    "largest": float(values.max()),
                    "dead": bool(values.max() == values.min()),
                }
            )
    return pd.DataFrame(rows, columns=ACTIVITY_COLUMNS)


def dead_channels(activity: pd.DataFrame) -> dict[str, list[int]]:
    dead = activity[activity["dead"]]
    return {layer: list(rows["channel"]) for layer, rows in dead.groupby("layer", sort=False)}


@dataclass
class ActivationStudy:
    """What section 6 shows of one trained run on a few test images."""

    settings: RunSettings
    test_accuracy: float
    chosen: list[int]
    titles: list[str]
    greys: list[np.ndarray]
    responses: list[dict[tuple[str, str], np.ndarray]]
    layer_maps: list[np.ndarray]
    correlations: pd.DataFrame
    activity: pd.DataFrame
    learned_kernels: np.ndarray  # the first convolution's weights, channels x 1 x K x K


def study(metrics_path, weights_path, dataset_path, samples: int) -> ActivationStudy:
    """A trained run's feature maps on `samples` test images, their correlation with the edge
    kernels' responses, which channels never fire, and its first-layer kernels."""
    metrics = json.loads(Path(metrics_path).read_text())
    settings = RunSettings.from_dict(metrics["settings"])
    dataset = load_task(dataset_path, settings.dataset)
    if dataset.image_shape[0] != 1:
        raise ValueError(
            f"{settings.run}: activation maps compare with grey-image edge kernels; "
            f"{settings.dataset} images have {dataset.image_shape[0]} channels"
        )
    network, _ = trained_network(settings, weights_path, dataset)
    chosen = sample_indices(dataset.test_labels, samples)
    inputs = to_network_input(dataset.test_images[chosen], settings.image_size)
    layer_maps = network.feature_maps(inputs)
    greys = [image[0].astype(np.float64) for image in inputs]
    responses = [edge_responses(grey) for grey in greys]
    first_conv = next(arrays for kind, arrays in network.state() if kind == "conv")
    return ActivationStudy(
        settings=settings,
        test_accuracy=metrics["final"]["test_accuracy"],
        chosen=chosen,
        titles=[f"#{index}: {dataset.classes[dataset.test_labels[index]]}" for index in chosen],
        greys=greys,
        responses=responses,
        layer_maps=layer_maps,
        correlations=edge_correlations(layer_maps, responses),
        activity=channel_activity(layer_maps),
        learned_kernels=first_conv[0],
    )

"""Helpers for tests that train: the quick config, a synthetic dataset, one run in-process."""

import numpy as np
import yaml

from convstudy import settings as run_settings
from convstudy.config import apply_preset, deep_merge
from convstudy.data.cache import Dataset
from convstudy.settings import RunSettings
from convstudy.train import RunFiles, train
from tests import synthetic
from tests.conftest import REPO


def quick_config(**scale):
    config = apply_preset(yaml.safe_load((REPO / "config.yaml").read_text()) | {"preset": "quick"})
    return deep_merge(config, {"scale": scale})


def synthetic_dataset(n_train=512, n_test=128, seed=0, classes=10):
    rng = np.random.default_rng(seed)
    train_images, train_labels = synthetic.labelled_images(n_train, 28, 28, 1, classes, rng)
    test_images, test_labels = synthetic.labelled_images(n_test, 28, 28, 1, classes, rng)
    return Dataset(
        "fashion_mnist",
        train_images,
        train_labels,
        test_images,
        test_labels,
        [str(c) for c in range(classes)],
    )


def run_once(tmp_path, arm, dataset, name="run", overrides=None, log=None, **scale):
    dataset_name, model, framework, variant = run_settings.parse_arm(arm, "test")
    config = quick_config(**{"epochs": 2, **scale})
    settings = run_settings.resolve(
        config, run_settings.Run(dataset_name, model, framework, variant, 0)
    )
    settings = RunSettings.from_dict({**settings, **(overrides or {})})
    folder = tmp_path / name
    files = RunFiles(
        folder / "metrics.json",
        folder / "predictions.npz",
        folder / "model.weights",
        folder / "checkpoints",
    )
    metrics = train(settings, dataset, files, log=log or (lambda _: None))
    return metrics, np.load(files.predictions)["predicted"], files


def numbers(metrics):
    """What must not change between identical runs (not the timings)."""
    return [(e["train_loss"], e["train_accuracy"], e["test_accuracy"]) for e in metrics["epochs"]]

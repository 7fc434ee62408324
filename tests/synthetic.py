"""Synthetic datasets written in the real on-disk formats, for tests.

Images carry a class-dependent pattern plus noise, so a network can learn them in a few steps
and a broken pipeline (labels shuffled against images) shows as chance accuracy.
"""

import gzip
import io
import tarfile
from pathlib import Path

import numpy as np

from convstudy.data import formats
from convstudy.data.catalog import IDX_FILES
from convstudy.data.sources import md5


def labelled_images(n, height, width, channels, classes, rng, pattern_seed=0):
    """n images of `classes` classes: one fixed pattern per class (the same for every split
    drawn with the same pattern_seed, so what is learned on train holds on test) plus noise."""
    labels = rng.integers(0, classes, size=n)
    templates = np.random.default_rng(pattern_seed).integers(
        0, 256, size=(classes, height, width, channels)
    )
    noise = rng.integers(-40, 41, size=(n, height, width, channels))
    images = np.clip(templates[labels] + noise, 0, 255).astype(np.uint8)
    return images, labels


def write_idx_dataset(folder, n_train=600, n_test=200, seed=0, compress=True) -> dict[str, str]:
    """Four IDX files (gzipped like the originals) in folder; returns their content md5s."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    train = labelled_images(n_train, 28, 28, 1, 10, rng, pattern_seed=seed)
    test = labelled_images(n_test, 28, 28, 1, 10, rng, pattern_seed=seed)
    arrays = {
        IDX_FILES["train_images"]: train[0][..., 0],
        IDX_FILES["train_labels"]: train[1].astype(np.uint8),
        IDX_FILES["test_images"]: test[0][..., 0],
        IDX_FILES["test_labels"]: test[1].astype(np.uint8),
    }
    checksums = {}
    for name, array in arrays.items():
        content = formats.encode_idx(array)
        checksums[name] = md5(content)
        if compress:
            (folder / f"{name}.gz").write_bytes(gzip.compress(content))
        else:
            (folder / name).write_bytes(content)
    return checksums


def write_cifar100_archive(path, n_train=400, n_test=100, seed=0) -> dict[str, str]:
    """A cifar-100-python.tar.gz with train/test/meta pickles; returns their md5s."""
    rng = np.random.default_rng(seed)
    members = {}
    for split, n in (("train", n_train), ("test", n_test)):
        images, fine = labelled_images(n, 32, 32, 3, 100, rng, pattern_seed=seed)
        members[split] = formats.encode_cifar100_split(images, fine, fine // 5)
    members["meta"] = formats.encode_cifar100_meta(
        [f"fine_{i}" for i in range(100)], [f"coarse_{i}" for i in range(20)]
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(f"cifar-100-python/{name}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return {name: md5(content) for name, content in members.items()}

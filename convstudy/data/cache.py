"""The verified, uniform cached form of a dataset that training reads.

One uncompressed .npz per dataset:
  train_images, test_images      uint8, N x H x W x C (C = 1 for grey images)
  train_labels_<set>, test_labels_<set>, classes_<set>  per label set (CIFAR-100: fine, coarse)
It is written atomically: a reader never sees a half-written file.

A cache found damaged (cut short, or a member that fails its CRC check when a job reads it) is
rebuilt from the dataset's sources, verified against the canonical checksums like the first
time, before any job reads it (repair, called by the workflow when a run starts). Its contents
are the same as before, so it keeps the damaged file's time stamp: the rebuild makes nothing
built from it outdated. A job that finds damage the quick check at load cannot see leaves a
note beside the cache (damage_note) so that the next run rebuilds it.
"""

import os
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from convstudy.atomic import atomic_path
from convstudy.data import formats
from convstudy.data.catalog import IDX_FILES, DatasetInfo
from convstudy.data.errors import DataError


@dataclass(frozen=True)
class Task:
    """What a run trains on: a dataset with one of its label sets."""

    name: str
    dataset: str
    label_set: str
    image_shape: tuple[int, int, int]  # channels, height, width
    num_classes: int
    sizes: tuple[int, int]  # training and test images (the canonical files, checked by checksum)

    def stand_in(self, train_images: int, seed: int = 0) -> "Dataset":
        """Random images and labels of this task's shape (train_images of them, one test image):
        what a pass costs does not depend on the pixels, so the cost estimate times passes over
        these, without the dataset."""
        rng = np.random.default_rng(seed)
        channels, height, width = self.image_shape

        def images(n):
            return rng.integers(0, 256, size=(n, height, width, channels), dtype=np.uint8)

        return Dataset(
            name=self.name,
            train_images=images(train_images),
            train_labels=rng.integers(0, self.num_classes, train_images),
            test_images=images(1),
            test_labels=rng.integers(0, self.num_classes, 1),
            classes=[str(label) for label in range(self.num_classes)],
        )


TASKS = {
    task.name: task
    for task in (
        Task("mnist", "mnist", "class", (1, 28, 28), 10, (60000, 10000)),
        Task("fashion_mnist", "fashion_mnist", "class", (1, 28, 28), 10, (60000, 10000)),
        Task("cifar100_fine", "cifar100", "fine", (3, 32, 32), 100, (50000, 10000)),
        Task("cifar100_coarse", "cifar100", "coarse", (3, 32, 32), 20, (50000, 10000)),
    )
}


@dataclass
class Dataset:
    """Images (uint8, N x H x W x C) and integer labels of one task, train and test."""

    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    classes: list[str]

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """Channels, height, width of one image."""
        _, height, width, channels = self.train_images.shape
        return channels, height, width

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def subset(self, train_limit: int | None, test_limit: int | None) -> "Dataset":
        """The first examples of each split (the quick preset trains on these)."""
        return Dataset(
            self.name,
            self.train_images[:train_limit],
            self.train_labels[:train_limit],
            self.test_images[:test_limit],
            self.test_labels[:test_limit],
            self.classes,
        )


def task(name: str) -> Task:
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(TASKS)}") from None


def arrays_from_content(info: DatasetInfo, content: dict[str, bytes]) -> dict[str, np.ndarray]:
    """Parse verified content into the arrays of the cached form."""
    if info.kind == "idx":
        images = {
            split: formats.parse_idx(content[IDX_FILES[f"{split}_images"]], f"{split} images")
            for split in ("train", "test")
        }
        labels = {
            split: formats.parse_idx(content[IDX_FILES[f"{split}_labels"]], f"{split} labels")
            for split in ("train", "test")
        }
        arrays = {}
        for split in ("train", "test"):
            if len(images[split]) != len(labels[split]):
                raise DataError(
                    f"{info.title}: {len(images[split])} {split} images but "
                    f"{len(labels[split])} labels"
                )
            arrays[f"{split}_images"] = images[split][..., np.newaxis]
            arrays[f"{split}_labels_class"] = labels[split].astype(np.int64)
        arrays["classes_class"] = np.array(info.class_names)
        return arrays
    names = formats.parse_cifar100_meta(content["meta"], "meta")
    arrays = {}
    for split in ("train", "test"):
        parsed = formats.parse_cifar100_split(content[split], split)
        arrays[f"{split}_images"] = parsed["images"]
        for label_set in ("fine", "coarse"):
            arrays[f"{split}_labels_{label_set}"] = parsed[label_set]
    for label_set in ("fine", "coarse"):
        arrays[f"classes_{label_set}"] = np.array(names[label_set])
        top = max(arrays[f"{s}_labels_{label_set}"].max() for s in ("train", "test"))
        if top >= len(names[label_set]):
            raise DataError(
                f"{info.title}: {label_set} label {top} but only {len(names[label_set])} names"
            )
    return arrays


def write_atomic_npz(path: str | Path, arrays: dict[str, np.ndarray]) -> None:
    """Write arrays to path so that the file appears whole or not at all."""
    with atomic_path(path) as temporary, open(temporary, "wb") as stream:
        np.savez(stream, **arrays)


def damaged_cache(path: str | Path, why) -> DataError:
    return DataError(
        f"{path}: the cached dataset is damaged ({why}). Run again: it is rebuilt from its "
        f"sources (datasets.{Path(path).stem} in config.yaml) before any job reads it."
    )


def damage_note(path: str | Path) -> Path:
    """Beside a cache, why a job found it damaged (absent when none did)."""
    path = Path(path)
    return path.with_name(f".{path.name}.damaged")


def cache_problem(path: str | Path) -> str | None:
    """Why a cached .npz cannot be read: what a job found (damage_note), or what its zip
    directory shows (at the end of the file, so this is cheap and catches a truncated file);
    None when it looks whole."""
    note = damage_note(path)
    if note.is_file():
        return note.read_text().strip() or "a job could not read it"
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError) as error:
        return str(error)
    missing = sorted({"train_images.npy", "test_images.npy"} - names)
    return f"it lacks {', '.join(missing)}" if missing else None


@contextmanager
def _read_cache(path: str | Path):
    """The cached .npz, open; a file that cannot be read is named, with what to do, and noted
    beside it so that the next run rebuilds it."""
    try:
        with np.load(path) as cached:
            yield cached
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError) as error:
        why = f"{type(error).__name__}: {error}"
        try:
            damage_note(path).write_text(why + "\n")
        except OSError:
            pass  # the message still says what is wrong
        raise damaged_cache(path, why) from None


def load_task(path: str | Path, name: str) -> Dataset:
    """Read a task (a dataset and one of its label sets) from its cached .npz."""
    label_set = task(name).label_set
    with _read_cache(path) as cached:
        return Dataset(
            name=name,
            train_images=cached["train_images"],
            train_labels=cached[f"train_labels_{label_set}"],
            test_images=cached["test_images"],
            test_labels=cached[f"test_labels_{label_set}"],
            classes=[str(c) for c in cached[f"classes_{label_set}"]],
        )


def load_classes(path: str | Path, name: str) -> list[str]:
    """The class names of a task, read from its cached .npz without loading the images."""
    with _read_cache(path) as cached:
        return [str(c) for c in cached[f"classes_{task(name).label_set}"]]


def build(
    info: DatasetInfo,
    sources: list,
    expected_md5: dict[str, str] | None,
    output: str | Path,
    log=print,
) -> None:
    """Resolve the dataset from its sources, verify it, and write its cache to output."""
    from convstudy.data.sources import collect

    content = collect(info, sources, expected_md5 or info.content_md5, log)
    arrays = arrays_from_content(info, content)
    write_atomic_npz(output, arrays)
    sizes = ", ".join(f"{split} {len(arrays[f'{split}_images'])}" for split in ("train", "test"))
    log(f"{info.title}: cached {sizes} images of shape {arrays['train_images'].shape[1:]}")


def repair(
    info: DatasetInfo,
    sources: list,
    expected_md5: dict[str, str] | None,
    path: str | Path,
    log=print,
) -> None:
    """Rebuild a damaged cache from its sources (raising DataError when they cannot give it),
    keeping its time stamp: the verified contents are the same as before."""
    path = Path(path)
    stamp = path.stat()
    build(info, sources, expected_md5, path, log)
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    damage_note(path).unlink(missing_ok=True)

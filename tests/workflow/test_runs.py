"""Runs through Snakemake: a killed run resumes, damaged files are named or discarded, bad
settings fail at load, and the user's own values win over the preset."""

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from convstudy.config import deep_merge
from tests import synthetic
from tests.conftest import REPO, assert_no_traceback, run_snakemake, snakemake_command
from tests.runs import numbers

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


def test_a_damaged_dataset_cache_is_rebuilt_from_its_sources(tmp_path, synthetic_sources):
    # A copy of the sources, to take away later.
    source = tmp_path / "fashion"
    shutil.copytree(synthetic_sources["fashion_mnist"]["sources"][0]["path"], source)
    fashion = dict(synthetic_sources["fashion_mnist"], sources=[{"path": str(source)}])
    config = {"datasets": dict(synthetic_sources, fashion_mnist=fashion), "preset": "quick"}
    work = tmp_path / "work"
    cache = "results/datasets/fashion_mnist.npz"
    run_snakemake(work, "--cores", "1", QUICK_TARGET, config=config)
    whole = (work / cache).read_bytes()
    stamp = (work / cache).stat().st_mtime_ns

    # Cut short (as a copy that keeps times would leave it): seen at load, rebuilt before the
    # next job reads it.
    (work / cache).write_bytes(whole[: len(whole) // 2])
    os.utime(work / cache, ns=(stamp, stamp))
    other = QUICK_TARGET.replace("seed0", "seed1")
    result = run_snakemake(work, "--cores", "1", other, config=config)
    assert f"{cache}: the cached dataset is damaged (" in result.output
    assert "it is rebuilt from its sources (datasets.fashion_mnist in config.yaml)" in result.output
    assert f"{cache}: rebuilt from its sources, the same contents as before" in result.output
    assert_no_traceback(result.output)
    log = (work / "results/logs/datasets/fashion_mnist.log").read_text()
    assert "rebuilding it from its sources" in log and "checksums verified" in log
    assert (work / cache).read_bytes() != whole[: len(whole) // 2]
    assert (work / other).is_file()
    # The same contents, the same time stamp: the rebuild makes nothing built from it outdated.
    assert (work / cache).stat().st_mtime_ns == stamp
    assert "Nothing to be done" in run_snakemake(work, "-n", QUICK_TARGET, config=config).output

    # Damage only a job can see (a member that fails its CRC check): the job stops naming the
    # file, and the next run rebuilds it.
    damaged = bytearray((work / cache).read_bytes())
    damaged[len(damaged) // 3] ^= 0xFF
    (work / cache).write_bytes(bytes(damaged))
    again = QUICK_TARGET.replace("seed0", "seed2")
    failed = run_snakemake(work, "--cores", "1", again, config=config, check=False)
    assert failed.returncode != 0
    assert f"{cache}: the cached dataset is damaged (BadZipFile" in failed.output
    assert "Run again: it is rebuilt from its sources" in failed.output
    assert_no_traceback(failed.output)
    fixed = run_snakemake(work, "--cores", "1", again, config=config)
    assert f"{cache}: rebuilt from its sources" in fixed.output
    assert (work / again).is_file()

    # Without its sources it cannot be rebuilt: said before any job, and the job stops.
    (work / cache).write_bytes(whole[: len(whole) // 2])
    shutil.rmtree(source)
    last = QUICK_TARGET.replace("seed0", "seed3")
    failed = run_snakemake(work, "--cores", "1", last, config=config, check=False)
    assert failed.returncode != 0
    assert f"{cache}: the cached dataset is damaged and its sources cannot rebuild it" in (
        failed.output
    )
    assert "none of its sources is available" in failed.output
    assert_no_traceback(failed.output)


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


def test_lists_in_config_on_the_command_line_are_read_as_yaml(tmp_path, synthetic_sources):
    result = run_snakemake(
        tmp_path,
        "-n",
        "--cores",
        "1",
        "--config",
        "scale={seeds: [0, 1, 2]}",
        "offline=true",
        config={"datasets": synthetic_sources},
    )
    assert_no_traceback(result.output)
    seeds = {
        int(seed)
        for seed in re.findall(r"results/runs/[^ ]*/seed(\d+)/metrics\.json", result.output)
    }
    assert seeds == {0, 1, 2}


@pytest.mark.parametrize("stage", ["outputs", "last-epoch"])
def test_a_run_killed_after_its_last_epoch_is_finished_without_training_again(
    tmp_path, synthetic_sources, stage
):
    config = {"datasets": synthetic_sources, "preset": "quick"}
    run_snakemake(tmp_path / "whole", "--cores", "1", QUICK_TARGET, config=config)
    reference = json.loads((tmp_path / "whole" / QUICK_TARGET).read_text())

    # Snakemake and its job killed (SIGKILL, the whole process group) after the last epoch's
    # checkpoint, or after the outputs are written but before Snakemake records them.
    killed = tmp_path / "killed"
    killed.mkdir()
    (killed / "config.yaml").write_text(
        yaml.safe_dump(deep_merge(yaml.safe_load((REPO / "config.yaml").read_text()), config))
    )
    process = subprocess.Popen(
        snakemake_command(killed, "--cores", "1", QUICK_TARGET),
        env=dict(os.environ, CONVSTUDY_TEST_KILL_AFTER=stage),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    assert process.wait(timeout=600) == -signal.SIGKILL
    checkpoint = killed / "results" / "checkpoints" / QUICK_RUN
    first_start = json.loads((checkpoint / "progress.json").read_text())["started_at"]
    assert (killed / QUICK_TARGET).exists() == (stage == "outputs")

    run_snakemake(killed, "--unlock", config=config)
    if stage == "outputs":
        # Snakemake did not record the outputs: a plain rerun stops, naming the way on.
        plain = run_snakemake(killed, "--cores", "1", QUICK_TARGET, config=config, check=False)
        assert plain.returncode != 0 and "--rerun-incomplete" in plain.output, plain.output
        assert_no_traceback(plain.output)
        rerun = ("--rerun-incomplete",)
    else:
        rerun = ()
    run_snakemake(killed, "--cores", "1", *rerun, QUICK_TARGET, config=config)

    log = (killed / "results/logs/runs" / f"{QUICK_RUN}.log").read_text()
    for epoch in (1, 2):
        assert log.count(f"] epoch {epoch}/2: loss") == 1, log
    if stage == "outputs":
        assert "all 2 epochs had finished before the run was interrupted" in log, log
        assert "nothing is trained again" in log
    else:
        assert "resumed after epoch 2 from" in log, log
    finished = json.loads((killed / QUICK_TARGET).read_text())
    assert numbers(finished) == numbers(reference)
    assert finished["started_at"] == first_start
    assert len(finished["resumed_at"]) == (stage == "last-epoch")
    assert all(first_start < when < finished["finished_at"] for when in finished["resumed_at"])
    # Once Snakemake has recorded the outputs, the checkpoint goes, and a run asked for again
    # trains again.
    assert not checkpoint.exists()
    run_snakemake(killed, "--cores", "1", "--forcerun", "train", "--", QUICK_TARGET, config=config)
    log = (killed / "results/logs/runs" / f"{QUICK_RUN}.log").read_text()
    assert "] epoch 2/2: loss" in log and "nothing is trained again" not in log
    assert "resumed" not in log
    assert not checkpoint.exists()


@pytest.mark.parametrize(
    "target, message",
    [
        (
            "results/runs/fashion_mnst/lenet-mxnet/base/seed0/metrics.json",
            "fashion_mnst/lenet-mxnet/base: unknown dataset 'fashion_mnst'; known: mnist, "
            "fashion_mnist, cifar100_fine, cifar100_coarse",
        ),
        (
            "results/runs/fashion_mnist/lenett-mxnet/base/seed0/metrics.json",
            "fashion_mnist/lenett-mxnet/base: unknown model 'lenett'; known: lenet, alexnet",
        ),
        (
            "results/runs/fashion_mnist/lenet-mxnt/base/seed0/metrics.json",
            "fashion_mnist/lenet-mxnt/base: unknown framework 'mxnt'; known: mxnet, torch",
        ),
        (
            "results/runs/fashion_mnist/lenet-mxnet/bse/seed0/metrics.json",
            "fashion_mnist/lenet-mxnet/bse: unknown variant 'bse'; known: avg_pool, base,",
        ),
        (
            "results/estimates/fashion_mnist/lenet-torch/base+nope.json",
            "fashion_mnist/lenet-torch/base+nope: unknown variant 'nope'; known: avg_pool,",
        ),
        (
            "results/datasets/mnst.npz",
            "results/datasets/mnst.npz: unknown dataset 'mnst'; known: mnist, fashion_mnist, "
            "cifar100",
        ),
    ],
)
def test_a_typo_in_a_target_path_is_named_in_one_line(tmp_path, synthetic_sources, target, message):
    config = {"datasets": synthetic_sources}
    result = run_snakemake(tmp_path, "-n", "--cores", "1", target, config=config, check=False)
    assert result.returncode != 0
    assert f"Target error: {message}" in result.output, result.output[-2000:]
    assert_no_traceback(result.output)
    assert "No rule to produce" not in result.output and "Exception" not in result.output


def test_a_comparison_whose_arms_run_different_seeds_is_named_at_load(tmp_path, synthetic_sources):
    mixed = {"title": "mixed", "runs": ["mnist/lenet-torch/base", "mnist/alexnet-torch/base"]}
    config = {"datasets": synthetic_sources, "comparisons": {"mixed": mixed}}
    result = run_snakemake(tmp_path, "-n", "--cores", "1", "runs", config=config)
    assert (
        "comparisons.mixed: its arms run different seeds (scale.max_seeds caps alexnet at 3), "
        "so each difference from mnist/lenet-torch/base takes Welch's interval (unpaired), not "
        "the paired one: mnist/lenet-torch/base seeds 0, 1, 2, 3, 4; mnist/alexnet-torch/base "
        "seeds 0, 1, 2. To pair them, give the comparison the seeds every arm can run"
    ) in " ".join(result.output.split())
    # With the seeds every arm can run, nothing is said.
    paired = {"comparisons": {"mixed": dict(mixed, seeds=3)}}
    result = run_snakemake(
        tmp_path, "-n", "--cores", "1", "runs", config=deep_merge(config, paired)
    )
    assert "different seeds" not in result.output


DROPOUT_VARIANT = {"dropout_half": {"label": "dropout 0.5", "dropout": 0.5}}


def test_a_variant_its_model_does_not_read_fails_at_load_in_one_line(tmp_path, synthetic_sources):
    # LeNet has no dropout: the arm would train the base network and be called identical to it.
    arms = ["fashion_mnist/lenet-mxnet/base", "fashion_mnist/lenet-mxnet/dropout_half"]
    config = {
        "datasets": synthetic_sources,
        "variants": DROPOUT_VARIANT,
        "comparisons": {"lenet_dropout": {"title": "LeNet: dropout", "runs": arms}},
    }
    result = run_snakemake(tmp_path, "-n", "--cores", "1", config=config, check=False)
    assert result.returncode != 0
    errors = [line for line in result.output.splitlines() if "Config error" in line]
    assert errors == [
        "Config error: comparisons.lenet_dropout: variant 'dropout_half' sets dropout, which "
        "LeNet does not read (LeNet reads: activation, batchnorm, pooling, width), so "
        "fashion_mnist/lenet-mxnet/dropout_half would train the same network as without it; "
        "remove dropout from the variant, or use the variant only with a model that reads it "
        "(AlexNet)"
    ], result.output[-2000:]
    assert_no_traceback(result.output)
    # Asked for by path, a run no comparison declares is refused the same way.
    target = "results/runs/fashion_mnist/lenet-torch/dropout_half/seed0/metrics.json"
    config = {"datasets": synthetic_sources, "variants": DROPOUT_VARIANT}
    result = run_snakemake(tmp_path, "-n", "--cores", "1", target, config=config, check=False)
    assert result.returncode != 0
    assert (
        "Target error: variant 'dropout_half' sets dropout, which LeNet does not read"
        in result.output
    ), result.output[-2000:]
    assert_no_traceback(result.output)

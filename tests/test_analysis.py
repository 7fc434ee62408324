"""Runs into tables and findings: hand-made metrics.json files with known numbers."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from convstudy import activations, analysis, confusion, findings, kernels, stats
from convstudy import settings as run_settings
from convstudy.config import ConfigError, apply_preset
from tests.conftest import REPO

PHASE_SECONDS = {"data": 0.5, "forward": 1.0, "backward": 1.5, "step": 0.25, "eval": 0.5}


def fake_metrics(arm, seed, test_accuracy, epoch_seconds=4.0, parameters=61_706, **settings):
    """A metrics.json as convstudy.train writes it, with chosen numbers (two epochs)."""
    dataset, model, framework, variant = run_settings.parse_arm(arm, "test")
    run = f"{arm}/seed{seed}"
    epochs = []
    for epoch, total in enumerate((epoch_seconds + 1.0, epoch_seconds), start=1):
        seconds = dict(PHASE_SECONDS, train=total - 0.5, total=total)
        epochs.append(
            {
                "epoch": epoch,
                "train_loss": 1.0 / epoch,
                "train_accuracy": test_accuracy + 0.05,
                "test_accuracy": test_accuracy if epoch == 2 else test_accuracy - 0.1,
                "seconds": seconds,
                "images_per_second": 1000 / total,
            }
        )
    base = {
        "epochs": 2,
        "batch_size": 128,
        "lr": 0.1,
        "activation": "relu",
        "pooling": "max",
        "width": 1.0,
        "data_path": "memory",
        "workers": 0,
        "hybridize": True,
        "batchnorm": False,
        "threads": 1,
        "train_limit": None,
        "test_limit": None,
    }
    return {
        "run": run,
        "settings": {
            **base,
            **settings,
            "run": run,
            "dataset": dataset,
            "model": model,
            "framework": framework,
            "variant": variant,
            "seed": seed,
        },
        "parameters": parameters,
        "device": "cpu (1 threads)",
        "peak_memory_mb": {"process": 300.0 + seed, "largest_worker": 0.0},
        "epochs": epochs,
        "final": {
            "train_loss": 0.5,
            "train_accuracy": test_accuracy + 0.05,
            "test_accuracy": test_accuracy,
        },
    }


BASE = "fashion_mnist/lenet-mxnet/base"
AVG = "fashion_mnist/lenet-mxnet/avg_pool"
TEXTBOOK = "fashion_mnist/lenet-mxnet/textbook"
COMPARISON = {"title": "pooling", "runs": [BASE, AVG], "reference": TEXTBOOK}


def pooling_metrics(avg_accuracies=(0.80, 0.81, 0.79)):
    return [
        *[fake_metrics(BASE, s, a) for s, a in enumerate((0.85, 0.86, 0.84))],
        *[fake_metrics(AVG, s, a, pooling="avg") for s, a in enumerate(avg_accuracies)],
        *[
            fake_metrics(TEXTBOOK, s, 0.78, 3.0, activation="sigmoid", pooling="avg", lr=0.9)
            for s in range(3)
        ],
    ]


def test_runs_table_takes_the_median_epoch_and_splits_its_time():
    runs = analysis.runs_table(pooling_metrics())
    assert len(runs) == 9 and list(runs["run"]) == sorted(runs["run"])
    row = runs[runs["run"] == f"{BASE}/seed0"].iloc[0]
    assert row["test_accuracy"] == 0.85 and row["arm"] == BASE
    # Epochs of 5 s and 4 s: the median is 4.5 s; "other" is what the phases leave of each.
    assert row["epoch_seconds"] == pytest.approx(4.5)
    assert row["seconds_other"] == pytest.approx(4.5 - sum(PHASE_SECONDS.values()))
    total = sum(row[column] for column in analysis.PHASE_COLUMNS)
    assert total == pytest.approx(row["epoch_seconds"])
    epochs = analysis.epochs_table(pooling_metrics())
    assert len(epochs) == 18 and set(epochs["epoch"]) == {1, 2}


def test_comparison_table_orders_arms_and_compares_with_the_baseline():
    metrics = pooling_metrics()
    table = analysis.comparison_table(
        analysis.runs_table(metrics), analysis._settings_by_arm(metrics), COMPARISON
    )
    assert list(table["arm"]) == [BASE, AVG, TEXTBOOK]
    assert list(table["role"]) == ["baseline", "arm", "reference"]
    assert list(table["label"]) == ["base", "avg_pool", "textbook"]
    assert list(table["setting"][:2]) == ["pooling max", "pooling avg"]
    assert table["setting"][2] == "lr 0.9, activation sigmoid, pooling avg"
    avg = table.iloc[1]
    assert avg["seeds"] == 3
    assert avg["test_accuracy_mean"] == pytest.approx(0.80)
    assert avg["test_accuracy_std"] == pytest.approx(0.01)
    expected = stats.welch_difference([0.85, 0.86, 0.84], [0.80, 0.81, 0.79])
    assert avg["test_accuracy_difference"] == pytest.approx(-0.05)
    assert avg["test_accuracy_ci_low"] == pytest.approx(expected.low)
    assert avg["test_accuracy_verdict"] == stats.LOWER
    # Same epoch times in both arms on every seed: an exact zero, no clear difference.
    assert avg["epoch_seconds_verdict"] == stats.NO_CLEAR_DIFFERENCE
    assert avg["parameters"] == 61_706 and avg["peak_memory_mb"] == 302.0


def test_findings_never_call_an_interval_that_includes_zero_a_win():
    metrics = pooling_metrics(avg_accuracies=(0.80, 0.90, 0.85))
    table = analysis.comparison_table(
        analysis.runs_table(metrics), analysis._settings_by_arm(metrics), COMPARISON
    )
    assert table.iloc[1]["test_accuracy_verdict"] == stats.NO_CLEAR_DIFFERENCE
    sentences = findings.comparison_findings(table, "curves")
    assert "avg_pool (pooling avg): test accuracy 0.850 ± 0.050 against 0.850 ± 0.010" in (
        sentences[0]
    )
    assert "which includes zero): no clear difference" in sentences[0]
    assert "higher" not in sentences[0] and "lower" not in sentences[0]
    assert sentences[1].startswith("Reference textbook")
    assert ": lower" in sentences[1]  # the textbook setting: 0.78 on every seed


def test_single_seed_arms_get_no_interval_and_no_conclusion():
    metrics = [fake_metrics(BASE, 0, 0.85), fake_metrics(AVG, 0, 0.95, pooling="avg")]
    comparison = {"title": "x", "runs": [BASE, AVG]}
    table = analysis.comparison_table(
        analysis.runs_table(metrics), analysis._settings_by_arm(metrics), comparison
    )
    assert table.iloc[1]["test_accuracy_verdict"] == stats.NO_INTERVAL
    assert np.isnan(table.iloc[1]["test_accuracy_ci_low"])
    sentence = findings.comparison_findings(table, "curves")[0]
    assert "+0.100 from a single seed per arm: no interval, so no conclusion" in sentence


def test_missing_runs_of_an_arm_are_an_error_naming_it():
    metrics = [fake_metrics(BASE, 0, 0.85)]
    with pytest.raises(ValueError, match="avg_pool"):
        analysis.comparison_table(
            analysis.runs_table(metrics),
            analysis._settings_by_arm(metrics),
            {"title": "x", "runs": [BASE, AVG]},
        )


def write_metrics(folder, metrics):
    paths = []
    for item in metrics:
        path = folder / item["run"] / "metrics.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(item))
        paths.append(path)
    return paths


def test_aggregate_writes_tidy_tables_from_metrics_files(tmp_path):
    paths = write_metrics(tmp_path / "runs", pooling_metrics())
    out = tmp_path / "tables"
    names = ["runs.csv", "runs.md", "runs.html", "epochs.csv", "c.csv", "c.md", "c.html"]
    analysis.build_aggregate(
        paths, {"pooling": COMPARISON}, *[out / n for n in names], log=lambda _: None
    )
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 9 and {"test_accuracy", "seconds_data", "peak_memory_mb"} <= set(runs)
    summary = pd.read_csv(out / "c.csv")
    assert list(summary["comparison"]) == ["pooling"] * 3
    assert "| run" in (out / "runs.md").read_text()
    assert (out / "c.html").read_text().startswith('<table class="dataframe data">')
    assert len(pd.read_csv(out / "epochs.csv")) == 18


@pytest.mark.parametrize("kind", ["curves", "timing", "width"])
def test_each_kind_of_comparison_figure_is_drawn(tmp_path, kind):
    paths = write_metrics(tmp_path / "runs", pooling_metrics())
    out = tmp_path / "out"
    table = analysis.build_comparison(
        "pooling",
        {**COMPARISON, "figure": kind},
        paths,
        out / "t.csv",
        out / "t.md",
        out / "t.html",
        out / "f.png",
        log=lambda _: None,
    )
    assert len(table) == 3
    assert (out / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_time_breakdown_and_width_tables(tmp_path):
    metrics = [
        *[fake_metrics(BASE, s, 0.85, parameters=61_706) for s in range(2)],
        *[
            fake_metrics(f"{BASE[:-4]}width_2", s, 0.87, parameters=200_000, width=2.0)
            for s in range(2)
        ],
    ]
    paths = write_metrics(tmp_path / "runs", metrics)
    out = tmp_path / "out"
    time_table = analysis.build_time_breakdown(
        paths, out / "t.csv", out / "t.md", out / "t.png", log=lambda _: None
    )
    assert list(time_table["seeds"]) == [2, 2]
    assert time_table["data_share"].iloc[0] == pytest.approx(0.5 / 4.5)
    comparison = {"title": "w", "runs": [BASE, f"{BASE[:-4]}width_2"], "figure": "width"}
    width = analysis.build_width(
        {"w": comparison}, paths, out / "w.csv", out / "w.md", out / "w.png", log=lambda _: None
    )
    assert list(width["width"]) == [1.0, 2.0] and list(width["dataset"]) == ["fashion_mnist"] * 2
    assert width["generalization_gap"].iloc[0] == pytest.approx(0.05)
    sentence = findings.width_findings(width)[0]
    assert "from 61,706 to 200,000 parameters (width x1 to x2)" in sentence


def test_confusion_matrix_counts_and_row_shares():
    labels = np.array([0, 0, 0, 1, 1, 2])
    predicted = np.array([0, 0, 1, 1, 2, 2])
    counts = confusion.confusion_matrix(labels, predicted, 4)
    expected = np.zeros((4, 4), int)
    expected[0, 0], expected[0, 1], expected[1, 1], expected[1, 2], expected[2, 2] = 2, 1, 1, 1, 1
    np.testing.assert_array_equal(counts, expected)
    shares = confusion.row_normalized(counts)
    np.testing.assert_allclose(shares[0], [2 / 3, 1 / 3, 0, 0])
    np.testing.assert_array_equal(shares[3], 0)  # a class absent from the test set
    errors = confusion.class_errors(counts, ["a", "b", "c", "d"])
    assert list(errors["recall"][:3]) == pytest.approx([2 / 3, 0.5, 1.0])
    assert list(errors["most_often_predicted_as"][:2]) == ["b", "c"]
    table = confusion.confusion_table(counts, ["a", "b", "c", "d"])
    assert list(table.columns) == ["true class", "a", "b", "c", "d"]
    sentences = findings.confusion_findings(errors, "run")
    assert sentences[0].startswith("run: test accuracy 0.667 on 6 images. Best recognized: c")
    with pytest.raises(ValueError, match="outside"):
        confusion.confusion_matrix(np.array([5]), np.array([0]), 4)


def test_a_channel_that_is_an_edge_detector_correlates_with_its_kernel():
    rng = np.random.default_rng(0)
    greys = [rng.random((28, 28)) for _ in range(2)]
    responses = [activations.edge_responses(grey) for grey in greys]
    vertical = np.stack([r["sobel", "vertical"] for r in responses])
    dead = np.zeros_like(vertical)
    maps = np.stack([np.maximum(vertical, 0), dead, -vertical], axis=1)  # samples x 3 x H x W
    table = activations.edge_correlations([maps, maps[:, :, :10, :10]], responses)
    assert set(table["layer"]) == {"conv1"}  # the 10x10 layer is not compared
    best = table[table["best"]].set_index("channel")
    assert list(best.index) == [1, 3]  # channel 2 never fires: no best match
    assert (best.loc[3, "family"], best.loc[3, "orientation"]) == ("sobel", "vertical")
    assert best.loc[3, "r"] == pytest.approx(-1.0)
    assert best.loc[1, "r"] > 0.5
    sentence = findings.activation_findings(table, "run")[0]
    assert "2 of 3 channels" in sentence and "1 channel never fire" in sentence
    assert len(kernels.edge_kernels()) == len(table) / 3


def test_sample_indices_take_the_first_image_of_spread_classes():
    labels = np.array([3, 0, 9, 0, 5, 9, 1])
    assert activations.sample_indices(labels, 3) == [1, 0, 2]  # classes 0, 3, 9


def quick_config():
    return apply_preset(yaml.safe_load((REPO / "config.yaml").read_text()) | {"preset": "quick"})


def test_a_comparison_needs_its_reference_runs_too():
    config = quick_config()
    runs = run_settings.comparison_runs(config, "lenet_pooling")
    assert {run.arm for run in runs} == {BASE, AVG, TEXTBOOK}
    assert runs[-1].arm == TEXTBOOK and len(runs) == 3 * len(config["scale"]["seeds"])
    config["comparisons"]["lenet_pooling"]["reference"] = BASE
    with pytest.raises(ConfigError, match="already one of its runs"):
        run_settings.comparison_runs(config, "lenet_pooling")


def test_every_declared_comparison_has_a_section():
    config = quick_config()
    sections = {
        name: analysis.comparison_section(comparison)
        for name, comparison in config["comparisons"].items()
    }
    assert sections["lenet_pooling"] == analysis.SECTION_LENET
    assert sections["alexnet_cifar100_lr"] == analysis.SECTION_ALEXNET
    assert sections["lenet_data_path"] == analysis.SECTION_TIME

"""Runs into tables and findings: hand-made metrics.json files with known numbers."""

import csv
import io
import json

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats as scipy_stats

from convstudy import activations, analysis, build, confusion, kernels, network, stats
from convstudy import settings as run_settings
from convstudy.config import ConfigError, apply_preset
from convstudy.models import alexnet, lenet
from convstudy.plan import Study
from convstudy.report import key_findings, model_sections, showcase, timing
from tests.conftest import REPO

PHASE_SECONDS = {"data": 0.5, "forward": 1.0, "backward": 1.5, "step": 0.25, "eval": 0.5}


def fake_metrics(
    arm, seed, test_accuracy, epoch_seconds=4.0, parameters=61_706, loss=None, **settings
):
    """A metrics.json as convstudy.train writes it, with chosen numbers (two epochs). The
    per-epoch training losses follow the final accuracy unless given."""
    dataset, model, framework, variant = run_settings.parse_arm(arm, "test")
    run = f"{arm}/seed{seed}"
    epochs = []
    losses = loss or (1.0 - test_accuracy / 2, 1.0 - test_accuracy)
    for epoch, total in enumerate((epoch_seconds + 1.0, epoch_seconds), start=1):
        other = total - sum(PHASE_SECONDS.values())
        seconds = dict(PHASE_SECONDS, other=other, train=total - 0.5, total=total)
        epochs.append(
            {
                "epoch": epoch,
                "train_loss": losses[epoch - 1],
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
            "train_loss": losses[-1] if loss else 0.5,
            "train_accuracy": test_accuracy + 0.05,
            "test_accuracy": test_accuracy,
        },
    }


def fake_timing(arm, images_per_second=(1000.0, 1100.0, 1050.0), data=0.5, **settings):
    """A timing JSON as convstudy.speed writes it: passes of 2,000 images, timed alone."""
    dataset, model, framework, variant = run_settings.parse_arm(arm, "test")
    passes = []
    for speed in images_per_second:
        train = 2000 / speed
        compute = train - data
        seconds = {
            "data": data,
            "forward": 0.4 * compute,
            "backward": 0.5 * compute,
            "step": 0.1 * compute,
            "other": 0.0,
            "train": train,
        }
        passes.append({"images": 2000, "seconds": seconds, "images_per_second": speed})
    return {
        "arm": arm,
        "settings": {
            "dataset": dataset,
            "model": model,
            "framework": framework,
            "variant": variant,
            "data_path": "memory",
            "workers": 0,
            "hybridize": True,
            "batch_size": 128,
            **settings,
        },
        "timing": "alone",
        "cores_reserved": 4,
        "threads": 1,
        "device": "cpu (1 threads)",
        "warmup_images": 100,
        "passes": passes,
        "machine": {"cpu": "test cpu"},
        "started_at": 0.0,
        "finished_at": 1.0,
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
    # (times recorded by the runs themselves, alongside other jobs)
    runs = analysis.runs_table(pooling_metrics())
    assert len(runs) == 9 and list(runs["run"]) == sorted(runs["run"])
    row = runs[runs["run"] == f"{BASE}/seed0"].iloc[0]
    assert row["test_accuracy"] == 0.85 and row["arm"] == BASE
    # Epochs of 5 s and 4 s: the median is 4.5 s; "other" is what the phases leave of each.
    assert row["epoch_seconds"] == pytest.approx(4.5)
    assert row["seconds_other"] == pytest.approx(4.5 - sum(PHASE_SECONDS.values()))
    assert row["timing"] == "alongside other jobs" and not row["diverged"]
    total = sum(row[column] for column in analysis.EPOCH_PHASE_COLUMNS)
    assert total == pytest.approx(row["epoch_seconds"])
    epochs = analysis.epochs_table(pooling_metrics())
    assert len(epochs) == 18 and set(epochs["epoch"]) == {1, 2}


def test_every_setting_that_differs_between_runs_is_a_column_of_the_runs_table():
    # The settings of two runs of the declared study, as their metrics.json record them: every
    # key that tells them apart (dropout and weight decay included, and a setting the table
    # does not know yet) is a column.
    config = quick_config()
    metrics = []
    for seed, arm in enumerate([BASE, "fashion_mnist/alexnet-torch/full_size"]):
        run = run_settings.Run(*run_settings.parse_arm(arm, "test"), seed)
        resolved = run_settings.resolve(config, run)
        own = {k: v for k, v in resolved.items() if k not in analysis.IDENTITY_KEYS}
        changed = {"dropout": 0.25 * (seed + 1), "weight_decay": 1e-4 * seed, "new_knob": seed}
        metrics.append(fake_metrics(arm, seed, 0.8, **{**own, **changed}))
    first, second = (m["settings"] for m in metrics)
    differing = {key for key in first.keys() | second.keys() if first.get(key) != second.get(key)}
    assert {"dropout", "weight_decay", "new_knob", "lr", "image_size", "model"} <= differing
    runs = analysis.runs_table(metrics)
    assert differing <= set(runs.columns)
    row = runs[runs["arm"] == BASE].iloc[0]
    assert (row["dropout"], row["weight_decay"], row["new_knob"]) == (0.25, 0.0, 0)


def pooling_timings():
    return [
        fake_timing(BASE, (1000.0, 1100.0, 1050.0)),
        fake_timing(AVG, (1200.0, 1250.0, 1300.0), pooling="avg"),
        fake_timing(TEXTBOOK, (900.0, 1150.0, 1000.0), pooling="avg"),
    ]


def comparison_of(metrics, comparison=COMPARISON, timings=None):
    return analysis.comparison_table(
        analysis.runs_table(metrics),
        analysis.epochs_table(metrics),
        analysis.settings_by_arm(metrics),
        comparison,
        analysis.timings_table(timings or pooling_timings()),
    )


def test_comparison_table_pairs_arms_that_ran_the_same_seeds():
    table = comparison_of(pooling_metrics())
    assert list(table["arm"]) == [BASE, AVG, TEXTBOOK]
    assert list(table["role"]) == ["baseline", "arm", "reference"]
    assert list(table["label"]) == ["base", "avg_pool", "textbook"]
    assert list(table["setting"][:2]) == ["pooling max", "pooling avg"]
    assert table["setting"][2] == "lr 0.9, activation sigmoid, pooling avg"
    avg = table.iloc[1]
    assert avg["seeds"] == 3
    assert avg["test_accuracy_mean"] == pytest.approx(0.80)
    assert avg["test_accuracy_std"] == pytest.approx(0.01)
    # 0.80/0.81/0.79 against 0.85/0.86/0.84: -0.05 on every seed. Paired, the seeds show no
    # spread: no t statistic, so no interval, no p value, no detectable difference.
    assert avg["interval"] == "not estimable" and avg["verdict"] == "same on every seed"
    assert avg["difference"] == pytest.approx(-0.05)
    assert np.isnan([avg["ci_low"], avg["ci_high"], avg["detectable"], avg["p_value"]]).all()
    assert avg["seed_differences"] == "-0.0500 -0.0500 -0.0500"
    # pooling differs, and the losses differ: neither the same computation nor the same work.
    assert not avg["same_computation"] and not avg["same_work"] and not avg["undetectable"]
    assert avg["parameters"] == 61_706 and avg["peak_memory_mb"] == 302.0
    # Speed from the timings measured alone: every pass of avg_pool beats every pass of base.
    assert avg["timing"] == "alone" and avg["speed_verdict"] == analysis.FASTER
    assert avg["images_per_second"] == 1250.0 and avg["images_per_second_low"] == 1200.0
    assert table.iloc[2]["speed_verdict"] == analysis.WITHIN_SPREAD
    # Per 10,000 images: 0.5 s of data waiting per 2,000-image pass is 2.5 s.
    assert avg["seconds_data"] == pytest.approx(2.5)


def test_a_comparison_uses_only_its_own_seeds_of_an_arm_that_ran_more():
    metrics = [
        *[fake_metrics(BASE, s, 0.85 + s / 100) for s in range(5)],
        *[fake_metrics(AVG, s, 0.80 + s / 100, pooling="avg") for s in range(3)],
    ]
    declared = {"title": "x", "runs": [BASE, AVG], "arm_seeds": {BASE: [0, 1, 2], AVG: [0, 1, 2]}}
    table = comparison_of(metrics, declared)
    # Paired over the three declared seeds: -0.05 on each, so not estimable (Welch over 5 and 3
    # seeds would have given an interval).
    assert list(table["seeds"]) == [3, 3] and table.iloc[1]["interval"] == "not estimable"
    assert table.iloc[1]["difference"] == pytest.approx(-0.05)


def test_arms_that_ran_other_seeds_are_compared_as_independent_samples():
    metrics = [
        *[fake_metrics(BASE, s, a) for s, a in enumerate((0.85, 0.86, 0.84))],
        *[
            fake_metrics(AVG, s, a, pooling="avg")
            for s, a in zip((0, 1, 5), (0.8, 0.81, 0.79), strict=True)
        ],
    ]
    table = comparison_of(metrics, {"title": "x", "runs": [BASE, AVG]})
    row = table.iloc[1]
    expected = stats.welch_difference([0.85, 0.86, 0.84], [0.80, 0.81, 0.79])
    assert row["interval"] == "welch" and row["ci_low"] == pytest.approx(expected.low)
    assert row["seed_differences"] == "" or pd.isna(row["seed_differences"])
    assert row["detectable"] == pytest.approx(expected.detectable)


def test_arms_that_train_identically_on_every_seed_are_called_identical():
    loader = "fashion_mnist/lenet-mxnet/workers_2"
    losses = {0: (0.61, 0.42), 1: (0.63, 0.44)}
    metrics = [
        *[fake_metrics(BASE, s, 0.8 + s / 100, loss=losses[s]) for s in (0, 1)],
        # The same losses to within float rounding (1e-9): the same computation.
        *[
            fake_metrics(loader, s, 0.8 + s / 100, loss=tuple(x + 1e-9 for x in losses[s]))
            for s in (0, 1)
        ],
    ]
    timings = [
        fake_timing(BASE, (2000.0, 2100.0, 2050.0)),
        fake_timing(loader, (900.0, 950.0, 1000.0), data=1.5),
    ]
    comparison = {"title": "data path", "runs": [BASE, loader], "figure": "timing"}
    table = comparison_of(metrics, comparison, timings)
    row = table.iloc[1]
    assert row["interval"] == "identical" == row["verdict"]
    assert pd.isna(row["ci_low"]) and pd.isna(row["detectable"])
    assert row["largest_loss_difference"] == pytest.approx(1e-9, rel=1e-3)
    assert row["largest_accuracy_difference"] == 0.0
    assert row["speed_verdict"] == analysis.SLOWER
    sentences = timing.timing_findings(table)
    # Timed in separate jobs: no ratio over rounds, so no verdict word.
    assert "not timed in rounds with the baseline: no clear difference" in sentences[1]
    assert any("this comparison is about time only" in s for s in sentences)
    assert sentences[0].startswith("Each arm was timed alone (3 passes")
    # Timed together in one job (convstudy.speed.measure_interleaved), the finding says so.
    together = [dict(timing, interleaved_with=1) for timing in timings]
    joined = analysis.false_discoveries(
        comparison_of(metrics, comparison, together).assign(comparison="c")
    )
    sentences = timing.timing_findings(joined)
    assert sentences[0] == (
        "The arms were timed together in one job with no other job running, in 3 rounds of one "
        "pass each over 2,000 training images after a warm-up, with 1 framework thread."
    )
    # ... and compares them round by round: log ratios -0.799, -0.793, -0.718, mean -0.770,
    # sd 0.0452, t(0.975, 2) = 4.303: exp(-0.770 -+ 0.112) = 0.41 to 0.52; the only speed
    # test of this report, so it stays clear.
    assert (
        "speed ratio to base 0.46 (95% interval 0.41 to 0.52 over 3 rounds): it trains slower"
        in sentences[1]
    )
    # (These fake runs carry the same settings: the same work per image, too.)
    assert row["same_computation"] and row["same_work"]
    # Losses that part by more than float rounding: not identical, paired instead, and two
    # seeds are too few for an interval.
    metrics[2] = fake_metrics(loader, 0, 0.8, loss=(0.61, 0.45))
    row = comparison_of(metrics, comparison, timings).iloc[1]
    assert row["interval"] == "too few seeds" and not row["same_computation"]


def test_a_ranking_against_the_textbook_is_explained_from_the_time_by_phase():
    two, five = "fashion_mnist/lenet-mxnet/workers_2", "fashion_mnist/lenet-mxnet/workers_5"
    metrics = [fake_metrics(arm, s, 0.8, loss=(0.6, 0.4)) for arm in (two, five) for s in (0, 1)]
    timings = [
        fake_timing(two, (1000.0, 1010.0, 1020.0), data=0.2),
        fake_timing(five, (800.0, 810.0, 820.0), data=0.6),
    ]
    table = comparison_of(metrics, {"title": "w", "runs": [two, five]}, timings)
    sentence = timing.expectation_finding(table, five, two, "more workers are faster")
    assert sentence.startswith("Against the textbook (more workers are faster): timed in rounds")
    assert "workers 5 is slower than workers 2" in sentence
    assert "The difference is mostly data (+2.00 s)" in sentence
    assert timing.expectation_finding(table, two, five, "x") is None
    # Timed together in rounds: judged by the speed ratio, as the table's verdicts are. Slower
    # in two rounds and faster in one is not clearly faster, whatever the medians say.
    together = [
        dict(fake_timing(two, (1000.0, 2000.0, 1500.0), data=0.2), interleaved_with=1),
        dict(fake_timing(five, (1100.0, 1900.0, 1450.0), data=0.2), interleaved_with=1),
    ]
    table = comparison_of(metrics, {"title": "w", "runs": [two, five]}, together)
    sentence = timing.expectation_finding(table, five, two, "more workers are faster")
    assert "workers 5 is not clearly faster than workers 2 (speed ratio" in sentence
    assert "speed ratio 1.00, 95% interval" in sentence and "over 3 rounds)" in sentence
    # Ahead in every phase, yet not clearly faster: no phase is blamed.
    together[1] = dict(fake_timing(five, (1100.0, 1900.0, 1600.0), data=0.2), interleaved_with=1)
    table = comparison_of(metrics, {"title": "w", "runs": [two, five]}, together)
    sentence = timing.expectation_finding(table, five, two, "more workers are faster")
    assert sentence.endswith(
        "workers 5 is no slower in any phase: its lead is within what these passes can separate "
        "on this machine."
    )


def test_findings_never_call_an_interval_that_includes_zero_a_win():
    table = comparison_of(pooling_metrics(avg_accuracies=(0.80, 0.90, 0.85)))
    assert table.iloc[1]["verdict"] == stats.NO_CLEAR_DIFFERENCE
    sentences = model_sections.comparison_findings(table, "curves")
    assert "average pooling: test accuracy 0.850 ± 0.050 against 0.850 ± 0.010" in (sentences[0])
    assert "(the same 3 seeds), difference 0.000 (paired 95% CI" in sentences[0]
    assert "which includes zero): no clear difference; these seeds would have detected" in (
        sentences[0]
    )
    detectable = table.iloc[1]["detectable"]
    assert f"a difference of {detectable:.3f} or more" in sentences[0]
    assert "higher" not in sentences[0] and "lower" not in sentences[0]
    # The reference arms are stated once for the section, not in each comparison.
    assert len(sentences) == 1
    (reference,) = model_sections.reference_findings([table])
    assert reference.startswith("learning rate 0.9, sigmoid, average pooling: test accuracy")
    assert reference.endswith(": lower.")  # the textbook setting: 0.78 on every seed


def test_single_seed_arms_get_no_interval_and_no_conclusion():
    metrics = [fake_metrics(BASE, 0, 0.85), fake_metrics(AVG, 0, 0.95, pooling="avg")]
    table = comparison_of(metrics, {"title": "x", "runs": [BASE, AVG]})
    assert table.iloc[1]["verdict"] == stats.NO_INTERVAL
    assert table.iloc[1]["interval"] == "too few seeds"
    assert np.isnan(table.iloc[1]["ci_low"])
    sentence = model_sections.comparison_findings(table, "curves")[0]
    assert "(1 seed each), difference +0.100 over 1 seed: too few seeds for an interval" in (
        sentence
    )


def test_missing_runs_or_timings_of_an_arm_are_an_error_naming_it():
    metrics = [fake_metrics(BASE, 0, 0.85)]
    with pytest.raises(ValueError, match="avg_pool"):
        comparison_of(metrics, {"title": "x", "runs": [BASE, AVG]})
    metrics.append(fake_metrics(AVG, 0, 0.8, pooling="avg"))
    with pytest.raises(ValueError, match="no timing of .*avg_pool"):
        comparison_of(metrics, {"title": "x", "runs": [BASE, AVG]}, [fake_timing(BASE)])


def test_a_sweep_states_its_best_range_from_paired_differences_with_the_best():
    arms = {0.01: "lr_0.01", 0.1: "base", 1.0: "lr_1"}
    accuracies = {0.01: (0.70, 0.72, 0.71), 0.1: (0.85, 0.86, 0.84), 1.0: (0.86, 0.83, 0.86)}
    metrics, timings = [], []
    for lr, variant in arms.items():
        arm = f"fashion_mnist/lenet-mxnet/{variant}"
        metrics += [fake_metrics(arm, s, a, lr=lr) for s, a in enumerate(accuracies[lr])]
        timings.append(fake_timing(arm))
    runs = [f"fashion_mnist/lenet-mxnet/{arms[lr]}" for lr in (0.1, 0.01, 1.0)]
    comparison = {"title": "lr", "runs": runs, "figure": "sweep", "sweep": "lr"}
    table = comparison_of(metrics, comparison, timings)
    assert list(table["sweep_value"]) == [0.1, 0.01, 1.0]
    assert list(table["best"]) == [True, False, False]
    # lr 1 is 0.0033 below on average, its paired interval includes zero; lr 0.01 is clearly
    # below.
    assert list(table["near_best"]) == [True, False, True]
    assert table["best_range_estimable"].all()
    sentence = model_sections.comparison_findings(table, "sweep")[-1]
    assert sentence.startswith(
        "Highest mean test accuracy: base (learning rate 0.1) (0.850 ± 0.010 over 3 seeds)"
    )
    assert sentence.endswith("includes zero): 0.1 to 1.")


def write_json(folder, items, name):
    paths = []
    for item in items:
        path = folder / (item["run"] if "run" in item else item["arm"]) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(item))
        paths.append(path)
    return paths


def test_aggregate_writes_tidy_tables_from_metrics_and_timing_files(tmp_path):
    paths = write_json(tmp_path / "runs", pooling_metrics(), "metrics.json")
    timings = write_json(tmp_path / "timing", pooling_timings(), "timing.json")
    out = tmp_path / "tables"
    own = [out / "pooling.csv", out / "pooling.md", out / "pooling.html", out / "pooling.png"]
    table = build.comparison("pooling", COMPARISON, paths, timings, *own, log=lambda _: None)
    names = ["runs.csv", "runs.md", "runs.html", "epochs.csv", "timings.csv", "c.csv", "c.md"]
    build.aggregate(
        paths,
        timings,
        {"pooling": own[0]},
        *[out / n for n in names],
        out / "c.html",
        log=lambda _: None,
    )
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 9 and {"test_accuracy", "seconds_data", "peak_memory_mb"} <= set(runs)
    assert set(runs["timing"]) == {"alongside other jobs"}
    summary = pd.read_csv(out / "c.csv")
    assert list(summary["comparison"]) == ["pooling"] * 3
    # The comparison's own table, joined: its numbers are computed once.
    added = ["comparison", "baseline_arm", "q_value", "speed_q_value", "speed_verdict_controlled"]
    joined = summary.drop(columns=added)
    pd.testing.assert_frame_equal(joined, pd.read_csv(own[0]), check_dtype=False)
    # One comparison: avg_pool is -0.05 on every seed (not estimable: no p value, not tested),
    # so the textbook reference is the only test and its q value is its p value.
    assert summary["p_value"].isna().tolist() == [True, True, False]
    assert summary["q_value"].isna().tolist() == [True, True, False]
    assert summary["q_value"][2] == pytest.approx(summary["p_value"][2])
    assert list(table["arm"]) == list(summary["arm"])
    # The contract other tools rely on.
    assert {"interval", "ci_low", "ci_high", "detectable", "timing"} <= set(summary)
    assert "| run" in (out / "runs.md").read_text()
    assert (out / "c.html").read_text().startswith('<table class="dataframe data">')
    assert len(pd.read_csv(out / "epochs.csv")) == 18
    assert list(pd.read_csv(out / "timings.csv")["images_per_second"]) == [1250.0, 1050.0, 1000.0]


@pytest.mark.parametrize("kind", ["curves", "timing", "width", "sweep"])
def test_each_kind_of_comparison_figure_is_drawn(tmp_path, kind):
    paths = write_json(tmp_path / "runs", pooling_metrics(), "metrics.json")
    timings = write_json(tmp_path / "timing", pooling_timings(), "timing.json")
    out = tmp_path / "out"
    declared = {**COMPARISON, "figure": kind}
    if kind == "sweep":
        declared["sweep"] = "lr"
    table = build.comparison(
        "pooling",
        declared,
        paths,
        timings,
        out / "t.csv",
        out / "t.md",
        out / "t.html",
        out / "f.png",
        log=lambda _: None,
    )
    assert len(table) == 3
    assert (out / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(pd.read_csv(out / "t.csv")["timing"]) == {"alone"}


def test_time_breakdown_and_width_tables(tmp_path):
    wide = f"{BASE[:-4]}width_2"
    metrics = [
        *[fake_metrics(BASE, s, 0.85, parameters=61_706) for s in range(2)],
        *[fake_metrics(wide, s, 0.87, parameters=200_000, width=2.0) for s in range(2)],
    ]
    paths = write_json(tmp_path / "runs", metrics, "metrics.json")
    timings = write_json(tmp_path / "timing", [fake_timing(BASE), fake_timing(wide)], "timing.json")
    out = tmp_path / "out"
    time_table = build.time_breakdown(
        timings, out / "t.csv", out / "t.md", out / "t.png", log=lambda _: None
    )
    assert list(time_table["passes"]) == [3, 3]
    # Median pass: 2,000 images at 1,050/s, 0.5 s of it waiting for data.
    assert time_table["data_share"].iloc[0] == pytest.approx(0.5 / (2000 / 1050))
    comparison = {"title": "w", "runs": [BASE, wide], "figure": "width"}
    width = build.width_sweeps(
        {"w": comparison}, paths, out / "w.csv", out / "w.md", out / "w.png", log=lambda _: None
    )
    assert list(width["width"]) == [1.0, 2.0] and list(width["dataset"]) == ["fashion_mnist"] * 2
    assert width["generalization_gap"].iloc[0] == pytest.approx(0.05)
    sentence = model_sections.width_findings(width)[0]
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
    sentences = showcase.confusion_findings(errors, "run")
    assert sentences[0].startswith("run: test accuracy 0.667 on 6 images. Highest recall: c")
    assert sentences[1] == (
        "Largest confusion: 50% of the test images of class b are predicted as c."
    )
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
    sentences = showcase.activation_findings(table, "run")
    assert "2 of 3 channels" in sentences[0] and "1 channel never fires" in sentences[1]
    # With the channels' activity, the dead ones are named, in every layer.
    activity = activations.channel_activity([maps, maps[:, :, :10, :10]])
    assert list(activity["dead"]) == [False, True, False] * 2
    assert activations.dead_channels(activity) == {"conv1": [2], "conv2": [2]}
    sentences = showcase.activation_findings(table, "run", activity)
    assert "conv1: 1 of 3 channels never fires on these images (channel 2:" in sentences[1]
    assert len(kernels.edge_kernels()) == len(table) / 3


def test_sample_indices_take_the_first_image_of_spread_classes():
    labels = np.array([3, 0, 9, 0, 5, 9, 1])
    assert activations.sample_indices(labels, 3) == [1, 0, 2]  # classes 0, 3, 9


def quick_config():
    return apply_preset(yaml.safe_load((REPO / "config.yaml").read_text()) | {"preset": "quick"})


def test_a_comparison_needs_its_reference_runs_too():
    config = quick_config()
    textbook_2019 = "fashion_mnist/lenet-mxnet/textbook_2019"
    runs = run_settings.comparison_runs(config, "lenet_pooling")
    assert {run.arm for run in runs} == {BASE, AVG, TEXTBOOK, textbook_2019}
    seeds = len(config["scale"]["seeds"])
    assert [run.arm for run in runs[-2 * seeds :]] == [textbook_2019] * seeds + [TEXTBOOK] * seeds
    assert len(runs) == 4 * seeds
    config["comparisons"]["lenet_pooling"]["reference"] = BASE
    with pytest.raises(ConfigError, match="already one of its runs"):
        run_settings.comparison_runs(config, "lenet_pooling")


def test_every_arm_runs_the_same_seeds_at_most_max_seeds_of_a_model():
    config = apply_preset(yaml.safe_load((REPO / "config.yaml").read_text()))
    assert config["scale"]["seeds"] == [0, 1, 2, 3, 4]
    seeds = {}
    for run in run_settings.declared_runs(config):
        seeds.setdefault((run.model, run.arm), set()).add(run.seed)
    timing_only = {
        f"fashion_mnist/lenet-mxnet/{v}"
        for v in ("workers_0", "workers_2", "workers_5", "imperative")
    }
    assert {
        frozenset(s)
        for (model, arm), s in seeds.items()
        if model == "lenet" and arm not in timing_only
    } == {frozenset(range(5))}
    # Arms identical by construction run the first three (seeds: 3 in their comparisons).
    assert {frozenset(s) for (_, arm), s in seeds.items() if arm in timing_only} == {
        frozenset(range(3))
    }
    assert {frozenset(s) for (model, _), s in seeds.items() if model == "alexnet"} == {
        frozenset(range(3))
    }
    # The timing job of an arm uses its first seed's settings and weights.
    settings = Study(config).timing_settings("fashion_mnist/alexnet-torch/base")
    assert settings["seed"] == 0 and settings["model"] == "alexnet"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"figure": "sweep"}, "needs sweep: <setting>"),
        ({"figure": "sweep", "sweep": "pooling"}, "over at least two positive numbers"),
        ({"sweep": "lr"}, "only for figure: sweep"),
        ({"expected_faster": [BASE, TEXTBOOK]}, "is not one of its arms"),
        # Where two frameworks part ways needs one arm in each.
        ({"divergence": {"variants": ["base"], "steps": 5}}, "differ only in their framework"),
        (
            {
                "runs": [BASE, BASE.replace("mxnet", "torch")],
                "divergence": {"variants": ["base", "no_such"], "steps": 5},
            },
            "unknown variant 'no_such'",
        ),
    ],
)
def test_bad_comparison_declarations_fail_naming_the_setting(change, message):
    config = quick_config()
    config["comparisons"]["lenet_pooling"] = {
        "title": "x",
        "runs": [BASE, AVG],
        **change,
    }
    with pytest.raises(ConfigError, match=message):
        run_settings.check_all(config)


def test_a_variant_label_names_it_in_the_report_but_is_not_a_setting():
    config = quick_config()
    assert run_settings.variant_label(config, "textbook_2019") == "textbook 2019 (max pool)"
    assert run_settings.variant_label(config, "base") == "base"
    settings = run_settings.resolve(
        config, run_settings.Run("fashion_mnist", "lenet", "mxnet", "textbook_2019", 0)
    )
    assert "label" not in settings and settings["pooling"] == "max"


def test_every_declared_comparison_has_a_section():
    config = quick_config()
    sections = {
        name: analysis.comparison_section(comparison)
        for name, comparison in config["comparisons"].items()
    }
    assert sections["lenet_pooling"] == "lenet"
    assert sections["alexnet_cifar100_lr"] == "alexnet"
    assert sections["lenet_data_path"] == "time"


def test_adaptive_size_is_the_smallest_width_within_the_tolerance_of_the_best():
    rows = [
        ("mnist", "baseline", 0.5, 15_000, 0.982),
        ("mnist", "arm", 1.0, 61_706, 0.988),
        ("mnist", "arm", 2.0, 200_000, 0.990),
        ("fashion_mnist", "baseline", 0.5, 15_000, 0.85),
        ("fashion_mnist", "arm", 1.0, 61_706, 0.89),
    ]
    table = pd.DataFrame(
        rows, columns=["dataset", "role", "width", "parameters", "test_accuracy_mean"]
    ).assign(arm=lambda t: t["dataset"] + t["width"].astype(str))
    mnist, fashion = model_sections.adaptive_size_findings(table, 0.01)
    assert mnist == (
        "Adaptive size, MNIST: the highest mean test accuracy is width x2's (200,000 parameters, "
        "0.990); the smallest width within 1 point of it: width x0.5 (15,000 parameters, 8% of "
        "x2's) reaches 0.982."
    )
    assert fashion.endswith(
        "the smallest width within 1 point of it: no smaller width comes within it."
    )
    assert "within 0.5 points" in model_sections.adaptive_size_findings(table, 0.005)[0]


def test_architecture_tables_show_where_the_parameters_sit():
    full = network.layer_table(alexnet.network(10, width=1.0), (1, 224, 224))
    small = network.layer_table(alexnet.network(10), (1, 224, 224))
    assert sum(r["parameters"] for r in full) == 46_764_746  # the textbook's 46.8 M
    assert sum(r["parameters"] for r in small) == 186_326
    assert [r["layer"] for r in full][0] == "Conv 96, 11x11, stride 4, pad 1"
    assert full[0]["output_shape"] == "96 x 54 x 54"
    # Most of the full-size network is its first dense layer: 6400 x 4096 weights.
    dense = max(full, key=lambda r: r["parameters"])
    assert dense["layer"] == "Dense 4096" and dense["parameters"] == 6400 * 4096 + 4096
    lenet_layers = network.layer_table(lenet.network(10, batchnorm=True), (1, 28, 28))
    assert sum(r["parameters"] for r in lenet_layers) == network.parameter_count(
        lenet.network(10, batchnorm=True), (1, 28, 28)
    )


def test_arms_timed_in_rounds_are_compared_round_by_round():
    base, arm = "fashion_mnist/lenet-mxnet/base", "fashion_mnist/lenet-mxnet/imperative"
    metrics = [fake_metrics(a, s, 0.8, loss=(0.6, 0.4)) for a in (base, arm) for s in (0, 1)]
    comparison = {"title": "h", "runs": [base, arm], "figure": "timing"}

    def verdict(base_speeds, arm_speeds):
        timings = [
            dict(fake_timing(base, base_speeds), interleaved_with=1),
            dict(fake_timing(arm, arm_speeds), interleaved_with=1),
        ]
        return comparison_of(metrics, comparison, timings).iloc[1]

    # The machine slowed down between rounds: the passes overlap, but in every round the arm
    # is 10% +- 1% faster, which the paired ratio sees.
    row = verdict((1000.0, 2000.0, 1500.0), (1100.0, 2180.0, 1665.0))
    assert row["speed_verdict"] == analysis.FASTER
    assert row["speed_ratio_low"] > 1.0 and row["speed_ratio"] == pytest.approx(1.10, abs=0.01)
    # Faster in one round, slower in another: no clear difference.
    row = verdict((1000.0, 2000.0, 1500.0), (1100.0, 1800.0, 1550.0))
    assert row["speed_verdict"] == analysis.WITHIN_SPREAD
    assert row["speed_ratio_low"] < 1.0 < row["speed_ratio_high"]


def test_an_accuracy_comparison_states_the_speed_ratio_of_its_arms_timed_in_rounds():
    # (avg_pool with a spread of differences over the seeds: a paired interval.)
    metrics = pooling_metrics(avg_accuracies=(0.80, 0.82, 0.78))
    # A drift between rounds makes the passes overlap; in every round avg_pool is ~10% faster.
    speeds = {BASE: (1000.0, 2000.0, 1500.0), AVG: (1100.0, 2180.0, 1665.0)}
    speeds[TEXTBOOK] = (1000.0, 1800.0, 1600.0)
    together = [
        dict(fake_timing(arm, speeds[arm]), interleaved_with=2) for arm in (BASE, AVG, TEXTBOOK)
    ]
    table = analysis.false_discoveries(
        comparison_of(metrics, timings=together).assign(comparison="c")
    )
    sentences = model_sections.comparison_findings(table, "curves")
    assert (
        "Timed together in rounds with base (max pooling), it trains faster: speed ratio 1.10 "
        "(95% interval" in sentences[0]
    )
    # The reference is not an arm of the comparison's sentences.
    assert len(sentences) == 1


def test_false_discoveries_count_a_shared_pair_once_and_name_what_could_be_chance():
    rows = [
        ("c1", BASE, "base", "baseline", None, ""),
        ("c1", AVG, "avg_pool", "arm", 0.01, stats.LOWER),
        ("c1", TEXTBOOK, "textbook", "reference", 0.04, stats.LOWER),
        ("c2", BASE, "base", "baseline", None, ""),
        ("c2", "fashion_mnist/lenet-mxnet/sigmoid", "sigmoid", "arm", 0.2, "no clear difference"),
        ("c2", TEXTBOOK, "textbook", "reference", 0.04, stats.LOWER),
        ("c3", BASE, "base", "baseline", None, ""),
        ("c3", "fashion_mnist/lenet-mxnet/lr_0.3", "lr_0.3", "arm", 0.03, stats.HIGHER),
    ]
    columns = ["comparison", "arm", "label", "role", "p_value", "verdict"]
    summary = analysis.false_discoveries(pd.DataFrame(rows, columns=columns))
    # Four tests, not five (textbook against base twice is one): q = 0.04, 0.053, 0.2, 0.053.
    assert list(summary["q_value"].round(4).fillna(-1)) == [
        -1,
        0.04,
        0.0533,
        -1,
        0.2,
        0.0533,
        -1,
        0.0533,
    ]
    # The key findings name the clear ones that could be chance.
    summary = summary.assign(
        setting="same settings",
        seeds=5,
        difference=-0.02,
        ci_low=-0.03,
        ci_high=-0.01,
        interval=[stats.PAIRED if p else "" for p in summary["p_value"].fillna(0)],
        detectable=0.01,
        at_chance_seeds=0,
    )
    sentences = key_findings.accuracy_findings(summary, {"c1": "C1"})
    assert sentences[0].startswith("avg pool against base: test accuracy -2.0 points")
    assert sentences[1].startswith("Could be chance")
    assert "textbook against base -2.0 points (q 0.05); lr 0.3 against base" in sentences[1]


def test_seeds_that_never_left_chance_are_named():
    # Nesterov momentum at lr 0.1 leaves some seeds dead: loss ln(10) = 2.3026, a uniform guess.
    nesterov = "fashion_mnist/lenet-mxnet/nesterov"
    metrics = [fake_metrics(BASE, s, 0.88, loss=(0.5, 0.3)) for s in (0, 1, 2)]
    metrics += [fake_metrics(nesterov, s, 0.87, loss=(0.6, 0.35)) for s in (0,)]
    metrics += [fake_metrics(nesterov, s, 0.10, loss=(2.31, 2.3030)) for s in (1, 2)]
    runs = analysis.runs_table(metrics)
    assert list(runs["at_chance"]) == [False] * 4 + [True] * 2
    timings = [fake_timing(BASE), fake_timing(nesterov)]
    table = comparison_of(metrics, {"title": "o", "runs": [BASE, nesterov]}, timings)
    assert table.iloc[1]["at_chance_seeds"] == 2
    stuck = model_sections.comparison_findings(table, "curves")[1]
    assert stuck == (
        "Did not train (training loss ended at that of a uniform guess, accuracy at chance): "
        "nesterov on 2 of 3 seeds, so its mean mixes trained and untrained seeds."
    )
    # Just above chance after an epoch is learning, not a dead network.
    assert not analysis.at_chance(2.2, "fashion_mnist") and analysis.at_chance(2.30, "mnist")


# --- too few seeds, no spread, bounds, speed under multiplicity control, same work ---------------


def benjamini_hochberg(p_values):
    """By hand: sort, p * m / rank, the smallest from each rank up, back in the given order."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    scaled = p[order] * len(p) / np.arange(1, len(p) + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    q = np.empty_like(p)
    q[order] = np.minimum(adjusted, 1.0)
    return q


def two_seed_metrics():
    return [
        *[fake_metrics(BASE, s, a) for s, a in enumerate((0.85, 0.86))],
        *[fake_metrics(AVG, s, a, pooling="avg") for s, a in enumerate((0.70, 0.83))],
    ]


def test_too_few_seeds_leave_the_interval_columns_empty_in_the_csv(tmp_path):
    table = comparison_of(two_seed_metrics(), {"title": "x", "runs": [BASE, AVG]})
    path = tmp_path / "table.csv"
    table.to_csv(path, index=False)
    with path.open() as stream:
        rows = list(csv.DictReader(stream))
    arm = rows[1]
    assert arm["interval"] == "too few seeds" == arm["verdict"]
    assert [arm[c] for c in ("ci_low", "ci_high", "detectable", "p_value")] == ["", "", "", ""]
    read = pd.read_csv(path).iloc[1]
    assert read["interval"] == stats.TOO_FEW_SEEDS
    assert read[["ci_low", "ci_high", "detectable", "p_value"]].isna().all()
    # The mean difference and each seed's are still given: -0.15 and -0.03.
    assert read["difference"] == pytest.approx(-0.09)
    assert read["seed_differences"] == "-0.1500 -0.0300"
    assert not read["undetectable"]


def joined(*named_tables):
    tables = [table.assign(comparison=name) for name, table in named_tables]
    return analysis.false_discoveries(pd.concat(tables, ignore_index=True))


def test_arms_without_a_p_value_are_left_out_of_the_false_discovery_count():
    seeds3 = {"title": "x", "runs": [BASE, AVG], "reference": TEXTBOOK}
    # avg_pool: differences -0.05, -0.06, -0.03 (a p value); textbook: -0.07, -0.08, -0.06.
    tested = comparison_of(pooling_metrics(avg_accuracies=(0.80, 0.80, 0.81)), seeds3)
    # -0.05 on every seed: not estimable (a t test would say p = 0 or, for 0, p = 1).
    same = comparison_of(pooling_metrics(), {"title": "s", "runs": [BASE, AVG]})
    few = comparison_of(two_seed_metrics(), {"title": "f", "runs": [BASE, AVG]})
    assert list(same["interval"][1:]) == ["not estimable"] and list(few["interval"][1:]) == [
        "too few seeds"
    ]
    # Other arms than avg_pool, so that these pairs are not the tested ones.
    same = same.replace({AVG: "fashion_mnist/lenet-mxnet/sigmoid"})
    few = few.replace({AVG: "fashion_mnist/lenet-mxnet/tanh"})
    summary = joined(("tested", tested), ("same", same), ("few", few))
    p = [
        scipy_stats.ttest_rel([0.80, 0.80, 0.81], [0.85, 0.86, 0.84]).pvalue,
        scipy_stats.ttest_rel([0.78] * 3, [0.85, 0.86, 0.84]).pvalue,
    ]
    assert list(summary["p_value"].iloc[[1, 2]]) == pytest.approx(p, rel=1e-9)
    # Two tests, not four: q by hand over the two p values only.
    q = summary["q_value"].to_numpy()
    assert q[[1, 2]] == pytest.approx(benjamini_hochberg(p), rel=1e-9)
    assert np.isnan(q[[0, 3, 4, 5, 6]]).all()


def test_an_accuracy_interval_is_clipped_to_what_accuracy_allows():
    metrics = [
        *[fake_metrics(BASE, s, a) for s, a in enumerate((0.1, 0.9, 0.5))],
        *[fake_metrics(AVG, s, a, pooling="avg") for s, a in enumerate((0.9, 0.1, 0.6))],
    ]
    row = comparison_of(metrics, {"title": "x", "runs": [BASE, AVG]}).iloc[1]
    # Unclipped (scipy): about -1.90 to +1.96, wider than accuracy allows.
    free = scipy_stats.ttest_rel([0.9, 0.1, 0.6], [0.1, 0.9, 0.5]).confidence_interval(0.95)
    assert free.low < -1 and free.high > 1
    assert (row["ci_low"], row["ci_high"]) == (-1.0, 1.0) and row["interval"] == "paired"
    # These seeds could not have detected any difference accuracy can show.
    assert np.isnan(row["detectable"]) and row["undetectable"]
    assert row["verdict"] == stats.NO_CLEAR_DIFFERENCE


def speed_summary(rows):
    columns = ["comparison", "arm", "label", "role", "p_value", "speed_p_value"]
    columns += ["speed_ratio_low", "speed_ratio_high"]
    return analysis.false_discoveries(pd.DataFrame(rows, columns=columns))


def test_speed_verdicts_are_controlled_across_every_speed_test_of_the_report():
    nan = float("nan")
    lr = "fashion_mnist/lenet-mxnet/lr_0.3"
    rows = [
        ("c1", BASE, "base", "baseline", nan, nan, nan, nan),
        # Clearly faster on its own (interval above 1, p 0.04), but one of four tests.
        ("c1", AVG, "avg_pool", "arm", 0.01, 0.04, 1.01, 1.20),
        ("c1", TEXTBOOK, "textbook", "reference", nan, 0.001, 0.50, 0.60),
        ("c2", BASE, "base", "baseline", nan, nan, nan, nan),
        # The same pair timed again in another comparison's job: a test of its own.
        ("c2", AVG, "avg_pool", "arm", 0.01, 0.30, 0.90, 1.10),
        ("c2", lr, "lr_0.3", "arm", 0.2, 0.5, 0.8, 1.3),
        # Too few rounds: no p value, not a test.
        ("c2", TEXTBOOK, "textbook", "reference", nan, nan, nan, nan),
    ]
    summary = speed_summary(rows)
    speed_p = [0.04, 0.001, 0.30, 0.5]
    expected = benjamini_hochberg(speed_p)  # 0.08, 0.004, 0.4, 0.5
    assert expected == pytest.approx([0.08, 0.004, 0.4, 0.5])
    q = summary["speed_q_value"].to_numpy()
    assert q[[1, 2, 4, 5]] == pytest.approx(expected)
    assert np.isnan(q[[0, 3, 6]]).all()
    assert list(summary["speed_verdict_controlled"]) == [
        "",
        "no clear difference",  # interval excludes 1, but q 0.08 > 0.05
        "slower",
        "",
        "no clear difference",
        "no clear difference",
        "no clear difference",
    ]
    assert list(analysis.surviving_speed_verdicts(summary)) == [False, False, True] + [False] * 4
    # Accuracy is a family of its own: avg_pool against base counted once (0.01) and lr_0.3
    # (0.2), q = 0.02 and 0.2, whatever the speed tests.
    assert list(summary["q_value"].iloc[[1, 4, 5]]) == pytest.approx([0.02, 0.02, 0.2])


def test_an_arm_timed_in_rounds_has_the_p_value_of_its_paired_log_ratio():
    metrics = pooling_metrics(avg_accuracies=(0.80, 0.82, 0.78))
    speeds = {
        BASE: (1000.0, 2000.0, 1500.0, 1200.0),
        AVG: (1100.0, 2180.0, 1665.0, 1310.0),
        TEXTBOOK: (1000.0, 1800.0, 1600.0, 1250.0),
    }
    together = [dict(fake_timing(arm, s), interleaved_with=2) for arm, s in speeds.items()]
    table = comparison_of(metrics, timings=together)
    for position, arm in ((1, AVG), (2, TEXTBOOK)):
        result = scipy_stats.ttest_rel(np.log(speeds[arm]), np.log(speeds[BASE]))
        interval = result.confidence_interval(0.95)
        row = table.iloc[position]
        assert row["speed_p_value"] == pytest.approx(result.pvalue, rel=1e-9)
        assert (row["speed_ratio_low"], row["speed_ratio_high"]) == pytest.approx(
            (np.exp(interval.low), np.exp(interval.high)), rel=1e-9
        )
    assert np.isnan(table.iloc[0]["speed_p_value"])
    summary = joined(("pooling", table))
    p = table["speed_p_value"][1:].to_numpy()
    assert summary["speed_q_value"][1:].to_numpy() == pytest.approx(benjamini_hochberg(p))
    assert table.iloc[1]["speed_verdict"] == analysis.FASTER
    assert summary["speed_verdict_controlled"].iloc[1] == analysis.FASTER


@pytest.mark.parametrize("interleaved", [1, 0])
def test_fewer_than_three_rounds_give_no_speed_verdict(interleaved):
    metrics = [fake_metrics(a, s, 0.8, loss=(0.6, 0.4)) for a in (BASE, AVG) for s in range(3)]
    # Two rounds, the arm faster in both: in rounds, or every pass beating every pass alone.
    timings = [
        dict(fake_timing(BASE, (1000.0, 1500.0)), interleaved_with=interleaved),
        dict(fake_timing(AVG, (1600.0, 2500.0)), interleaved_with=interleaved),
    ]
    table = comparison_of(metrics, {"title": "t", "runs": [BASE, AVG]}, timings)
    row = table.iloc[1]
    assert row["speed_verdict"] == analysis.TOO_FEW_ROUNDS == "too few rounds"
    assert np.isnan([row["speed_ratio_low"], row["speed_ratio_high"], row["speed_p_value"]]).all()
    summary = joined(("t", table))
    assert np.isnan(summary["speed_q_value"].iloc[1])
    assert summary["speed_verdict_controlled"].iloc[1] == "no clear difference"


def test_same_computation_and_same_work_are_marked():
    lr, torch = "fashion_mnist/lenet-mxnet/lr_0.3", "fashion_mnist/lenet-torch/base"
    momentum = "fashion_mnist/lenet-mxnet/momentum"
    loader = "fashion_mnist/lenet-mxnet/workers_2"
    metrics = []
    for s in range(3):
        loss = (0.6 + s / 100, 0.4 + s / 100)
        metrics += [
            fake_metrics(BASE, s, 0.85 + s / 100, loss=loss),
            # The learning rate only: the same work per image, another computation.
            fake_metrics(lr, s, 0.86 + s / 50, lr=0.3, loss=(0.5, 0.3 + s / 50)),
            # The same settings in another framework: not the same work.
            fake_metrics(torch, s, 0.84 + s / 50, loss=(0.7, 0.45 + s / 50)),
            # Momentum keeps a buffer: not the same work.
            fake_metrics(momentum, s, 0.87 + s / 50, momentum=0.9, loss=(0.55, 0.35 + s / 50)),
            # The same losses (workers only feed the data): the same computation.
            fake_metrics(loader, s, 0.85 + s / 100, workers=2, loss=loss),
        ]
    arms = [BASE, lr, torch, momentum, loader]
    timings = [fake_timing(arm) for arm in arms]
    table = comparison_of(metrics, {"title": "w", "runs": arms}, timings)
    assert list(table["same_work"]) == [False, True, False, False, False]
    assert list(table["same_computation"]) == [False, False, False, False, True]
    assert list(table["interval"][1:]) == ["paired", "paired", "paired", "identical"]
    path = table.to_csv(index=False)
    read = pd.read_csv(io.StringIO(path))
    assert read["same_work"].dtype == bool and read["same_computation"].dtype == bool


def test_a_sweep_with_too_few_seeds_has_no_best_range():
    arms = {0.01: "lr_0.01", 0.1: "base", 1.0: "lr_1"}
    accuracies = {0.01: (0.70, 0.72), 0.1: (0.85, 0.86), 1.0: (0.86, 0.83)}
    metrics, timings = [], []
    for lr, variant in arms.items():
        arm = f"fashion_mnist/lenet-mxnet/{variant}"
        metrics += [fake_metrics(arm, s, a, lr=lr) for s, a in enumerate(accuracies[lr])]
        timings.append(fake_timing(arm))
    runs = [f"fashion_mnist/lenet-mxnet/{arms[lr]}" for lr in (0.1, 0.01, 1.0)]
    comparison = {"title": "lr", "runs": runs, "figure": "sweep", "sweep": "lr"}
    table = comparison_of(metrics, comparison, timings)
    # The highest mean (0.855 for lr 0.1) is still named, but no range is claimed.
    assert list(table["best"]) == [True, False, False]
    assert list(table["near_best"]) == [False, False, False]
    assert not table["best_range_estimable"].any()
    # Learning-rate arms: the same work per image as the baseline.
    assert list(table["same_work"]) == [False, True, True]


def epochs_of_two_arms(losses, other_losses):
    """Per-epoch rows of arms a and b on seeds 0 and 1, with the given training losses."""
    rows = []
    for arm, values in (("a", losses), ("b", other_losses)):
        for seed in (0, 1):
            for epoch, loss in enumerate(values, start=1):
                rows.append(
                    {
                        "arm": arm,
                        "seed": seed,
                        "epoch": epoch,
                        "train_loss": loss,
                        "test_accuracy": 0.8,
                    }
                )
    return pd.DataFrame(rows)


# Training losses along a run, from ln 10 at the start to a trained network's.
LOSSES = np.array([2.302585, 1.2, 0.45, 0.05])


@pytest.mark.parametrize(
    "relative",
    [
        np.finfo(np.float32).eps,  # one float32 rounding
        5 * np.finfo(np.float32).eps,
        # An epoch's loss summed over its batches in another order in float32, or on another
        # number of threads: a few parts in a million.
        3e-6,
    ],
)
def test_losses_apart_by_float_rounding_are_trained_identically(relative):
    epochs = epochs_of_two_arms(LOSSES, LOSSES * (1 + relative))
    same, loss, _ = analysis.trained_identically(epochs, "a", "b")
    assert same, f"losses {relative:.1e} apart in relative terms must count as identical"
    assert loss == pytest.approx(LOSSES[0] * relative, rel=1e-6)


@pytest.mark.parametrize(
    "relative, epoch",
    [
        (1e-3, 0),  # the smallest difference a changed setting makes after a few steps
        (1e-4, 3),  # one late epoch apart by a part in ten thousand: another computation
    ],
)
def test_losses_apart_by_a_small_real_amount_are_not_identical(relative, epoch):
    other = LOSSES.copy()
    other[epoch] *= 1 + relative
    same, loss, _ = analysis.trained_identically(epochs_of_two_arms(LOSSES, other), "a", "b")
    assert not same, f"losses {relative:.0e} apart in relative terms are a real difference"
    assert loss == pytest.approx(LOSSES[epoch] * relative, rel=1e-6)


def test_an_arm_in_several_timing_jobs_is_taken_once_from_the_first():
    pooling, activation = pooling_timings(), pooling_timings()
    for arm in activation:
        arm["passes"] = [dict(p, images_per_second=1.0) for p in arm["passes"]]
    timings = analysis.arm_timings([pooling, activation[:1], activation[1:]])
    assert [t["arm"] for t in timings] == [t["arm"] for t in pooling]
    assert timings == pooling  # the first job's passes, not the later ones'


def test_the_frameworks_comparison_traces_its_arm_and_each_change_from_the_textbook():
    config = quick_config()
    runs = run_settings.divergence_runs(config, "lenet_frameworks")
    assert list(runs) == ["base", "avg_pool", "sigmoid", "sigmoid+avg_pool"]
    for by_framework in runs.values():
        assert sorted(by_framework) == ["mxnet", "torch"]
        mxnet, torch = (run_settings.resolve(config, by_framework[f]) for f in ("mxnet", "torch"))
        # The same run but for the framework: its first seed, the arm's dataset and model.
        differ = {k for k in mxnet if mxnet[k] != torch[k]}
        assert differ <= {"framework", "run", "threads"}, differ
        assert mxnet["seed"] == config["scale"]["seeds"][0]
    settings = {v: run_settings.resolve(config, r["mxnet"]) for v, r in runs.items()}
    assert {(s["activation"], s["pooling"]) for s in settings.values()} == {
        ("relu", "max"),
        ("relu", "avg"),
        ("sigmoid", "max"),
        ("sigmoid", "avg"),
    }

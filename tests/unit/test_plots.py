"""Figures drawn from small synthetic tables: every text legible where the report shows the
figure narrowest, as the PNG's own metadata says."""

import numpy as np
import pytest
from PIL import Image

from convstudy import analysis, plots
from convstudy.data import catalog
from convstudy.plots import confusion as confusion_plots
from convstudy.plots import curves, sweep, timing, width
from convstudy.timing import TRAIN_PHASES
from tests.unit.test_analysis import fake_metrics, fake_timing

LENET = "fashion_mnist/lenet-mxnet"
TEXTBOOKS = [f"{LENET}/textbook_2019", f"{LENET}/textbook"]
TEXTBOOK_SETTINGS = {
    f"{LENET}/textbook_2019": {"activation": "sigmoid", "lr": 0.9},
    f"{LENET}/textbook": {"activation": "sigmoid", "pooling": "avg", "lr": 0.9},
}
EPOCHS = 6


def metrics(arm, seed, accuracy, epochs=EPOCHS, **settings):
    """A metrics.json of `epochs` epochs whose test accuracy rises to `accuracy`."""
    data = fake_metrics(arm, seed, accuracy, **settings)
    rng = np.random.default_rng([seed, sum(map(ord, arm))])
    template = data["epochs"][-1]
    data["epochs"] = []
    for epoch in range(1, epochs + 1):
        reached = accuracy * (1 - 0.5 ** (epoch + 1)) + rng.normal(0, 0.004)
        data["epochs"].append(
            {
                **template,
                "epoch": epoch,
                "train_loss": 2.3 * (1.2 - accuracy) * 0.6**epoch + 0.3 * (1 - accuracy),
                "train_accuracy": reached + 0.3 * (1 - reached) * (1 + seed / 10),
                "test_accuracy": reached,
            }
        )
    data["final"] = {
        "train_loss": data["epochs"][-1]["train_loss"],
        "train_accuracy": data["epochs"][-1]["train_accuracy"],
        "test_accuracy": data["epochs"][-1]["test_accuracy"],
    }
    data["settings"]["epochs"] = epochs
    return data


def timing_of(arm, speed, data=0.5, other=0.01, **settings):
    """A timing JSON whose passes spend `other` seconds in other Python work."""
    timed = fake_timing(arm, (speed * 0.97, speed, speed * 1.02), data=data, **settings)
    for one in timed["passes"]:
        one["seconds"]["other"] = other
        one["seconds"]["forward"] -= other
    return timed


def comparison(declared, accuracies, settings=None, speeds=None, seeds=3):
    """A comparison's table, runs and epochs: accuracies maps each arm to its mean final test
    accuracy (seeds spread around it)."""
    settings = settings or {}
    all_metrics, timings = [], []
    for index, (arm, accuracy) in enumerate(accuracies.items()):
        own = settings.get(arm, {})
        all_metrics += [
            metrics(arm, seed, accuracy + 0.006 * (seed - 1), **own) for seed in range(seeds)
        ]
        speed = (speeds or {}).get(arm, 1000.0 + 150 * index)
        timings.append(timing_of(arm, speed, **own))
    runs, epochs = analysis.runs_table(all_metrics), analysis.epochs_table(all_metrics)
    table = analysis.comparison_table(
        runs,
        epochs,
        analysis.settings_by_arm(all_metrics),
        declared,
        analysis.timings_table(timings),
    )
    return table, runs, epochs


def curves_tables():
    arms = {f"{LENET}/base": 0.88, f"{LENET}/avg_pool": 0.86, f"{LENET}/sigmoid": 0.80}
    declared = {"title": "LeNet: pooling", "runs": list(arms), "reference": TEXTBOOKS}
    accuracies = {**arms, TEXTBOOKS[0]: 0.84, TEXTBOOKS[1]: 0.79}
    settings = {
        f"{LENET}/avg_pool": {"pooling": "avg"},
        f"{LENET}/sigmoid": {"activation": "sigmoid"},
        **TEXTBOOK_SETTINGS,
    }
    return comparison(declared, accuracies, settings)


def timing_tables():
    arms = {f"{LENET}/base": 0.88, "fashion_mnist/lenet-torch/base": 0.88}
    declared = {"title": "LeNet: MXNet vs PyTorch", "runs": list(arms), "figure": "timing"}
    return comparison(declared, arms, speeds={f"{LENET}/base": 2400.0})


def sweep_tables():
    rates = {0.1: "base", 0.01: "lr_0.01", 0.03: "lr_0.03", 0.3: "lr_0.3", 0.9: "lr_0.9"}
    accuracy = {0.1: 0.885, 0.01: 0.80, 0.03: 0.86, 0.3: 0.89, 0.9: 0.10}
    arms = {f"{LENET}/{variant}": accuracy[lr] for lr, variant in rates.items()}
    declared = {
        "title": "LeNet: learning rate",
        "runs": list(arms),
        "figure": "sweep",
        "sweep": "lr",
        "reference": TEXTBOOKS,
    }
    settings = {f"{LENET}/{variant}": {"lr": lr} for lr, variant in rates.items()}
    return comparison(
        declared, {**arms, TEXTBOOKS[0]: 0.84, TEXTBOOKS[1]: 0.79}, settings | TEXTBOOK_SETTINGS
    )


def width_tables(dataset="fashion_mnist", accuracies=(0.85, 0.88, 0.89)):
    variants = {"width_0.5": 0.5, "base": 1.0, "width_2": 2.0}
    arms = [f"{dataset}/lenet-mxnet/{variant}" for variant in variants]
    declared = {"title": f"LeNet width on {dataset}", "runs": arms, "figure": "width"}
    settings = {
        arm: {"width": w, "parameters": int(61_706 * w**1.8)}
        for arm, w in zip(arms, variants.values(), strict=True)
    }
    table, runs, epochs = comparison(declared, dict(zip(arms, accuracies, strict=True)), settings)
    table["parameters"] = [settings[arm]["parameters"] for arm in table["arm"]]
    return table, runs, epochs


def all_widths_table():
    tables = []
    for dataset, accuracies in {
        "mnist": (0.985, 0.989, 0.990),
        "fashion_mnist": (0.87, 0.885, 0.89),
        "cifar100_fine": (0.17, 0.22, 0.25),
    }.items():
        table = width_tables(dataset, accuracies)[0]
        table.insert(1, "dataset", dataset)
        table.insert(2, "width", [0.5, 1.0, 2.0])
        if dataset.startswith("cifar"):
            table["parameters"] = (table["parameters"] * 1.34).astype(int)
        tables.append(table)
    import pandas as pd

    table = pd.concat(tables, ignore_index=True)
    table["generalization_gap"] = table["train_accuracy_mean"] - table["test_accuracy_mean"]
    return table


def time_breakdown_table():
    timings = []
    for model, variants in {
        "lenet": ["base", "imperative", "workers_0", "workers_2", "workers_5"],
        "alexnet": ["base"],
    }.items():
        for framework in ("mxnet", "torch"):
            for index, variant in enumerate(variants):
                if framework == "torch" and variant == "imperative":
                    continue
                data = 2.5 if variant == "workers_0" else 0.02 + 0.1 * index
                speed = 300.0 if model == "alexnet" else 2000.0 / (1 + index)
                arm = f"fashion_mnist/{model}-{framework}/{variant}"
                timings.append(timing_of(arm, speed, data=data, other=0.004))
    return analysis.time_breakdown_table(analysis.timings_table(timings), ["lenet", "alexnet"])


FASHION = list(catalog.FASHION_MNIST.class_names)


def confusion_counts(classes=10, seed=0):
    rng = np.random.default_rng(seed)
    counts = rng.poisson(8, size=(classes, classes)) * (rng.random((classes, classes)) < 0.4)
    np.fill_diagonal(counts, rng.integers(700, 990, size=classes))
    return counts


def figures():
    """One figure of each kind the comparisons and the analysis draw: name -> Figure."""
    table, runs, epochs = sweep_tables()
    width_table, _, width_epochs = width_tables()
    return {
        "curves": lambda: curves.curves_figure(*curves_tables()[::2], "LeNet: pooling"),
        "timing": lambda: timing.comparison_timing_figure(timing_tables()[0], "LeNet: frameworks"),
        "sweep": lambda: sweep.sweep_figure(table, runs, "lr", "LeNet: learning rate"),
        "comparison_width": lambda: width.comparison_width_figure(
            width_table, width_epochs, "LeNet width on Fashion-MNIST"
        ),
        "width": lambda: width.width_figure(all_widths_table()),
        "time_breakdown": lambda: timing.time_breakdown_figure(time_breakdown_table()),
        "confusion": lambda: confusion_plots.confusion_figure(
            confusion_counts(), FASHION, "fashion_mnist: lenet-mxnet/base"
        ),
    }


@pytest.mark.parametrize("kind", ["curves", "timing"])
def test_every_text_is_legible_where_the_report_shows_the_figure_narrowest(tmp_path, kind):
    path = tmp_path / f"{kind}.png"
    smallest = plots.save_figure(figures()[kind](), path)
    with Image.open(path) as image:
        recorded = float(image.text["min_font_px"])
        png_width = image.width
    assert recorded == pytest.approx(smallest, abs=0.01)
    assert png_width <= plots.MAX_WIDTH
    assert recorded * min(plots.NARROW_DISPLAY, png_width) / png_width >= plots.LEGIBLE_PX


def test_the_smallest_font_counts_tick_labels_and_legends_but_not_hidden_text(tmp_path):
    figure = plots.styled(plots.Figure)(figsize=(4, 3))
    axis = figure.subplots()
    axis.plot([0, 1], [0, 1], label="line")
    axis.legend(fontsize=9)
    axis.text(0.5, 0.5, "hidden", fontsize=4, visible=False)
    axis.set_title("", fontsize=3)  # empty: not drawn
    assert plots.min_font_px(figure) == pytest.approx(9 * 100 / 72)
    axis.tick_params(labelsize=8)
    assert plots.min_font_px(figure) == pytest.approx(8 * 100 / 72)


def test_phases_are_stacked_largest_first_each_in_the_legend_with_its_seconds():
    table = timing_tables()[0]
    figure = timing.comparison_timing_figure(table, "t")
    texts = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    phases = [text.split(":")[0] for text in texts]
    totals = {p: table[f"seconds_{p}"].sum() for p in TRAIN_PHASES}
    assert phases == sorted(totals, key=totals.get, reverse=True)
    # 0.01 s of other work per pass of 2,000 images: 0.05 s per 10,000.
    assert "other: 0.05 s" in texts


def test_the_chance_level_is_one_over_the_number_of_classes():
    assert plots.chance_levels([f"{LENET}/base", "cifar100_fine/lenet-mxnet/base"]) == {
        0.1: ["fashion_mnist"],
        0.01: ["cifar100_fine"],
    }

"""Runs into tidy tables: what each run measured, and what each comparison found.

Tables (pandas DataFrames, one row per ...):
  runs        run: identity, the settings that vary, final accuracies, time per epoch and its
              breakdown, speed, size, memory
  epochs      run and epoch: the learning curves and each epoch's time breakdown
  comparison  arm of one comparison: mean and standard deviation over seeds, and the difference
              from the comparison's baseline arm (its first) with a 95% Welch interval
              (convstudy.stats), for test accuracy and for epoch time

A run's time per epoch is the median over its epochs (the first epoch carries one-off costs such
as MXNet building its graph); each phase is the median of that phase, and "other" is the rest of
the epoch (Python between phases, accuracy bookkeeping).
"""

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from convstudy import stats
from convstudy.atomic import save_figure, write_table, write_text
from convstudy.models import MODELS
from convstudy.settings import parse_arm

# Stacking order of an epoch's time, bottom to top.
PHASES = ("data", "forward", "backward", "step", "other", "eval")
PHASE_COLUMNS = [f"seconds_{phase}" for phase in PHASES]

# Run identity and bookkeeping: never a "setting" that distinguishes two arms.
IDENTITY_KEYS = {
    "run",
    "dataset",
    "model",
    "framework",
    "variant",
    "seed",
    "threads",
    "device",
    "cpu_fallback",
}
SETTING_COLUMNS = [
    "epochs",
    "batch_size",
    "optimizer",
    "lr",
    "momentum",
    "activation",
    "pooling",
    "batchnorm",
    "width",
    "image_size",
    "data_path",
    "workers",
    "hybridize",
    "train_limit",
    "test_limit",
]

# The report's sections that training runs feed; a comparison's section follows from its kind
# (figure) and the model of its first arm.
SECTION_LENET = "4. LeNet"
SECTION_ALEXNET = "5. AlexNet"
SECTION_ACTIVATIONS = "6. Activation maps"
SECTION_CONFUSION = "7. Confusion matrices"
SECTION_TIME = "8. Where the time goes"
MODEL_SECTIONS = {"lenet": SECTION_LENET, "alexnet": SECTION_ALEXNET}


# --- comparisons as declared in config.yaml ------------------------------------------------------


def comparison_arms(comparison: dict) -> list[str]:
    """The arms of a comparison, its reference (if any) last."""
    reference = comparison.get("reference")
    return list(comparison["runs"]) + ([reference] if reference else [])


def comparison_kind(comparison: dict) -> str:
    return comparison.get("figure", "curves")


def comparison_section(comparison: dict) -> str:
    if comparison_kind(comparison) == "timing":
        return SECTION_TIME
    _, model, _, _ = parse_arm(comparison["runs"][0], "comparison")
    return MODEL_SECTIONS[model]


# --- one run ------------------------------------------------------------------------------------


def read_metrics(paths: Sequence[str | Path]) -> list[dict]:
    return [json.loads(Path(path).read_text()) for path in paths]


def arm_of(metrics: dict) -> str:
    settings = metrics["settings"]
    return (
        f"{settings['dataset']}/{settings['model']}-{settings['framework']}/{settings['variant']}"
    )


def _epoch_phases(epoch: dict) -> dict[str, float]:
    seconds = epoch["seconds"]
    measured = {phase: float(seconds.get(phase, 0.0)) for phase in PHASES if phase != "other"}
    measured["other"] = max(0.0, float(seconds["total"]) - sum(measured.values()))
    return measured


def runs_table(all_metrics: Sequence[dict]) -> pd.DataFrame:
    """One row per run, sorted by run."""
    rows = []
    for metrics in all_metrics:
        settings = metrics["settings"]
        epochs = metrics["epochs"]
        phases = [_epoch_phases(epoch) for epoch in epochs]
        row = {
            "run": metrics["run"],
            "arm": arm_of(metrics),
            "dataset": settings["dataset"],
            "model": settings["model"],
            "framework": settings["framework"],
            "variant": settings["variant"],
            "seed": settings["seed"],
            **{key: settings.get(key) for key in SETTING_COLUMNS},
            "test_accuracy": metrics["final"]["test_accuracy"],
            "train_accuracy": metrics["final"]["train_accuracy"],
            "train_loss": metrics["final"]["train_loss"],
            "epoch_seconds": float(np.median([e["seconds"]["total"] for e in epochs])),
            **{
                f"seconds_{phase}": float(np.median([p[phase] for p in phases])) for phase in PHASES
            },
            "images_per_second": float(np.median([e["images_per_second"] for e in epochs])),
            "parameters": metrics["parameters"],
            "peak_memory_mb": metrics["peak_memory_mb"]["process"],
            "worker_peak_memory_mb": metrics["peak_memory_mb"].get("largest_worker", 0.0),
            "device": metrics["device"],
            "threads": settings["threads"],
        }
        rows.append(row)
    if not rows:
        raise ValueError("no runs to tabulate")
    return pd.DataFrame(rows).sort_values("run", ignore_index=True)


def epochs_table(all_metrics: Sequence[dict]) -> pd.DataFrame:
    """One row per run and epoch: the learning curves and the epoch's time by phase."""
    rows = []
    for metrics in all_metrics:
        for epoch in metrics["epochs"]:
            rows.append(
                {
                    "run": metrics["run"],
                    "arm": arm_of(metrics),
                    "seed": metrics["settings"]["seed"],
                    "epoch": epoch["epoch"],
                    "train_loss": epoch["train_loss"],
                    "train_accuracy": epoch["train_accuracy"],
                    "test_accuracy": epoch["test_accuracy"],
                    "epoch_seconds": epoch["seconds"]["total"],
                    **{f"seconds_{k}": v for k, v in _epoch_phases(epoch).items()},
                    "images_per_second": epoch["images_per_second"],
                }
            )
    return pd.DataFrame(rows).sort_values(["run", "epoch"], ignore_index=True)


# --- one comparison -----------------------------------------------------------------------------


def arm_labels(arms: Sequence[str]) -> dict[str, str]:
    """Short names: only the parts of dataset / model-framework / variant that differ."""
    parts = [arm.split("/") for arm in arms]
    varying = [i for i in range(3) if len({p[i] for p in parts}) > 1]
    labels = {
        arm: "/".join(p[i] for i in varying) or arm for arm, p in zip(arms, parts, strict=True)
    }
    if len(set(labels.values())) < len(labels):
        return {arm: arm for arm in arms}
    return labels


def _format_setting(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def setting_texts(settings: dict[str, dict], arms: Sequence[str], reference: str | None):
    """What sets each arm apart, as 'key value' pairs.

    For the compared arms: the settings that vary among them. For the reference: where it
    differs from the baseline (the first arm).
    """
    keys = [k for k in settings[arms[0]] if k not in IDENTITY_KEYS]
    varying = [k for k in keys if len({repr(settings[a].get(k)) for a in arms}) > 1]
    texts = {
        arm: ", ".join(f"{k} {_format_setting(settings[arm][k])}" for k in varying) for arm in arms
    }
    if reference:
        base = settings[arms[0]]
        differing = [k for k in keys if settings[reference].get(k) != base.get(k)]
        texts[reference] = ", ".join(
            f"{k} {_format_setting(settings[reference][k])}" for k in differing
        )
    return {arm: text or "same settings" for arm, text in texts.items()}


COMPARED_METRICS = ("test_accuracy", "epoch_seconds")


def comparison_table(runs: pd.DataFrame, settings: dict[str, dict], comparison: dict):
    """One row per arm (baseline first, reference last): means over seeds and differences."""
    arms = list(comparison["runs"])
    reference = comparison.get("reference")
    ordered = comparison_arms(comparison)
    missing = [arm for arm in ordered if arm not in set(runs["arm"])]
    if missing:
        raise ValueError(f"no runs of {', '.join(missing)} among the given metrics")
    labels = arm_labels(ordered)
    texts = setting_texts(settings, arms, reference)
    baseline = runs[runs["arm"] == arms[0]]
    rows = []
    for arm in ordered:
        own = runs[runs["arm"] == arm]
        role = "baseline" if arm == arms[0] else "reference" if arm == reference else "arm"
        row = {
            "arm": arm,
            "label": labels[arm],
            "role": role,
            "setting": texts[arm],
            "seeds": len(own),
        }
        for metric in COMPARED_METRICS:
            summary = stats.summarize(own[metric])
            row[f"{metric}_mean"] = summary.mean
            row[f"{metric}_std"] = summary.std
            if role == "baseline":
                nan = float("nan")
                difference = stats.Difference(nan, nan, nan, nan, verdict="")
            else:
                difference = stats.welch_difference(baseline[metric], own[metric])
            row[f"{metric}_difference"] = difference.difference
            row[f"{metric}_ci_low"] = difference.low
            row[f"{metric}_ci_high"] = difference.high
            row[f"{metric}_verdict"] = difference.verdict
        row["train_accuracy_mean"] = own["train_accuracy"].mean()
        row["train_loss_mean"] = own["train_loss"].mean()
        for column in PHASE_COLUMNS:
            row[column] = own[column].mean()
        row["images_per_second_mean"] = own["images_per_second"].mean()
        row["images_per_second_std"] = stats.summarize(own["images_per_second"]).std
        row["parameters"] = int(own["parameters"].iloc[0])
        row["peak_memory_mb"] = own["peak_memory_mb"].max()
        row["worker_peak_memory_mb"] = own["worker_peak_memory_mb"].max()
        rows.append(row)
    return pd.DataFrame(rows)


def _settings_by_arm(all_metrics: Sequence[dict]) -> dict[str, dict]:
    settings = {}
    for metrics in sorted(all_metrics, key=lambda m: m["settings"]["seed"]):
        settings.setdefault(arm_of(metrics), metrics["settings"])
    return settings


# --- files --------------------------------------------------------------------------------------


def html_table(table: pd.DataFrame, float_format: str = "{:.4g}") -> str:
    """A table as a plain HTML fragment (no index, numbers shortened) for the report."""

    def number(value):
        return float_format.format(value)

    return table.to_html(
        index=False, border=0, classes="data", na_rep="", float_format=number, escape=True
    )


def write_tables(table: pd.DataFrame, csv_path, markdown_path=None, html_path=None) -> None:
    """CSV (full precision), and optionally Markdown and an HTML fragment."""
    write_table(table, csv_path, markdown_path)
    if html_path is not None:
        write_text(html_path, html_table(table) + "\n")


def build_aggregate(
    metrics_paths: Sequence[str | Path],
    comparisons: dict[str, dict],
    runs_csv,
    runs_markdown,
    runs_html,
    epochs_csv,
    comparisons_csv,
    comparisons_markdown,
    comparisons_html,
    log: Callable[[str], None] = print,
) -> pd.DataFrame:
    """Every run in one table, every epoch in another, every comparison's arms in a third."""
    all_metrics = read_metrics(metrics_paths)
    runs = runs_table(all_metrics)
    settings = _settings_by_arm(all_metrics)
    log(f"{len(runs)} runs of {runs['arm'].nunique()} arms")
    tables = _named_comparison_tables(runs, settings, comparisons)
    summary = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    log(f"{len(comparisons)} comparisons, {len(summary)} arm rows")
    write_tables(runs, runs_csv, runs_markdown, runs_html)
    write_tables(epochs_table(all_metrics), epochs_csv)
    write_tables(summary, comparisons_csv, comparisons_markdown, comparisons_html)
    return summary


def _named_comparison_tables(runs, settings, comparisons: dict[str, dict]) -> list:
    """Each comparison's table, its name in a first column."""
    tables = []
    for name, comparison in comparisons.items():
        table = comparison_table(runs, settings, comparison)
        table.insert(0, "comparison", name)
        tables.append(table)
    return tables


def build_comparison(
    name: str,
    comparison: dict,
    metrics_paths: Sequence[str | Path],
    table_csv,
    table_markdown,
    table_html,
    figure_path,
    log: Callable[[str], None] = print,
) -> pd.DataFrame:
    """One comparison: its table and its figure (curves, timing or width, by its kind)."""
    from convstudy.plots import curves, timing, width

    all_metrics = read_metrics(metrics_paths)
    runs = runs_table(all_metrics)
    table = comparison_table(runs, _settings_by_arm(all_metrics), comparison)
    for row in table.itertuples():
        log(
            f"{name}: {row.arm} ({row.seeds} seeds): test accuracy {row.test_accuracy_mean:.4f}"
            f", {row.epoch_seconds_mean:.2f} s per epoch"
            + (f"; vs baseline: {row.test_accuracy_verdict}" if row.role != "baseline" else "")
        )
    kind = comparison_kind(comparison)
    title = comparison["title"]
    if kind == "timing":
        figure = timing.comparison_timing_figure(table, title)
    elif kind == "width":
        figure = width.comparison_width_figure(table, epochs_table(all_metrics), title)
    else:
        figure = curves.curves_figure(table, epochs_table(all_metrics), title)
    save_figure(figure, figure_path)
    write_tables(table, table_csv, table_markdown, table_html)
    return table


def build_time_breakdown(
    metrics_paths: Sequence[str | Path],
    table_csv,
    table_markdown,
    figure_path,
    log: Callable[[str], None] = print,
) -> pd.DataFrame:
    """Where an epoch's time goes, for every setting (arm) that ran: means over seeds."""
    from convstudy.plots import timing

    table = time_breakdown_table(runs_table(read_metrics(metrics_paths)))
    log(f"{len(table)} settings")
    save_figure(timing.time_breakdown_figure(table), figure_path)
    write_tables(table, table_csv, table_markdown)
    return table


def time_breakdown_table(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per arm: mean time per epoch by phase, share spent waiting for data, images/s."""
    grouped = runs.groupby("arm", sort=True)
    table = grouped.agg(
        dataset=("dataset", "first"),
        model=("model", "first"),
        framework=("framework", "first"),
        variant=("variant", "first"),
        data_path=("data_path", "first"),
        workers=("workers", "first"),
        hybridize=("hybridize", "first"),
        seeds=("seed", "count"),
        epoch_seconds=("epoch_seconds", "mean"),
        **{column: (column, "mean") for column in PHASE_COLUMNS},
        images_per_second=("images_per_second", "mean"),
    ).reset_index()
    table["data_share"] = table["seconds_data"] / table[PHASE_COLUMNS].sum(axis=1)
    order = table["model"].map({model: index for index, model in enumerate(MODELS)})
    return (
        table.assign(model_order=order)
        .sort_values(["model_order", "dataset", "framework", "variant"], ignore_index=True)
        .drop(columns="model_order")
    )


def build_width(
    comparisons: dict[str, dict],
    metrics_paths: Sequence[str | Path],
    table_csv,
    table_markdown,
    figure_path,
    log: Callable[[str], None] = print,
) -> pd.DataFrame:
    """Accuracy against parameter count, one line per width comparison (per dataset)."""
    from convstudy.plots import width

    all_metrics = read_metrics(metrics_paths)
    runs = runs_table(all_metrics)
    settings = _settings_by_arm(all_metrics)
    tables = _named_comparison_tables(runs, settings, comparisons)
    for name, table in zip(comparisons, tables, strict=True):
        table.insert(1, "dataset", [parse_arm(a, name)[0] for a in table["arm"]])
        table.insert(2, "width", [settings[a]["width"] for a in table["arm"]])
    table = pd.concat(tables, ignore_index=True)
    table["generalization_gap"] = table["train_accuracy_mean"] - table["test_accuracy_mean"]
    log(f"{len(comparisons)} width sweeps: {', '.join(comparisons)}")
    save_figure(width.width_figure(table), figure_path)
    write_tables(table, table_csv, table_markdown)
    return table

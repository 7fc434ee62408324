"""What each analysis rule makes: read its inputs, compute its tables (convstudy.analysis), draw
its figures (convstudy.plots) and write them, atomically. One function per rule; the rule
scripts only pass Snakemake's input, output and params through.
"""

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from convstudy import activations, analysis, confusion, cost, kernels, models, network
from convstudy.atomic import save_figure, write_table, write_text
from convstudy.data.cache import TASKS, load_classes
from convstudy.environment import environment_table, library_versions
from convstudy.plots import activations as activation_plots
from convstudy.plots import confusion as confusion_plots
from convstudy.plots import curves, sweep, timing, width
from convstudy.settings import RunSettings

Log = Callable[[str], None]


def write_tables(table: pd.DataFrame, csv_path, markdown_path=None, html_path=None) -> None:
    """CSV (full precision), and optionally Markdown and an HTML fragment."""
    write_table(table, csv_path, markdown_path)
    if html_path is not None:
        write_text(html_path, analysis.html_table(table) + "\n")


def aggregate(
    metrics_paths: Sequence[str | Path],
    timing_paths: Sequence[str | Path],
    comparison_tables: dict[str, str | Path],
    runs_csv,
    runs_markdown,
    runs_html,
    epochs_csv,
    timings_csv,
    comparisons_csv,
    comparisons_markdown,
    comparisons_html,
    log: Log = print,
) -> pd.DataFrame:
    """Every run in one table, every epoch in another, every arm's timing in a third, and the
    comparisons' tables (name -> CSV, as rule comparison wrote them) joined in a fourth."""
    all_metrics = analysis.read_json(metrics_paths)
    runs, epochs = analysis.runs_table(all_metrics), analysis.epochs_table(all_metrics)
    timings = analysis.timings_table(analysis.arm_timings(analysis.read_json(timing_paths)))
    log(f"{len(runs)} runs of {runs['arm'].nunique()} arms, {len(timings)} arms timed alone")
    # Joined, not recomputed: each comparison's numbers are computed once, by its own rule.
    tables = [pd.read_csv(path).assign(comparison=name) for name, path in comparison_tables.items()]
    summary = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    if tables:
        summary = summary[["comparison", *summary.columns.drop("comparison")]]
        summary = analysis.false_discoveries(summary)
    log(f"{len(comparison_tables)} comparisons, {len(summary)} arm rows")
    write_tables(runs, runs_csv, runs_markdown, runs_html)
    write_tables(epochs, epochs_csv)
    write_tables(timings, timings_csv)
    write_tables(summary, comparisons_csv, comparisons_markdown, comparisons_html)
    return summary


def comparison(
    name: str,
    declared: dict,
    metrics_paths: Sequence[str | Path],
    timing_paths: Sequence[str | Path],
    table_csv,
    table_markdown,
    table_html,
    figure_path,
    log: Log = print,
) -> pd.DataFrame:
    """One comparison: its table and its figure (curves, timing, width or sweep, by its kind)."""
    table, runs, epochs = analysis.comparison_tables(declared, metrics_paths, timing_paths)
    for row in table.itertuples():
        log(
            f"{name}: {row.arm} ({row.seeds} seeds): test accuracy {row.test_accuracy_mean:.4f}"
            f", {row.images_per_second:,.0f} training images/s alone"
            + (f"; vs baseline: {row.verdict} ({row.interval})" if row.role != "baseline" else "")
        )
    kind = analysis.comparison_kind(declared)
    title = declared["title"]
    if kind == "timing":
        figure = timing.comparison_timing_figure(table, title)
    elif kind == "width":
        figure = width.comparison_width_figure(table, epochs, title)
    elif kind == "sweep":
        figure = sweep.sweep_figure(table, runs, declared["sweep"], title)
    else:
        figure = curves.curves_figure(table, epochs, title)
    save_figure(figure, figure_path)
    write_tables(table, table_csv, table_markdown, table_html)
    return table


def time_breakdown(
    timing_paths: Sequence[str | Path],
    table_csv,
    table_markdown,
    figure_path,
    model_order: Sequence[str] = (),
    log: Log = print,
) -> pd.DataFrame:
    """Where training time goes, every arm timed alone, model by model in model_order (the
    order of models: in config.yaml)."""
    timings = analysis.arm_timings(analysis.read_json(timing_paths))
    table = analysis.time_breakdown_table(analysis.timings_table(timings), model_order)
    log(f"{len(table)} arms timed alone")
    save_figure(timing.time_breakdown_figure(table), figure_path)
    write_tables(table, table_csv, table_markdown)
    return table


def width_sweeps(
    comparisons: dict[str, dict],
    metrics_paths: Sequence[str | Path],
    table_csv,
    table_markdown,
    figure_path,
    log: Log = print,
) -> pd.DataFrame:
    """Accuracy against parameter count, one line per width comparison (per dataset)."""
    table = analysis.width_table(comparisons, metrics_paths)
    log(f"{len(comparisons)} width sweeps: {', '.join(comparisons)}")
    save_figure(width.width_figure(table), figure_path)
    write_tables(table, table_csv, table_markdown)
    return table


def environment(
    metrics_paths: Sequence[str | Path],
    timing_paths: Sequence[str | Path],
    conditions: dict,
    costed_jobs: Sequence[dict],
    estimate_path: str | Path | None,
    table_csv,
    cost_csv,
    log: Log = print,
) -> pd.DataFrame:
    """The conditions of this build, as a table of (item, value), and what its jobs cost (from
    their benchmark files: costed_jobs {rule, kind, benchmark}) beside the estimate made before
    they ran, as a second table."""
    timing_jobs = [analysis.job_timings(data) for data in analysis.read_json(timing_paths)]
    estimate = json.loads(Path(estimate_path).read_text()) if estimate_path else None
    # The cores this build was given: what its timing jobs reserved (every core), else what the
    # estimate laid the build out on.
    reserved = [int(t["cores_reserved"]) for job in timing_jobs for t in job]
    cores = max(reserved) if reserved else (estimate["cores"] if estimate else 1)
    actual = cost.actual_costs([(j["rule"], j["kind"], j["benchmark"]) for j in costed_jobs])
    rows = environment_table(
        analysis.read_json(metrics_paths),
        timing_jobs,
        conditions,
        library_versions(),
        cost.build_totals(actual, estimate, cores),
    )
    table = pd.DataFrame(rows)
    for row in rows:
        log(f"{row['item']}: {row['value']}")
    write_table(table, table_csv)
    write_table(
        pd.DataFrame(cost.cost_rows(actual, estimate, cores), columns=cost.COST_COLUMNS), cost_csv
    )
    return table


def activation_maps(
    metrics_path,
    weights_path,
    dataset_path,
    samples: int,
    table_csv,
    channels_csv,
    figure_path,
    log: Log = print,
) -> pd.DataFrame:
    """Section 6 for one run: feature maps beside the edge responses, learned beside
    hand-designed kernels; the correlation table and which channels never fire."""
    found = activations.study(metrics_path, weights_path, dataset_path, samples)
    settings = found.settings
    log(
        f"{settings.run}: test images {found.chosen}, layers "
        + ", ".join(f"{m.shape[1]} x {m.shape[2]}x{m.shape[3]}" for m in found.layer_maps)
    )
    best = found.correlations[found.correlations["best"]]
    for row in best.itertuples():
        log(f"{row.layer} channel {row.channel}: {row.family} {row.orientation}, r = {row.r:+.2f}")
    dead = activations.dead_channels(found.activity)
    for layer, channels in dead.items():
        log(f"{layer}: channels {', '.join(map(str, channels))} never fire on these images")
    figure = activation_plots.activations_figure(
        found.greys,
        found.titles,
        found.responses,
        found.layer_maps,
        best,
        kernels.edge_kernels(),
        found.learned_kernels,
        dead,
        f"{settings.dataset}: {settings.run}, test accuracy {found.test_accuracy:.3f}",
    )
    save_figure(figure, figure_path)
    write_table(found.correlations, table_csv)
    write_table(found.activity, channels_csv)
    return found.correlations


def confusion_matrix(
    predictions_path,
    dataset_path,
    task_name: str,
    run: str,
    table_csv,
    errors_csv,
    figure_path,
    log: Log = print,
) -> np.ndarray:
    """A run's confusion matrix on its test images: counts table, per-class errors, figure."""
    classes = load_classes(dataset_path, task_name)
    with np.load(predictions_path) as saved:
        labels, predicted = saved["labels"], saved["predicted"]
    counts = confusion.confusion_matrix(labels, predicted, len(classes))
    accuracy = np.trace(counts) / counts.sum()
    log(f"{run}: {counts.sum()} test images, accuracy {accuracy:.4f}")
    title = f"{task_name}: {run} (test accuracy {accuracy:.3f} on {counts.sum():,} test images)"
    save_figure(confusion_plots.confusion_figure(counts, classes, title), figure_path)
    write_table(confusion.confusion_table(counts, classes), table_csv)
    write_table(confusion.class_errors(counts, classes), errors_csv)
    return counts


def architectures(declared: dict[str, dict], table_csv, log: Log = print) -> pd.DataFrame:
    """Each declared architecture's layers: output shape and parameters, from the same model
    descriptions the backends build (declared: name -> resolved settings of an arm)."""
    rows = []
    for name, values in declared.items():
        settings = RunSettings.from_dict(values)
        task = TASKS[settings.dataset]
        shape = models.input_shape(settings, task.image_shape)
        spec = models.build_spec(settings.model, settings, task.num_classes)
        layers = network.layer_table(spec, shape)
        log(f"{name}: {len(layers)} layers, {sum(r['parameters'] for r in layers):,} parameters")
        for index, layer in enumerate(layers, start=1):
            rows.append({"architecture": name, "model": settings.model, "index": index, **layer})
    table = pd.DataFrame(rows)
    write_table(table, table_csv)
    return table


def framework_divergence(
    networks: list[dict], dataset_path, steps: int, result_json, table_csv, log: Log = print
) -> dict:
    """Where the two frameworks part ways on each network (convstudy.divergence): the result as
    JSON, and a row per network as CSV."""
    from convstudy import divergence
    from convstudy.data.cache import load_task

    task = next(iter(networks[0]["settings"].values()))["dataset"]
    result = divergence.diagnose(networks, load_task(dataset_path, task), steps, log)
    write_table(divergence.table(result), table_csv)
    write_text(result_json, json.dumps(result, indent=1) + "\n")
    return result

# The study's report: one self-contained HTML page, results/report.html, following the original
# study's sections 1-7 (and where the time goes), with every figure and table of this run and
# findings generated from them. Target: results/report.html (the default target ends here).
# `snakemake --report` builds Snakemake's own report from the same captions (report/*.rst).

from convstudy.data import catalog


def _caption(name):
    return str(Path(workflow.basedir) / "report" / f"{name}.rst")


def _item(path, caption=None, **context):
    """A file of the report, with its caption and the caption's template variables (the same
    wildcards and params that `snakemake --report` renders it with)."""
    return {"path": str(path), "caption": caption and _caption(caption), "context": context}


def report_plan():
    """Every file the report shows and every part it leaves out; see convstudy/report.py."""
    comparisons = []
    for name in RUNNABLE_COMPARISONS:
        params = {"comparison": comparison_params(name)}
        wildcards = {"name": name}
        comparisons.append(
            {
                "name": name,
                "title": config["comparisons"][name]["title"],
                "section": run_analysis.comparison_section(config["comparisons"][name]),
                "kind": params["comparison"]["figure"],
                "table": _item(
                    f"results/tables/comparisons/{name}.csv",
                    "comparison_table",
                    wildcards=wildcards,
                    params=params,
                ),
                "figure": _item(
                    f"results/figures/comparisons/{name}.png",
                    "comparison_figure",
                    wildcards=wildcards,
                    params=params,
                ),
            }
        )
    showcase = {
        dataset: {
            "dataset": dataset,
            "title": catalog.DATASETS[dataset].title,
            "run": showcase_run(dataset).path,
            "wildcards": {"dataset": dataset},
            "params": {"run": showcase_run(dataset).path},
        }
        for dataset in SHOWCASE_AVAILABLE
    }
    return {
        "preset": config["preset"],
        "scale": config["scale"],
        "generated_by": "the rule report of this Snakemake workflow",
        # Only the reason of an unavailable dataset: an available one's source message changes
        # once it is cached, and would make the report rerun for nothing.
        "datasets": {
            name: {
                "title": info.title,
                "available": DATASET_STATUS[name][0],
                "why": "" if DATASET_STATUS[name][0] else DATASET_STATUS[name][1],
            }
            for name, info in catalog.DATASETS.items()
        },
        "edges": {
            "images": [
                _item(
                    f"results/figures/edges/{image}.png",
                    "edges_image",
                    wildcards={"image": image},
                )
                for image in EDGE_IMAGES.images
            ],
            "kernels_figure": _item("results/figures/edge_kernels.png", "edge_kernels"),
            "energy_figure": _item("results/figures/edge_energy.png", "edge_energy_figure"),
            "energy_table": _item("results/tables/edge_energy.csv", "edge_energy_table"),
        },
        "conv_shapes": {
            "table": _item("results/tables/conv_shapes.csv", "conv_shapes_table"),
            "figure": _item("results/figures/conv_shapes_agreement.png", "conv_shapes_agreement"),
        },
        "conv1x1": {
            "table": _item("results/tables/conv1x1_timing.csv", "conv1x1_table"),
            "figure": _item("results/figures/conv1x1_timing.png", "conv1x1_figure"),
            "im2col_table": _item("results/tables/im2col.csv", "im2col_table"),
            "im2col_figure": _item("results/figures/im2col_timing.png", "im2col_figure"),
        },
        "comparisons": comparisons,
        "skipped": [
            {
                "name": name,
                "title": config["comparisons"][name]["title"],
                "section": run_analysis.comparison_section(config["comparisons"][name]),
                "dataset": dataset,
            }
            for name, dataset in SKIPPED_COMPARISONS.items()
        ],
        "width": (
            {
                "section": width_section(),
                "table": _item("results/tables/width.csv", "width_table"),
                "figure": _item("results/figures/width.png", "width_figure"),
            }
            if WIDTH_COMPARISONS
            else None
        ),
        "time": {
            "table": _item("results/tables/time_breakdown.csv", "time_breakdown_table"),
            "figure": _item("results/figures/time_breakdown.png", "time_breakdown_figure"),
        },
        "runs_table": _item("results/tables/runs.csv", "runs_table"),
        "activations": [
            {
                **entry,
                "table": _item(
                    f"results/tables/activations/{dataset}.csv",
                    "activations_table",
                    wildcards=entry["wildcards"],
                    params=entry["params"],
                ),
                "figure": _item(
                    f"results/figures/activations/{dataset}.png",
                    "activations_figure",
                    wildcards=entry["wildcards"],
                    params=entry["params"],
                ),
            }
            for dataset, entry in showcase.items()
        ],
        "confusion": [
            {
                **entry,
                "table": _item(
                    f"results/tables/confusion/{dataset}.csv",
                    "confusion_table",
                    wildcards=entry["wildcards"],
                    params=entry["params"],
                ),
                "errors": f"results/tables/confusion/{dataset}_classes.csv",
                "figure": _item(
                    f"results/figures/confusion/{dataset}.png",
                    "confusion_figure",
                    wildcards=entry["wildcards"],
                    params=entry["params"],
                ),
            }
            for dataset, entry in showcase.items()
        ],
        "showcase_skipped": [
            {"dataset": dataset, "title": catalog.DATASETS[dataset].title}
            for dataset in SHOWCASE_DATASETS
            if dataset not in SHOWCASE_AVAILABLE
        ],
    }


def _plan_files(value):
    """Every file a plan names (its paths and captions): the report's inputs."""
    if isinstance(value, dict):
        files = [value[key] for key in ("path", "caption", "errors") if value.get(key)]
        for key, inner in value.items():
            if key not in ("path", "caption", "errors", "context"):
                files += _plan_files(inner)
        return files
    if isinstance(value, list):
        return [f for inner in value for f in _plan_files(inner)]
    return []


REPORT_PLAN = report_plan()


rule report:
    """The study's HTML report, self-contained, from every figure and table of this run."""
    input:
        sorted(set(_plan_files(REPORT_PLAN))),
    output:
        "results/report.html",
    log:
        "results/logs/report.log",
    params:
        plan=REPORT_PLAN,
    threads: 1
    resources:
        mem_mb=2000,
    script:
        "../scripts/report.py"

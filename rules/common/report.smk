# Helpers of rules/report.smk: the report's plan, each file named through the rule that makes it.

from functools import cache

from convstudy.data import catalog


def reported(rule_name, key=0, caption=True, **wildcards):
    """A rule's output as the report shows it: {path, caption, context}, the caption being the
    one the rule declares with report() and context the variables it is rendered with (the same
    wildcards and params as `snakemake --report` uses)."""
    declared = workflow.get_rule(rule_name).output  # with its flags: report(), the caption
    outputs = getattr(rules, rule_name).output  # plain paths, wildcards to fill
    output = outputs[key] if isinstance(key, int) else getattr(outputs, key)
    flagged = declared[key] if isinstance(key, int) else getattr(declared, key)
    flag = flagged.flags.get("report") if caption else None
    context = {"wildcards": {k: str(v) for k, v in wildcards.items() if k != "params"}}
    if "params" in wildcards:
        context["params"] = wildcards["params"]
    return {
        "path": expand(str(output), **{k: v for k, v in wildcards.items() if k != "params"})[0],
        "caption": flag.caption.get_path_or_uri(secret_free=True) if flag else None,
        "context": context,
    }


def report_plan():
    """Every file the report shows and every part it leaves out; see convstudy/report/__init__.py."""
    comparisons = []
    for name in STUDY.runnable_comparisons:
        params = {"comparison": STUDY.comparison_params(name)}
        comparisons.append(
            {
                "name": name,
                "title": STUDY.comparisons[name].title,
                "section": STUDY.comparisons[name].section,
                "kind": params["comparison"]["figure"],
                "expected_faster": params["comparison"].get("expected_faster"),
                "table": reported("comparison", "table", name=name, params=params),
                "figure": reported("comparison", "figure", name=name, params=params),
                "divergence": (
                    {
                        "table": reported("framework_divergence", "table", name=name),
                        "result": reported("framework_divergence", "result", False, name=name),
                    }
                    if name in DIVERGENCE_COMPARISONS
                    else None
                ),
            }
        )
    showcase = {
        dataset: {
            "dataset": dataset,
            "title": catalog.DATASETS[dataset].title,
            "run": STUDY.showcase_run(dataset).path,
        }
        for dataset in STUDY.showcase_datasets
    }

    def showcase_item(rule_name, key, dataset, caption=True):
        params = {"run": showcase[dataset]["run"]}
        return reported(rule_name, key, caption, dataset=dataset, params=params)

    return {
        "preset": config["preset"],
        # The models' sections, in this order, and what the introductions describe.
        "models": list(config["models"]),
        "config": config,
        "scale": config["scale"],
        "default_epochs": config["train"]["epochs"],
        "generated_by": "the rule report of this Snakemake workflow",
        # Only the reason of an unavailable dataset: an available one's source message changes
        # once it is cached, and would make the report rerun for nothing.
        "datasets": {
            name: {
                "title": info.title,
                "available": STUDY.dataset_available(name),
                "why": "" if STUDY.dataset_available(name) else dataset_status(name)[1],
            }
            for name, info in catalog.DATASETS.items()
        },
        "edges": {
            "images": [
                reported("edges_image", "figure", image=image) for image in STUDY.edge_images
            ],
            "kernels_figure": reported("edges_summary", "kernels_figure"),
            "energy_figure": reported("edges_summary", "energy_figure"),
            "energy_table": reported("edges_summary", "table"),
        },
        "conv_shapes": {
            "table": reported("conv_shapes", "table"),
            "figure": reported("conv_shapes", "figure"),
        },
        "conv1x1": {
            "table": reported("conv1x1_timing", "table"),
            "figure": reported("conv1x1_timing", "figure"),
            "im2col_table": reported("im2col_timing", "table"),
            "im2col_figure": reported("im2col_timing", "figure"),
        },
        "comparisons": comparisons,
        "skipped": [
            {
                "name": name,
                "title": STUDY.comparisons[name].title,
                "section": STUDY.comparisons[name].section,
                "dataset": dataset,
            }
            for name, dataset in STUDY.skipped_comparisons.items()
        ],
        "gpu_skipped": [
            {
                "name": name,
                "title": STUDY.comparisons[name].title,
                "section": STUDY.comparisons[name].section,
                "why": why,
                "estimates": [
                    {
                        "arm": arm,
                        "label": STUDY.label(arm),
                        **reported(
                            "estimate_cpu_epoch",
                            0,
                            False,
                            **STUDY.first_run(arm).arm_wildcards,
                        ),
                    }
                    for arm in STUDY.gpu_skipped_arms(name)
                ],
            }
            for name, why in STUDY.gpu_skipped_comparisons.items()
        ],
        "width": (
            {
                "section": STUDY.width_section(),
                "table": reported("width", "table"),
                "figure": reported("width", "figure"),
                "tolerance": ANALYSIS["adaptive_tolerance"],
            }
            if STUDY.width_comparisons
            else None
        ),
        "time": {
            "table": reported("time_breakdown", "table"),
            "figure": reported("time_breakdown", "figure"),
        },
        "runs_table": reported("aggregate", "runs"),
        "comparisons_table": reported("aggregate", "comparisons"),
        "environment": reported("environment"),
        "cost": reported("environment", "cost"),
        "architectures": reported("architectures"),
        "activations": [
            {
                **entry,
                "table": showcase_item("activation_maps", "table", dataset),
                "channels": showcase_item("activation_maps", "channels", dataset)["path"],
                "figure": showcase_item("activation_maps", "figure", dataset),
            }
            for dataset, entry in showcase.items()
        ],
        "confusion": [
            {
                **entry,
                "table": showcase_item("confusion_matrix", "table", dataset),
                "errors": showcase_item("confusion_matrix", "errors", dataset, False)["path"],
                "figure": showcase_item("confusion_matrix", "figure", dataset),
            }
            for dataset, entry in showcase.items()
        ],
        "showcase_skipped": [
            {"dataset": dataset, "title": catalog.DATASETS[dataset].title}
            for dataset in SHOWCASE_DATASETS
            if dataset not in showcase
        ],
    }


# Keys of a plan entry that name a file the report reads.
FILE_KEYS = ("path", "caption", "errors", "channels")


def plan_files(value):
    """Every file a plan names (its paths and captions): the report's inputs."""
    if isinstance(value, dict):
        files = [value[key] for key in FILE_KEYS if value.get(key)]
        for key, inner in value.items():
            if key not in (*FILE_KEYS, "context", "config"):
                files += plan_files(inner)
        return files
    if isinstance(value, list):
        return [f for inner in value for f in plan_files(inner)]
    return []


@cache
def cached_plan():
    return report_plan()

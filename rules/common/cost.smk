# Helpers of rules/cost.smk: every job of the default target, as the estimate of its cost reads it.

from types import SimpleNamespace

from convstudy import cost

# Jobs that measure time: each reserves every core Snakemake is given, so nothing runs beside it.
MEASURING_RULES = ("time_comparison", "estimate_cpu_epoch", "conv1x1_timing", "im2col_timing")
# Jobs that train nothing but compute with both frameworks (section 2's and 3's convolutions):
# their start-up includes importing them.
BOTH_FRAMEWORKS = ("conv_shapes", "conv1x1_timing", "im2col_timing")
ESTIMATE = "results/estimate.json"


def planned_job(rule_name, job_name, key=0, **wildcards):
    """A job of the default target as the estimate reads it: its rule, the output that says it is
    done and its benchmark file (an earlier build's cost)."""
    declared = getattr(rules, rule_name)
    output = declared.output[key] if isinstance(key, int) else getattr(declared.output, key)
    return {
        "rule": rule_name,
        "name": job_name,
        "output": expand(str(output), **wildcards)[0],
        "benchmark": expand(str(declared.benchmark), **wildcards)[0],
        "exclusive": rule_name in MEASURING_RULES,
    }


def planned_jobs():
    """Every job of the default target (rule all) but the estimate itself."""
    timing = {key: config["timing"][key] for key in ("repeats", "images", "warmup_images")}
    jobs = [planned_job("dataset", d, dataset=d) for d in dataset_paths()]
    showcase_runs = [showcase_run(dataset) for dataset in showcase_available()]
    for run in dict.fromkeys([*runnable_runs(), *showcase_runs]):
        settings = settings_of_run(run)
        job = planned_job("train", run.path, "metrics", **run_wildcards(run))
        jobs.append({**job, "settings": settings, "threads": settings["threads"]})
    for name in runnable_comparisons():
        arms = [settings_of_run(run_settings.timing_run(config, a)) for a in comparison_arm_list(name)]
        jobs.append({**planned_job("time_comparison", name, name=name), "arms": arms, "timing": timing})
    for name in divergence_comparisons():
        networks = divergence_networks(SimpleNamespace(name=name))
        arms = [settings for network in networks for settings in network["settings"].values()]
        steps = config["comparisons"][name]["divergence"]["steps"]
        # Each network trains in both frameworks, up to `steps` batches (its data allowing).
        images = steps * max(arm["batch_size"] for arm in arms)
        tracing = {"repeats": 1, "images": images, "warmup_images": 0}
        job = planned_job("framework_divergence", name, "result", name=name)
        jobs.append({**job, "arms": arms, "timing": tracing, "threads": max(config["threads"].values())})
    estimate = config["timing"]["cpu_estimate"]
    for name in gpu_skipped_comparisons():
        for arm in gpu_skipped_arms(name):
            dataset, model, framework, variant = run_settings.parse_arm(arm, name)
            settings = dict(settings_of_run(run_settings.timing_run(config, arm)), device="cpu")
            wildcards = dict(dataset=dataset, model=model, framework=framework, variant=variant)
            job = planned_job("estimate_cpu_epoch", arm, **wildcards)
            timing_once = {"repeats": 1, **estimate}
            jobs.append({**job, "arms": [settings], "timing": timing_once, "images": estimate["images"]})
    jobs += [planned_job("edges_image", image, "figure", image=image) for image in EDGE_IMAGES.images]
    for rule_name in ("edges_summary", "conv_shapes", "conv1x1_timing", "im2col_timing"):
        imports = list(FRAMEWORKS) if rule_name in BOTH_FRAMEWORKS else []
        jobs.append({**planned_job(rule_name, rule_name), "imports": imports})
    jobs += [planned_job("comparison", name, "table", name=name) for name in runnable_comparisons()]
    if width_comparisons():
        jobs.append(planned_job("width", "width", "table"))
    for dataset in showcase_available():
        showcase = {"imports": [showcase_run(dataset).framework]}  # it loads the trained network
        jobs.append({**planned_job("activation_maps", dataset, "figure", dataset=dataset), **showcase})
        jobs.append(planned_job("confusion_matrix", dataset, "figure", dataset=dataset))
    for rule_name in ("aggregate", "time_breakdown", "architectures", "environment", "report"):
        jobs.append(planned_job(rule_name, rule_name))
    return jobs


def costed_jobs():
    """The jobs whose benchmark files the Environment section sums ({rule, kind, benchmark}):
    every job of the default target but the two that run after it (environment, report), and the
    estimate."""
    jobs = [job for job in planned_jobs() if job["rule"] not in ("environment", "report")]
    estimate = {"rule": "estimate_build", "benchmark": str(rules.estimate_build.benchmark)}
    return [
        {
            "rule": job["rule"],
            "kind": cost.kind_of(job["settings"]) if job["rule"] == "train" else "",
            "benchmark": job["benchmark"],
        }
        for job in [estimate, *jobs]
    ]


def run_wildcards(run):
    return dict(
        dataset=run.dataset,
        model=run.model,
        framework=run.framework,
        variant=run.variant,
        seed=run.seed,
    )


def dataset_paths():
    """dataset -> its cache, for each dataset this machine can get."""
    return {d: dataset_cache(d) for d in catalog.DATASETS if dataset_status(d)[0]}


def say_progress():
    """A resumed build says where it stands before its first job (onstart), from the estimate of
    an earlier invocation."""
    asked = set(workflow.dag_settings.targets)
    if workflow.remote_exec or not Path(ESTIMATE).is_file() or asked & {"estimate", "progress"}:
        return  # (those two say it themselves)
    try:
        logger.info(f"Build: {cost.progress_line(json.loads(Path(ESTIMATE).read_text()))}")
    except (ValueError, KeyError, TypeError):
        pass  # an estimate of another version of the workflow: the build makes a new one

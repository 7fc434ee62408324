# The runs: a model trained on a dataset in one framework, with one variant of the settings and
# one seed, each a target of its own; and each arm's speed, measured alone. Targets:
#   results/runs/<dataset>/<model>-<framework>/<variant>/seed<N>/metrics.json   (runs: every one)
#   results/timing/comparisons/<name>.json   (a comparison's arms, timed together in rounds;
#                                             timings: every comparison)
#   results/estimates/<dataset>/<model>-<framework>/<variant>.json  (CPU time per epoch, estimated)
# Every declared run is resolved when the workflow loads, so a bad setting fails before any job.


rule train:
    """One run: a model trained on a dataset in one framework, with one variant and seed."""
    input:
        dataset=arm_input,
    output:
        metrics=f"results/runs/{RUN}/metrics.json",
        predictions=f"results/runs/{RUN}/predictions.npz",
        weights=f"results/runs/{RUN}/model.weights",
    log:
        f"results/logs/runs/{RUN}.log",
    benchmark:
        f"results/benchmarks/runs/{RUN}.tsv"
    wildcard_constraints:
        **ARM_CONSTRAINTS,
        seed=r"\d+",
    params:
        settings=settings_of,
        # Outside the declared outputs, so a killed run keeps its finished epochs.
        checkpoints=lambda w: f"results/checkpoints/{run_of(w).path}",
    threads: lambda w: config["threads"][w.framework]
    # The longest runs (by their model's expected runtime) start first, so that short ones fill
    # the cores at the end.
    priority: model_resource("runtime")
    resources:
        gpu=gpu_request,
        mem_mb=model_resource("mem_mb"),
        runtime=model_resource("runtime"),
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/train.py"


rule runs:
    """Every declared run whose dataset is available."""
    input:
        all_metrics,


# Speed measured alone: a timing job reserves every core Snakemake was given, so no other job runs
# beside it. One job per comparison times its arms together, in rounds: every speed a comparison
# compares, and where each arm's time goes (section 8), come from it, at one start-up (imports,
# dataset) per comparison. The training runs' own epoch times are measured alongside other jobs.


rule time_comparison:
    """The arms of a comparison timed in one job, in rounds (a pass of each per round), with
    nothing else running: a drift in the machine's speed falls on every arm alike. Every speed
    a comparison compares comes from here."""
    input:
        unpack(comparison_task_caches),
    output:
        "results/timing/comparisons/{name}.json",
    log:
        "results/logs/timing/comparisons/{name}.log",
    benchmark:
        "results/benchmarks/timing/comparisons/{name}.tsv"
    wildcard_constraints:
        name="|".join(config["comparisons"]),
    params:
        settings=comparison_timing_settings,
        timing={key: config["timing"][key] for key in ("repeats", "images", "warmup_images")},
    threads: every_core
    resources:
        gpu=comparison_gpu_request,
        mem_mb=comparison_resource("mem_mb"),
        runtime=30,
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/time_comparison.py"


rule timings:
    """Every runnable comparison's arms, timed together, comparison by comparison."""
    input:
        all_timings,


rule estimate_cpu_epoch:
    """The CPU time an epoch of an arm would take, estimated from one short pass timed alone: for
    the arms of comparisons left out for lack of a GPU (the report states it)."""
    input:
        dataset=arm_input,
    output:
        f"results/estimates/{ARM}.json",
    log:
        f"results/logs/estimates/{ARM}.log",
    benchmark:
        f"results/benchmarks/estimates/{ARM}.tsv"
    wildcard_constraints:
        **ARM_CONSTRAINTS,
    params:
        settings=cpu_estimate_settings,
        estimate=config["timing"]["cpu_estimate"],
    # Measured alone, as a timing job is; it asks for no GPU: it measures the CPU.
    threads: every_core
    resources:
        mem_mb=model_resource("mem_mb"),
        runtime=30,
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/estimate_cpu_epoch.py"


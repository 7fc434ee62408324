# The runs: a model trained on a dataset in one framework, with one variant of the settings and
# one seed, each a target of its own; and each arm's speed, measured alone. Targets:
#   results/runs/<dataset>/<model>-<framework>/<variant>/seed<N>/metrics.json   (runs: every one)
#   results/timing/<dataset>/<model>-<framework>/<variant>.json                (timings: every one)
#   results/timing/comparisons/<name>.json   (a comparison's arms, timed together in rounds)
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
        lambda w: [run_file(run) for run in runnable_runs()],


# Speed measured alone: a timing job reserves every core Snakemake was given, so no other job runs
# beside it. One job per arm says where its time goes (section 8); one job per comparison times
# its arms together, and every speed a comparison compares comes from it. The training runs' own
# epoch times are measured alongside other jobs.


rule time_alone:
    """One arm's training speed and where its time goes: passes over the same images, timed with
    nothing else running."""
    input:
        dataset=arm_input,
    output:
        f"results/timing/{ARM}.json",
    log:
        f"results/logs/timing/{ARM}.log",
    wildcard_constraints:
        **ARM_CONSTRAINTS,
    params:
        settings=timing_settings,
        # Only what the measurement uses, so that changing the CPU estimate re-times nothing.
        timing={key: config["timing"][key] for key in ("repeats", "images", "warmup_images")},
    # Every core: Snakemake starts no other job until this one ends (the job learns the number
    # from its own thread count, so a later --cores does not make it rerun).
    threads: every_core
    resources:
        gpu=gpu_request,
        mem_mb=model_resource("mem_mb"),
        runtime=30,
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/time_alone.py"


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
    """Every arm of every runnable comparison, timed alone."""
    input:
        lambda w: [timing_file(arm) for arm in timed_arms()],


rule estimate_cpu_epoch:
    """The CPU time an epoch of an arm would take, estimated from one short pass timed alone: for
    the arms of comparisons left out for lack of a GPU (the report states it)."""
    input:
        dataset=arm_input,
    output:
        f"results/estimates/{ARM}.json",
    log:
        f"results/logs/estimates/{ARM}.log",
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


# Speed measured alone: one job per arm that reserves every core Snakemake was given, so no other
# job runs beside it (on a cluster the profile asks for a whole node). Every time that the report
# compares comes from these; the training runs' own epoch times are measured alongside other
# jobs. Target: results/timing/<dataset>/<model>-<framework>/<variant>.json


rule time_alone:
    """One arm's training speed: passes over the same images, timed with nothing else running."""
    input:
        dataset=lambda w: dataset_cache(TASKS[w.dataset].dataset),
    output:
        "results/timing/{dataset}/{model}-{framework}/{variant}.json",
    log:
        "results/logs/timing/{dataset}/{model}-{framework}/{variant}.log",
    wildcard_constraints:
        dataset="|".join(TASKS),
        model="|".join(config["models"]),
        framework="mxnet|torch",
        variant=r"[A-Za-z0-9_.+]+",
    params:
        settings=lambda w: settings_of_run(
            run_settings.timing_run(config, f"{w.dataset}/{w.model}-{w.framework}/{w.variant}")
        ),
        timing=config["timing"],
    # Every core: Snakemake starts no other job until this one ends (the job learns the number
    # from its own thread count, so a later --cores does not make it rerun).
    threads: every_core
    resources:
        gpu=gpu_request,
        mem_mb=lambda w: models.get(w.model).RESOURCES["mem_mb"],
        runtime=30,
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/time_alone.py"


rule timings:
    """Every arm of every runnable comparison, timed alone."""
    input:
        [timing_file(arm) for arm in TIMED_ARMS],

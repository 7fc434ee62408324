rule train:
    """One run: a model trained on a dataset in one framework, with one variant and seed."""
    input:
        dataset=lambda w: dataset_cache(TASKS[w.dataset].dataset),
    output:
        metrics=f"results/runs/{RUN}/metrics.json",
        predictions=f"results/runs/{RUN}/predictions.npz",
        weights=f"results/runs/{RUN}/model.weights",
    log:
        f"results/logs/runs/{RUN}.log",
    benchmark:
        f"results/benchmarks/runs/{RUN}.tsv"
    wildcard_constraints:
        dataset="|".join(TASKS),
        model="|".join(config["models"]),
        framework="mxnet|torch",
        variant=r"[A-Za-z0-9_.+]+",
        seed=r"\d+",
    params:
        settings=settings_of,
        # Outside the declared outputs, so a killed run keeps its finished epochs.
        checkpoints=lambda w: f"results/checkpoints/{run_of(w).path}",
    threads: lambda w: config["threads"][w.framework]
    # The longest runs (by their model's expected runtime) start first, so that short ones fill
    # the cores at the end.
    priority: lambda w: models.get(w.model).RESOURCES["runtime"]
    resources:
        gpu=gpu_request,
        mem_mb=lambda w: models.get(w.model).RESOURCES["mem_mb"],
        runtime=lambda w: models.get(w.model).RESOURCES["runtime"],
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/train.py"


rule runs:
    """Every declared run whose dataset is available."""
    input:
        [run_file(run, "metrics.json") for run in DECLARED_RUNS if runnable(run)],

# Sections 4-8 from the runs: tables (pandas) and figures of every comparison, where the time
# goes, the parameter-size question, activation maps and confusion matrices.
# Targets: analysis (all of it), or any one file, e.g.
#   results/figures/comparisons/<name>.png   results/tables/comparisons/<name>.csv
#   results/figures/time_breakdown.png       results/figures/width.png
#   results/figures/activations/<dataset>.png results/figures/confusion/<dataset>.png
#   results/divergence/<name>.json  (where a comparison's two frameworks part ways, and why)
# A comparison's files need only its own runs; the summary tables and figures need every run
# whose dataset this machine can get (asked only when they are requested).


rule aggregate:
    """Every run's metrics and every arm's timing in tidy tables: per run, per epoch, per arm
    timed alone, and every comparison's table joined in one."""
    input:
        metrics=all_metrics,
        timings=all_timings,
        comparison_tables=runnable_comparison_tables,
    output:
        runs=report(
            "results/tables/runs.csv",
            caption="../report/runs_table.rst",
            category="Summary tables",
        ),
        runs_markdown="results/tables/runs.md",
        runs_html="results/tables/runs.html",
        epochs="results/tables/epochs.csv",
        timings="results/tables/timings.csv",
        comparisons=report(
            "results/tables/comparisons.csv",
            caption="../report/comparisons_table.rst",
            category="Summary tables",
        ),
        comparisons_markdown="results/tables/comparisons.md",
        comparisons_html="results/tables/comparisons.html",
    log:
        "results/logs/analysis/aggregate.log",
    benchmark:
        "results/benchmarks/analysis/aggregate.tsv"
    params:
        # The comparisons whose tables are joined, in the order of comparison_tables.
        comparisons=lambda w: STUDY.runnable_comparisons,
    threads: 1
    resources:
        mem_mb=1500,
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/aggregate.py"


rule comparison:
    """One comparison: accuracy over seeds and differences (identical, paired or Welch, with
    what the seeds could detect), speed measured alone (its arms timed together), a figure."""
    input:
        metrics=comparison_metrics,
        timings=comparison_timings,
    output:
        table=report(
            "results/tables/comparisons/{name}.csv",
            caption="../report/comparison_table.rst",
            category=comparison_section,
            subcategory=comparison_title,
        ),
        markdown="results/tables/comparisons/{name}.md",
        html="results/tables/comparisons/{name}.html",
        figure=report(
            "results/figures/comparisons/{name}.png",
            caption="../report/comparison_figure.rst",
            category=comparison_section,
            subcategory=comparison_title,
        ),
    log:
        "results/logs/analysis/comparisons/{name}.log",
    benchmark:
        "results/benchmarks/analysis/comparisons/{name}.tsv"
    wildcard_constraints:
        name="|".join(config["comparisons"]),
    params:
        comparison=lambda w: STUDY.comparison_params(w.name),
    threads: 1
    resources:
        mem_mb=1500,
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/comparison.py"


rule framework_divergence:
    """Where the two frameworks of a comparison part ways: both train each of its variants from
    the same weights on the same batches, step by step, every layer's output and gradient
    compared; and how each routes exact ties in max pooling and ReLU at 0, on hand-made inputs."""
    input:
        dataset=divergence_dataset,
    output:
        result="results/divergence/{name}.json",
        table=report(
            "results/tables/divergence/{name}.csv",
            caption="../report/divergence_table.rst",
            category=comparison_section,
            subcategory=comparison_title,
        ),
    log:
        "results/logs/divergence/{name}.log",
    benchmark:
        "results/benchmarks/divergence/{name}.tsv"
    wildcard_constraints:
        name="|".join(DIVERGENCE_COMPARISONS) or "(?!)",
    params:
        networks=lambda w: STUDY.divergence_networks(w.name),
        steps=lambda w: config["comparisons"][w.name]["divergence"]["steps"],
    # Both frameworks in one process, one after the other: the larger of their thread counts.
    threads: max(config["threads"].values())
    resources:
        # Each framework computes where its runs do (device:), so that its rounding is theirs.
        gpu=comparison_gpu_request,
        mem_mb=3000,
        runtime=30,
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/framework_divergence.py"


rule time_breakdown:
    """Where training time goes, every arm timed alone."""
    input:
        all_timings,
    output:
        table=report(
            "results/tables/time_breakdown.csv",
            caption="../report/time_breakdown_table.rst",
            category=STUDY.section_title("time"),
            subcategory="Every arm",
        ),
        markdown="results/tables/time_breakdown.md",
        figure=report(
            "results/figures/time_breakdown.png",
            caption="../report/time_breakdown_figure.rst",
            category=STUDY.section_title("time"),
            subcategory="Every arm",
        ),
    log:
        "results/logs/analysis/time_breakdown.log",
    benchmark:
        "results/benchmarks/analysis/time_breakdown.tsv"
    params:
        models=list(config["models"]),  # the order of its models (the report's)
    threads: 1
    resources:
        mem_mb=1500,
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/time_breakdown.py"


rule width:
    """The parameter-size question: accuracy against parameter count, every width sweep."""
    input:
        width_metrics,
    output:
        table=report(
            "results/tables/width.csv",
            caption="../report/width_table.rst",
            category=lambda w: STUDY.section_title(STUDY.width_section()),
            subcategory="Parameters against accuracy",
        ),
        markdown="results/tables/width.md",
        figure=report(
            "results/figures/width.png",
            caption="../report/width_figure.rst",
            category=lambda w: STUDY.section_title(STUDY.width_section()),
            subcategory="Parameters against accuracy",
        ),
    log:
        "results/logs/analysis/width.log",
    benchmark:
        "results/benchmarks/analysis/width.tsv"
    params:
        comparisons=lambda w: {name: STUDY.comparison_params(name) for name in STUDY.width_comparisons},
    threads: 1
    resources:
        mem_mb=1500,
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/width.py"


rule activation_maps:
    """A trained LeNet's feature maps on sample test images, beside the section-1 kernels."""
    input:
        dataset=task_cache,
        metrics=showcase_file("metrics"),
        weights=showcase_file("weights"),
    output:
        figure=report(
            "results/figures/activations/{dataset}.png",
            caption="../report/activations_figure.rst",
            category=STUDY.section_title("activations"),
        ),
        table=report(
            "results/tables/activations/{dataset}.csv",
            caption="../report/activations_table.rst",
            category=STUDY.section_title("activations"),
        ),
        channels=report(
            "results/tables/activations/{dataset}_channels.csv",
            caption="../report/activations_channels.rst",
            category=STUDY.section_title("activations"),
        ),
    log:
        "results/logs/analysis/activations/{dataset}.log",
    benchmark:
        "results/benchmarks/analysis/activations/{dataset}.tsv"
    wildcard_constraints:
        dataset="|".join(SHOWCASE_DATASETS),
    params:
        samples=ANALYSIS["activation_samples"],
        run=lambda w: STUDY.showcase_run(w.dataset).path,
    threads: 1
    resources:
        mem_mb=2000,
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/activation_maps.py"


rule confusion_matrix:
    """Confusion matrix of a trained LeNet on the test set: counts and row-normalized."""
    input:
        dataset=task_cache,
        predictions=showcase_file("predictions"),
    output:
        figure=report(
            "results/figures/confusion/{dataset}.png",
            caption="../report/confusion_figure.rst",
            category=STUDY.section_title("confusion"),
        ),
        table=report(
            "results/tables/confusion/{dataset}.csv",
            caption="../report/confusion_table.rst",
            category=STUDY.section_title("confusion"),
        ),
        errors="results/tables/confusion/{dataset}_classes.csv",
    log:
        "results/logs/analysis/confusion/{dataset}.log",
    benchmark:
        "results/benchmarks/analysis/confusion/{dataset}.tsv"
    wildcard_constraints:
        dataset="|".join(SHOWCASE_DATASETS),
    params:
        run=lambda w: STUDY.showcase_run(w.dataset).path,
    threads: 1
    resources:
        mem_mb=1500,
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/confusion_matrix.py"


rule architectures:
    """The architecture tables: each declared network's layers, output shapes and parameters,
    from the model descriptions (nothing is trained)."""
    output:
        report(
            "results/tables/architectures.csv",
            caption="../report/architectures_table.rst",
            category="Architectures",
        ),
    log:
        "results/logs/analysis/architectures.log",
    benchmark:
        "results/benchmarks/analysis/architectures.tsv"
    params:
        architectures=lambda w: STUDY.architecture_settings(),
    threads: 1
    resources:
        mem_mb=1000,
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/architectures.py"


rule environment:
    """The conditions of this build: machine, software, threads, jobs at once, preset, seeds;
    and what its jobs cost (their benchmark files summed by rule and by model x framework x
    dataset, beside the estimate made before they ran)."""
    input:
        metrics=all_metrics,
        timings=all_timings,
        benchmarks=lambda w: [job["benchmark"] for job in costed_jobs()],
        estimate=ESTIMATE,
    output:
        report(
            "results/tables/environment.csv",
            caption="../report/environment_table.rst",
            category=STUDY.section_title("environment"),
        ),
        cost=report(
            "results/tables/cost.csv",
            caption="../report/cost_table.rst",
            category=STUDY.section_title("environment"),
        ),
    log:
        "results/logs/analysis/environment.log",
    benchmark:
        "results/benchmarks/analysis/environment.tsv"
    params:
        conditions=lambda w: STUDY.build_conditions(),
        costed=lambda w: costed_jobs(),
    threads: 1
    resources:
        mem_mb=1500,
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/environment.py"


rule analysis:
    """Every table and figure of sections 4-8 that this machine's datasets allow."""
    input:
        rules.aggregate.output,
        rules.environment.output,
        rules.architectures.output,
        rules.time_breakdown.output,
        lambda w: expand(rules.comparison.output, name=STUDY.runnable_comparisons),
        lambda w: expand(rules.framework_divergence.output, name=STUDY.divergence_comparisons),
        lambda w: rules.width.output if STUDY.width_comparisons else [],
        lambda w: expand(rules.activation_maps.output, dataset=STUDY.showcase_datasets),
        lambda w: expand(rules.confusion_matrix.output, dataset=STUDY.showcase_datasets),

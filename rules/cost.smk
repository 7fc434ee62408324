# What the study costs on this machine, before it runs and while it runs. Targets:
#   snakemake estimate --cores 4   prints the wall time of the default target at --cores 4, and
#                                  the CPU time by model x framework x dataset and by rule, from
#                                  results/estimate.json (made first if missing: nothing trained)
#   snakemake progress --cores 1   how far a build has come (from another shell while it runs)
# The default target makes results/estimate.json first, so a build's log starts with its
# estimate; a resumed build says how far it is before its first job.


rule estimate_build:
    """What building the default target costs on this machine, from an earlier build's benchmark
    files where they exist, else from a short pass of each kind of run (over stand-in images of
    its dataset's shape: nothing is downloaded) and a process's start-up, timed alone. Nothing is
    trained. Having no input, it is the first job of a build."""
    output:
        json=ESTIMATE,
        markdown="results/estimate.md",
    log:
        "results/logs/estimate.log",
    benchmark:
        "results/benchmarks/estimate.tsv"
    params:
        planned=lambda w: planned_jobs(),
        batches=config["timing"]["estimate_batches"],
    # Every core: it measures time, so nothing runs beside it (the job lays the build out on that
    # many cores, its own thread count, so that a later --cores does not make it rerun); and
    # first, so that a build's log starts with it.
    threads: every_core
    priority: 1000
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/estimate.py"


# These two write nothing but their logs, so they run whenever they are asked for; they print to
# the console.


rule estimate:
    """The estimate, laid out on this invocation's --cores, and how far the build has come."""
    input:
        ESTIMATE,
    log:
        "results/logs/estimate_printed.log",
    params:
        cores=every_core,
    localrule: True
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/print_estimate.py"


rule progress:
    """How far the build that results/estimate.json plans has come, and the time it has left
    (from which outputs exist: safe to ask from another shell while the build runs)."""
    log:
        "results/logs/progress.log",
    params:
        estimate=ESTIMATE,
    localrule: True
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/progress.py"

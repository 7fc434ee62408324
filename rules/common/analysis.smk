# Helpers of rules/analysis.smk: the files each analysis reads, named through the rules that make
# them (which comparisons can run here, and what each needs, the study says).

ANALYSIS = config["analysis"]
# The comparisons that declare where their two frameworks part ways (divergence:).
DIVERGENCE_COMPARISONS = [
    name for name, comparison in STUDY.comparisons.items() if comparison.traces_divergence
]


def comparison_metrics(wildcards):
    return [run_file(run) for run in STUDY.comparisons[wildcards.name].runs]


def comparison_timing_file(name):
    """A comparison's arms, timed together in one job, in rounds (rule time_comparison)."""
    return expand(rules.time_comparison.output[0], name=name)[0]


def comparison_timings(wildcards):
    return [comparison_timing_file(wildcards.name)]


def runnable_comparison_tables(wildcards):
    """The table of every comparison that can run here (the summary table joins them)."""
    return expand(rules.comparison.output.table, name=STUDY.runnable_comparisons)


def comparison_section(wildcards):
    """The report category (section title) of a comparison's files."""
    return STUDY.section_title(STUDY.comparisons[wildcards.name].section)


def comparison_title(wildcards):
    return STUDY.comparisons[wildcards.name].title


def divergence_dataset(wildcards):
    """The dataset a divergence diagnostic trains on: its comparison's."""
    return dataset_cache(TASKS[STUDY.divergence_task(wildcards.name)].dataset)


def width_metrics(wildcards):
    return [
        run_file(run) for name in STUDY.width_comparisons for run in STUDY.comparisons[name].runs
    ]


def showcase_file(key):
    """A file of the run whose network sections 6 and 7 show on a dataset."""
    return lambda wildcards: run_file(STUDY.showcase_run(wildcards.dataset), key)


def all_metrics(wildcards):
    return [run_file(run) for run in STUDY.runnable_runs]


def all_timings(wildcards):
    """What every timing job of the study wrote: each runnable comparison's arms, timed together
    (every arm that trains is in one)."""
    return [comparison_timing_file(name) for name in STUDY.runnable_comparisons]

# Helpers of rules/analysis.smk: which comparisons can run here, and what each one's script needs.

from functools import cache

from convstudy import analysis as run_analysis
from convstudy import outline
from convstudy.settings import comparison_runs

ANALYSIS = config["analysis"]

# Sections 6 and 7 draw grey 28x28 images with ten classes.
SHOWCASE_DATASETS = ("mnist", "fashion_mnist")


def skipped_comparisons():
    """name -> the dataset it needs that this machine cannot get: left out, and the report says
    which, why, and how to enable them."""
    skipped = {}
    for name in config["comparisons"]:
        for run in comparison_runs(config, name):
            if not runnable(run):
                skipped[name] = TASKS[run.dataset].dataset
                break
    return skipped


@cache
def gpu_skipped_comparisons():
    """name -> why: the comparisons that need a GPU and are left out here (their datasets are
    available); the report says so, why, and what an epoch would take on the CPU."""
    skipped = skipped_comparisons()
    return {
        name: gpu_decision(name)[1]
        for name in config["comparisons"]
        if name not in skipped and not gpu_decision(name)[0]
    }


def gpu_skipped_arms(name):
    """The arms of a comparison left out for lack of a GPU that no other comparison runs: those
    whose CPU time per epoch the report estimates."""
    runs = [run for run in comparison_runs(config, name) if run in gpu_only_runs()]
    return sorted({run.arm for run in runs})


def runnable_comparisons():
    skipped = {**skipped_comparisons(), **gpu_skipped_comparisons()}
    return [name for name in config["comparisons"] if name not in skipped]


# The comparisons that declare where their two frameworks part ways (divergence:).
DIVERGENCE_COMPARISONS = [
    name for name, declared in config["comparisons"].items() if "divergence" in declared
]


def divergence_comparisons():
    """Those of them whose dataset this machine can get."""
    return [name for name in runnable_comparisons() if name in DIVERGENCE_COMPARISONS]


def divergence_dataset(wildcards):
    """The dataset a divergence diagnostic trains on: its comparison's."""
    dataset = run_settings.parse_arm(config["comparisons"][wildcards.name]["runs"][0], "")[0]
    return dataset_cache(TASKS[dataset].dataset)


def divergence_networks(wildcards):
    """Each network a divergence diagnostic traces: its variant, how the report names it, and
    the resolved settings of its run in each framework."""
    return [
        {
            "variant": variant,
            "label": run_settings.variant_label(config, variant),
            "settings": {framework: settings_of_run(run) for framework, run in runs.items()},
        }
        for variant, runs in run_settings.divergence_runs(config, wildcards.name).items()
    ]


def width_comparisons():
    return [
        name
        for name in runnable_comparisons()
        if run_analysis.comparison_kind(config["comparisons"][name]) == "width"
    ]


def comparison_params(name):
    """What a comparison's script and captions need: its declaration, with defaults filled, the
    report's name of each arm whose variant has a label, and each arm's seeds."""
    declared = config["comparisons"][name]
    arms = run_analysis.comparison_arms(declared)
    return {
        "name": name,
        **declared,
        "figure": run_analysis.comparison_kind(declared),
        "reference": run_settings.references(declared),
        "labels": {
            arm: run_settings.variant_label(config, run_settings.parse_arm(arm, name)[3])
            for arm in arms
        },
        "arm_seeds": {
            arm: run_settings.arm_seeds(config, declared, run_settings.parse_arm(arm, name)[1])
            for arm in arms
        },
    }


def comparison_metrics(wildcards):
    return [run_file(run) for run in comparison_runs(config, wildcards.name)]


def comparison_timing_file(name):
    """A comparison's arms, timed together in one job, in rounds (rule time_comparison)."""
    return expand(rules.time_comparison.output[0], name=name)[0]


def comparison_timings(wildcards):
    return [comparison_timing_file(wildcards.name)]


def runnable_comparison_tables(wildcards):
    """The table of every comparison that can run here (the summary table joins them)."""
    return expand(rules.comparison.output.table, name=runnable_comparisons())


def section_title(key):
    """A report section's title in this study's outline (its models' sections numbered in the
    order of models:): the report category of its files."""
    return outline.title(key, config["models"])


def comparison_section(wildcards):
    """The report category (section title) of a comparison's files."""
    return section_title(run_analysis.comparison_section(config["comparisons"][wildcards.name]))


def comparison_title(wildcards):
    return config["comparisons"][wildcards.name]["title"]


def width_section():
    """The section (key) of the width sweeps: that of the first one (with none, the first
    model's)."""
    widths = width_comparisons()
    if not widths:
        return models.section(next(iter(config["models"])))
    return run_analysis.comparison_section(config["comparisons"][widths[0]])


def showcase_run(dataset):
    model_framework, variant = ANALYSIS["showcase"].split("/")
    model, framework = model_framework.split("-")
    return run_settings.Run(dataset, model, framework, variant, config["scale"]["seeds"][0])


def showcase_available():
    return [d for d in SHOWCASE_DATASETS if dataset_status(d)[0]]


def architecture_settings():
    """name -> resolved settings of the arm that analysis.architectures names for it."""
    settings = {}
    for name, arm in ANALYSIS["architectures"].items():
        dataset, model, framework, variant = run_settings.parse_arm(
            arm, f"analysis.architectures.{name}"
        )
        run = run_settings.Run(dataset, model, framework, variant, config["scale"]["seeds"][0])
        settings[name] = settings_of_run(run)
    return settings


def build_conditions():
    """What the environment table states of the study's scale and threads (from config)."""
    runs = runnable_runs()
    return {
        "preset": config["preset"],
        "epochs": config["scale"]["epochs"],
        "train_limit": config["scale"]["train_limit"],
        "test_limit": config["scale"]["test_limit"],
        "seeds": {
            model: sorted({run.seed for run in runs if run.model == model})
            for model in sorted({run.model for run in runs})
        },
        "threads": config["threads"],
        "timing": config["timing"],
    }


def all_metrics(wildcards):
    return [run_file(run) for run in runnable_runs()]


def all_timings(wildcards):
    """What every timing job of the study wrote: each runnable comparison's arms, timed together
    (every arm that trains is in one)."""
    return [comparison_timing_file(name) for name in runnable_comparisons()]

# Config after its preset, and which parts of the study can run on this machine.

from functools import cache
from pathlib import Path

import yaml
from snakemake.common.configfile import load_configfile
from snakemake.exceptions import WorkflowError

from convstudy import analysis as run_analysis
from convstudy import models, outline
from convstudy import settings as run_settings
from convstudy.backends import installed_with_gpu_support
from convstudy.config import apply_preset, schema_problem, type_command_line_values
from convstudy.data import catalog, sources
from convstudy.data.cache import TASKS, cache_problem, damaged_cache
from convstudy.errors import UserError
from convstudy.settings import comparison_runs

# --- config: as given, checked, then the preset ------------------------------------------------

SCHEMA = Path(workflow.basedir) / "schemas" / "config.schema.yaml"


def stop_at_load(problem):
    """Stop the load with the problem alone: its message names the setting and what to do, and a
    traceback would only point into this workflow's code, which is not where the fix is."""
    logger.error(f"Config error: {problem}")
    raise SystemExit(1)


def checked(function, *args):
    """function(*args), stopping the load with the message of a UserError it raises."""
    try:
        return function(*args)
    except UserError as error:
        stop_at_load(error)


def check_schema():
    problem = schema_problem(config, yaml.safe_load(SCHEMA.read_text()))
    if problem:
        stop_at_load(f"{problem} (schema: schemas/config.schema.yaml)")
    validate(config, str(SCHEMA))  # Snakemake's own check also fills the schema's defaults


def config_defaults():
    """config.yaml as loaded on its own: what the user did not set with --configfile or --config
    (empty when the command line replaces it)."""
    if workflow.config_settings.replace_workflow_config or not Path(CONFIG_FILE).is_file():
        return {}
    return load_configfile(CONFIG_FILE)


type_command_line_values(config, workflow.config_settings.config)
check_schema()
# Values the user set on top of config.yaml win over the preset's; the log names any it kept out.
checked(apply_preset, config, config_defaults(), logger.warning)
check_schema()

RESULTS = Path("results")


def dataset_cache(dataset):
    return RESULTS / "datasets" / f"{dataset}.npz"


def _dataset_status(dataset):
    """(available, why): decided once, when the workflow loads, so no run fails hours in."""
    cached = dataset_cache(dataset)
    if cached.exists():
        problem = cache_problem(cached)
        if problem:
            # Said now, before any job runs; the jobs that read it stop with the same advice.
            logger.warning(str(damaged_cache(cached, problem)))
        return True, "already cached"
    info = catalog.dataset_info(dataset)
    reasons = []
    for source in config["datasets"][dataset]["sources"]:
        present, why = sources.probe(info, source)
        if present:
            return True, why
        reasons.append(f"{sources.describe(source)}: {why}")
    return False, "; ".join(reasons)


DATASET_STATUS = {name: _dataset_status(name) for name in catalog.DATASETS}

for _name, (_available, _why) in DATASET_STATUS.items():
    if not _available:
        logger.warning(
            f"{catalog.DATASETS[_name].title} is not available ({_why}); the parts of the "
            f"study that need it are skipped. To enable them, see datasets.{_name} in config.yaml."
        )


def available_datasets():
    return [dataset_cache(d) for d, (ok, _) in DATASET_STATUS.items() if ok]


# --- runs ------------------------------------------------------------------------------------

RUN = "{dataset}/{model}-{framework}/{variant}/seed{seed}"

# Resolving every declared run now makes a bad setting fail before any training starts.
DECLARED_RUNS = checked(run_settings.check_all, config)


def run_of(wildcards):
    return run_settings.Run(
        wildcards.dataset,
        wildcards.model,
        wildcards.framework,
        wildcards.variant,
        int(wildcards.seed),
    )


def settings_of_run(run):
    return DECLARED_RUNS.get(run) or run_settings.resolve(config, run)


def settings_of(wildcards):
    return settings_of_run(run_of(wildcards))


def runnable(run):
    """Whether the dataset a run needs can be had on this machine."""
    return DATASET_STATUS[TASKS[run.dataset].dataset][0]


def run_file(run, name):
    return RESULTS / "runs" / run.path / name


@cache
def _framework_gpu(framework):
    return installed_with_gpu_support(framework)


def gpu_request(wildcards):
    """1 where the run may use a GPU (device cuda/auto, and a framework build that can)."""
    return int(config["device"] != "cpu" and _framework_gpu(wildcards.framework))


# --- analysis (rules/analysis.smk) -----------------------------------------------------------

ANALYSIS = config["analysis"]
# Sections 6 and 7 draw grey 28x28 images with ten classes.
SHOWCASE_DATASETS = ("mnist", "fashion_mnist")


def _unavailable_dataset(runs):
    """The first dataset these runs need that this machine cannot get, or None."""
    return next((TASKS[run.dataset].dataset for run in runs if not runnable(run)), None)


# Comparisons whose runs need a dataset that is not available: left out, and the report says
# which, why, and how to enable them.
SKIPPED_COMPARISONS = {
    name: dataset
    for name in config["comparisons"]
    if (dataset := _unavailable_dataset(comparison_runs(config, name)))
}
RUNNABLE_COMPARISONS = [name for name in config["comparisons"] if name not in SKIPPED_COMPARISONS]
WIDTH_COMPARISONS = [
    name
    for name in RUNNABLE_COMPARISONS
    if run_analysis.comparison_kind(config["comparisons"][name]) == "width"
]
RUNNABLE_RUNS = [run for run in DECLARED_RUNS if runnable(run)]


def showcase_run(dataset):
    model_framework, variant = ANALYSIS["showcase"].split("/")
    model, framework = model_framework.split("-")
    return run_settings.Run(dataset, model, framework, variant, config["scale"]["seeds"][0])


SHOWCASE_AVAILABLE = [d for d in SHOWCASE_DATASETS if DATASET_STATUS[d][0]]


def comparison_metrics(wildcards):
    return [run_file(run, "metrics.json") for run in comparison_runs(config, wildcards.name)]


# --- timing alone (rules/timing.smk) ----------------------------------------------------------

TIMED_ARMS = sorted({run.arm for run in RUNNABLE_RUNS})


def timing_file(arm):
    return RESULTS / "timing" / f"{arm}.json"


def comparison_timings(wildcards):
    arms = run_analysis.comparison_arms(config["comparisons"][wildcards.name])
    return [timing_file(arm) for arm in arms]


def every_core(wildcards):
    """Every core this invocation was given (--cores), so that no other job runs beside a
    timing job. A cluster run without --cores gets one; its profile asks for a whole node."""
    try:
        return workflow.cores
    except WorkflowError:
        return 1


def comparison_params(name):
    """What a comparison's script and captions need: its declaration, with defaults filled and
    the report's name of each arm whose variant has a label."""
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


def comparison_section(wildcards):
    """The report category (section title) of a comparison's files."""
    return outline.title(run_analysis.comparison_section(config["comparisons"][wildcards.name]))


def comparison_title(wildcards):
    return config["comparisons"][wildcards.name]["title"]


def width_section():
    if not WIDTH_COMPARISONS:
        return "lenet"
    return run_analysis.comparison_section(config["comparisons"][WIDTH_COMPARISONS[0]])


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
    models = sorted({run.model for run in RUNNABLE_RUNS})
    return {
        "preset": config["preset"],
        "epochs": config["scale"]["epochs"],
        "train_limit": config["scale"]["train_limit"],
        "test_limit": config["scale"]["test_limit"],
        "seeds": {
            model: sorted({run.seed for run in RUNNABLE_RUNS if run.model == model})
            for model in models
        },
        "threads": config["threads"],
        "timing": config["timing"],
    }


# --- the report (rules/report.smk) -----------------------------------------------------------


def _caption(name):
    return str(Path(workflow.basedir) / "report" / f"{name}.rst")


def _item(path, caption=None, **context):
    """A file of the report, with its caption and the caption's template variables (the same
    wildcards and params that `snakemake --report` renders it with)."""
    return {"path": str(path), "caption": caption and _caption(caption), "context": context}


def report_plan():
    """Every file the report shows and every part it leaves out; see convstudy/report.py."""
    comparisons = []
    for name in RUNNABLE_COMPARISONS:
        params = {"comparison": comparison_params(name)}
        wildcards = {"name": name}
        comparisons.append(
            {
                "name": name,
                "title": config["comparisons"][name]["title"],
                "section": run_analysis.comparison_section(config["comparisons"][name]),
                "kind": params["comparison"]["figure"],
                "expected_faster": params["comparison"].get("expected_faster"),
                "table": _item(
                    f"results/tables/comparisons/{name}.csv",
                    "comparison_table",
                    wildcards=wildcards,
                    params=params,
                ),
                "figure": _item(
                    f"results/figures/comparisons/{name}.png",
                    "comparison_figure",
                    wildcards=wildcards,
                    params=params,
                ),
            }
        )
    showcase = {
        dataset: {
            "dataset": dataset,
            "title": catalog.DATASETS[dataset].title,
            "run": showcase_run(dataset).path,
            "wildcards": {"dataset": dataset},
            "params": {"run": showcase_run(dataset).path},
        }
        for dataset in SHOWCASE_AVAILABLE
    }
    return {
        "preset": config["preset"],
        "scale": config["scale"],
        "default_epochs": config["train"]["epochs"],
        "generated_by": "the rule report of this Snakemake workflow",
        # Only the reason of an unavailable dataset: an available one's source message changes
        # once it is cached, and would make the report rerun for nothing.
        "datasets": {
            name: {
                "title": info.title,
                "available": DATASET_STATUS[name][0],
                "why": "" if DATASET_STATUS[name][0] else DATASET_STATUS[name][1],
            }
            for name, info in catalog.DATASETS.items()
        },
        "edges": {
            "images": [
                _item(
                    f"results/figures/edges/{image}.png",
                    "edges_image",
                    wildcards={"image": image},
                )
                for image in EDGE_IMAGES.images
            ],
            "kernels_figure": _item("results/figures/edge_kernels.png", "edge_kernels"),
            "energy_figure": _item("results/figures/edge_energy.png", "edge_energy_figure"),
            "energy_table": _item("results/tables/edge_energy.csv", "edge_energy_table"),
        },
        "conv_shapes": {
            "table": _item("results/tables/conv_shapes.csv", "conv_shapes_table"),
            "figure": _item("results/figures/conv_shapes_agreement.png", "conv_shapes_agreement"),
        },
        "conv1x1": {
            "table": _item("results/tables/conv1x1_timing.csv", "conv1x1_table"),
            "figure": _item("results/figures/conv1x1_timing.png", "conv1x1_figure"),
            "im2col_table": _item("results/tables/im2col.csv", "im2col_table"),
            "im2col_figure": _item("results/figures/im2col_timing.png", "im2col_figure"),
        },
        "comparisons": comparisons,
        "skipped": [
            {
                "name": name,
                "title": config["comparisons"][name]["title"],
                "section": run_analysis.comparison_section(config["comparisons"][name]),
                "dataset": dataset,
            }
            for name, dataset in SKIPPED_COMPARISONS.items()
        ],
        "width": (
            {
                "section": width_section(),
                "table": _item("results/tables/width.csv", "width_table"),
                "figure": _item("results/figures/width.png", "width_figure"),
                "tolerance": ANALYSIS["adaptive_tolerance"],
            }
            if WIDTH_COMPARISONS
            else None
        ),
        "time": {
            "table": _item("results/tables/time_breakdown.csv", "time_breakdown_table"),
            "figure": _item("results/figures/time_breakdown.png", "time_breakdown_figure"),
        },
        "runs_table": _item("results/tables/runs.csv", "runs_table"),
        "environment": _item("results/tables/environment.csv", "environment_table"),
        "architectures": _item("results/tables/architectures.csv", "architectures_table"),
        "activations": [
            {
                **entry,
                "table": _item(
                    f"results/tables/activations/{dataset}.csv",
                    "activations_table",
                    wildcards=entry["wildcards"],
                    params=entry["params"],
                ),
                "channels": f"results/tables/activations/{dataset}_channels.csv",
                "figure": _item(
                    f"results/figures/activations/{dataset}.png",
                    "activations_figure",
                    wildcards=entry["wildcards"],
                    params=entry["params"],
                ),
            }
            for dataset, entry in showcase.items()
        ],
        "confusion": [
            {
                **entry,
                "table": _item(
                    f"results/tables/confusion/{dataset}.csv",
                    "confusion_table",
                    wildcards=entry["wildcards"],
                    params=entry["params"],
                ),
                "errors": f"results/tables/confusion/{dataset}_classes.csv",
                "figure": _item(
                    f"results/figures/confusion/{dataset}.png",
                    "confusion_figure",
                    wildcards=entry["wildcards"],
                    params=entry["params"],
                ),
            }
            for dataset, entry in showcase.items()
        ],
        "showcase_skipped": [
            {"dataset": dataset, "title": catalog.DATASETS[dataset].title}
            for dataset in SHOWCASE_DATASETS
            if dataset not in SHOWCASE_AVAILABLE
        ],
    }


# Keys of a plan entry that name a file the report reads.
FILE_KEYS = ("path", "caption", "errors", "channels")


def _plan_files(value):
    """Every file a plan names (its paths and captions): the report's inputs."""
    if isinstance(value, dict):
        files = [value[key] for key in FILE_KEYS if value.get(key)]
        for key, inner in value.items():
            if key not in (*FILE_KEYS, "context"):
                files += _plan_files(inner)
        return files
    if isinstance(value, list):
        return [f for inner in value for f in _plan_files(inner)]
    return []

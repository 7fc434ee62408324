# Helpers of rules/cost.smk: every job of the default target, as the estimate of its cost reads it.

import json
from functools import cache
from pathlib import Path

from convstudy import cost

# Jobs that measure time: each reserves every core Snakemake is given, so nothing runs beside it.
MEASURING_RULES = ("time_comparison", "estimate_cpu_epoch", "conv1x1_timing", "im2col_timing")
# The output that says a job is done, by rule (else its first).
DONE_OUTPUT = {
    "train": "metrics",
    "framework_divergence": "result",
    "edges_image": "figure",
    "comparison": "table",
    "width": "table",
    "activation_maps": "figure",
    "confusion_matrix": "figure",
}
ESTIMATE = "results/estimate.json"


@cache
def planned_jobs():
    """Every job of the default target but the estimate itself (the study's jobs): with its
    work, the output that says it is done and its benchmark file (an earlier build's cost)."""
    planned = []
    for job in STUDY.jobs():
        declared = getattr(rules, job["rule"])
        key = DONE_OUTPUT.get(job["rule"], 0)
        output = declared.output[key] if isinstance(key, int) else getattr(declared.output, key)
        wildcards = job.pop("wildcards")
        planned.append(
            {
                **job,
                "output": expand(str(output), **wildcards)[0],
                "benchmark": expand(str(declared.benchmark), **wildcards)[0],
                "exclusive": job["rule"] in MEASURING_RULES,
            }
        )
    return planned


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

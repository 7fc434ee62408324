"""What the report opens with: what the numbers are, what was left out, and the findings across
the whole report."""

import time

import pandas as pd

from convstudy.report.arms import enable_text
from convstudy.report.wording import plain_name


def seeds_run(runs: pd.DataFrame, order=()) -> str:
    """The seeds each model actually ran, from its runs: '<model> 0-4; <other model> 0-2' (a
    comparison may run fewer than scale.seeds, and a model at most scale.max_seeds), the models
    in `order` (models: in config.yaml) first."""
    parts = []
    models = [*(m for m in order if m in set(runs["model"])), *runs["model"]]
    for model in dict.fromkeys(models):
        rows = runs[runs["model"] == model]
        seeds = sorted(int(s) for s in rows["seed"].unique())
        contiguous = seeds == list(range(seeds[0], seeds[-1] + 1))
        shown = (
            f"{seeds[0]}-{seeds[-1]}"
            if contiguous and len(seeds) > 2
            else ", ".join(str(s) for s in seeds)
        )
        parts.append(f"{plain_name(model)} {shown}")
    return "; ".join(parts)


def header(plan) -> tuple[str, list[str]]:
    """The line under the title (what the numbers are) and the notices of what was left out."""
    scale = plan["scale"]
    epochs = (
        scale["epochs"]
        or f"{plan['default_epochs']} (train.epochs; a model or variant may set its own)"
    )
    limits = ", ".join(
        f"{name} {scale[key]:,}" if scale[key] is not None else f"{name} all"
        for key, name in (("train_limit", "training images"), ("test_limit", "test images"))
    )
    try:
        seeds = seeds_run(pd.read_csv(plan["runs_table"]["path"]), plan["models"])
    except (pd.errors.EmptyDataError, FileNotFoundError):  # no run could be trained here
        seeds = "none"
    meta = (
        f"Preset {plan['preset']}; seeds run: {seeds}; epochs {epochs}; {limits}. Generated "
        f"{time.strftime('%Y-%m-%d %H:%M')} by {plan['generated_by']}."
    )
    notices = []
    if plan["preset"] != "full":
        notices.append(
            f"These numbers come from the {plan['preset']} preset (small subsets, few epochs): "
            "they show that every part of the study runs, not its findings. Run snakemake "
            "--cores 4 (the full preset) for those."
        )
    for name, info in plan["datasets"].items():
        if not info["available"]:
            skipped = [e["title"] for e in plan["skipped"] if e["dataset"] == name]
            notices.append(
                f"Left out for lack of {info['title']}: "
                + ("; ".join(skipped) or "nothing declared needs it")
                + ". "
                + enable_text(name, info["title"], info["why"])
            )
    return meta, notices

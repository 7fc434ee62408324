"""What every comparison shares, whatever its section: how an arm's difference from the baseline
and its speed are worded, the table a reader sees, the blocks of one comparison, and the notices
for comparisons left out (a dataset not available, no GPU)."""

import json
import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd

import convstudy.report.divergence as divergence
from convstudy import analysis, stats
from convstudy.cost import duration
from convstudy.report.page import Page, findings_block, heading, notice
from convstudy.report.wording import (
    arm_name,
    count,
    finite,
    plus_minus,
    signed,
)

ACCURACY_WORDS = {stats.HIGHER: "higher", stats.LOWER: "lower"}
INTERVAL_NAMES = {stats.PAIRED: "paired 95% CI", stats.WELCH: "Welch 95% CI"}
# What each kind of interval says when it gives no bounds.
NO_BOUNDS = {
    stats.TOO_FEW_SEEDS: "too few seeds for an interval",
    stats.NOT_ESTIMABLE: "the same on every seed: no spread to estimate an interval from",
}


def difference_text(row, digits: int = 3) -> str:
    """An arm's difference in test accuracy from the baseline: identical, or with its interval
    and what it means; where the interval includes zero, what the seeds could have seen; where
    there are too few seeds or no spread, no interval and no verdict."""
    difference, verdict, interval = row["difference"], row["verdict"], row["interval"]
    amount = signed(difference, digits)
    if interval == stats.IDENTICAL:
        return (
            f"identical on every seed (largest difference in any epoch: training loss "
            f"{row['largest_loss_difference']:.1e}, test accuracy "
            f"{row['largest_accuracy_difference']:.4f})"
        )
    if interval == stats.TOO_FEW_SEEDS:
        return f"{amount} over {seeds_text(row)}: too few seeds for an interval, so no verdict"
    if interval == stats.NOT_ESTIMABLE:
        return f"{amount} on each of the {seeds_text(row)}: no spread, so no interval"
    name = INTERVAL_NAMES[interval]
    text = f"{amount} ({name} {signed(row['ci_low'], digits)} to {signed(row['ci_high'], digits)}"
    if verdict == stats.NO_CLEAR_DIFFERENCE:
        text += ", which includes zero): no clear difference"
        if finite(row["detectable"]):
            text += (
                f"; these seeds would have detected a difference of {row['detectable']:.{digits}f}"
                " or more"
            )
        else:
            text += "; these seeds could not have detected any difference accuracy can show"
        return text
    return text + f"): {ACCURACY_WORDS[verdict]}"


def describe(row) -> str:
    return arm_name(row)


def seeds_text(row) -> str:
    return count(int(row["seeds"]), "seed")


def pairing(row, baseline) -> str:
    if row["interval"] in (stats.PAIRED, stats.IDENTICAL, stats.NOT_ESTIMABLE):
        return f"the same {seeds_text(row)}"
    if int(row["seeds"]) == int(baseline["seeds"]):
        return f"{seeds_text(row)} each"
    return f"{seeds_text(row)} and {seeds_text(baseline)}"


def controlled_speed_verdict(row) -> str:
    """faster/slower only where the speed ratio's interval excludes 1 and the verdict survives
    the control of false discoveries across the report's speed tests."""
    verdict = row.get("speed_verdict_controlled", "")
    return verdict if verdict in (analysis.FASTER, analysis.SLOWER) else ""


def ratio_text(row) -> str:
    """'0.55 (95% interval 0.50 to 0.61 over 7 rounds)', or what stands for it."""
    if not finite(row.get("speed_ratio", math.nan)):
        return "not timed in rounds with the baseline"
    rounds = count(int(row["passes"]), "round")
    if not finite(row.get("speed_ratio_low", math.nan)):
        return f"{row['speed_ratio']:.2f} over {rounds}: too few rounds for an interval"
    return (
        f"{row['speed_ratio']:.2f} (95% interval {row['speed_ratio_low']:.2f} to "
        f"{row['speed_ratio_high']:.2f} over {rounds})"
    )


def speed_text(row, baseline) -> str:
    """An arm's speed against its baseline's, timed together in rounds: the ratio, and a verdict
    word only where it stays clear across the report's speed tests."""
    verdict = controlled_speed_verdict(row)
    meaning = (
        f"it trains {verdict}"
        if verdict
        else (
            "no clear difference once the report's speed tests are accounted for"
            if row.get("speed_verdict") in (analysis.FASTER, analysis.SLOWER)
            else "no clear difference"
        )
    )
    return f"speed ratio to {arm_name(baseline)} {ratio_text(row)}: {meaning}"


def difference_cell(row) -> str:
    if row["role"] == "baseline":
        return "baseline"
    if row["interval"] == stats.IDENTICAL:
        return "identical on every seed"
    text = signed(row["difference"], 3)
    if row["interval"] in NO_BOUNDS:
        return f"{text}: {row['interval']}"
    text += f" [{signed(row['ci_low'], 3)}, {signed(row['ci_high'], 3)}] {row['interval']}"
    return f"{text}: {row['verdict']}"


def detectable_cell(row) -> str:
    if row["role"] == "baseline" or row["interval"] not in INTERVAL_NAMES:
        return ""
    return f"{row['detectable']:.3f}" if finite(row["detectable"]) else "more than 1"


def speed_cell(row) -> str:
    return (
        f"{row['images_per_second']:,.0f} ({row['images_per_second_low']:,.0f} to "
        f"{row['images_per_second_high']:,.0f})"
    )


def ratio_cell(row) -> str:
    if row["role"] == "baseline":
        return "1"
    if not finite(row.get("speed_ratio", math.nan)):
        return ""
    if not finite(row.get("speed_ratio_low", math.nan)):
        return f"{row['speed_ratio']:.2f}"
    verdict = controlled_speed_verdict(row) or "no clear difference"
    return (
        f"{row['speed_ratio']:.2f} [{row['speed_ratio_low']:.2f}, "
        f"{row['speed_ratio_high']:.2f}]: {verdict}"
    )


def comparison_display(table: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The columns a reader needs, numbers formatted, intervals spelled out. Speed is the ratio
    to the baseline from the rounds the arms were timed in together: each arm's own speed is
    given once, in the section where the time goes."""
    table = table[table["role"] != "reference"]
    display = pd.DataFrame(
        {
            "Arm": [arm_name(r) for _, r in table.iterrows()],
            "Seeds": table["seeds"],
            "Test accuracy (mean ± sd)": [
                plus_minus(m, s, 3)
                for m, s in zip(
                    table["test_accuracy_mean"], table["test_accuracy_std"], strict=True
                )
            ],
            "Difference [95% CI]: verdict": [difference_cell(r) for _, r in table.iterrows()],
            "Detectable difference": [detectable_cell(r) for _, r in table.iterrows()],
            "Per-seed differences": table["seed_differences"].fillna(""),
        }
    )
    if "speed_ratio" in table:
        display["Speed ratio to the baseline [95% CI]"] = [
            ratio_cell(r) for _, r in table.iterrows()
        ]
    if kind == "width":
        display["Parameters"] = table["parameters"].map("{:,}".format)
    return display


# Columns only the joined table has: each difference weighed against every test of the report.
REPORT_WIDE_COLUMNS = ("q_value", "speed_q_value", "speed_verdict_controlled")


def joined_table(plan: dict) -> pd.DataFrame:
    """Every comparison's table joined, with the report-wide q values and controlled verdicts
    (results/tables/comparisons.csv); empty where no comparison could run."""
    try:
        return pd.read_csv(plan["comparisons_table"]["path"])
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def read_comparison(entry: dict, joined: pd.DataFrame) -> pd.DataFrame:
    """One comparison's table as its rule wrote it (convstudy.analysis.comparison_table), with
    the report-wide columns of its rows from the joined table."""
    table = pd.read_csv(entry["table"]["path"], keep_default_na=True)
    if len(joined):
        own = joined[joined["comparison"] == entry["name"]].set_index("arm")
        for column in REPORT_WIDE_COLUMNS:
            if column in own:
                table[column] = table["arm"].map(own[column])
    text_columns = ["role", "interval", "verdict", "speed_verdict", "seed_differences"]
    text_columns += [c for c in ("speed_verdict_controlled",) if c in table]
    table[text_columns] = table[text_columns].fillna("")
    return table


def comparison_blocks(
    entry: dict,
    page: Page,
    sentences: Callable[[pd.DataFrame, dict], list[str]],
    joined: pd.DataFrame,
) -> list[dict]:
    """One comparison: its heading, its findings (written by its section's `sentences`), its
    figure and its table."""
    table = read_comparison(entry, joined)
    written = sentences(table, entry)
    figure = page.figure(entry["figure"], entry["title"], kind=entry["kind"])
    shown = page.table(comparison_display(table, entry["kind"]), entry["table"], entry["title"])
    extra = []
    if entry.get("divergence"):
        # Where its two frameworks part ways, and why (a comparison of one arm in each).
        result = json.loads(Path(entry["divergence"]["result"]["path"]).read_text())
        compared = str(table["arm"].iloc[0]).rsplit("/", 1)[-1]
        written += divergence.findings(result, compared)
        names = " and ".join(divergence.framework_names(result))
        extra.append(
            page.table(
                divergence.display(result),
                entry["divergence"]["table"],
                f"Where {names} part ways, step by step from the same start",
            )
        )
    return [
        heading(entry["name"], entry["title"]),
        findings_block(written, figure, shown, *extra),
        figure,
        shown,
        *extra,
    ]


def enable_text(dataset: str, title: str, why: str) -> str:
    return (
        f"{title} is not available on this machine ({why}). To enable it, list a source that "
        f"has it under datasets.{dataset}.sources in config.yaml (a local copy first, e.g. "
        "- path: /where/it/is) and run snakemake --cores 4 again."
    )


def estimate_text(estimate: dict, label: str) -> str:
    """An arm's estimated CPU time per epoch, saying what it was measured on."""
    threads = estimate["threads"]
    return (
        f"On this machine's CPU an epoch of {estimate['arm']} ({label}: "
        f"{estimate['train_images']:,} training and {estimate['test_images']:,} test images) "
        f"would take about {duration(estimate['epoch_seconds'])}: an estimate from one pass "
        f"over {estimate['images_measured']:,} training images (batch {estimate['batch_size']}, "
        f"{threads} thread{'s' if threads != 1 else ''}, timed alone) at "
        f"{estimate['seconds_per_image']:.3f} s per image, scaled to the epoch."
    )


def gpu_left_out_notices(plan, section: str) -> list[dict]:
    """One notice per comparison left out for lack of a GPU: which, why, what an epoch would
    take on the CPU, and how to run it anyway."""
    blocks = []
    for entry in plan.get("gpu_skipped", []):
        if entry["section"] != section:
            continue
        estimates = [
            estimate_text(json.loads(Path(item["path"]).read_text()), item["label"])
            for item in entry["estimates"]
        ]
        blocks.append(
            notice(
                f"Not run for lack of a GPU: {entry['title']} ({entry['why']}). "
                + " ".join(estimates)
                + " To run it anyway: snakemake --cores 4 --config gpu_comparisons=true."
            )
        )
    return blocks


def left_out_notices(plan, section: str) -> list[dict]:
    """One line naming what this section left out; the overview says why, once per dataset."""
    left_out = [entry for entry in plan["skipped"] if entry["section"] == section]
    if not left_out:
        return gpu_left_out_notices(plan, section)
    by_dataset: dict[str, list[str]] = {}
    for entry in left_out:
        by_dataset.setdefault(entry["dataset"], []).append(entry["title"])
    return [
        notice(
            f"Not run for lack of {plan['datasets'][dataset]['title']} (see the notice at the "
            f"top): {'; '.join(titles)}."
        )
        for dataset, titles in by_dataset.items()
    ] + gpu_left_out_notices(plan, section)

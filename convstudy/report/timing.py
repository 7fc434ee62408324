"""Where the time goes: every arm timed alone, and the timing comparisons (data path,
loader workers, hybridization, frameworks) with what the textbook expects."""

import math

import pandas as pd

import convstudy.report.arms as arms
from convstudy import analysis, stats
from convstudy.report.arms import describe, difference_text, speed_cell, speed_text
from convstudy.report.page import Page, findings_block, heading
from convstudy.report.wording import count, plain_name
from convstudy.settings import arm_settings, parse_arm
from convstudy.timing import TRAIN_PHASES


def introduction(plan) -> str:
    """What the section times, from the timing comparisons of this build's config: the data
    paths and loader workers, the MXNet modes and the frameworks their arms compare."""
    config = plan["config"]
    arms_compared = [
        parse_arm(arm, name)
        for name, comparison in config["comparisons"].items()
        if analysis.comparison_kind(comparison) == "timing"
        for arm in comparison["runs"]
    ]
    settings = [
        {**arm_settings(config, model, variant), "framework": framework}
        for _, model, framework, variant in arms_compared
    ]
    workers = sorted({s["workers"] for s in settings if s["data_path"] == "loader"})
    compared = []
    if workers:
        listed = ", ".join(map(str, workers[:-1])) + (" or " if len(workers) > 1 else "")
        compared.append(
            "the textbook data path (DataLoader with per-image transforms, "
            f"{listed}{workers[-1]} worker processes)"
            + (
                " against the in-memory path"
                if any(s["data_path"] == "memory" for s in settings)
                else ""
            )
        )
    if len({s["hybridize"] for s in settings if s["framework"] == "mxnet"}) > 1:
        compared.append("MXNet imperative against hybridized")
    frameworks = list(dict.fromkeys(s["framework"] for s in settings))
    if len(frameworks) > 1:
        compared.append(" against ".join(map(plain_name, frameworks)))
    return (
        "Where training time goes on the CPU: waiting for data, forward and backward passes, "
        "the optimizer step and other Python work"
        + (f"; {', '.join(compared)}" if compared else "")
        + ". Every time here is measured alone, by a timing job that reserves every core "
        "Snakemake was given: several passes over the same images, their median and range. The "
        "arms of each comparison below are timed in one job, in rounds of a pass each, so that "
        "a drift in the machine's speed falls on all alike."
    )


def _phases(row) -> dict[str, float]:
    return {phase: row[f"seconds_{phase}"] for phase in TRAIN_PHASES}


def _threads(table: pd.DataFrame) -> str:
    counts = sorted({int(t) for t in table["threads"]})
    text = " or ".join(str(c) for c in counts)
    return f"{text} framework thread{'' if counts == [1] else 's'}"


def timing_findings(table: pd.DataFrame) -> list[str]:
    """A timing comparison: each arm's speed ratio to the baseline from the rounds, and whether
    the arms train identically. Each arm's own speed is given once, in the section's table of
    every arm."""
    rows = [row for _, row in table.iterrows()]
    baseline = rows[0]
    together = all(int(row.get("timed_with", 0)) == len(rows) - 1 for row in rows)
    passes, images = int(baseline["passes"]), int(baseline["images_per_pass"])
    what = f"{images:,} training images after a warm-up, with {_threads(table)}"
    sentences = [
        (
            f"The arms were timed together in one job with no other job running, in {passes} "
            f"rounds of one pass each over {what}."
            if together
            else f"Each arm was timed alone ({passes} passes of {what})."
        )
    ]
    for row in rows[1:]:
        sentences.append(f"{describe(row)}: " + speed_text(row, baseline) + ".")
    others = rows[1:]
    if all(row["interval"] == stats.IDENTICAL for row in others):
        loss = max(row["largest_loss_difference"] for row in others)
        accuracy = max(row["largest_accuracy_difference"] for row in others)
        largest = (
            "the same losses and accuracies in every epoch"
            if loss == 0 and accuracy == 0
            else f"largest difference in any epoch: training loss {loss:.1e}, test accuracy "
            f"{accuracy:.4f}"
        )
        sentences.append(
            f"Every arm trains identically to {describe(baseline)} on every seed ({largest}): "
            "the same computation, scheduled or fed differently, so this comparison is about "
            "time only."
        )
    else:
        for row in others:
            sentences.append(
                f"Accuracy of {describe(row)} against {describe(baseline)}: "
                + difference_text(row)
                + "."
            )
    return sentences


def expectation_finding(table: pd.DataFrame, faster: str, slower: str, claim: str) -> str | None:
    """Where the textbook expects `faster` to beat `slower` and the rounds do not show it, the
    phases that explain it; None where they do. Judged as the table's speed verdicts are: the
    ratio over the rounds, and where `slower` is the baseline, the verdict that stays clear
    across the report's speed tests."""
    rows = table.set_index("arm", drop=False)
    first, second = rows.loc[faster], rows.loc[slower]
    if slower == table["arm"].iloc[0] and "speed_verdict_controlled" in rows:
        verdict = arms.controlled_speed_verdict(first) or analysis.WITHIN_SPREAD
    else:
        verdict = analysis.speed_verdict(second, first)
    if verdict == analysis.FASTER:
        return None
    measured = ""
    if analysis.timed_in_rounds(second, first):
        ratio = analysis.round_ratio(second, first)
        measured = f" (speed ratio {math.exp(ratio.difference):.2f}"
        if ratio.has_interval:
            measured += f", 95% interval {math.exp(ratio.low):.2f} to {math.exp(ratio.high):.2f}"
        measured += f" over {int(first['passes'])} rounds)"
    differences = {
        phase: first[f"seconds_{phase}"] - second[f"seconds_{phase}"] for phase in TRAIN_PHASES
    }
    parts = ", ".join(
        f"{phase} {first[f'seconds_{phase}']:.2f} s against {second[f'seconds_{phase}']:.2f} s"
        for phase in TRAIN_PHASES
    )
    cause = max(differences, key=differences.get)
    # Rounded to what the sentence shows: a phase 0.00 s slower explains nothing.
    if round(differences[cause], 2) > 0:
        explanation = f"The difference is mostly {cause} ({differences[cause]:+.2f} s)."
    else:
        explanation = (
            f"{describe(first)} is no slower in any phase: its lead is within what these passes "
            "can separate on this machine."
        )
    outcome = "is slower" if verdict == analysis.SLOWER else "is not clearly faster"
    return (
        f"Against the textbook ({claim}): timed in rounds, {describe(first)} {outcome} than "
        f"{describe(second)}{measured}. Per {analysis.PER_IMAGES:,} training images, medians "
        f"over the rounds: {parts}. " + explanation
    )


def time_findings(table: pd.DataFrame, cpus: str | None = None) -> list[str]:
    """Across every arm timed alone (convstudy.analysis.time_breakdown_table)."""
    cores = " or ".join(sorted({str(int(c)) for c in table["cores_reserved"]}))
    machine = f"; this machine has {cpus} CPUs" if cpus else ""
    sentences = [
        f"Every time here was measured alone: each timing job reserved all {cores} cores given "
        f"to Snakemake (--cores {cores}{machine}), so no other job ran beside it, and trained "
        f"with {_threads(table)}, as the training runs do. A comparison's speed ratio comes "
        "from its arms' passes in the same rounds; the speeds in the table of every arm come "
        "from each arm's own job, so their ratios can differ by the machine's drift between "
        "jobs. Epoch times that the training runs recorded themselves (results/tables/runs.csv) "
        "were measured alongside other jobs and are not compared."
    ]
    for model, rows in table.groupby("model", sort=False):
        least = rows.loc[rows["data_share"].idxmin()]
        most = rows.loc[rows["data_share"].idxmax()]
        compute = rows[["seconds_forward", "seconds_backward"]].sum(axis=1)
        share = compute / rows["seconds_total"]
        sentences.append(
            f"{plain_name(model)}, {count(len(rows), 'setting')}: waiting for data takes from "
            f"{least['data_share']:.0%} ({plain_name(least['arm'])}) to "
            f"{most['data_share']:.0%} ({plain_name(most['arm'])}) of training time; forward "
            f"and backward passes {share.min():.0%} to {share.max():.0%}."
        )
    return sentences


def blocks(plan, page: Page) -> list[dict]:
    time_item = plan["time"]
    table = pd.read_csv(time_item["table"]["path"])
    shown = pd.DataFrame(
        {
            "Arm": table["arm"].map(plain_name),
            "Training images/s (range)": [speed_cell(r) for _, r in table.iterrows()],
            **{
                f"{phase.capitalize()} (s)": table[f"seconds_{phase}"].map("{:.2f}".format)
                for phase in TRAIN_PHASES
            },
            "Waiting for data": table["data_share"].map("{:.0%}".format),
        }
    )
    # Created in the order they appear, so that they are numbered in that order.
    figure = page.figure(time_item["figure"], "Where the time goes, every arm")
    comparisons = arms.left_out_notices(plan, "time")
    joined = arms.joined_table(plan)
    for entry in plan["comparisons"]:
        if entry["section"] == "time":
            comparisons += arms.comparison_blocks(entry, page, timing_comparison_findings, joined)
    every_arm = page.table(
        shown,
        time_item["table"],
        f"Every arm timed alone: seconds per {analysis.PER_IMAGES:,} training images by phase",
    )
    return [
        findings_block(time_findings(table, _cpus(plan)), figure, every_arm),
        figure,
        *comparisons,
        heading("time-every-arm", "Every arm"),
        every_arm,
    ]


def timing_comparison_findings(table: pd.DataFrame, entry: dict) -> list[str]:
    """A timing comparison's sentences, and where the textbook expects one arm to train faster,
    whether it does (and if not, why, from the phases)."""
    sentences = timing_findings(table)
    expected = entry.get("expected_faster")
    if expected:
        names = {row["arm"]: describe(row) for _, row in table.iterrows()}
        claim = f"it expects {names[expected[0]]} to train faster than {names[expected[1]]}"
        explanation = expectation_finding(table, *expected, claim)
        sentences.append(
            explanation
            or f"As the textbook expects, {names[expected[0]]} trains faster than "
            f"{names[expected[1]]}."
        )
    return sentences


def _cpus(plan) -> str | None:
    """The logical CPUs of the machine, from the Environment table."""
    try:
        table = pd.read_csv(plan["environment"]["path"], dtype=str, keep_default_na=False)
    except FileNotFoundError:
        return None
    value = dict(zip(table["item"], table["value"], strict=True))
    return value.get("CPUs of this machine (logical cores)")

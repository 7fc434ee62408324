"""Key findings: what this build found, first, each in one line with its size, interval and
seeds, written from the joined comparison table (results/tables/comparisons.csv). A difference
is stated as a finding only where its interval excludes zero and it survives the control of false
discoveries across the report; everything else is said to be unclear, with what the seeds could
have seen. A build whose seeds cannot support any interval says so and states no finding."""

import pandas as pd

import convstudy.report.arms as arms
from convstudy import analysis, stats
from convstudy.report.page import Page, findings_block
from convstudy.report.wording import arm_name, count, plain_name

INTRODUCTION = ""

# The interval names that make a tested difference (anything else is not estimable here).
ESTIMATED = (stats.PAIRED, stats.WELCH)
CLEAR = (stats.HIGHER, stats.LOWER)
# Past this many arms that did not train, the key findings give their number, not their names.
MAX_LISTED = 5


def points(value: float) -> str:
    """An accuracy difference in percentage points: '+1.4 points'."""
    return f"{value * 100:+.1f} points"


def q_text(q: float) -> str:
    return "q < 0.001" if q < 0.001 else f"q {q:.3f}"


def _interval(row) -> str:
    name = "paired 95% CI" if row["interval"] == stats.PAIRED else "Welch 95% CI"
    return f"{name} {row['ci_low'] * 100:+.1f} to {row['ci_high'] * 100:+.1f}"


def _pair(row, names: dict[tuple[str, str], str]) -> str:
    baseline = names.get((row["comparison"], row["baseline_arm"]), row["baseline_arm"])
    return f"{arm_name(row)} against {baseline}"


def _baseline_names(summary: pd.DataFrame) -> dict[tuple[str, str], str]:
    """Each comparison's baseline, named as in that comparison ('base (max pooling)' where
    pooling is what varies, '<model>, MXNet' where the framework is)."""
    baselines = summary[summary["role"] == "baseline"]
    return {(row["comparison"], row["arm"]): arm_name(row) for _, row in baselines.iterrows()}


def _titles(summary: pd.DataFrame, titles: dict[str, str], comparisons) -> str:
    return "; ".join(dict.fromkeys(titles.get(c, c) for c in comparisons))


def accuracy_findings(summary: pd.DataFrame, titles: dict[str, str]) -> list[str]:
    """The clear differences in test accuracy (interval excludes zero, q within the false
    discovery rate), those that could be chance, and the ones the seeds could not settle."""
    names = _baseline_names(summary)
    tested = summary[
        (summary["role"] != "baseline") & summary["interval"].isin(ESTIMATED)
    ].drop_duplicates(["baseline_arm", "arm"])
    rate = stats.FALSE_DISCOVERY_RATE
    clear = tested[tested["verdict"].isin(CLEAR) & (tested["q_value"] <= rate)]
    chance = tested[tested["verdict"].isin(CLEAR) & (tested["q_value"] > rate)]
    unclear = tested[~tested["verdict"].isin(CLEAR)]
    sentences = []
    for _, row in clear.iterrows():
        where = (
            "the textbook's settings"
            if row["role"] == "reference"
            else titles.get(row["comparison"], "")
        )
        sentences.append(
            f"{_pair(row, names)}: test accuracy {points(row['difference'])} "
            f"({_interval(row)}; {count(int(row['seeds']), 'seed')}; {q_text(row['q_value'])})"
            + (f", {where}." if where else ".")
        )
    if not chance.empty:
        sentences.append(
            "Could be chance (the interval excludes zero, but not once the "
            f"{count(len(tested), 'difference')} tested are accounted for): "
            + "; ".join(
                f"{_pair(row, names)} {points(row['difference'])} (q {row['q_value']:.2f})"
                for _, row in chance.iterrows()
            )
            + "."
        )
    if not unclear.empty:
        detectable = unclear["detectable"].dropna() * 100
        seen = (
            f"; these seeds would have detected differences of {detectable.min():.1f} to "
            f"{detectable.max():.1f} points"
            if len(detectable) > 1
            else (
                f"; these seeds would have detected {detectable.iloc[0]:.1f} points"
                if len(detectable)
                else ""
            )
        )
        sentences.append(
            f"No clear difference in test accuracy ({count(len(unclear), 'pair')}{seen}): "
            + "; ".join(_pair(row, names) for _, row in unclear.iterrows())
            + "."
        )
    return sentences


def speed_findings(summary: pd.DataFrame) -> list[str]:
    """The speed ratios that stay clear under the same control (timing comparisons first)."""
    if "speed_ratio" not in summary or summary["speed_ratio"].isna().all():
        return []
    names = _baseline_names(summary)
    timed = summary[(summary["role"] != "baseline") & summary["speed_ratio"].notna()]
    verdicts = timed.get("speed_verdict_controlled", timed["speed_verdict"])
    clear = timed[verdicts.isin([analysis.FASTER, analysis.SLOWER])]
    # A pair timed in several comparisons' jobs is stated once, from the first.
    clear = clear.drop_duplicates(["baseline_arm", "arm"])
    sentences = [
        f"{_pair(row, names)}: trains {verdicts[index]}, {row['speed_ratio']:.2f}x as fast "
        "(95% interval "
        f"{row['speed_ratio_low']:.2f} to {row['speed_ratio_high']:.2f} over "
        f"{count(int(row['passes']), 'round')}, timed alone)."
        for index, row in clear.iterrows()
    ]
    sentences.append(
        f"Speed: {count(len(timed), 'speed ratio')} tested; "
        + (
            f"{len(clear)} {'stays' if len(clear) == 1 else 'stay'} clear once all are accounted "
            "for (above); the others show no clear difference."
            if len(clear)
            else "none stays clear once all are accounted for."
        )
    )
    return sentences


def not_trained(summary: pd.DataFrame) -> list[str]:
    """Arms that stayed at chance on some seeds: said once here, not read as findings."""
    stuck = summary[summary["at_chance_seeds"].fillna(0) > 0].drop_duplicates("arm")
    if stuck.empty:
        return []
    if len(stuck) > MAX_LISTED:
        return [
            f"{count(len(stuck), 'arm')} did not train on some seeds (training loss stayed at "
            "that of a uniform guess, accuracy at chance); each comparison names its own."
        ]
    return [
        "Did not train (training loss stayed at that of a uniform guess, accuracy at chance) on "
        "some seeds: "
        + "; ".join(
            f"{arm_name(row)} ({plain_name(row['arm'].rsplit('/', 1)[0])}): "
            f"{int(row['at_chance_seeds'])} of {int(row['seeds'])} seeds"
            for _, row in stuck.iterrows()
        )
        + "."
    ]


def left_out(plan: dict) -> list[str]:
    parts = [
        f"{entry['title']} (no {plan['datasets'][entry['dataset']]['title']})"
        for entry in plan["skipped"]
    ]
    parts += [f"{entry['title']} (needs a GPU)" for entry in plan.get("gpu_skipped", [])]
    return ["Left out of this build: " + "; ".join(parts) + "."] if parts else []


def quick_notice(plan: dict, summary: pd.DataFrame) -> str:
    scale = plan["scale"]
    return (
        f"This build used the {plan['preset']} preset ({scale['train_limit'] or 'all'} training "
        f"images, {scale['epochs'] or 'each run its own'} epochs, "
        f"{count(len(scale['seeds']), 'seed')}): it shows that every part of the study runs. "
        f"With fewer than {stats.MIN_SEEDS} seeds per arm no difference gets an interval, so it "
        "states no finding. The full preset (snakemake --cores 4) gives the study's findings."
    )


def blocks(plan: dict, page: Page) -> list[dict]:
    summary = arms.joined_table(plan)
    titles = {entry["name"]: entry["title"] for entry in plan["comparisons"]}
    sentences = []
    estimated = summary[summary["interval"].isin(ESTIMATED)] if len(summary) else pd.DataFrame()
    if estimated.empty:
        sentences.append(quick_notice(plan, summary))
    else:
        sentences += accuracy_findings(summary, titles)
        sentences += speed_findings(summary)
    if len(summary):
        sentences += not_trained(summary)
    sentences += left_out(plan)
    return [findings_block(sentences)]

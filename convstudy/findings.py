"""The report's findings, written from the tables of this run (never by hand).

Each function takes the table a rule wrote (a pandas DataFrame) and returns plain sentences. An
accuracy difference is called higher/lower only when its 95% interval excludes zero (paired
where the arms ran the same seeds); otherwise "no clear difference", with the smallest
difference the seeds could have detected; arms that trained identically are called identical;
a single seed per arm gives no interval and no conclusion. Speed is compared only as measured
alone: arms timed together in rounds are called faster/slower when the 95% interval of their
speed ratio over the rounds excludes 1; arms timed in separate jobs, only when every timed pass
of one arm beats every pass of the other.
"""

import math

import numpy as np
import pandas as pd

from convstudy import analysis, stats

# A first-layer channel counts as edge-like when its map correlates with a hand-designed kernel's
# response at least this strongly (absolute Pearson r) on the sample images.
EDGE_LIKE_CORRELATION = 0.5

ACCURACY_WORDS = {stats.HIGHER: "higher", stats.LOWER: "lower"}
INTERVAL_NAMES = {stats.PAIRED: "paired 95% CI", stats.WELCH: "Welch 95% CI"}


def _finite(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def mean_std(mean: float, std: float, digits: int = 3) -> str:
    """'0.812 ± 0.004', or just the mean when there is no spread (a single seed)."""
    if _finite(std):
        return f"{mean:.{digits}f} ± {std:.{digits}f}"
    return f"{mean:.{digits}f}"


def signed(value: float, digits: int) -> str:
    """'+0.012' / '-0.012', and '0.000' (not '-0.000') for what rounds to zero."""
    rounded = round(value, digits)
    return f"{rounded:+.{digits}f}" if rounded != 0 else f"{0:.{digits}f}"


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def difference_text(row, digits: int = 3) -> str:
    """An arm's difference in test accuracy from the baseline: identical, or with its interval,
    what it means, and (when there is no clear difference) what the seeds could have found."""
    difference, verdict, interval = row["difference"], row["verdict"], row["interval"]
    amount = signed(difference, digits)
    if interval == stats.IDENTICAL:
        return (
            f"identical on every seed (largest difference in any epoch: training loss "
            f"{row['largest_loss_difference']:.1e}, test accuracy "
            f"{row['largest_accuracy_difference']:.4f})"
        )
    if verdict == stats.NO_INTERVAL:
        return f"{amount} from a single seed per arm: no interval, so no conclusion"
    if interval == stats.PAIRED and row["ci_low"] == row["ci_high"]:
        # Every seed gave the same difference: the t interval has no width and says nothing.
        same = f"{amount} on each of the {_seeds(row)}, so the seeds show no spread"
        if verdict == stats.NO_CLEAR_DIFFERENCE:
            return same + ": the same accuracy in both arms"
        return same + f": {ACCURACY_WORDS[verdict]} on every seed"
    name = INTERVAL_NAMES[interval]
    text = f"{amount} ({name} {signed(row['ci_low'], digits)} to {signed(row['ci_high'], digits)}"
    if verdict == stats.NO_CLEAR_DIFFERENCE:
        text += ", which includes zero): no clear difference"
        if _finite(row["detectable"]):
            text += (
                f"; these seeds would have detected a difference of {row['detectable']:.{digits}f}"
                " or more (80% power at the 5% level)"
            )
        return text
    return text + f"): {ACCURACY_WORDS[verdict]}"


def _describe(row) -> str:
    return (
        row["label"] if row["setting"] == "same settings" else f"{row['label']} ({row['setting']})"
    )


def _seeds(row) -> str:
    return _count(int(row["seeds"]), "seed")


def _pairing(row, baseline) -> str:
    if row["interval"] in (stats.PAIRED, stats.IDENTICAL):
        return f"the same {_seeds(row)}"
    return f"{_seeds(row)} and {_seeds(baseline)}"


def _speed(row) -> str:
    return (
        f"{row['images_per_second']:,.0f} training images/s ("
        f"{row['images_per_second_low']:,.0f} to {row['images_per_second_high']:,.0f} over "
        f"{_count(int(row['passes']), 'pass')})"
    ).replace("passs", "passes")


def speed_text(row, baseline) -> str:
    """An arm's speed measured alone, against the baseline's."""
    verdict = row["speed_verdict"]
    if _finite(row.get("speed_ratio", math.nan)):
        rounds = int(row["passes"])
        meaning = (
            f"speed ratio {row['speed_ratio']:.2f} (95% interval over the {rounds} paired rounds "
            f"{row['speed_ratio_low']:.2f} to {row['speed_ratio_high']:.2f}): "
            + (verdict if verdict != analysis.WITHIN_SPREAD else "no clear difference")
        )
    elif verdict in (analysis.FASTER, analysis.SLOWER):
        meaning = f"{verdict} in every pass"
    else:
        meaning = verdict
    return f"{_speed(row)} against {_speed(baseline)}: {meaning}"


def comparison_findings(table: pd.DataFrame, kind: str) -> list[str]:
    """Sentences for one comparison's table (convstudy.analysis.comparison_table)."""
    rows = [row for _, row in table.iterrows()]
    baseline = rows[0]
    if len(rows) == 1:
        return [
            f"{_describe(baseline)}: test accuracy "
            f"{mean_std(baseline['test_accuracy_mean'], baseline['test_accuracy_std'])} over "
            f"{_seeds(baseline)}; {_speed(baseline)} measured alone; "
            f"{baseline['parameters']:,} parameters."
        ]
    if kind == "timing":
        return timing_findings(table)
    sentences = []
    for row in rows[1:]:
        prefix = "Reference " if row["role"] == "reference" else ""
        if row["interval"] == stats.IDENTICAL:
            accuracy = (
                f"test accuracy {mean_std(row['test_accuracy_mean'], row['test_accuracy_std'])}, "
                + difference_text(row)
                + f" with {_describe(baseline)}"
            )
        else:
            accuracy = (
                "test accuracy "
                f"{mean_std(row['test_accuracy_mean'], row['test_accuracy_std'])} against "
                f"{mean_std(baseline['test_accuracy_mean'], baseline['test_accuracy_std'])} for "
                f"{_describe(baseline)} ({_pairing(row, baseline)}), difference "
                + difference_text(row)
            )
        diverged = int(row.get("diverged_seeds", 0) or 0)
        if diverged:
            accuracy += f"; the training loss diverged on {_count(diverged, 'seed')}"
        stuck = int(row.get("at_chance_seeds", 0) or 0)
        if stuck:
            accuracy += (
                f"; on {_count(stuck, 'seed')} it never learned (its training loss ended at that "
                "of a uniform guess, and it predicts at chance)"
            )
        speed = ""
        medians = (
            f"{row['images_per_second']:,.0f} against {baseline['images_per_second']:,.0f}"
            " training images/s, medians"
        )
        if row["speed_verdict"] in (analysis.FASTER, analysis.SLOWER):
            if _finite(row.get("speed_ratio", math.nan)):
                speed = (
                    f" Timed alone, in {int(row['passes'])} rounds with {baseline['label']}, it "
                    f"trains {row['speed_verdict']}: speed ratio {row['speed_ratio']:.2f} (95% "
                    f"interval {row['speed_ratio_low']:.2f} to {row['speed_ratio_high']:.2f}; "
                    f"{medians})."
                )
            else:
                speed = f" Timed alone, it trains {row['speed_verdict']} in every pass ({medians})."
        sentences.append(f"{prefix}{_describe(row)}: {accuracy}.{speed}")
    if kind == "sweep":
        sentences.append(sweep_finding(table))
    return sentences


def false_discovery_findings(summary: pd.DataFrame) -> list[str]:
    """How many of the report's clear accuracy differences remain clear once all of them are
    accounted for (the joined comparison tables, with q values: analysis.false_discoveries)."""
    tested = summary[summary["q_value"].notna()].drop_duplicates(["baseline_arm", "arm"])
    if tested.empty:
        return []
    rate = stats.FALSE_DISCOVERY_RATE
    baseline_labels = summary[summary["role"] == "baseline"].set_index("arm")["label"].to_dict()
    clear = tested[tested["verdict"].isin([stats.HIGHER, stats.LOWER])]
    kept = clear[clear["q_value"] <= rate]
    sentences = [
        f"Across the report, {_count(len(tested), 'difference')} in test accuracy "
        f"{'is' if len(tested) == 1 else 'are'} tested "
        "(each arm against its comparison's baseline; a pair that several comparisons share "
        f"counts once). {len(clear)} of them exclude zero at the 5% level, where chance alone "
        f"would give about {(1 - stats.CONFIDENCE) * len(tested):.1f} if no setting made a "
        "difference."
    ]
    if clear.empty:
        return sentences
    if len(kept) == len(clear):
        sentences.append(
            f"All {len(clear)} remain clear with at most {rate:.0%} of them allowed to be chance "
            "(Benjamini-Hochberg q values)."
        )
        return sentences
    doubtful = "; ".join(
        f"{row['label']} against {baseline_labels.get(row['baseline_arm'], row['baseline_arm'])}"
        f" ({row['comparison']}, p {row['p_value']:.3f}, q {row['q_value']:.2f})"
        for _, row in clear[clear["q_value"] > rate].iterrows()
    )
    sentences.append(
        f"With at most {rate:.0%} of the clear ones allowed to be chance (Benjamini-Hochberg q "
        f"values), {len(kept)} of the {len(clear)} {'remains' if len(kept) == 1 else 'remain'}"
        " clear; these could be chance: "
        f"{doubtful}."
    )
    return sentences


def _phases(row) -> dict[str, float]:
    return {phase: row[f"seconds_{phase}"] for phase in analysis.TRAIN_PHASES}


def timing_findings(table: pd.DataFrame) -> list[str]:
    """A timing comparison: every arm's speed alone against the baseline's, where the time goes,
    whether the arms train identically, and an explanation where the textbook expects another
    ranking."""
    rows = [row for _, row in table.iterrows()]
    baseline = rows[0]
    threads = ", ".join(sorted({str(int(t)) for t in table["threads"]}))
    together = all(int(row.get("timed_with", 0)) == len(rows) - 1 for row in rows)
    passes, images = int(baseline["passes"]), int(baseline["images_per_pass"])
    what = f"{images:,} training images after a warm-up, {threads} framework thread(s)"
    how = (
        f"The arms were timed together in one job with no other job running, in {passes} "
        f"rounds of one pass each over {what}"
        if together
        else f"Each arm was timed alone (no other job running; {passes} passes of {what})"
    )
    medians = ", ".join(
        f"{row['label']} {row['images_per_second']:,.0f}/s"
        for _, row in table.sort_values("images_per_second", ascending=False).iterrows()
    )
    if all(row["speed_verdict"] == analysis.WITHIN_SPREAD for row in rows[1:]):
        # An order of medians that the passes do not support is noise: another build reorders it.
        ranking = (
            f"; no arm is clearly faster or slower than {baseline['label']}, so the order of the "
            f"medians ({medians}) is not a ranking."
        )
    else:
        ranking = f"; the ranking by median speed: {medians.replace(', ', ' > ')}."
    sentences = [how + ranking]
    for row in rows[1:]:
        sentences.append(f"{_describe(row)}: " + speed_text(row, baseline) + ".")
    sentences.append(
        "Share of training time spent waiting for data: "
        + ", ".join(
            f"{row['label']} {row['seconds_data'] / row['seconds_total']:.0%}" for row in rows
        )
        + "."
    )
    others = [row for row in rows[1:]]
    if all(row["interval"] == stats.IDENTICAL for row in others):
        loss = max(row["largest_loss_difference"] for row in others)
        accuracy = max(row["largest_accuracy_difference"] for row in others)
        sentences.append(
            f"Every arm trains identically to {baseline['label']} on every seed (largest "
            f"difference in any epoch: training loss {loss:.1e}, test accuracy {accuracy:.4f}): "
            "the same computation, scheduled or fed differently, so this comparison is about "
            "time only."
        )
    else:
        for row in others:
            sentences.append(
                f"Accuracy of {_describe(row)} against {baseline['label']}: "
                + difference_text(row)
                + "."
            )
    return sentences


def expectation_finding(table: pd.DataFrame, faster: str, slower: str, claim: str) -> str | None:
    """Where the textbook expects `faster` to beat `slower` and the measurement (alone) does not
    show it, the phases that explain it; None where it does. Judged as the table's speed
    verdicts are (analysis.speed_verdict: round by round where the arms were timed together)."""
    rows = table.set_index("arm")
    first, second = rows.loc[faster], rows.loc[slower]
    verdict = analysis.speed_verdict(second, first)
    if verdict == analysis.FASTER:
        return None
    measured = f"{first['images_per_second']:,.0f} against {second['images_per_second']:,.0f}"
    if analysis.timed_in_rounds(second, first):
        ratio = analysis.round_ratio(second, first)
        measured += (
            f" training images/s, medians; speed ratio {math.exp(ratio.difference):.2f}, 95% "
            f"interval {math.exp(ratio.low):.2f} to {math.exp(ratio.high):.2f} over "
            f"{int(first['passes'])} rounds"
        )
    else:
        measured += " training images/s"
    differences = {
        phase: first[f"seconds_{phase}"] - second[f"seconds_{phase}"]
        for phase in analysis.TRAIN_PHASES
    }
    parts = ", ".join(
        f"{phase} {first[f'seconds_{phase}']:.2f} s against {second[f'seconds_{phase}']:.2f} s"
        for phase in analysis.TRAIN_PHASES
    )
    cause = max(differences, key=differences.get)
    # Rounded to what the sentence shows: a phase 0.00 s slower explains nothing.
    if round(differences[cause], 2) > 0:
        explanation = f"The difference is mostly {cause} ({differences[cause]:+.2f} s)."
    else:
        explanation = (
            f"{first['label']} is no slower in any phase: its lead is within what these passes "
            "can separate on this machine."
        )
    outcome = "is slower" if verdict == analysis.SLOWER else "is not clearly faster"
    return (
        f"Against the textbook ({claim}): timed alone, {first['label']} {outcome} than "
        f"{second['label']} ({measured}). Per {analysis.PER_IMAGES:,} training images: {parts}. "
        + explanation
    )


def sweep_finding(table: pd.DataFrame) -> str:
    """The best value of a swept setting and the range not clearly below it."""
    swept = table[table["role"] != "reference"].sort_values("sweep_value")
    best = swept[swept["best"]].iloc[0]
    near = swept[swept["near_best"]]["sweep_value"]
    span = f"{near.min():g}" if near.min() == near.max() else f"{near.min():g} to {near.max():g}"
    gaps = [
        value
        for value in swept["sweep_value"]
        if near.min() < value < near.max() and value not in set(near)
    ]
    return (
        f"Best: {best['label']} ({mean_std(best['test_accuracy_mean'], best['test_accuracy_std'])}"
        f" over {_seeds(best)}). Best range, where test accuracy is not clearly below the best "
        f"(paired 95% interval of the difference from it includes zero): {span}"
        + (f" (except {', '.join(f'{g:g}' for g in gaps)})" if gaps else "")
        + "."
    )


def width_findings(table: pd.DataFrame) -> list[str]:
    """One sentence per dataset of the width sweeps (convstudy.analysis.width_table)."""
    sentences = []
    for dataset, rows in table[table["role"] != "reference"].groupby("dataset", sort=False):
        rows = rows.sort_values("parameters")
        first, last = rows.iloc[0], rows.iloc[-1]
        best = rows.loc[rows["test_accuracy_mean"].idxmax()]
        sentences.append(
            f"{dataset}: from {first['parameters']:,} to {last['parameters']:,} parameters "
            f"(width x{first['width']:g} to x{last['width']:g}) test accuracy goes from "
            f"{mean_std(first['test_accuracy_mean'], first['test_accuracy_std'])} to "
            f"{mean_std(last['test_accuracy_mean'], last['test_accuracy_std'])}; the best is "
            f"width x{best['width']:g} ({best['test_accuracy_mean']:.3f}). Training minus test "
            f"accuracy goes from {first['generalization_gap']:+.3f} to "
            f"{last['generalization_gap']:+.3f}."
        )
        for _, row in rows.iterrows():
            if row["role"] == "baseline":
                continue
            sentences.append(
                f"{dataset}, width x{row['width']:g} against x{first['width']:g}: "
                + difference_text(row)
                + "."
            )
    return sentences


def adaptive_size_findings(table: pd.DataFrame, tolerance: float) -> list[str]:
    """Per dataset of the width sweeps: the smallest width whose mean test accuracy is within
    `tolerance` of the best width's, with its parameter count."""
    sentences = []
    for dataset, rows in table[table["role"] != "reference"].groupby("dataset", sort=False):
        rows = rows.sort_values("parameters")
        best = rows.loc[rows["test_accuracy_mean"].idxmax()]
        enough = rows[rows["test_accuracy_mean"] >= best["test_accuracy_mean"] - tolerance]
        smallest = enough.iloc[0]
        if smallest["arm"] == best["arm"]:
            verdict = "no smaller width comes within it"
        else:
            verdict = (
                f"width x{smallest['width']:g} ({smallest['parameters']:,} parameters, "
                f"{smallest['parameters'] / best['parameters']:.0%} of the best's) reaches "
                f"{smallest['test_accuracy_mean']:.3f}"
            )
        sentences.append(
            f"Adaptive size, {dataset}: the best width is x{best['width']:g} "
            f"({best['parameters']:,} parameters, test accuracy {best['test_accuracy_mean']:.3f}); "
            f"the smallest within {tolerance * 100:g} point{'s' if tolerance != 0.01 else ''} "
            f"of it: {verdict}."
        )
    return sentences


def time_findings(table: pd.DataFrame) -> list[str]:
    """Across every arm timed alone (convstudy.analysis.time_breakdown_table)."""
    sentences = []
    threads = ", ".join(sorted({str(int(t)) for t in table["threads"]}))
    cores = ", ".join(sorted({str(int(c)) for c in table["cores_reserved"]}))
    sentences.append(
        f"Every time here was measured alone: each arm's timing job reserved all {cores} cores "
        f"given to Snakemake, so no other job ran beside it, and trained with {threads} "
        "framework thread(s), as the training runs do. Epoch times that the training runs "
        "recorded themselves (results/tables/runs.csv) were measured alongside other jobs and "
        "are not compared."
    )
    for model, rows in table.groupby("model", sort=False):
        least = rows.loc[rows["data_share"].idxmin()]
        most = rows.loc[rows["data_share"].idxmax()]
        fastest = rows.loc[rows["images_per_second"].idxmax()]
        slowest = rows.loc[rows["images_per_second"].idxmin()]
        sentences.append(
            f"{model}, {len(rows)} settings: waiting for data takes from {least['data_share']:.0%}"
            f" ({least['arm']}) to {most['data_share']:.0%} ({most['arm']}) of training. Fastest:"
            f" {fastest['arm']} at {fastest['images_per_second']:,.0f} training images/s; "
            f"slowest: {slowest['arm']} at {slowest['images_per_second']:,.0f} (each arm in a job "
            "of its own, so these speeds are not compared: a comparison times its arms together)."
        )
        compute = rows[["seconds_forward", "seconds_backward"]].sum(axis=1)
        share = compute / rows["seconds_total"]
        sentences.append(
            f"{model}: forward and backward passes take {share.min():.0%} to {share.max():.0%} "
            "of training time."
        )
    return sentences


def environment_findings(table: pd.DataFrame) -> list[str]:
    """The environment table (convstudy.environment.environment_table) in two sentences."""
    value = dict(zip(table["item"], table["value"], strict=True))
    sentences = [
        f"Built on {value['CPU']} with {value['Logical cores (usable by a job)']} logical cores "
        f"and {value['Memory']}, GPU: {value['GPU']}; {value['Operating system']}, Python "
        f"{value['Python']}; framework threads per job: {value['Framework threads per job']}."
    ]
    if "Wall time of training and timing" in value:
        sentences.append(
            f"Preset {value['Preset']}; jobs at once: {value['Jobs at once']}; training and "
            f"timing took {value['Wall time of training and timing']}."
        )
    return sentences


def edges_findings(table: pd.DataFrame) -> list[str]:
    """Section 1's energy table (convstudy.sections.edges.TABLE_COLUMNS)."""
    images = list(dict.fromkeys(table["image"]))
    sentences = [
        f"{len(images)} photographs, {table['family'].nunique()} kernel families x "
        f"{table['orientation'].nunique()} orientations: the numpy cross-correlation and "
        f"cv2.filter2D agree to within {table['max_abs_diff_vs_cv2'].max():.1e} everywhere."
    ]
    for family, rows in table.groupby("family", sort=False):
        dominant = rows.loc[rows.groupby("image", sort=False)["share"].idxmax()]
        sentences.append(
            f"Dominant edge orientation by {family} energy: "
            + ", ".join(f"{r.image} {r.orientation} ({r.share:.0%})" for r in dominant.itertuples())
            + "."
        )
    return sentences


def conv_shapes_findings(table: pd.DataFrame) -> list[str]:
    """Section 2's table (convstudy.sections.conv_shapes)."""
    agree = int(table["shapes_agree"].sum())
    sentences = [
        f"The formula H2 = floor((H + 2p - Kh) / s) + 1 gives the output shape of every "
        f"framework and of the loop version in {agree} of {len(table)} cases"
        + (
            "."
            if agree == len(table)
            else f"; it disagrees in {', '.join(table.loc[~table['shapes_agree'], 'case'])}."
        )
    ]
    differences = table.filter(like="max_abs_diff_")
    sentences.append(
        f"Values: the largest difference between any framework and the seven-loop numpy "
        f"convolution (or between frameworks) is {np.nanmax(differences.to_numpy()):.1e}, "
        "float32 rounding."
    )
    first = table.iloc[0]
    sentences.append(
        f"Delayed initialization: gluon's Conv2D built without in_channels has weight shape "
        f"{first['gluon_weight_before_first_call']} before its first call and "
        f"{first['gluon_weight_after_first_call']} after it ({first['case']} case)."
    )
    return sentences


def conv1x1_findings(table_1x1: pd.DataFrame, table_im2col: pd.DataFrame) -> list[str]:
    """Section 3's tables (convstudy.sections.conv1x1)."""
    sentences = []
    ran = table_1x1.dropna(subset=["median_seconds"])
    largest = ran[ran["multiply_adds"] == ran["multiply_adds"].max()]
    times = dict(zip(largest["implementation"], largest["median_seconds"] * 1e3, strict=True))
    shape = largest.iloc[0]
    sentences.append(
        f"1x1 convolution at the largest shape ({shape['N']}x{shape['Ci']}x{shape['H']}x"
        f"{shape['W']} to {shape['Co']} channels, {shape['multiply_adds']:,} multiply-adds), "
        "median ms per call: " + ", ".join(f"{name} {ms:.3g}" for name, ms in times.items()) + "."
    )
    with_loops = ran[ran["implementation"] == "loops"]
    if not with_loops.empty:
        top = with_loops.loc[with_loops["multiply_adds"].idxmax()]
        matmul = ran[
            (ran["implementation"] == "matmul_nhwc")
            & (ran["multiply_adds"] == top["multiply_adds"])
        ]["median_seconds"].iloc[0]
        sentences.append(
            f"The looped version is {top['median_seconds'] / matmul:,.0f}x slower than the matrix "
            f"product at {top['multiply_adds']:,} multiply-adds (it is not run on larger shapes)."
        )
    sentences.append(
        f"Every 1x1 implementation matches the float64 reference to within "
        f"{ran['max_abs_diff'].max():.1e}."
    )
    im2col = table_im2col[table_im2col["implementation"] == "im2col"].copy()
    torch = table_im2col[table_im2col["implementation"] == "torch"].set_index("case")
    input_mb = im2col["N"] * im2col["Ci"] * im2col["H"] * im2col["W"] * 4 / 1e6
    im2col["growth"] = im2col["columns_mb"] / input_mb
    im2col["vs_torch"] = (
        im2col["median_seconds"].to_numpy() / torch.loc[im2col["case"], "median_seconds"].to_numpy()
    )
    biggest = im2col.loc[im2col["growth"].idxmax()]
    sentences.append(
        f"im2col + one matrix product matches torch to within "
        f"{table_im2col['max_abs_diff_vs_torch'].max():.1e} on all {len(im2col)} cases of "
        f"section 2; its unfolded matrix is up to {biggest['growth']:.0f}x the input's size "
        f"({biggest['case']}), and it takes {im2col['vs_torch'].min():.2g}x to "
        f"{im2col['vs_torch'].max():.2g}x torch's time."
    )
    return sentences


def activation_findings(table: pd.DataFrame, run: str, activity=None) -> list[str]:
    """Section 6's correlation table (convstudy.activations.edge_correlations) and, when
    given, which channels never fire (convstudy.activations.channel_activity)."""
    sentences = []
    if table.empty:
        sentences.append(
            f"{run}: no layer keeps the input's size, so none is compared with the kernels."
        )
    for layer, rows in table.groupby("layer", sort=False):
        channels = rows["channel"].nunique()
        best = rows[rows["best"]]
        edge_like = best[best["r"].abs() >= EDGE_LIKE_CORRELATION]
        strongest = best.loc[best["r"].abs().idxmax()] if not best.empty else None
        sentence = (
            f"{run}, {layer}: {len(edge_like)} of {channels} channels correlate with a "
            f"hand-designed edge kernel's response at |r| >= {EDGE_LIKE_CORRELATION:g} on these "
            "images"
        )
        if strongest is not None:
            sentence += (
                f"; the strongest is channel {strongest['channel']} with {strongest['family']} "
                f"{strongest['orientation']} (r = {strongest['r']:+.2f})"
            )
        sentences.append(sentence + ".")
    if activity is not None:
        for layer, rows in activity.groupby("layer", sort=False):
            dead = [str(c) for c in rows.loc[rows["dead"], "channel"]]
            if dead:
                sentences.append(
                    f"{layer}: {len(dead)} of {len(rows)} channels never fire on these images "
                    f"(channel{'s' if len(dead) > 1 else ''} {', '.join(dead)}: constant, e.g. "
                    "a ReLU that stays at zero)."
                )
            else:
                sentences.append(f"{layer}: all {len(rows)} channels fire on these images.")
    elif not table.empty:
        for layer, rows in table.groupby("layer", sort=False):
            dead = rows["channel"].nunique() - int(rows["best"].sum())
            if dead:
                sentences.append(
                    f"{layer}: {dead} channel{'s' if dead != 1 else ''} never fire on them."
                )
    return sentences


def confusion_findings(errors: pd.DataFrame, run: str) -> list[str]:
    """Section 7's per-class table (convstudy.confusion.class_errors)."""
    total = errors["test_images"].sum()
    accuracy = (errors["recall"] * errors["test_images"]).sum() / total
    present = errors[errors["test_images"] > 0]
    best = present.loc[present["recall"].idxmax()]
    worst = present.loc[present["recall"].idxmin()]
    confused = present.loc[present["share_predicted_as_it"].idxmax()]
    return [
        f"{run}: test accuracy {accuracy:.3f} on {total:,} images. Best recognized: "
        f"{best['class']} (recall {best['recall']:.2f}); worst: {worst['class']} (recall "
        f"{worst['recall']:.2f}), most often taken for {worst['most_often_predicted_as']}.",
        f"Largest confusion: {confused['share_predicted_as_it']:.0%} of the test images of "
        f"class {confused['class']} are predicted as {confused['most_often_predicted_as']}.",
    ]

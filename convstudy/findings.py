"""The report's findings, written from the tables of this run (never by hand).

Each function takes the table a rule wrote (a pandas DataFrame) and returns plain sentences. A
difference is called higher/lower (or faster/slower) only when its 95% interval excludes zero;
otherwise "no clear difference"; a single seed per arm gives no interval and no conclusion.
"""

import math

import numpy as np
import pandas as pd

from convstudy import stats
from convstudy.analysis import PHASE_COLUMNS

# A first-layer channel counts as edge-like when its map correlates with a hand-designed kernel's
# response at least this strongly (absolute Pearson r) on the sample images.
EDGE_LIKE_CORRELATION = 0.5

TIME_WORDS = {stats.HIGHER: "slower", stats.LOWER: "faster"}
ACCURACY_WORDS = {stats.HIGHER: "higher", stats.LOWER: "lower"}


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


def difference_text(row, metric: str, digits: int, words: dict[str, str], unit: str = "") -> str:
    """The difference from the baseline with its interval and what it means."""
    difference = row[f"{metric}_difference"]
    verdict = row[f"{metric}_verdict"]
    low, high = row[f"{metric}_ci_low"], row[f"{metric}_ci_high"]
    amount = f"{signed(difference, digits)}{unit}"
    if verdict == stats.NO_INTERVAL:
        return f"{amount} from a single seed per arm: no interval, so no conclusion"
    interval = f"95% CI {signed(low, digits)} to {signed(high, digits)}{unit}"
    if verdict == stats.NO_CLEAR_DIFFERENCE:
        return f"{amount} ({interval}, which includes zero): no clear difference"
    return f"{amount} ({interval}): {words[verdict]}"


def _describe(row) -> str:
    return (
        row["label"] if row["setting"] == "same settings" else f"{row['label']} ({row['setting']})"
    )


def _seeds(row) -> str:
    return f"{row['seeds']} seed{'s' if row['seeds'] != 1 else ''}"


def comparison_findings(table: pd.DataFrame, kind: str) -> list[str]:
    """Sentences for one comparison's table (convstudy.analysis.comparison_table)."""
    rows = [row for _, row in table.iterrows()]
    baseline = rows[0]
    if len(rows) == 1:
        return [
            f"{_describe(baseline)}: test accuracy "
            f"{mean_std(baseline['test_accuracy_mean'], baseline['test_accuracy_std'])} over "
            f"{_seeds(baseline)}, {baseline['epoch_seconds_mean']:.2f} s per epoch, "
            f"{baseline['images_per_second_mean']:,.0f} training images/s, "
            f"{baseline['parameters']:,} parameters."
        ]
    sentences = []
    if kind == "timing":
        accuracies = table["test_accuracy_mean"].to_numpy()
        for row in rows[1:]:
            seconds = mean_std(row["epoch_seconds_mean"], row["epoch_seconds_std"], 2)
            sentences.append(
                f"{_describe(row)}: {seconds} s per epoch against "
                f"{baseline['epoch_seconds_mean']:.2f} s for {_describe(baseline)}, "
                + difference_text(row, "epoch_seconds", 2, TIME_WORDS, " s")
                + f"; {row['images_per_second_mean']:,.0f} against "
                f"{baseline['images_per_second_mean']:,.0f} training images/s."
            )
        shares = {row["label"]: _data_share(row) for row in rows}
        sentences.append(
            "Share of the epoch spent waiting for data: "
            + ", ".join(f"{label} {share:.0%}" for label, share in shares.items())
            + "."
        )
        if np.ptp(accuracies) == 0:
            sentences.append(
                f"Every arm reaches the same test accuracy ({accuracies[0]:.3f}): they train on "
                "the same data in the same order and differ only in speed."
            )
        return sentences
    for row in rows[1:]:
        prefix = "Reference " if row["role"] == "reference" else ""
        sentences.append(
            f"{prefix}{_describe(row)}: test accuracy "
            f"{mean_std(row['test_accuracy_mean'], row['test_accuracy_std'])} against "
            f"{mean_std(baseline['test_accuracy_mean'], baseline['test_accuracy_std'])} for "
            f"{_describe(baseline)} ({_seeds(row)} and {_seeds(baseline)}), difference "
            + difference_text(row, "test_accuracy", 3, ACCURACY_WORDS)
            + f". Epoch time {row['epoch_seconds_mean']:.2f} s against "
            f"{baseline['epoch_seconds_mean']:.2f} s, "
            + difference_text(row, "epoch_seconds", 2, TIME_WORDS, " s")
            + "."
        )
    return sentences


def _data_share(row) -> float:
    total = sum(row[column] for column in PHASE_COLUMNS)
    return row["seconds_data"] / total if total > 0 else float("nan")


def width_findings(table: pd.DataFrame) -> list[str]:
    """One sentence per dataset of the width sweeps (convstudy.analysis.build_width's table)."""
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
                + difference_text(row, "test_accuracy", 3, ACCURACY_WORDS)
                + "."
            )
    return sentences


def time_findings(table: pd.DataFrame) -> list[str]:
    """Across every setting that ran (convstudy.analysis.time_breakdown_table)."""
    sentences = []
    for model, rows in table.groupby("model", sort=False):
        least = rows.loc[rows["data_share"].idxmin()]
        most = rows.loc[rows["data_share"].idxmax()]
        fastest = rows.loc[rows["images_per_second"].idxmax()]
        slowest = rows.loc[rows["images_per_second"].idxmin()]
        sentences.append(
            f"{model}, {len(rows)} settings: waiting for data takes from {least['data_share']:.0%}"
            f" ({least['arm']}) to {most['data_share']:.0%} ({most['arm']}) of an epoch. Fastest:"
            f" {fastest['arm']} at {fastest['images_per_second']:,.0f} training images/s; "
            f"slowest: {slowest['arm']} at {slowest['images_per_second']:,.0f}."
        )
        compute = rows[["seconds_forward", "seconds_backward"]].sum(axis=1)
        share = compute / rows[PHASE_COLUMNS].sum(axis=1)
        sentences.append(
            f"{model}: forward and backward passes take {share.min():.0%} to {share.max():.0%} "
            "of an epoch."
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


def activation_findings(table: pd.DataFrame, run: str) -> list[str]:
    """Section 6's correlation table (convstudy.activations.edge_correlations)."""
    if table.empty:
        return [f"{run}: no layer keeps the input's size, so none is compared with the kernels."]
    sentences = []
    for layer, rows in table.groupby("layer", sort=False):
        channels = rows["channel"].nunique()
        best = rows[rows["best"]]
        dead = channels - len(best)
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
        if dead:
            sentence += f"; {dead} channel{'s' if dead != 1 else ''} never fire on them"
        sentences.append(sentence + ".")
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
        f"Largest confusion: {confused['share_predicted_as_it']:.0%} of {confused['class']} "
        f"images are predicted as {confused['most_often_predicted_as']}.",
    ]

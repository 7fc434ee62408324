"""The models' sections, one per model section of the outline (convstudy.outline: the models
under models: in config.yaml, in order): their architecture tables, every accuracy comparison with
its sentences, the learning-rate sweep and the width sweeps."""

import pandas as pd

import convstudy.report.arms as arms
from convstudy import models, outline, stats
from convstudy.report.arms import describe, difference_text, pairing, seeds_text
from convstudy.report.page import Page, findings_block, heading, notice
from convstudy.report.wording import mean_std, plain_name, plain_setting


def introduction(plan, section: str) -> str:
    """What a model's section is about: the introduction of its first model (convstudy.models),
    stating the values of this build's config that it describes."""
    first = outline.model_sections(plan["models"])[section][0]
    return models.introduction(first, plan["config"])


def base_definition(runs: pd.DataFrame, model: str) -> str | None:
    """What 'base' means for a model in this build, from its base runs' settings."""
    own = runs[(runs["model"] == model) & (runs["variant"] == "base")]
    if own.empty:
        return None
    row = own.iloc[0]
    words = [
        plain_setting(f"activation {row['activation']}"),
        plain_setting(f"pooling {row['pooling']}"),
        plain_setting(f"optimizer {row['optimizer']}"),
        f"learning rate {row['lr']:g}",
        f"batch {int(row['batch_size'])}",
        f"{int(row['epochs'])} epochs",
    ]
    if row["batchnorm"]:
        words.append("batch normalization")
    if row["width"] != 1:
        words.append(f"width x{row['width']:g}")
    if pd.notna(row.get("image_size")) and row.get("image_size"):
        words.append(f"images resized to {int(row['image_size'])} x {int(row['image_size'])}")
    return f"Here, base {plain_name(model)} is: {', '.join(words)}."


def _not_trained(rows) -> str | None:
    """One sentence for the arms that stayed at chance on some seeds (said once per
    comparison; their numbers are not read further)."""
    stuck = [row for row in rows if int(row.get("at_chance_seeds", 0) or 0)]
    diverged = [row for row in rows if int(row.get("diverged_seeds", 0) or 0)]
    parts = [
        f"{describe(row)} on "
        + (
            f"all {seeds_text(row)}"
            if int(row["at_chance_seeds"]) == int(row["seeds"])
            else f"{int(row['at_chance_seeds'])} of {seeds_text(row)}, so its mean mixes "
            "trained and untrained seeds"
        )
        for row in stuck
    ] + [
        f"{describe(row)} diverged on {int(row['diverged_seeds'])} of {seeds_text(row)}"
        for row in diverged
    ]
    if not parts:
        return None
    return (
        "Did not train (training loss ended at that of a uniform guess, accuracy at chance): "
        + "; ".join(parts)
        + "."
    )


def comparison_findings(table: pd.DataFrame, kind: str) -> list[str]:
    """Sentences for one comparison's table (convstudy.analysis.comparison_table): each arm
    against the baseline, the arms that did not train, and a speed ratio where it is clear. The
    reference arms are stated once for the section (reference_findings)."""
    rows = [row for _, row in table.iterrows() if row["role"] != "reference"]
    baseline = rows[0]
    if len(rows) == 1:
        return [
            f"{describe(baseline)}: test accuracy "
            f"{mean_std(baseline['test_accuracy_mean'], baseline['test_accuracy_std'])} over "
            f"{seeds_text(baseline)}; {baseline['parameters']:,} parameters."
        ]
    sentences = []
    for row in rows[1:]:
        sentences.append(f"{describe(row)}: {_accuracy(row, baseline)}." + _speed(row, baseline))
    stuck = _not_trained(rows)
    if stuck:
        sentences.append(stuck)
    gap = _batchnorm_gap(rows)
    if gap:
        sentences.append(gap)
    if kind == "sweep":
        sentences.append(sweep_finding(table))
    return sentences


# Training minus test accuracy above which a batch-normalized arm's gap is explained.
BATCHNORM_GAP = 0.1


def _batchnorm_gap(rows) -> str | None:
    """Why a batch-normalized arm can test far below its training accuracy in a short run."""
    wide = [
        row
        for row in rows
        if "batchnorm True" in str(row["setting"])
        and row["train_accuracy_mean"] - row["test_accuracy_mean"] > BATCHNORM_GAP
    ]
    if not wide:
        return None
    row = wide[0]
    return (
        f"{describe(row)} reaches training accuracy {row['train_accuracy_mean']:.3f} but test "
        f"accuracy {row['test_accuracy_mean']:.3f}: batch normalization tests with running "
        "averages of the batch statistics, which lag behind the weights when a run is short "
        "(few steps, a high learning rate), not with the statistics of each batch it trained on."
    )


def _accuracy(row, baseline) -> str:
    if row["interval"] == stats.IDENTICAL:
        return (
            f"test accuracy {mean_std(row['test_accuracy_mean'], row['test_accuracy_std'])}, "
            + difference_text(row)
            + f" with {describe(baseline)}"
        )
    return (
        "test accuracy "
        f"{mean_std(row['test_accuracy_mean'], row['test_accuracy_std'])} against "
        f"{mean_std(baseline['test_accuracy_mean'], baseline['test_accuracy_std'])} for "
        f"{describe(baseline)} ({pairing(row, baseline)}), difference " + difference_text(row)
    )


def _speed(row, baseline) -> str:
    """A speed sentence only where the ratio stays clear across the report's speed tests."""
    verdict = arms.controlled_speed_verdict(row)
    if not verdict:
        return ""
    return (
        f" Timed together in rounds with {describe(baseline)}, it trains {verdict}: speed ratio "
        f"{arms.ratio_text(row)}."
    )


def reference_findings(tables: list[pd.DataFrame]) -> list[str]:
    """The textbook settings against base, once for the section: the first comparison that
    draws each reference gives its numbers (every comparison computes the same pair)."""
    sentences, seen = [], set()
    for table in tables:
        baseline = table.iloc[0]
        for _, row in table[table["role"] == "reference"].iterrows():
            if (baseline["arm"], row["arm"]) in seen:
                continue
            seen.add((baseline["arm"], row["arm"]))
            sentences.append(f"{describe(row)}: {_accuracy(row, baseline)}.")
    return sentences


def sweep_finding(table: pd.DataFrame) -> str:
    """The swept value with the highest mean test accuracy and, where the seeds allow, the range
    of values not clearly below it. Not a verdict: the highest mean may be chance."""
    swept = table[table["role"] != "reference"].sort_values("sweep_value")
    top = swept[swept["best"]].iloc[0]
    text = (
        f"Highest mean test accuracy: {describe(top)} "
        f"({mean_std(top['test_accuracy_mean'], top['test_accuracy_std'])} over "
        f"{seeds_text(top)})"
    )
    if not swept["best_range_estimable"].astype(bool).all():
        return text + f"; with {seeds_text(top)} the seeds cannot say which values are below it."
    near = swept[swept["near_best"].astype(bool)]["sweep_value"]
    span = f"{near.min():g}" if near.min() == near.max() else f"{near.min():g} to {near.max():g}"
    gaps = [
        value
        for value in swept["sweep_value"]
        if near.min() < value < near.max() and value not in set(near)
    ]
    return (
        text + f". Values whose accuracy is not clearly below it (paired 95% interval of the "
        f"difference includes zero): {span}"
        + (f" (except {', '.join(f'{g:g}' for g in gaps)})" if gaps else "")
        + "."
    )


def width_findings(table: pd.DataFrame) -> list[str]:
    """One sentence per dataset of the width sweeps (convstudy.analysis.width_table); each
    width's difference from the narrowest is in its own comparison above."""
    sentences = []
    for dataset, rows in table[table["role"] != "reference"].groupby("dataset", sort=False):
        rows = rows.sort_values("parameters")
        first, last = rows.iloc[0], rows.iloc[-1]
        sentences.append(
            f"{plain_name(dataset)}: from {first['parameters']:,} to {last['parameters']:,} "
            f"parameters (width x{first['width']:g} to x{last['width']:g}) mean test accuracy "
            f"goes from {mean_std(first['test_accuracy_mean'], first['test_accuracy_std'])} to "
            f"{mean_std(last['test_accuracy_mean'], last['test_accuracy_std'])}, and training "
            f"minus test accuracy from {first['generalization_gap']:+.3f} to "
            f"{last['generalization_gap']:+.3f}."
        )
    return sentences


def adaptive_size_findings(table: pd.DataFrame, tolerance: float) -> list[str]:
    """Per dataset of the width sweeps: the smallest width whose mean test accuracy is within
    `tolerance` of the highest mean, with its parameter count (means only: the comparisons
    above say which differences the seeds can see)."""
    sentences = []
    for dataset, rows in table[table["role"] != "reference"].groupby("dataset", sort=False):
        rows = rows.sort_values("parameters")
        top = rows.loc[rows["test_accuracy_mean"].idxmax()]
        enough = rows[rows["test_accuracy_mean"] >= top["test_accuracy_mean"] - tolerance]
        smallest = enough.iloc[0]
        if smallest["arm"] == top["arm"]:
            verdict = "no smaller width comes within it"
        else:
            verdict = (
                f"width x{smallest['width']:g} ({smallest['parameters']:,} parameters, "
                f"{smallest['parameters'] / top['parameters']:.0%} of x{top['width']:g}'s) "
                f"reaches {smallest['test_accuracy_mean']:.3f}"
            )
        sentences.append(
            f"Adaptive size, {plain_name(dataset)}: the highest mean test accuracy is width "
            f"x{top['width']:g}'s ({top['parameters']:,} parameters, "
            f"{top['test_accuracy_mean']:.3f}); the smallest width within "
            f"{tolerance * 100:g} point{'s' if tolerance != 0.01 else ''} of it: {verdict}."
        )
    return sentences


def _architectures(plan, page: Page, section: str) -> list[dict]:
    """The architecture tables of the models whose comparisons this section shows."""
    item = plan["architectures"]
    table = pd.read_csv(item["path"])
    table = table[[models.section(model) == section for model in table["model"]]]
    if table.empty:
        return []
    names = list(dict.fromkeys(table["architecture"]))
    layers = {name: table[table["architecture"] == name] for name in names}
    totals = {name: int(rows["parameters"].sum()) for name, rows in layers.items()}
    same_layers = len({tuple(rows["layer"].str.split(" ").str[0]) for rows in layers.values()})
    blocks = [heading(f"{section}-architecture", f"{names[0].split(',')[0]} architecture")]
    shown = []
    if same_layers == 1 and len(names) > 1:
        # The same layers at other widths: side by side, so one sees where the parameters sit.
        combined = pd.DataFrame({"Layer": layers[names[0]]["layer"].to_numpy()})
        for name in names:
            rows = layers[name]
            combined[f"{name}: output"] = rows["output_shape"].to_numpy()
            combined[f"{name}: parameters"] = rows["parameters"].map("{:,}".format).to_numpy()
        shown.append(page.table(combined, item, " and ".join(names), kind="architecture"))
    else:
        for name in names:
            rows = layers[name]
            shown.append(
                page.table(
                    pd.DataFrame(
                        {
                            "Layer": rows["layer"],
                            "Output shape": rows["output_shape"],
                            "Parameters": rows["parameters"].map("{:,}".format),
                        }
                    ),
                    item,
                    name,
                    kind="architecture",
                )
            )
    sentence = "; ".join(
        f"{name}: {total:,} trainable parameters" for name, total in totals.items()
    )
    blocks.append(findings_block([sentence + "."], *shown))
    return blocks + shown


def _references(plan, page: Page, entries: list[dict], joined: pd.DataFrame) -> list[dict]:
    """The reference arms against base, stated once for the section."""
    tables = [arms.read_comparison(entry, joined) for entry in entries]
    sentences = reference_findings(tables)
    if not sentences:
        return []
    return [
        heading(f"{entries[0]['section']}-references", "The textbook's settings against base"),
        findings_block(sentences),
    ]


def section_blocks(plan, page: Page, section: str) -> list[dict]:
    entries = [entry for entry in plan["comparisons"] if entry["section"] == section]
    joined = arms.joined_table(plan)
    blocks = []
    runs = pd.read_csv(plan["runs_table"]["path"]) if entries else pd.DataFrame()
    for model in dict.fromkeys(m for m in runs.get("model", []) if models.section(m) == section):
        definition = base_definition(runs, model)
        if definition:
            blocks.append({"kind": "paragraph", "text": definition})
    blocks += _architectures(plan, page, section)
    blocks += arms.left_out_notices(plan, section)
    blocks += _references(plan, page, entries, joined)
    for entry in entries:
        blocks += arms.comparison_blocks(entry, page, _findings, joined)
    width = plan.get("width")
    if width and width.get("section") == section:
        table = pd.read_csv(width["table"]["path"])
        figure = page.figure(width["figure"], "Parameters against accuracy, every width sweep")
        blocks += [
            heading("adaptive-size", "The parameter-size question: adapting the width"),
            findings_block(
                width_findings(table) + adaptive_size_findings(table, width["tolerance"]),
                figure,
            ),
            figure,
        ]
    if not blocks:
        blocks.append(notice("No comparison of this section is declared in config.yaml."))
    return blocks


def _findings(table: pd.DataFrame, entry: dict) -> list[str]:
    return comparison_findings(table, entry["kind"])

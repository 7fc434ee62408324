"""The study's report: one self-contained HTML page that follows the original study's sections.

Everything is inside the file: figures as base64 PNG data URIs, tables as HTML, a little inline
CSS; no scripts and no external resources, so it opens offline and can be mailed. The findings
are sentences generated from this run's tables (convstudy.findings), so they always state the
numbers beside them. Captions are the same reStructuredText files (report/*.rst) that
`snakemake --report` uses, rendered with the same variables. Parts that could not run (a dataset
that is not available) say so, why, and how to enable them.

The plan (plain data, built by the workflow) names every file:
  preset, scale, generated_by      what the numbers are
  datasets     {name: {title, available, why}}
  edges        {images: [item], kernels_figure, energy_figure, energy_table}
  conv_shapes  {table, figure};  conv1x1 {table, figure, im2col_table, im2col_figure}
  comparisons  [{name, title, section, kind, table, figure}]  (runnable ones, declared order)
  skipped      [{name, title, section, dataset}]               (comparisons left out)
  width        {table, figure} or None;  time {table, figure};  runs_table item
  activations, confusion  [{dataset, title, run, table, figure (, errors)}]
  showcase_skipped        [{dataset, title}]
An item is {path, caption (an .rst path or None), context (the caption's template variables)}.
"""

import base64
import html
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from convstudy import analysis, findings, stats
from convstudy.atomic import write_text

SECTIONS = (
    ("edges", "1. Edge detection"),
    ("conv_shapes", "2. Convolution shapes"),
    ("conv1x1", "3. 1x1 convolution"),
    ("lenet", analysis.SECTION_LENET),
    ("alexnet", analysis.SECTION_ALEXNET),
    ("activations", analysis.SECTION_ACTIVATIONS),
    ("confusion", analysis.SECTION_CONFUSION),
    ("time", analysis.SECTION_TIME),
    ("environment", "Environment"),
    ("runs", "Appendix: every run"),
)

# What each section is about (the study's design, not its results: those are generated).
INTRODUCTIONS = {
    "edges": "Hand-designed Prewitt and Sobel kernels in four orientations, cross-correlated "
    "with photographs, and all orientations combined.",
    "conv_shapes": "Feature maps are N x C x H x W, kernels Co x Ci x Kh x Kw; the output size "
    "along each axis is H2 = floor((H + 2p - Kh) / s) + 1. Checked against a convolution "
    "written as nested loops and against the frameworks' layers.",
    "conv1x1": "A 1x1 convolution compresses channels: in NHWC layout it is one matrix "
    "product. Any convolution becomes one by unfolding its input windows (im2col).",
    "lenet": "LeNet trained from scratch, each design choice a controlled comparison over "
    "seeds: the first arm listed is the baseline, and every arm runs the same seeds, which fix "
    "the sample order and the initial weights; so each arm is compared with the baseline seed "
    "by seed (the paired difference and its 95% interval), and arms that train identically on "
    "every seed are called identical. Where an interval includes zero, the text says how large "
    "a difference the seeds could have detected. The textbook settings (its 2019 edition with "
    "max pooling, the original study's reference, and today's 2.0 edition with average "
    "pooling) are drawn beside ours where declared. Speeds are measured alone (section 8).",
    "alexnet": "AlexNet with every width divided by 16 (about 1/256 of the textbook's "
    "parameters), inputs resized to 224 x 224.",
    "activations": "What the first layers of a trained LeNet respond to, beside the "
    "hand-designed edge kernels of section 1 on the same test images.",
    "confusion": "Which classes a trained LeNet mistakes for which, on the whole test set.",
    "time": "Where training time goes on the CPU: waiting for data, forward and backward "
    "passes, the optimizer step and other Python work; the textbook data path (DataLoader with "
    "per-image transforms, 0/2/5 worker processes) against the in-memory path, MXNet "
    "imperative against hybridized, MXNet against PyTorch. Every time here is measured alone: "
    "one timing job per arm that reserves every core Snakemake was given, several passes over "
    "the same images, their median and range.",
    "environment": "The machine, the software and the conditions every number of this report "
    "was measured under.",
    "runs": "Every run's final numbers and its own time per epoch (median over epochs), "
    "measured alongside other jobs: not a speed comparison (see section 8 for those).",
}

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1180px; margin: 0 auto; padding: 0 16px;
       color: #222; line-height: 1.45; }
h1 { margin-top: 24px; } h2 { border-bottom: 2px solid #ccc; margin-top: 40px; }
h3 { margin-top: 28px; }
nav ul { columns: 2; list-style: none; padding-left: 0; }
figure { margin: 12px 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption, .caption { font-size: 0.9em; color: #444; }
table.data { border-collapse: collapse; font-size: 0.82em; margin: 8px 0; display: block;
             overflow-x: auto; }
table.data th, table.data td { border: 1px solid #ccc; padding: 2px 6px; text-align: right; }
table.data th { background: #f3f3f3; }
table.data td:first-child { text-align: left; }
ul.findings li { margin: 4px 0; }
.notice { background: #fff4e5; border-left: 4px solid #f0a020; padding: 8px 12px; margin: 12px 0; }
.meta { color: #555; font-size: 0.9em; }
details summary { cursor: pointer; color: #335; }
"""


def escape(text) -> str:
    return html.escape(str(text), quote=True)


def render_caption(item: dict) -> str:
    """An item's .rst caption rendered like `snakemake --report` does: Jinja, then docutils."""
    if not item.get("caption"):
        return ""
    import jinja2
    from docutils.core import publish_parts

    source = Path(item["caption"]).read_text()
    text = jinja2.Template(source).render(snakemake=item.get("context", {}))
    body = publish_parts(
        text,
        writer_name="html",
        settings_overrides={"report_level": 5, "halt_level": 5, "file_insertion_enabled": False},
    )["body"]
    return f'<div class="caption">{body}</div>'


def figure_html(item: dict) -> str:
    """A PNG embedded as a data URI, with its caption."""
    path = Path(item["path"])
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(path.name)}" '
        f'data-source="{escape(item["path"])}">'
        f"<figcaption>{render_caption(item)}</figcaption></figure>"
    )


def table_html(table: pd.DataFrame, caption_item: dict | None = None) -> str:
    """A table, its caption folded away (tables of a kind share one long explanation)."""
    caption = render_caption(caption_item) if caption_item else ""
    if caption:
        caption = f"<details><summary>About this table</summary>{caption}</details>"
    return analysis.html_table(table) + caption


def findings_html(sentences: list[str]) -> str:
    if not sentences:
        return ""
    items = "".join(f"<li>{escape(sentence)}</li>" for sentence in sentences)
    return f'<ul class="findings">{items}</ul>'


def notice_html(text: str) -> str:
    return f'<div class="notice">{escape(text)}</div>'


def enable_text(dataset: str, title: str, why: str) -> str:
    return (
        f"{title} is not available on this machine ({why}). To enable it, list a source that "
        f"has it under datasets.{dataset}.sources in config.yaml (a local copy first, e.g. "
        "- path: /where/it/is) and run snakemake --cores 4 again."
    )


# --- the display form of a comparison's table -------------------------------------------------


def _plus_minus(mean, std, digits):
    if pd.isna(mean):
        return ""
    return findings.mean_std(mean, std, digits)


def _difference_cell(row) -> str:
    if row["role"] == "baseline":
        return "baseline"
    if row["interval"] == stats.IDENTICAL:
        return f"identical (largest loss difference {row['largest_loss_difference']:.0e})"
    text = findings.signed(row["difference"], 3)
    if not pd.isna(row["ci_low"]):
        text += (
            f" [{findings.signed(row['ci_low'], 3)}, {findings.signed(row['ci_high'], 3)}]"
            f" {row['interval']}"
        )
    return f"{text}: {row['verdict']}"


def _detectable_cell(row) -> str:
    if row["role"] == "baseline" or pd.isna(row["detectable"]):
        return ""
    return f"{row['detectable']:.3f}"


def _speed_cell(row) -> str:
    return (
        f"{row['images_per_second']:,.0f} ({row['images_per_second_low']:,.0f}-"
        f"{row['images_per_second_high']:,.0f})"
    )


def comparison_display(table: pd.DataFrame) -> pd.DataFrame:
    """The columns a reader needs, numbers formatted, intervals spelled out."""
    return pd.DataFrame(
        {
            "arm": table["label"],
            "role": table["role"],
            "setting": table["setting"],
            "seeds": table["seeds"],
            "test accuracy": [
                _plus_minus(m, s, 3)
                for m, s in zip(
                    table["test_accuracy_mean"], table["test_accuracy_std"], strict=True
                )
            ],
            "difference [95% CI]": [_difference_cell(r) for _, r in table.iterrows()],
            "detectable": [_detectable_cell(r) for _, r in table.iterrows()],
            "per-seed differences": table["seed_differences"].fillna(""),
            "images/s alone (range)": [_speed_cell(r) for _, r in table.iterrows()],
            "speed vs baseline": table["speed_verdict"].fillna(""),
            "parameters": table["parameters"].map("{:,}".format),
            "peak MB": table["peak_memory_mb"].map("{:,.0f}".format),
        }
    )


# --- sections ------------------------------------------------------------------------------------


def _edges(plan) -> str:
    edges = plan["edges"]
    table = pd.read_csv(edges["energy_table"]["path"])
    pivot = table.pivot_table(
        index="image", columns=["family", "orientation"], values="share", sort=False
    )
    pivot.columns = [f"{family} {orientation}" for family, orientation in pivot.columns]
    parts = [
        findings_html(findings.edges_findings(table)),
        figure_html(edges["kernels_figure"]),
        figure_html(edges["energy_figure"]),
        "<h3>Share of edge energy per orientation</h3>",
        table_html(pivot.reset_index(), edges["energy_table"]),
        "<h3>Every photograph</h3>",
    ]
    parts += [figure_html(item) for item in edges["images"]]
    return "".join(parts)


def _conv_shapes(plan) -> str:
    item = plan["conv_shapes"]
    table = pd.read_csv(item["table"]["path"])
    shown = [
        c
        for c in table.columns
        if c in ("case", "formula_shape", "loop_input_hw", "shapes_agree", "note")
        or c.endswith("_shape")
        or c.startswith("max_abs_diff_")
    ]
    return (
        findings_html(findings.conv_shapes_findings(table))
        + table_html(table[shown], item["table"])
        + figure_html(item["figure"])
    )


def _milliseconds_pivot(table: pd.DataFrame, index: list[str]) -> pd.DataFrame:
    pivot = table.pivot_table(
        index=index, columns="implementation", values="median_seconds", sort=False
    )
    pivot = (pivot * 1e3).reindex(columns=list(dict.fromkeys(table["implementation"])))
    pivot.columns = [f"{c} ms" for c in pivot.columns]
    return pivot.reset_index()


def _conv1x1(plan) -> str:
    item = plan["conv1x1"]
    timing = pd.read_csv(item["table"]["path"])
    im2col = pd.read_csv(item["im2col_table"]["path"])
    return (
        findings_html(findings.conv1x1_findings(timing, im2col))
        + "<h3>1x1 convolution as a matrix product</h3>"
        + table_html(
            _milliseconds_pivot(timing, ["N", "Ci", "Co", "H", "W", "multiply_adds"]),
            item["table"],
        )
        + figure_html(item["figure"])
        + "<h3>Any convolution: im2col and one matrix product</h3>"
        + table_html(
            _milliseconds_pivot(im2col, ["case", "output_shape", "columns_shape", "columns_mb"]),
            item["im2col_table"],
        )
        + figure_html(item["im2col_figure"])
    )


def _comparison(entry) -> str:
    table = pd.read_csv(entry["table"]["path"], keep_default_na=True)
    text_columns = ["role", "interval", "verdict", "speed_verdict", "seed_differences"]
    table[text_columns] = table[text_columns].fillna("")
    sentences = findings.comparison_findings(table, entry["kind"])
    expected = entry.get("expected_faster")
    if expected:
        labels = dict(zip(table["arm"], table["label"], strict=True))
        claim = f"it expects {labels[expected[0]]} to train faster than {labels[expected[1]]}"
        explanation = findings.expectation_finding(table, *expected, claim)
        sentences.append(
            explanation
            or f"As the textbook expects, {labels[expected[0]]} trains faster than "
            f"{labels[expected[1]]} in every timed pass."
        )
    return (
        f'<h3 id="{escape(entry["name"])}">{escape(entry["title"])}</h3>'
        + findings_html(sentences)
        + figure_html(entry["figure"])
        + table_html(comparison_display(table), entry["table"])
    )


def _skipped(plan, section: str) -> str:
    parts = []
    for entry in plan["skipped"]:
        if entry["section"] != section:
            continue
        dataset = plan["datasets"][entry["dataset"]]
        parts.append(
            notice_html(
                f"Not run: {entry['title']} ({entry['name']}). "
                + enable_text(entry["dataset"], dataset["title"], dataset["why"])
            )
        )
    return "".join(parts)


def _comparisons_of(plan, section: str) -> str:
    parts = [_skipped(plan, section)]
    parts += [_comparison(e) for e in plan["comparisons"] if e["section"] == section]
    width = plan.get("width")
    if width and width.get("section") == section:
        table = pd.read_csv(width["table"]["path"])
        parts.append(
            "<h3>The parameter-size question: accuracy against parameter count</h3>"
            + findings_html(findings.width_findings(table))
            + figure_html(width["figure"])
        )
    if len(parts) == 1 and not parts[0]:
        return notice_html("No comparison of this section is declared in config.yaml.")
    return "".join(parts)


def _showcase(plan, key: str, finding: Callable) -> str:
    parts = []
    for entry in plan["showcase_skipped"]:
        dataset = plan["datasets"][entry["dataset"]]
        parts.append(
            notice_html(
                f"Not shown for {dataset['title']}: "
                + enable_text(entry["dataset"], dataset["title"], dataset["why"])
            )
        )
    for entry in plan[key]:
        # Class names such as MNIST's "0".."9" must stay names, not become numbers.
        table = pd.read_csv(
            entry.get("errors") or entry["table"]["path"],
            dtype={"class": str, "most_often_predicted_as": str, "family": str, "orientation": str},
        )
        parts.append(
            f"<h3>{escape(entry['title'])}</h3>"
            + findings_html(finding(table, entry["run"]))
            + figure_html(entry["figure"])
        )
    return "".join(parts)


def _time(plan) -> str:
    time_item = plan["time"]
    table = pd.read_csv(time_item["table"]["path"])
    shown = pd.DataFrame(
        {
            "arm": table["arm"],
            "threads": table["threads"],
            "passes x images": [
                f"{p} x {n:,}"
                for p, n in zip(table["passes"], table["images_per_pass"], strict=True)
            ],
            "images/s (range)": [_speed_cell(r) for _, r in table.iterrows()],
            **{
                f"{phase} s": table[f"seconds_{phase}"].map("{:.2f}".format)
                for phase in analysis.TRAIN_PHASES
            },
            "data share": table["data_share"].map("{:.0%}".format),
        }
    )
    return (
        findings_html(findings.time_findings(table))
        + figure_html(time_item["figure"])
        + _comparisons_of(plan, analysis.SECTION_TIME)
        + f"<h3>Every arm (seconds per {analysis.PER_IMAGES:,} training images)</h3>"
        + table_html(shown, time_item["table"])
    )


def _environment(plan) -> str:
    item = plan["environment"]
    table = pd.read_csv(item["path"], dtype=str, keep_default_na=False)
    return analysis.html_table(table.rename(columns={"item": "", "value": ""})) + render_caption(
        item
    )


def _runs(plan) -> str:
    item = plan["runs_table"]
    table = pd.read_csv(item["path"])
    shown = table[
        [
            "run",
            "test_accuracy",
            "train_accuracy",
            "train_loss",
            "epoch_seconds",
            "images_per_second",
            "parameters",
            "peak_memory_mb",
            "device",
        ]
    ]
    return (
        f"<details><summary>{len(table)} runs (click to open)</summary>"
        + table_html(shown, item)
        + "</details>"
    )


def _overview(plan) -> str:
    scale = plan["scale"]
    seeds = ", ".join(str(s) for s in scale["seeds"])
    limits = ", ".join(
        f"{key.replace('_', ' ')} {scale[key] if scale[key] is not None else 'all'}"
        for key in ("epochs", "train_limit", "test_limit")
    )
    parts = [
        f'<p class="meta">Preset <b>{escape(plan["preset"])}</b>: seeds {escape(seeds)}; '
        f"{escape(limits)} (epochs 'all' = each run's own). Generated "
        f"{escape(time.strftime('%Y-%m-%d %H:%M'))} by {escape(plan['generated_by'])}.</p>"
    ]
    if plan["preset"] != "full":
        parts.append(
            notice_html(
                f"These numbers come from the {plan['preset']} preset (small subsets, few "
                "epochs): they show that every part of the study runs, not its findings. Run "
                "snakemake --cores 4 (the full preset) for those."
            )
        )
    rows = [
        {
            "dataset": info["title"],
            "available": "yes" if info["available"] else "no",
            "note": "" if info["available"] else info["why"],
        }
        for info in plan["datasets"].values()
    ]
    parts.append(analysis.html_table(pd.DataFrame(rows)))
    for name, info in plan["datasets"].items():
        if not info["available"]:
            skipped = [e["title"] for e in plan["skipped"] if e["dataset"] == name]
            parts.append(
                notice_html(
                    f"Left out for lack of {info['title']}: "
                    + ("; ".join(skipped) or "nothing declared needs it")
                    + ". "
                    + enable_text(name, info["title"], info["why"])
                )
            )
    return "".join(parts)


def render_report(plan: dict) -> str:
    bodies = {
        "edges": lambda: _edges(plan),
        "conv_shapes": lambda: _conv_shapes(plan),
        "conv1x1": lambda: _conv1x1(plan),
        "lenet": lambda: _comparisons_of(plan, analysis.SECTION_LENET),
        "alexnet": lambda: _comparisons_of(plan, analysis.SECTION_ALEXNET),
        "activations": lambda: _showcase(plan, "activations", findings.activation_findings),
        "confusion": lambda: _showcase(plan, "confusion", findings.confusion_findings),
        "time": lambda: _time(plan),
        "environment": lambda: _environment(plan),
        "runs": lambda: _runs(plan),
    }
    navigation = "".join(
        f'<li><a href="#{key}">{escape(title)}</a></li>' for key, title in SECTIONS
    )
    sections = "".join(
        f'<section id="{key}"><h2>{escape(title)}</h2><p>{escape(INTRODUCTIONS[key])}</p>'
        f"{bodies[key]()}</section>"
        for key, title in SECTIONS
    )
    title = "Convolutional networks, hands-on: the study rebuilt"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        # An empty icon: otherwise the browser asks for /favicon.ico, which does not exist.
        '<link rel="icon" href="data:,">'
        f"<style>{STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>{_overview(plan)}<nav><ul>{navigation}</ul></nav>"
        f"{sections}</body></html>\n"
    )


def build_report(plan: dict, output: str | Path, log: Callable[[str], None] = print) -> None:
    text = render_report(plan)
    write_text(output, text)
    figures = text.count("<img ")
    log(f"{output}: {len(text) / 1e6:.1f} MB, {figures} figures")

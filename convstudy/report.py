"""The study's report: one self-contained HTML page that follows the original study's sections.

Everything is inside the file: figures as data URIs (sized for the page: photographs and heat
maps as lossy WebP, plots as lossless WebP), tables as HTML, a little inline CSS; no scripts and
no external resources, so it opens offline and can be mailed, and stays light. Every figure and
table is numbered, captioned, referred to from the text and linked to its file under results/.
The findings are sentences generated from this run's tables (convstudy.findings), so they always
state the numbers beside them. Captions are the same reStructuredText files (report/*.rst) that
`snakemake --report` uses, rendered with the same variables; a caption that explains a kind of
figure or table is given in full once, and later ones of the kind refer back to it. Parts that
could not run (a dataset that is not available) are named once per dataset, with why and how to
enable them. The page is a Jinja2 template (convstudy/templates/report.html.j2) filled with
sections of blocks (headings, findings, figures, tables, notices).

The plan (plain data, built by the workflow) names every file:
  preset, scale, default_epochs, generated_by      what the numbers are
  datasets     {name: {title, available, why}}
  edges        {images: [item], kernels_figure, energy_figure, energy_table}
  conv_shapes  {table, figure};  conv1x1 {table, figure, im2col_table, im2col_figure}
  comparisons  [{name, title, section, kind, expected_faster, table, figure}]  (declared order)
  skipped      [{name, title, section, dataset}]               (comparisons left out)
  gpu_skipped  [{name, title, section, why, estimates: [{arm, label, path}]}]  (left out for
               lack of a GPU; each estimate the JSON of one arm's CPU time per epoch)
  width        {section, table, figure, tolerance} or None;  time {table, figure}
  architectures item;  environment item;  runs_table item
  activations, confusion  [{dataset, title, run, table, figure (, channels, errors)}]
  showcase_skipped        [{dataset, title}]
An item is {path, caption (an .rst path or None), context (the caption's template variables)}.
"""

import base64
import io
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import jinja2
import pandas as pd
from markupsafe import Markup

from convstudy import analysis, findings, models, outline, stats
from convstudy.atomic import write_text
from convstudy.kernels import ORIENTATION_DEGREES

# Figures wider than the page's content are scaled down to it (pixels at 100 dpi).
MAX_FIGURE_WIDTH = 1100
PHOTO_QUALITY = 80

# What each section is about (the study's design, not its results: those are generated).
INTRODUCTIONS = {
    "edges": "Hand-designed Prewitt and Sobel kernels [5, 6] in four orientations, "
    "cross-correlated with photographs, and all orientations combined.",
    "conv_shapes": "Feature maps are N x C x H x W, kernels Co x Ci x Kh x Kw; the output size "
    "along each axis is H2 = floor((H + 2p - Kh) / s) + 1 [1]. Checked against a convolution "
    "written as nested loops and against the frameworks' layers.",
    "conv1x1": "A 1x1 convolution compresses channels: in NHWC layout it is one matrix "
    "product. Any convolution becomes one by unfolding its input windows (im2col).",
    "lenet": "LeNet [2] trained from scratch, each design choice a controlled comparison over "
    "seeds: the first arm listed is the baseline, and every arm runs the same seeds, which fix "
    "the sample order and the initial weights; so each arm is compared with the baseline seed "
    "by seed (the paired difference and its 95% interval [7]), and arms that train identically "
    "on every seed are called identical. Where an interval includes zero, the text says how "
    "large a difference the seeds could have detected [8]. The textbook settings [1] (its 2019 "
    "edition with max pooling, the original study's reference, and today's 2.0 edition with "
    "average pooling) are drawn beside ours where declared; batch normalization is [4]. Speeds "
    "are measured alone (section 8).",
    "alexnet": "AlexNet [3] as in the textbook [1], with every width divided by 16 (about 1/256 "
    "of its parameters), inputs resized to 224 x 224; where a GPU is available, the full-size "
    "network (46.8 M parameters) beside it.",
    "activations": "What the first layers of a trained LeNet respond to, beside the "
    "hand-designed edge kernels of section 1 on the same test images, and the kernels it "
    "learned beside the hand-designed ones.",
    "confusion": "Which classes a trained LeNet mistakes for which, on its test images.",
    "time": "Where training time goes on the CPU: waiting for data, forward and backward "
    "passes, the optimizer step and other Python work; the textbook data path (DataLoader with "
    "per-image transforms, 0/2/5 worker processes) against the in-memory path, MXNet "
    "imperative against hybridized, MXNet against PyTorch. Every time here is measured alone, "
    "by a timing job that reserves every core Snakemake was given: several passes over the "
    "same images, their median and range. The arms of each comparison below are timed in one "
    "job, in rounds of a pass each, so that a drift in the machine's speed falls on all alike.",
    "environment": "The machine, the software and the conditions every number of this report "
    "was measured under.",
    "references": "",
    "runs": "Every run's final numbers and its own time per epoch (median over epochs), "
    "measured alongside other jobs: not a speed comparison (section 8 has those).",
}

REFERENCES = (
    "A. Zhang, Z. C. Lipton, M. Li, A. J. Smola. Dive into Deep Learning. Cambridge University "
    "Press, 2023 (and the 2019 edition, d2l.ai); chapters on convolutions, LeNet, AlexNet and "
    "batch normalization.",
    "Y. LeCun, L. Bottou, Y. Bengio, P. Haffner. Gradient-based learning applied to document "
    "recognition. Proceedings of the IEEE 86(11), 2278-2324, 1998.",
    "A. Krizhevsky, I. Sutskever, G. E. Hinton. ImageNet classification with deep convolutional "
    "neural networks. Advances in Neural Information Processing Systems 25, 2012.",
    "S. Ioffe, C. Szegedy. Batch normalization: accelerating deep network training by reducing "
    "internal covariate shift. Proceedings of ICML, 2015.",
    "J. M. S. Prewitt. Object enhancement and extraction. In Picture Processing and "
    "Psychopictorics, Academic Press, 1970, 75-149.",
    "I. Sobel, G. Feldman. A 3x3 isotropic gradient operator for image processing. Talk at the "
    "Stanford Artificial Intelligence Project, 1968.",
    "Student (W. S. Gosset). The probable error of a mean. Biometrika 6(1), 1-25, 1908 (the t "
    "interval, here of paired differences); B. L. Welch. The generalization of 'Student's' "
    "problem when several different population variances are involved. Biometrika 34, 28-35, "
    "1947.",
    "J. Cohen. Statistical Power Analysis for the Behavioral Sciences, 2nd ed. Erlbaum, 1988 "
    "(power of the t test, computed here from the noncentral t distribution with SciPy).",
)


# --- figures and tables: numbered, captioned once per kind, linked to their files -------------


def render_caption(item: dict) -> Markup:
    """An item's .rst caption rendered like `snakemake --report` does: Jinja, then docutils."""
    if not item.get("caption"):
        return Markup("")
    from docutils.core import publish_parts

    source = Path(item["caption"]).read_text()
    text = jinja2.Template(source).render(snakemake=item.get("context", {}))
    body = publish_parts(
        text,
        writer_name="html",
        settings_overrides={"report_level": 5, "halt_level": 5, "file_insertion_enabled": False},
    )["body"]
    return Markup(body)


def encode_figure(path: str | Path, photographic: bool) -> tuple[str, int, int]:
    """A figure as a data URI sized for the page: WebP, lossy for photographs and heat maps,
    lossless for line plots (sharp text and lines, still smaller than PNG)."""
    from PIL import Image

    with Image.open(path) as image:
        image = image.convert("RGB")
        if image.width > MAX_FIGURE_WIDTH:
            height = round(image.height * MAX_FIGURE_WIDTH / image.width)
            image = image.resize((MAX_FIGURE_WIDTH, height), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        if photographic:
            image.save(buffer, "WEBP", quality=PHOTO_QUALITY, method=6)
        else:
            image.save(buffer, "WEBP", lossless=True, quality=100, method=6)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        return f"data:image/webp;base64,{data}", image.width, image.height


class Page:
    """Numbers figures and tables in order of appearance and gives each its caption: the full
    explanation the first time a kind appears, a reference back to it afterwards."""

    def __init__(self, report_dir: Path):
        self.report_dir = report_dir
        self.counts = {"Figure": 0, "Table": 0}
        self.explained: dict[tuple, str] = {}

    def link(self, path) -> str:
        return os.path.relpath(path, self.report_dir)

    def _caption(self, noun: str, number: int, item: dict, title: str, kind) -> Markup:
        key = (noun, item.get("caption"), kind)
        if key in self.explained:
            return Markup("<b>{}</b>. As {}: see its caption.").format(title, self.explained[key])
        self.explained[key] = f"{noun} {number}"
        return Markup("<b>{}</b>. ").format(title) + render_caption(item)

    def figure(self, item: dict, title: str, kind=None, photographic=False) -> dict:
        self.counts["Figure"] += 1
        number = self.counts["Figure"]
        src, width, height = encode_figure(item["path"], photographic)
        return {
            "kind": "figure",
            "number": number,
            "id": f"figure-{number}",
            "src": src,
            "width": width,
            "height": height,
            "alt": title,
            "link": self.link(item["path"]),
            "link_text": "(PNG)",
            "caption": self._caption("Figure", number, item, title, kind),
        }

    def table(self, frame: pd.DataFrame, item: dict, title: str, kind=None, notes=()) -> dict:
        self.counts["Table"] += 1
        number = self.counts["Table"]
        html = frame.to_html(index=False, border=0, classes="data", na_rep="", escape=True)
        return {
            "kind": "table",
            "number": number,
            "id": f"table-{number}",
            "title": title,
            "html": Markup(html),
            "link": self.link(item["path"]),
            "link_text": "(CSV)",
            "notes": list(notes),
            "caption": self._caption("Table", number, item, title, kind),
        }


def heading(identifier: str, title: str) -> dict:
    return {"kind": "heading", "id": identifier, "title": title}


def numbers_text(noun: str, numbers: list[int]) -> str:
    """'Figure 3', 'Figures 3 and 4', 'Figures 1, 3, 4, 5 and 6': every number spelled out."""
    if len(numbers) == 1:
        return f"{noun} {numbers[0]}"
    return f"{noun}s {', '.join(map(str, numbers[:-1]))} and {numbers[-1]}"


def findings_block(sentences: list[str], *references: dict) -> dict:
    """Findings, ending with where to look: the figures and tables they come from."""
    if references:
        parts = []
        for kind, noun in (("figure", "Figure"), ("table", "Table")):
            numbers = [r["number"] for r in references if r["kind"] == kind]
            if numbers:
                parts.append(numbers_text(noun, numbers))
        sentences = [*sentences, f"Shown in {' and '.join(parts)}."]
    return {"kind": "findings", "sentences": sentences}


def notice(text: str) -> dict:
    return {"kind": "notice", "text": text}


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
        return "identical on every seed"
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
        f"{row['images_per_second']:,.0f} ({row['images_per_second_low']:,.0f} to "
        f"{row['images_per_second_high']:,.0f})"
    )


def _arm_cell(row) -> str:
    described = (
        row["label"]
        if row["setting"] == "same settings"
        else (f"{row['label']} ({row['setting']})")
    )
    return f"{described}, reference" if row["role"] == "reference" else described


def comparison_display(table: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The columns a reader needs, numbers formatted, intervals spelled out."""
    display = pd.DataFrame(
        {
            "Arm": [_arm_cell(r) for _, r in table.iterrows()],
            "Seeds": table["seeds"],
            "Test accuracy (mean ± sd)": [
                _plus_minus(m, s, 3)
                for m, s in zip(
                    table["test_accuracy_mean"], table["test_accuracy_std"], strict=True
                )
            ],
            "Difference [95% CI]: verdict": [_difference_cell(r) for _, r in table.iterrows()],
            "Detectable difference": [_detectable_cell(r) for _, r in table.iterrows()],
            "Per-seed differences": table["seed_differences"].fillna(""),
            "Training images/s alone (range)": [_speed_cell(r) for _, r in table.iterrows()],
        }
    )
    if kind == "width":
        display["Parameters"] = table["parameters"].map("{:,}".format)
    return display


# --- sections ------------------------------------------------------------------------------------


def _edges(plan, page: Page) -> list[dict]:
    edges = plan["edges"]
    table = pd.read_csv(edges["energy_table"]["path"])
    pivot = table.pivot_table(
        index="image", columns=["family", "orientation"], values="share", sort=False
    )
    pivot = (pivot * 100).round().astype(int).astype(str) + "%"
    pivot.columns = [
        f"{family.capitalize()} {ORIENTATION_DEGREES[orientation]}°"
        for family, orientation in pivot.columns
    ]
    kernels_figure = page.figure(edges["kernels_figure"], "The hand-designed kernels")
    energy_figure = page.figure(edges["energy_figure"], "Edge energy by orientation")
    energy_table = page.table(
        pivot.reset_index().rename(columns={"image": "Image"}),
        edges["energy_table"],
        "Share of each orientation in a family's edge energy, per photograph",
    )
    images = [
        page.figure(item, f"Edges in {item['context']['wildcards']['image']}", photographic=True)
        for item in edges["images"]
    ]
    return [
        findings_block(
            findings.edges_findings(table), kernels_figure, energy_figure, energy_table, *images
        ),
        kernels_figure,
        energy_figure,
        energy_table,
        heading("edges-photographs", "Every photograph"),
        *images,
    ]


def _conv_shapes(plan, page: Page) -> list[dict]:
    item = plan["conv_shapes"]
    table = pd.read_csv(item["table"]["path"])
    notes = [note for note in table["note"].fillna("") if note]
    # Footnotes are lettered: numbers in brackets are the references.
    marks = {note: chr(ord("a") + i) for i, note in enumerate(dict.fromkeys(notes))}
    shapes = pd.DataFrame(
        {
            "Case": [
                f"{case} [{marks[note]}]" if note else case
                for case, note in zip(table["case"], table["note"].fillna(""), strict=True)
            ],
            "Input N x C x H x W": [f"{r.N}x{r.Ci}x{r.H}x{r.W}" for r in table.itertuples()],
            "Kernel, padding, stride": [
                f"{r.Co}x{r.Ci}x{r.Kh}x{r.Kw}, p {r.pad_h},{r.pad_w}, s {r.stride_h},{r.stride_w}"
                for r in table.itertuples()
            ],
            "Formula": table["formula_shape"],
            "Gluon, nd, torch, loop agree": table["shapes_agree"].map({True: "yes", False: "NO"}),
            "Largest difference from the loop": table[
                [c for c in table.columns if c.startswith("max_abs_diff_") and "vs_loop" in c]
            ]
            .max(axis=1)
            .map("{:.1e}".format),
        }
    )
    shapes_table = page.table(
        shapes,
        item["table"],
        "Output shapes by the formula and by every implementation",
        notes=[f"[{mark}] {note}" for note, mark in marks.items()],
    )
    figure = page.figure(item["figure"], "Agreement of the values")
    return [
        findings_block(findings.conv_shapes_findings(table), shapes_table, figure),
        shapes_table,
        figure,
    ]


def _milliseconds_pivot(table: pd.DataFrame, index: list[str]) -> pd.DataFrame:
    pivot = table.pivot_table(
        index=index, columns="implementation", values="median_seconds", sort=False
    )
    pivot = (pivot * 1e3).reindex(columns=list(dict.fromkeys(table["implementation"])))
    pivot = pivot.map(lambda ms: "" if pd.isna(ms) else f"{ms:.3g}")
    pivot.columns = [f"{c} (ms)" for c in pivot.columns]
    return pivot.reset_index()


def _conv1x1(plan, page: Page) -> list[dict]:
    item = plan["conv1x1"]
    timing = pd.read_csv(item["table"]["path"])
    im2col = pd.read_csv(item["im2col_table"]["path"])
    timing = timing.assign(
        shape=[f"{r.N}x{r.Ci}x{r.H}x{r.W} to {r.Co}" for r in timing.itertuples()],
        work=timing["multiply_adds"].map("{:,}".format),
    )
    conv1x1_table = page.table(
        _milliseconds_pivot(timing, ["shape", "work"]).rename(
            columns={"shape": "Input to channels", "work": "Multiply-adds"}
        ),
        item["table"],
        "1x1 convolution: median milliseconds per call",
    )
    conv1x1_figure = page.figure(item["figure"], "1x1 convolution: time against work")
    im2col = im2col.assign(megabytes=im2col["columns_mb"].map("{:.1f}".format))
    im2col_table = page.table(
        _milliseconds_pivot(im2col, ["case", "output_shape", "megabytes"]).rename(
            columns={
                "case": "Case",
                "output_shape": "Output shape",
                "megabytes": "Unfolded matrix (MB)",
            }
        ),
        item["im2col_table"],
        "im2col and one matrix product against the frameworks: median milliseconds per call",
    )
    im2col_figure = page.figure(item["im2col_figure"], "im2col: time against work")
    return [
        findings_block(
            findings.conv1x1_findings(timing, im2col),
            conv1x1_table,
            conv1x1_figure,
            im2col_table,
            im2col_figure,
        ),
        heading("conv1x1-matrix-product", "1x1 convolution as a matrix product"),
        conv1x1_table,
        conv1x1_figure,
        heading("conv1x1-im2col", "Any convolution: im2col and one matrix product"),
        im2col_table,
        im2col_figure,
    ]


def _comparison(entry, page: Page) -> list[dict]:
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
    figure = page.figure(entry["figure"], entry["title"], kind=entry["kind"])
    shown = page.table(comparison_display(table, entry["kind"]), entry["table"], entry["title"])
    return [
        heading(entry["name"], entry["title"]),
        findings_block(sentences, figure, shown),
        figure,
        shown,
    ]


def duration_text(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def estimate_text(estimate: dict, label: str) -> str:
    """An arm's estimated CPU time per epoch, saying what it was measured on."""
    threads = estimate["threads"]
    return (
        f"On this machine's CPU an epoch of {estimate['arm']} ({label}: "
        f"{estimate['train_images']:,} training and {estimate['test_images']:,} test images) "
        f"would take about {duration_text(estimate['epoch_seconds'])}: an estimate from one pass "
        f"over {estimate['images_measured']:,} training images (batch {estimate['batch_size']}, "
        f"{threads} thread{'s' if threads != 1 else ''}, timed alone) at "
        f"{estimate['seconds_per_image']:.3f} s per image, scaled to the epoch."
    )


def _gpu_skipped(plan, section: str) -> list[dict]:
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


def _skipped(plan, section: str) -> list[dict]:
    """One line naming what this section left out; the overview says why, once per dataset."""
    left_out = [entry for entry in plan["skipped"] if entry["section"] == section]
    if not left_out:
        return _gpu_skipped(plan, section)
    by_dataset: dict[str, list[str]] = {}
    for entry in left_out:
        by_dataset.setdefault(entry["dataset"], []).append(entry["title"])
    return [
        notice(
            f"Not run for lack of {plan['datasets'][dataset]['title']} (see the notice at the "
            f"top): {'; '.join(titles)}."
        )
        for dataset, titles in by_dataset.items()
    ] + _gpu_skipped(plan, section)


def _architectures(plan, page: Page, section: str) -> list[dict]:
    """The architecture tables of the models whose comparisons this section shows."""
    item = plan["architectures"]
    table = pd.read_csv(item["path"])
    table = table[[models.get(model).SECTION == section for model in table["model"]]]
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


def _comparisons_of(plan, page: Page, section: str) -> list[dict]:
    blocks = _architectures(plan, page, section)
    blocks += _skipped(plan, section)
    for entry in plan["comparisons"]:
        if entry["section"] == section:
            blocks += _comparison(entry, page)
    width = plan.get("width")
    if width and width.get("section") == section:
        table = pd.read_csv(width["table"]["path"])
        figure = page.figure(width["figure"], "Parameters against accuracy, every width sweep")
        blocks += [
            heading("adaptive-size", "The parameter-size question: adapting the width"),
            findings_block(
                findings.width_findings(table)
                + findings.adaptive_size_findings(table, width["tolerance"]),
                figure,
            ),
            figure,
        ]
    if not blocks:
        blocks.append(notice("No comparison of this section is declared in config.yaml."))
    return blocks


def _showcase(plan, page: Page, key: str, finding: Callable) -> list[dict]:
    blocks = []
    for entry in plan["showcase_skipped"]:
        blocks.append(
            notice(f"Not shown for lack of {entry['title']} (see the notice at the top).")
        )
    for entry in plan[key]:
        # Class names such as MNIST's "0".."9" must stay names, not become numbers.
        dtypes = {"class": str, "most_often_predicted_as": str, "family": str, "orientation": str}
        table = pd.read_csv(entry.get("errors") or entry["table"]["path"], dtype=dtypes)
        extra = []
        if entry.get("channels"):
            extra = [pd.read_csv(entry["channels"])]
        figure = page.figure(entry["figure"], entry["title"], kind=key, photographic=True)
        blocks += [
            heading(f"{key}-{entry['dataset']}", entry["title"]),
            findings_block(finding(table, entry["run"], *extra), figure),
            figure,
        ]
    return blocks


def _time(plan, page: Page) -> list[dict]:
    time_item = plan["time"]
    table = pd.read_csv(time_item["table"]["path"])
    shown = pd.DataFrame(
        {
            "Arm": table["arm"],
            "Training images/s (range)": [_speed_cell(r) for _, r in table.iterrows()],
            **{
                f"{phase.capitalize()} (s)": table[f"seconds_{phase}"].map("{:.2f}".format)
                for phase in analysis.TRAIN_PHASES
            },
            "Waiting for data": table["data_share"].map("{:.0%}".format),
        }
    )
    # Created in the order they appear, so that they are numbered in that order.
    figure = page.figure(time_item["figure"], "Where the time goes, every arm")
    comparisons = _comparisons_of(plan, page, "time")
    every_arm = page.table(
        shown,
        time_item["table"],
        f"Every arm timed alone: seconds per {analysis.PER_IMAGES:,} training images by phase",
    )
    return [
        findings_block(findings.time_findings(table), figure, every_arm),
        figure,
        *comparisons,
        heading("time-every-arm", "Every arm"),
        every_arm,
    ]


def _environment(plan, page: Page) -> list[dict]:
    item = plan["environment"]
    table = pd.read_csv(item["path"], dtype=str, keep_default_na=False)
    shown = page.table(
        table.rename(columns={"item": "What", "value": "Value"}),
        item,
        "Where and how this build's numbers were measured",
    )
    return [findings_block(findings.environment_findings(table), shown), shown]


def _references(plan, page: Page) -> list[dict]:
    return [
        {
            "kind": "references",
            "entries": [
                {"id": f"reference-{n}", "text": f"[{n}] {text}"}
                for n, text in enumerate(REFERENCES, start=1)
            ],
        }
    ]


def _runs(plan, page: Page) -> list[dict]:
    item = plan["runs_table"]
    table = pd.read_csv(item["path"])
    shown = pd.DataFrame(
        {
            "Run": table["run"],
            "Test accuracy": table["test_accuracy"].map("{:.4f}".format),
            "Training accuracy": table["train_accuracy"].map("{:.4f}".format),
            "Training loss": table["train_loss"].map("{:.4f}".format),
            "Seconds per epoch (alongside)": table["epoch_seconds"].map("{:.1f}".format),
            "Parameters": table["parameters"].map("{:,}".format),
            "Peak memory (MB)": table["peak_memory_mb"].map("{:,.0f}".format),
        }
    )
    every_run = page.table(shown, item, f"Every run ({len(table)})")
    sentence = (
        f"{len(table)} runs of {table['arm'].nunique()} arms; their epoch times were measured "
        "alongside other jobs."
    )
    return [
        findings_block([sentence], every_run),
        {"kind": "details", "summary": f"{len(table)} runs (click to open)", "blocks": [every_run]},
    ]


def _overview(plan, page: Page) -> tuple[str, list[str], list[dict]]:
    scale = plan["scale"]
    epochs = (
        scale["epochs"]
        or f"{plan['default_epochs']} (train.epochs; a model or variant may set its own)"
    )
    limits = ", ".join(
        f"{name} {scale[key]:,}" if scale[key] is not None else f"{name} all"
        for key, name in (("train_limit", "training images"), ("test_limit", "test images"))
    )
    seeds = ", ".join(str(s) for s in scale["seeds"])
    meta = (
        f"Preset {plan['preset']}: seeds {seeds}; epochs {epochs}; {limits}. Generated "
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
    try:
        summary = pd.read_csv(plan["comparisons_table"]["path"])
    except pd.errors.EmptyDataError:  # no comparison could run here
        summary = pd.DataFrame()
    sentences = findings.false_discovery_findings(summary) if len(summary) else []
    return meta, notices, [findings_block(sentences)] if sentences else []


def build_context(plan: dict, report_dir: Path) -> dict:
    page = Page(report_dir)
    meta, notices, overview = _overview(plan, page)
    bodies = {
        "edges": lambda: _edges(plan, page),
        "conv_shapes": lambda: _conv_shapes(plan, page),
        "conv1x1": lambda: _conv1x1(plan, page),
        "lenet": lambda: _comparisons_of(plan, page, "lenet"),
        "alexnet": lambda: _comparisons_of(plan, page, "alexnet"),
        "activations": lambda: _showcase(plan, page, "activations", findings.activation_findings),
        "confusion": lambda: _showcase(plan, page, "confusion", findings.confusion_findings),
        "time": lambda: _time(plan, page),
        "environment": lambda: _environment(plan, page),
        "references": lambda: _references(plan, page),
        "runs": lambda: _runs(plan, page),
    }
    sections = []
    for key, title in outline.SECTIONS.items():
        blocks = bodies[key]()
        sections.append(
            {
                "id": key,
                "title": title,
                "introduction": INTRODUCTIONS[key],
                "blocks": blocks,
                "subsections": [b for b in blocks if b["kind"] == "heading"],
            }
        )
    return {
        "title": "Convolutional networks, hands-on: the study rebuilt",
        "meta": meta,
        "notices": notices,
        "overview": overview,
        "sections": sections,
        "figures": page.counts["Figure"],
        "tables": page.counts["Table"],
    }


def render_report(plan: dict, report_dir: Path) -> tuple[str, dict]:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    context = build_context(plan, report_dir)
    return environment.get_template("report.html.j2").render(**context), context


def build_report(plan: dict, output: str | Path, log: Callable[[str], None] = print) -> None:
    text, context = render_report(plan, Path(output).parent)
    write_text(output, text)
    log(
        f"{output}: {len(text.encode()) / 1e6:.2f} MB, {context['figures']} figures, "
        f"{context['tables']} tables"
    )

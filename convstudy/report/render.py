"""The page from the plan: each section's blocks, in the outline's order, into the template."""

from collections.abc import Callable
from functools import partial
from pathlib import Path

import jinja2

import convstudy.report.conv1x1 as conv1x1
import convstudy.report.conv_shapes as conv_shapes
import convstudy.report.edges as edges
import convstudy.report.environment as environment
import convstudy.report.glossary as glossary
import convstudy.report.key_findings as key_findings
import convstudy.report.model_sections as model_sections
import convstudy.report.overview as overview
import convstudy.report.references as references
import convstudy.report.runs as runs
import convstudy.report.showcase as showcase
import convstudy.report.timing as timing
from convstudy import outline
from convstudy.atomic import write_text
from convstudy.report.links import Linker
from convstudy.report.page import Page

TITLE = "Convolutional networks, hands-on: the study rebuilt"

# The report's own sections (convstudy.outline): each one's introduction (a text, or a function
# of the plan that writes it) and the function that builds its blocks. The models' sections, in
# between, come from the models (model_sections).
SECTIONS = {
    "findings": (key_findings.INTRODUCTION, key_findings.blocks),
    "edges": (edges.INTRODUCTION, edges.blocks),
    "conv_shapes": (conv_shapes.INTRODUCTION, conv_shapes.blocks),
    "conv1x1": (conv1x1.INTRODUCTION, conv1x1.blocks),
    "activations": (showcase.activations_introduction, showcase.activation_blocks),
    "confusion": (showcase.confusion_introduction, showcase.confusion_blocks),
    "time": (timing.introduction, timing.blocks),
    "environment": (environment.INTRODUCTION, environment.blocks),
    "glossary": (glossary.INTRODUCTION, glossary.blocks),
    "references": ("", references.blocks),
    "runs": (runs.introduction, runs.blocks),
}


def section_parts(plan: dict, key: str) -> tuple[str, Callable]:
    """A section's introduction and the function that builds its blocks."""
    if key not in SECTIONS:  # a model section
        return model_sections.introduction(plan, key), partial(
            model_sections.section_blocks, section=key
        )
    introduction, build = SECTIONS[key]
    return (introduction(plan) if callable(introduction) else introduction), build


def build_context(plan: dict, report_dir: Path) -> dict:
    page = Page(report_dir)
    meta, notices = overview.header(plan)
    sections = []
    for key, title in outline.sections(plan["models"]).items():
        introduction, build = section_parts(plan, key)
        blocks = build(plan, page)
        sections.append(
            {
                "id": key,
                "title": title,
                "introduction": introduction,
                "blocks": blocks,
                "subsections": [b for b in blocks if b["kind"] == "heading"],
            }
        )
    return {
        "title": TITLE,
        "meta": meta,
        "notices": notices,
        "sections": sections,
        "figures": page.counts["Figure"],
        "tables": page.counts["Table"],
    }


def render_report(plan: dict, report_dir: Path) -> tuple[str, dict]:
    environment_ = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    environment_.filters["prose"] = Linker(outline.sections(plan["models"]))
    context = build_context(plan, report_dir)
    return environment_.get_template("report.html.j2").render(**context), context


def build_report(plan: dict, output: str | Path, log: Callable[[str], None] = print) -> None:
    text, context = render_report(plan, Path(output).parent)
    write_text(output, text)
    log(
        f"{output}: {len(text.encode()) / 1e6:.2f} MB, {context['figures']} figures, "
        f"{context['tables']} tables"
    )

"""The page machinery: figures and tables numbered in order of appearance, captioned once per kind
and linked to their files; headings, findings and notices as blocks of a section.

Figures are embedded as data URIs sized for the page (photographs and heat maps as lossy WebP,
plots as lossless WebP). Captions are the same reStructuredText files (report/*.rst) that
`snakemake --report` uses, rendered with the same variables.
"""

import base64
import io
import os
from pathlib import Path

import jinja2
import pandas as pd
from markupsafe import Markup

# Figures wider than the page's content are scaled down to it (pixels at 100 dpi).
MAX_FIGURE_WIDTH = 1100


PHOTO_QUALITY = 80


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
            image.save(buffer, "WEBP", quality=PHOTO_QUALITY, method=4)
        else:
            image.save(buffer, "WEBP", lossless=True, quality=90, method=5)
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

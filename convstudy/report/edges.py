"""Section 1, edge detection: hand-designed Prewitt and Sobel kernels on photographs."""

import pandas as pd

from convstudy.kernels import ORIENTATION_DEGREES
from convstudy.report.page import Page, findings_block, heading
from convstudy.report.wording import agreement

INTRODUCTION = (
    "Hand-designed Prewitt and Sobel kernels [5, 6] in four orientations, "
    "cross-correlated with photographs, and all orientations combined."
)


def edges_findings(table: pd.DataFrame) -> list[str]:
    """Section 1's energy table (convstudy.sections.edges.TABLE_COLUMNS)."""
    images = list(dict.fromkeys(table["image"]))
    sentences = [
        f"{len(images)} photographs, {table['family'].nunique()} kernel families x "
        f"{table['orientation'].nunique()} orientations: "
        + agreement(
            "the numpy cross-correlation and cv2.filter2D", table["max_abs_diff_vs_cv2"].max()
        )
        + " everywhere."
    ]
    for family, rows in table.groupby("family", sort=False):
        dominant = rows.loc[rows.groupby("image", sort=False)["share"].idxmax()]
        sentences.append(
            f"Dominant edge orientation by {family} energy: "
            + ", ".join(f"{r.image} {r.orientation} ({r.share:.0%})" for r in dominant.itertuples())
            + "."
        )
    return sentences


def blocks(plan, page: Page) -> list[dict]:
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
        findings_block(edges_findings(table), kernels_figure, energy_figure, energy_table, *images),
        kernels_figure,
        energy_figure,
        energy_table,
        heading("edges-photographs", "Every photograph"),
        *images,
    ]

"""Section 2, convolution shapes: the output-size formula against every implementation."""

import numpy as np
import pandas as pd

from convstudy.report.page import Page, findings_block

INTRODUCTION = (
    "Feature maps are N x C x H x W, kernels Co x Ci x Kh x Kw; the output size "
    "along each axis is H2 = floor((H + 2p - Kh) / s) + 1 [1]. Checked against a convolution "
    "written as nested loops and against the frameworks' layers."
)


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


def blocks(plan, page: Page) -> list[dict]:
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
        findings_block(conv_shapes_findings(table), shapes_table, figure),
        shapes_table,
        figure,
    ]

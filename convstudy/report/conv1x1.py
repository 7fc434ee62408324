"""Section 3, 1x1 convolution as a matrix product, and any convolution as one (im2col)."""

import pandas as pd

from convstudy.report.page import Page, findings_block, heading
from convstudy.report.wording import agreement

INTRODUCTION = (
    "A 1x1 convolution changes the number of channels (fewer, or more) without looking at "
    "neighbouring pixels: in NHWC layout it is one matrix product. Any convolution becomes one "
    "by unfolding its input windows (im2col)."
)


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
        agreement("Every 1x1 implementation and the float64 reference", ran["max_abs_diff"].max())
        + "."
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
        agreement(
            "im2col + one matrix product and torch", table_im2col["max_abs_diff_vs_torch"].max()
        )
        + f" on all {len(im2col)} cases of section 2; its unfolded matrix is up to "
        f"{biggest['growth']:.0f}x the input's size "
        f"({biggest['case']}), and it takes {im2col['vs_torch'].min():.2g}x to "
        f"{im2col['vs_torch'].max():.2g}x torch's time."
    )
    return sentences


def _milliseconds_pivot(table: pd.DataFrame, index: list[str]) -> pd.DataFrame:
    pivot = table.pivot_table(
        index=index, columns="implementation", values="median_seconds", sort=False
    )
    pivot = (pivot * 1e3).reindex(columns=list(dict.fromkeys(table["implementation"])))
    pivot = pivot.map(lambda ms: "" if pd.isna(ms) else f"{ms:.3g}")
    pivot.columns = [f"{c} (ms)" for c in pivot.columns]
    return pivot.reset_index()


def blocks(plan, page: Page) -> list[dict]:
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
    im2col = im2col.assign(kilobytes=(im2col["columns_mb"] * 1000).map("{:,.0f}".format))
    im2col_table = page.table(
        _milliseconds_pivot(im2col, ["case", "output_shape", "kilobytes"]).rename(
            columns={
                "case": "Case",
                "output_shape": "Output shape",
                "kilobytes": "Unfolded matrix (kB)",
            }
        ),
        item["im2col_table"],
        "im2col and one matrix product against the frameworks: median milliseconds per call",
    )
    im2col_figure = page.figure(item["im2col_figure"], "im2col: time against work")
    return [
        findings_block(
            conv1x1_findings(timing, im2col),
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

"""The appendix: every run's final numbers."""

import pandas as pd

from convstudy import outline
from convstudy.report.page import Page, findings_block


def introduction(plan) -> str:
    return (
        "Every run's final numbers and its own time per epoch (median over epochs), measured "
        "alongside other jobs: not a speed comparison (section "
        f"{outline.number('time', plan['models'])} has those)."
    )


def blocks(plan, page: Page) -> list[dict]:
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

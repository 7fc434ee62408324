"""The Environment section: the machine, the software and the conditions of the build."""

import pandas as pd

from convstudy.cost import duration
from convstudy.report.page import Page, findings_block

INTRODUCTION = (
    "The machine, the software and the conditions every number of this report "
    "was measured under."
)


def environment_findings(table: pd.DataFrame) -> list[str]:
    """The environment table (convstudy.environment.environment_table) in two sentences."""
    value = dict(zip(table["item"], table["value"], strict=True))
    sentences = [
        f"Built on {value['CPU']} with {value['CPUs of this machine (logical cores)']} CPUs "
        f"(logical cores; {value['CPUs a job may use']} usable by a job) and {value['Memory']}, "
        f"GPU: {value['GPU']}; {value['Operating system']}, Python "
        f"{value['Python']}; framework threads per job: {value['Framework threads per job']}."
    ]
    if "Wall time of training and timing" in value:
        sentences.append(
            f"Preset {value['Preset']}; jobs at once: {value['Jobs at once']}; training and "
            f"timing took {value['Wall time of training and timing']}."
        )
    if "Build cost" in value:
        sentences.append(f"The whole build took {value['Build cost']}.")
    return sentences


def cost_table(table: pd.DataFrame) -> pd.DataFrame:
    """The cost table (convstudy.cost.cost_rows) for a reader: durations in words."""
    shown = table.rename(columns={"group": "By", "name": "What", "jobs": "Jobs"})
    for column, title in (
        ("wall_seconds", "Wall time"),
        ("cpu_seconds", "CPU time"),
        ("estimated_wall_seconds", "Estimated wall time"),
        ("estimated_cpu_seconds", "Estimated CPU time"),
    ):
        shown[title] = [
            "" if pd.isna(seconds) else duration(float(seconds)) for seconds in table[column]
        ]
        shown = shown.drop(columns=column)
    return shown


def blocks(plan, page: Page) -> list[dict]:
    item = plan["environment"]
    table = pd.read_csv(item["path"], dtype=str, keep_default_na=False)
    shown = page.table(
        table.rename(columns={"item": "What", "value": "Value"}),
        item,
        "Where and how this build's numbers were measured",
    )
    tables = [shown]
    costs = pd.read_csv(plan["cost"]["path"])
    if len(costs):
        tables.append(
            page.table(
                cost_table(costs),
                plan["cost"],
                "What the build's jobs cost, by rule and by model x framework x dataset",
            )
        )
    return [findings_block(environment_findings(table), *tables), *tables]

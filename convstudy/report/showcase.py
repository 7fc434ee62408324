"""The activation maps and confusion matrices sections: one trained run per dataset (the arm
config.yaml names under analysis.showcase), shown from inside: its activation maps and learned
kernels beside the hand-designed ones, and its confusion matrix."""

from collections.abc import Callable

import pandas as pd

from convstudy import models, outline
from convstudy.report.page import Page, findings_block, heading, notice


def _shown(plan) -> str:
    """The model of the showcase arm (analysis.showcase: model-framework/variant), by its
    NAME."""
    model = plan["config"]["analysis"]["showcase"].split("/")[0].rsplit("-", 1)[0]
    return models.display_name(model) if model in models.registry() else model


def activations_introduction(plan) -> str:
    return (
        f"What the first layers of a trained {_shown(plan)} respond to, beside the "
        f"hand-designed edge kernels of section {outline.number('edges', plan['models'])} on "
        "the same test images, and the kernels it learned beside the hand-designed ones."
    )


def confusion_introduction(plan) -> str:
    return f"Which classes a trained {_shown(plan)} mistakes for which, on its test images."


# A first-layer channel counts as edge-like when its map correlates with a hand-designed kernel's
# response at least this strongly (absolute Pearson r) on the sample images.
EDGE_LIKE_CORRELATION = 0.5


def activation_findings(table: pd.DataFrame, run: str, activity=None) -> list[str]:
    """Section 6's correlation table (convstudy.activations.edge_correlations) and, when
    given, which channels never fire (convstudy.activations.channel_activity)."""
    sentences = []
    if table.empty:
        sentences.append(
            f"{run}: no layer keeps the input's size, so none is compared with the kernels."
        )
    for layer, rows in table.groupby("layer", sort=False):
        channels = rows["channel"].nunique()
        best = rows[rows["best"]]
        edge_like = best[best["r"].abs() >= EDGE_LIKE_CORRELATION]
        strongest = best.loc[best["r"].abs().idxmax()] if not best.empty else None
        sentence = (
            f"{run}, {layer}: {len(edge_like)} of {channels} channels correlate with a "
            f"hand-designed edge kernel's response at |r| >= {EDGE_LIKE_CORRELATION:g} on these "
            "images"
        )
        if strongest is not None:
            sentence += (
                f"; the strongest is channel {strongest['channel']} with {strongest['family']} "
                f"{strongest['orientation']} (r = {strongest['r']:+.2f})"
            )
        sentences.append(sentence + ".")
    if activity is not None:
        for layer, rows in activity.groupby("layer", sort=False):
            dead = [str(c) for c in rows.loc[rows["dead"], "channel"]]
            if dead:
                sentences.append(
                    f"{layer}: {len(dead)} of {len(rows)} channels "
                    f"{'never fires' if len(dead) == 1 else 'never fire'} on these images "
                    f"(channel{'s' if len(dead) > 1 else ''} {', '.join(dead)}: constant, e.g. "
                    "a ReLU that stays at zero)."
                )
            else:
                sentences.append(f"{layer}: all {len(rows)} channels fire on these images.")
    elif not table.empty:
        for layer, rows in table.groupby("layer", sort=False):
            dead = rows["channel"].nunique() - int(rows["best"].sum())
            if dead:
                sentences.append(
                    f"{layer}: {dead} channel{' never fires' if dead == 1 else 's never fire'} "
                    "on them."
                )
    return sentences


def confusion_findings(errors: pd.DataFrame, run: str) -> list[str]:
    """Section 7's per-class table (convstudy.confusion.class_errors)."""
    total = errors["test_images"].sum()
    accuracy = (errors["recall"] * errors["test_images"]).sum() / total
    present = errors[errors["test_images"] > 0]
    best = present.loc[present["recall"].idxmax()]
    worst = present.loc[present["recall"].idxmin()]
    confused = present.loc[present["share_predicted_as_it"].idxmax()]
    return [
        f"{run}: test accuracy {accuracy:.3f} on {total:,} images. Highest recall: "
        f"{best['class']} ({best['recall']:.2f}); lowest: {worst['class']} "
        f"({worst['recall']:.2f}), most often taken for {worst['most_often_predicted_as']}.",
        f"Largest confusion: {confused['share_predicted_as_it']:.0%} of the test images of "
        f"class {confused['class']} are predicted as {confused['most_often_predicted_as']}.",
    ]


# A showcase run whose test accuracy is below this many times chance (1 / classes) has barely
# trained: its channels, kernels and classes are not read as findings.
READABLE_TIMES_CHANCE = 3


def showcase_accuracy(plan, dataset: str) -> tuple[float, int] | None:
    """The showcase run's test accuracy and its number of classes (its confusion table)."""
    for entry in plan.get("confusion", []):
        if entry["dataset"] == dataset and entry.get("errors"):
            errors = pd.read_csv(entry["errors"], dtype={"class": str})
            total = errors["test_images"].sum()
            return float((errors["recall"] * errors["test_images"]).sum() / total), len(errors)
    return None


def barely_trained(plan, entry) -> str | None:
    """Why a showcase run is not read, or None where it is."""
    measured = showcase_accuracy(plan, entry["dataset"])
    if measured is None:
        return None
    accuracy, classes = measured
    if accuracy >= READABLE_TIMES_CHANCE / classes:
        return None
    return (
        f"{entry['run']}: test accuracy {accuracy:.3f}, less than {READABLE_TIMES_CHANCE} times "
        f"chance ({1 / classes:.2f}): it has barely trained, so its "
        f"{'channels and kernels' if 'channels' in entry else 'classes'} are shown but not read."
    )


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
        untrained = barely_trained(plan, entry)
        sentences = [untrained] if untrained else finding(table, entry["run"], *extra)
        blocks += [
            heading(f"{key}-{entry['dataset']}", entry["title"]),
            findings_block(sentences, figure),
            figure,
        ]
    return blocks


def activation_blocks(plan, page: Page) -> list[dict]:
    return _showcase(plan, page, "activations", activation_findings)


def confusion_blocks(plan, page: Page) -> list[dict]:
    return _showcase(plan, page, "confusion", confusion_findings)

"""The report's prose: links, plain names, and the key findings it opens with, from hand-made
tables with known numbers."""

import math
from pathlib import Path

import pandas as pd
import pytest

from convstudy import outline, stats
from convstudy.report import key_findings
from convstudy.report.links import Linker
from convstudy.report.wording import agreement, arm_name, plain_setting

NAN = math.nan
SECTIONS = outline.sections(["lenet", "alexnet"])


def test_references_become_links_to_what_they_name():
    linked = str(
        Linker(SECTIONS)(
            "Shown in Figures 3 and 4 and Table 12; see section 8 and sections 2-3 [5, 6]."
        )
    )
    assert 'Figures <a href="#figure-3">3</a> and <a href="#figure-4">4</a>' in linked
    assert 'Table <a href="#table-12">12</a>' in linked
    assert 'section <a href="#time">8</a>' in linked
    assert 'sections <a href="#conv_shapes">2</a>-<a href="#conv1x1">3</a>' in linked
    assert '[<a href="#reference-5">5</a>, <a href="#reference-6">6</a>]' in linked


def test_a_glossary_term_is_linked_at_its_first_use_only():
    link = Linker(SECTIONS)
    first = str(link("Each arm ran 5 seeds; the paired 95% CI of its difference."))
    again = str(link("Another arm, another seed, another paired 95% CI."))
    assert '<a class="term" href="#term-arm">arm</a>' in first
    assert '<a class="term" href="#term-seed">seeds</a>' in first
    assert '<a class="term" href="#term-paired-interval">paired 95% CI</a>' in first
    assert "<a" not in again


def test_prose_is_escaped_before_it_is_linked():
    assert str(Linker(SECTIONS)("<b>bold</b> & x")) == "&lt;b&gt;bold&lt;/b&gt; &amp; x"


def test_settings_and_arms_are_named_in_plain_words():
    assert plain_setting("lr 0.9, pooling max, batchnorm False") == (
        "learning rate 0.9, max pooling, no batch normalization"
    )
    assert plain_setting("optimizer nesterov, momentum 0.9, lr 0.01") == (
        "SGD with Nesterov momentum, momentum 0.9, learning rate 0.01"
    )
    assert arm_name({"label": "textbook 2019 (max pool)", "setting": "lr 0.9"}) == (
        "textbook 2019 (max pool)"
    )
    assert arm_name({"arm": "d/m/avg_pool", "label": "avg_pool", "setting": "pooling avg"}) == (
        "average pooling"
    )
    assert arm_name({"label": "base", "setting": "pooling max"}) == "base (max pooling)"
    assert arm_name({"label": "lenet-torch", "setting": "same settings"}) == "LeNet, PyTorch"


def test_an_exact_agreement_is_said_as_such():
    assert agreement("a and b", 0.0) == "a and b agree exactly"
    assert agreement("a and b", 1.5e-7) == "a and b agree to within 1.5e-07"


def summary_row(arm, role, **values):
    row = {
        "comparison": "pooling",
        "arm": arm,
        "label": arm.rsplit("/", 1)[1],
        "role": role,
        "setting": "same settings",
        "seeds": 5,
        "baseline_arm": "d/lenet-mxnet/base",
        "difference": NAN,
        "ci_low": NAN,
        "ci_high": NAN,
        "interval": "",
        "verdict": "",
        "detectable": NAN,
        "q_value": NAN,
        "at_chance_seeds": 0,
    }
    row.update(values)
    return row


def plan(preset="full"):
    return {
        "preset": preset,
        "scale": {"seeds": [0, 1], "epochs": 2, "train_limit": 1000, "test_limit": 500},
        "comparisons": [{"name": "pooling", "title": "LeNet: max vs average pooling"}],
        "skipped": [],
        "gpu_skipped": [],
        "datasets": {},
    }


def test_key_findings_state_clear_differences_in_points_and_the_unclear_with_what_was_seen():
    summary = pd.DataFrame(
        [
            summary_row("d/lenet-mxnet/base", "baseline", setting="pooling max"),
            summary_row(
                "d/lenet-mxnet/avg_pool",
                "arm",
                setting="pooling avg",
                difference=-0.0137,
                ci_low=-0.0233,
                ci_high=-0.0040,
                interval=stats.PAIRED,
                verdict=stats.LOWER,
                detectable=0.013,
                q_value=0.02,
            ),
            summary_row(
                "d/lenet-mxnet/batch_64",
                "arm",
                setting="batch_size 64",
                difference=0.0028,
                ci_low=-0.0038,
                ci_high=0.0093,
                interval=stats.PAIRED,
                verdict=stats.NO_CLEAR_DIFFERENCE,
                detectable=0.009,
                q_value=0.4,
                at_chance_seeds=2,
            ),
        ]
    )
    sentences = key_findings.accuracy_findings(summary, {"pooling": "LeNet pooling"})
    assert sentences[0] == (
        "average pooling against base (max pooling): test accuracy -1.4 points (paired 95% CI "
        "-2.3 to -0.4; 5 seeds; q 0.020), LeNet pooling."
    )
    assert sentences[1] == (
        "No clear difference in test accuracy (1 pair; these seeds would have detected 0.9 "
        "points): batch 64 against base (max pooling)."
    )
    (stuck,) = key_findings.not_trained(summary)
    assert "batch 64 (d, LeNet, MXNet): 2 of 5 seeds" in stuck


def test_a_clear_difference_that_fails_the_false_discovery_control_could_be_chance():
    summary = pd.DataFrame(
        [
            summary_row("d/lenet-mxnet/base", "baseline"),
            summary_row(
                "d/lenet-mxnet/sigmoid",
                "arm",
                setting="activation sigmoid",
                difference=-0.02,
                ci_low=-0.039,
                ci_high=-0.001,
                interval=stats.PAIRED,
                verdict=stats.LOWER,
                q_value=0.26,
            ),
        ]
    )
    (sentence,) = key_findings.accuracy_findings(summary, {})
    assert sentence.startswith("Could be chance")
    assert "sigmoid against base -2.0 points (q 0.26)" in sentence


def test_a_build_without_intervals_states_no_finding(tmp_path):
    summary = pd.DataFrame(
        [
            summary_row("d/lenet-mxnet/base", "baseline", seeds=2),
            summary_row(
                "d/lenet-mxnet/avg_pool",
                "arm",
                seeds=2,
                difference=-0.3,
                interval=stats.TOO_FEW_SEEDS,
                verdict=stats.TOO_FEW_SEEDS,
            ),
        ]
    )
    path = tmp_path / "comparisons.csv"
    summary.to_csv(path, index=False)
    quick = {**plan("quick"), "comparisons_table": {"path": str(path)}}
    (block,) = key_findings.blocks(quick, page=None)
    (sentence,) = block["sentences"]
    assert sentence.startswith("This build used the quick preset")
    assert "states no finding" in sentence


def divergence_result(rules=None):
    """A hand-made result of the divergence diagnostic (convstudy.divergence.diagnose)."""
    layers = ["Conv 6, 5x5, pad 2", "ReLU", "MaxPool 2x2, stride 2", "Flatten", "Dense 10"]
    same = {"max_pool_ties": "first", "relu_gradient_at_zero": 0.0}
    return {
        "frameworks": ["mxnet", "torch"],
        "seed": 3,
        "rules": rules or {"mxnet": same, "torch": dict(same)},
        "networks": [
            {
                "variant": "base",
                "activation": "relu",
                "pooling": "max",
                "lr": 0.1,
                "batch_size": 128,
                "layers": layers,
                "steps_traced": 12,
                "first_inexact": {"what": "output", "layer": 4, "described": "the output of x"},
                "first": {
                    "step": 12,
                    "layer": 2,
                    "what": "gradient",
                    "moved": 2,
                    "of": 4704,
                    "described": "the gradient passed back by layer 3 of 5",
                    "evidence": {
                        "kind": "max_pool_choice",
                        "windows": 1,
                        "of": 1176,
                        "largest_share_apart": 3e-8,
                        "example": {"mxnet": [0.25, 0.25], "torch": [0.25000003, 0.25]},
                    },
                },
                "largest_relative_difference": {"relative_difference": 2e-6},
            },
            {
                "variant": "avg_pool",
                "activation": "relu",
                "pooling": "avg",
                "lr": 0.1,
                "batch_size": 128,
                "layers": layers,
                "steps_traced": 7,
                "first": {
                    "step": 7,
                    "layer": 1,
                    "what": "gradient",
                    "moved": 1,
                    "of": 4704,
                    "described": "the gradient passed back by layer 2 of 5",
                    "evidence": {
                        "kind": "relu_choice",
                        "elements": 1,
                        "of": 4704,
                        "largest_share_of_input": 1e-7,
                        "example": {"mxnet": 3e-8, "torch": -5e-8},
                    },
                },
                "largest_relative_difference": {"relative_difference": 4e-6},
            },
            {
                "variant": "sigmoid+avg_pool",
                "activation": "sigmoid",
                "pooling": "avg",
                "lr": 0.1,
                "batch_size": 128,
                "layers": layers,
                "steps_traced": 40,
                "first": None,
                "largest_relative_difference": {"relative_difference": 3.2e-4},
            },
        ],
    }


def test_the_frameworks_comparison_names_where_and_why_they_part_ways():
    from convstudy.report import divergence

    text = " ".join(divergence.findings(divergence_result(), compared="base"))
    assert "seed 3's initial weights" in text
    # Each network's first step and layer, and what was chosen differently, with its numbers.
    assert (
        "ReLU with max pooling (the arms compared here): within float rounding until step 12, "
        "where max pooling (layer 3 of 5) sent the gradient of 1 window of 1,176"
    ) in text
    assert "a tie at 0.25 in MXNet and 0.25000003 and 0.25 in PyTorch" in text
    assert "the two were within 3.0e-08 of the layer's largest input of each other" in text
    assert "step 7, where ReLU (layer 2 of 5)" in text and "3e-08 in MXNet and -5e-08" in text
    assert "Sigmoid with average pooling: no value differs in 40 steps" in text
    assert "3.2e-04 of a value's size" in text
    # The cause, from the measured rules: the same rules, so rounding.
    assert "the same rules, so exact ties are not what sets them apart" in text
    assert "What does is rounding" in text and "first the output of x at step 1" in text
    assert "With sigmoid with average pooling no layer chooses" in text
    assert "No setting of either framework" in text
    table = divergence.display(divergence_result())
    assert table["First step apart"].tolist() == [12, 7, ""]


def test_frameworks_with_different_tie_rules_are_not_said_to_share_them():
    from convstudy.report import divergence

    rules = {
        "mxnet": {"max_pool_ties": "first", "relu_gradient_at_zero": 0.0},
        "torch": {"max_pool_ties": "last", "relu_gradient_at_zero": 0.0},
    }
    text = " ".join(divergence.findings(divergence_result(rules), compared="base"))
    assert "MXNet sends a tied window's gradient to its first largest value" in text
    assert "PyTorch sends a tied window's gradient to its last largest value" in text
    assert "same rules" not in text and "What does is rounding" not in text
    assert "No setting" not in text


CAPTION = Path(__file__).resolve().parents[2] / "report" / "divergence_table.rst"


# The caption renders as the report renders every caption (page.render_caption), whose call of
# docutils this docutils announces will change; that is the report's, not this table's.
@pytest.mark.filterwarnings(
    "ignore:Argument .writer_name. will be removed:PendingDeprecationWarning"
)
def test_a_comparison_with_a_divergence_diagnostic_shows_its_cause_and_table(tmp_path, monkeypatch):
    import json

    import matplotlib.pyplot as plt

    from convstudy.report import arms
    from convstudy.report.page import Page

    arms_table = pd.DataFrame({"arm": ["d/lenet-mxnet/base", "d/lenet-torch/base"]})
    monkeypatch.setattr(arms, "read_comparison", lambda entry, joined: arms_table)
    monkeypatch.setattr(arms, "comparison_display", lambda table, kind: table)
    figure = tmp_path / "figure.png"
    plt.figure(figsize=(1, 1)).savefig(figure)
    plt.close("all")
    (tmp_path / "divergence.json").write_text(json.dumps(divergence_result()))
    (tmp_path / "divergence.csv").write_text("variant\nbase\n")

    def item(name):
        return {"path": str(tmp_path / name), "caption": None, "context": {}}

    entry = {
        "name": "lenet_frameworks",
        "title": "LeNet: MXNet vs PyTorch",
        "kind": "timing",
        "table": item("table.csv"),
        "figure": item("figure.png"),
        "divergence": {
            "table": {**item("divergence.csv"), "caption": str(CAPTION)},
            "result": item("divergence.json"),
        },
    }
    blocks = arms.comparison_blocks(entry, Page(tmp_path), lambda table, e: ["Own."], arms_table)
    findings = blocks[1]["sentences"]
    assert findings[0] == "Own."
    # The arms' variant is named as the one compared, and the diagnostic's table is referred to.
    assert any("ReLU with max pooling (the arms compared here)" in s for s in findings)
    assert findings[-1] == "Shown in Figure 1 and Tables 1 and 2."
    shown = blocks[-1]
    assert shown["kind"] == "table" and shown["link"] == "divergence.csv"
    assert shown["title"] == "Where MXNet and PyTorch part ways, step by step from the same start"
    assert "Sigmoid with average pooling" not in str(shown["html"])  # named plainly in the table
    assert "sigmoid with average pooling" in str(shown["html"])
    assert "differs beyond float rounding where one framework sets" in str(shown["caption"])

"""The report's prose: links, plain names, and the key findings it opens with, from hand-made
tables with known numbers."""

import math

import pandas as pd

from convstudy import stats
from convstudy.report import key_findings
from convstudy.report.links import Linker
from convstudy.report.wording import agreement, arm_name, plain_setting

NAN = math.nan


def test_references_become_links_to_what_they_name():
    linked = str(
        Linker()("Shown in Figures 3 and 4 and Table 12; see section 8 and sections 2-3 [5, 6].")
    )
    assert 'Figures <a href="#figure-3">3</a> and <a href="#figure-4">4</a>' in linked
    assert 'Table <a href="#table-12">12</a>' in linked
    assert 'section <a href="#time">8</a>' in linked
    assert 'sections <a href="#conv_shapes">2</a>-<a href="#conv1x1">3</a>' in linked
    assert '[<a href="#reference-5">5</a>, <a href="#reference-6">6</a>]' in linked


def test_a_glossary_term_is_linked_at_its_first_use_only():
    link = Linker()
    first = str(link("Each arm ran 5 seeds; the paired 95% CI of its difference."))
    again = str(link("Another arm, another seed, another paired 95% CI."))
    assert '<a class="term" href="#term-arm">arm</a>' in first
    assert '<a class="term" href="#term-seed">seeds</a>' in first
    assert '<a class="term" href="#term-paired-interval">paired 95% CI</a>' in first
    assert "<a" not in again


def test_prose_is_escaped_before_it_is_linked():
    assert str(Linker()("<b>bold</b> & x")) == "&lt;b&gt;bold&lt;/b&gt; &amp; x"


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

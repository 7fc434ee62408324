"""Speed measured alone: passes over the same images, with the phases of each pass."""

import pytest

from convstudy import analysis, speed
from convstudy import settings as run_settings
from convstudy.settings import RunSettings
from convstudy.timing import TRAIN_PHASES
from tests.runs import quick_config, synthetic_dataset


@pytest.mark.parametrize("arm", ["lenet-mxnet/base", "lenet-torch/workers_2"])
def test_timing_passes_time_the_same_images_and_every_phase(arm):
    model_framework, variant = arm.split("/")
    model, framework = model_framework.split("-")
    settings = RunSettings.from_dict(
        run_settings.resolve(
            quick_config(), run_settings.Run("fashion_mnist", model, framework, variant, 0)
        )
    )
    dataset = synthetic_dataset(n_train=300, n_test=20)
    result = speed.measure(
        settings,
        dataset,
        repeats=2,
        images=256,
        warmup_images=64,
        cores_reserved=4,
        log=lambda _: None,
    )
    assert result["timing"] == "alone" and result["cores_reserved"] == 4
    assert result["threads"] == settings.threads == 1
    assert [p["images"] for p in result["passes"]] == [256, 256]
    for timed in result["passes"]:
        seconds = timed["seconds"]
        parts = sum(seconds[phase] for phase in TRAIN_PHASES)
        assert parts == pytest.approx(seconds["train"], rel=1e-6)
        assert timed["images_per_second"] == pytest.approx(256 / seconds["train"])
    table = analysis.timings_table([result])
    assert table.iloc[0]["arm"] == f"fashion_mnist/{arm}"
    assert table.iloc[0]["images_per_pass"] == 256 and table.iloc[0]["passes"] == 2


def test_arms_of_a_timing_comparison_are_timed_in_rounds():
    config = quick_config()
    arms = [
        RunSettings.from_dict(
            run_settings.resolve(
                config, run_settings.Run("fashion_mnist", "lenet", framework, "base", 0)
            )
        )
        for framework in ("mxnet", "torch")
    ]
    dataset = synthetic_dataset(n_train=300, n_test=20)
    lines = []
    results = speed.measure_interleaved(
        [(settings, dataset) for settings in arms],
        repeats=2,
        images=128,
        warmup_images=32,
        cores_reserved=2,
        log=lines.append,
    )
    assert [r["arm"] for r in results] == [
        "fashion_mnist/lenet-mxnet/base",
        "fashion_mnist/lenet-torch/base",
    ]
    assert all(r["interleaved_with"] == 1 and len(r["passes"]) == 2 for r in results)
    # A pass of each arm per round: mxnet 1, torch 1, mxnet 2, torch 2.
    timed = [
        line.split(" pass ")[0].split("/")[1] + line.split(" pass ")[1][0]
        for line in lines
        if " pass " in line
    ]
    assert timed == ["lenet-mxnet1", "lenet-torch1", "lenet-mxnet2", "lenet-torch2"]
    table = analysis.timings_table(results)
    assert list(table["timed_with"]) == [1, 1]

"""Speed measured alone: passes over the same images, with the phases of each pass."""

import pytest

from convstudy import analysis, speed
from convstudy import settings as run_settings
from tests.runs import quick_config, synthetic_dataset


@pytest.mark.parametrize("arm", ["lenet-mxnet/base", "lenet-torch/workers_2"])
def test_timing_passes_time_the_same_images_and_every_phase(arm):
    model_framework, variant = arm.split("/")
    model, framework = model_framework.split("-")
    settings = run_settings.resolve(
        quick_config(), run_settings.Run("fashion_mnist", model, framework, variant, 0)
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
    assert result["threads"] == settings["threads"] == 1
    assert [p["images"] for p in result["passes"]] == [256, 256]
    for timed in result["passes"]:
        seconds = timed["seconds"]
        parts = sum(seconds[phase] for phase in analysis.TRAIN_PHASES)
        assert parts == pytest.approx(seconds["train"], rel=1e-6)
        assert timed["images_per_second"] == pytest.approx(256 / seconds["train"])
    table = analysis.timings_table([result])
    assert table.iloc[0]["arm"] == f"fashion_mnist/{arm}"
    assert table.iloc[0]["images_per_pass"] == 256 and table.iloc[0]["passes"] == 2

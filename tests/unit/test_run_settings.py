"""A run's settings, typed: the same dict form and digest as the plain settings they come from,
so that results and checkpoints written before stay valid."""

import dataclasses
import json

import pytest
import yaml

from convstudy import settings as run_settings
from convstudy.config import apply_preset
from convstudy.settings import RunSettings, settings_digest
from tests.conftest import REPO

# The settings of fashion_mnist/lenet-mxnet/base/seed0 at the quick preset, as metrics.json
# records them, and the digest its checkpoints carry: both written by the plain-dict code.
QUICK_LENET_BASE = {
    "epochs": 2,
    "batch_size": 128,
    "optimizer": "sgd",
    "lr": 0.1,
    "momentum": 0.0,
    "weight_decay": 0.0,
    "activation": "relu",
    "pooling": "max",
    "batchnorm": False,
    "width": 1.0,
    "dropout": 0.5,
    "image_size": None,
    "data_path": "memory",
    "workers": 0,
    "hybridize": True,
    "eval_batch_size": 1000,
    "train_limit": 1000,
    "test_limit": 500,
    "run": "fashion_mnist/lenet-mxnet/base/seed0",
    "dataset": "fashion_mnist",
    "model": "lenet",
    "framework": "mxnet",
    "variant": "base",
    "seed": 0,
    "threads": 1,
    "device": "auto",
    "cpu_fallback": False,
}
QUICK_LENET_BASE_DIGEST = "3e3e63bce40516d8"


def test_the_dict_form_and_digest_are_those_of_the_plain_settings():
    settings = RunSettings.from_dict(QUICK_LENET_BASE)
    assert json.dumps(settings.as_dict(), indent=1) == json.dumps(QUICK_LENET_BASE, indent=1)
    assert settings.digest == settings_digest(QUICK_LENET_BASE) == QUICK_LENET_BASE_DIGEST
    # Read from keys in another order (a config whose train: lists them otherwise), it writes
    # them in that order, as the plain dict would be written; built directly, in config.yaml's.
    shuffled = dict(reversed(list(QUICK_LENET_BASE.items())))
    typed = RunSettings.from_dict(shuffled)
    assert json.dumps(typed.as_dict()) == json.dumps(shuffled)
    assert json.dumps(typed.replace(lr=0.5).as_dict()) == json.dumps({**shuffled, "lr": 0.5})
    assert typed == settings and typed.digest == QUICK_LENET_BASE_DIGEST
    assert list(RunSettings(**QUICK_LENET_BASE).as_dict()) == list(QUICK_LENET_BASE)


@pytest.mark.parametrize("preset", ["full", "quick"])
@pytest.mark.parametrize("sort_keys", [False, True], ids=["config order", "sorted"])
def test_every_declared_run_keeps_its_metrics_settings_and_digest(preset, sort_keys):
    config = apply_preset(yaml.safe_load((REPO / "config.yaml").read_text()) | {"preset": preset})
    # A config written back with its keys sorted (as the workflow tests write theirs).
    config = yaml.safe_load(yaml.safe_dump(config, sort_keys=sort_keys))
    for run in run_settings.declared_runs(config):
        plain = run_settings.resolve(config, run)
        typed = RunSettings.from_dict(plain)
        assert json.dumps(typed.as_dict(), indent=1) == json.dumps(plain, indent=1), run.path
        assert typed.digest == settings_digest(plain)
        assert typed.arm == run.arm and typed.run == run.path


def test_settings_are_frozen_hashable_and_changed_by_copy():
    settings = RunSettings.from_dict(QUICK_LENET_BASE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.lr = 0.5
    faster = settings.replace(lr=0.5)
    assert faster.lr == 0.5 and settings.lr == 0.1
    assert faster.digest != settings.digest
    assert len({settings, RunSettings.from_dict(QUICK_LENET_BASE), faster}) == 2


def test_anything_but_a_runs_settings_is_refused_naming_the_keys():
    missing = {k: v for k, v in QUICK_LENET_BASE.items() if k != "lr"}
    with pytest.raises(ValueError, match="missing lr"):
        RunSettings.from_dict(missing)
    with pytest.raises(ValueError, match="unknown blocks"):
        RunSettings.from_dict({**QUICK_LENET_BASE, "blocks": 3})

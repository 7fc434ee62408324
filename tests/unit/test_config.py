"""Config values from the command line, and what the settings check refuses at load."""

import pytest
import yaml

from convstudy import models
from convstudy import settings as run_settings
from convstudy.config import ConfigError, apply_preset, type_command_line_values
from tests.conftest import REPO
from tests.runs import quick_config


def test_nested_command_line_values_are_read_as_yaml():
    # What Snakemake makes of --config 'edges={images: ~/photos, max_side: 512}' train=...:
    # everything inside the braces is a string.
    command_line = {
        "edges": {"images": "~/photos", "max_side": "512"},
        "train": {"lr": "0.05", "batchnorm": "true", "image_size": "null", "optimizer": "sgd"},
        "preset": "quick",
    }
    config = {"edges": {"images": "~/photos", "max_side": "512"}, "preset": "quick"}
    config["train"] = dict(command_line["train"], epochs=10)
    type_command_line_values(config, command_line)
    assert config["edges"] == {"images": "~/photos", "max_side": 512}
    assert config["train"] == {
        "lr": 0.05,
        "batchnorm": True,
        "image_size": None,
        "optimizer": "sgd",
        "epochs": 10,
    }
    assert config["preset"] == "quick"


def test_lists_and_nested_maps_from_the_command_line_are_typed_at_every_depth():
    # What Snakemake makes of --config 'scale={seeds: [0, 1, 2], max_seeds: {alexnet: 2}}'
    # offline=true seeds=[0, 0] 'analysis={deep: {list: [1, {x: 0.5}], name: n1}}'.
    command_line = {
        "scale": {"seeds": ["0", "1", "2"], "max_seeds": {"alexnet": "2"}},
        "offline": "true",
        "seeds": ["0", "0"],
        "analysis": {"deep": {"list": ["1", {"x": "0.5"}], "name": "n1", "empty": "~"}},
        "preset": "quick",
        "threads": 4,
    }
    config = {
        "scale": {"seeds": ["0", "1", "2"], "max_seeds": {"alexnet": "2"}, "epochs": None},
        "offline": "true",
        "seeds": ["0", "0"],
        "analysis": {"deep": {"list": ["1", {"x": "0.5"}], "name": "n1", "empty": "~"}},
        "preset": "quick",
        "threads": 4,
    }
    type_command_line_values(config, command_line)
    assert config == {
        "scale": {"seeds": [0, 1, 2], "max_seeds": {"alexnet": 2}, "epochs": None},
        "offline": True,
        "seeds": [0, 0],
        "analysis": {"deep": {"list": [1, {"x": 0.5}], "name": "n1", "empty": None}},
        "preset": "quick",
        "threads": 4,
    }


# --- a variant sets only what its model reads --------------------------------------------------

LENET_BASE = "fashion_mnist/lenet-mxnet/base"
LENET_DROPOUT = "fashion_mnist/lenet-mxnet/dropout_half"


def with_dropout_comparison(*runs):
    config = quick_config()
    config["variants"]["dropout_half"] = {"label": "dropout 0.5", "dropout": 0.5}
    config["comparisons"]["dropout"] = {"title": "dropout", "runs": list(runs)}
    return config


def test_a_variant_setting_what_its_model_does_not_read_fails_naming_model_variant_and_key():
    config = with_dropout_comparison(LENET_BASE, LENET_DROPOUT)
    with pytest.raises(ConfigError) as raised:
        run_settings.check_all(config)
    message = str(raised.value)
    assert "\n" not in message
    assert message == (
        "comparisons.dropout: variant 'dropout_half' sets dropout, which LeNet does not read "
        "(LeNet reads: activation, batchnorm, pooling, width), so "
        f"{LENET_DROPOUT} would train the same network as without it; remove dropout from the "
        "variant, or use the variant only with a model that reads it (AlexNet)"
    )
    # As a reference arm too, and within a combined variant.
    config = with_dropout_comparison(LENET_BASE)
    config["comparisons"]["dropout"][
        "reference"
    ] = "fashion_mnist/lenet-torch/nesterov+dropout_half"
    with pytest.raises(ConfigError, match=r"^comparisons.dropout: variant 'dropout_half' sets"):
        run_settings.check_all(config)


def test_a_run_no_comparison_declares_is_refused_too():
    # A target path asks for it directly: resolve refuses it, naming the arm.
    config = with_dropout_comparison(LENET_BASE)
    run = run_settings.Run("fashion_mnist", "lenet", "torch", "batch_64+dropout_half", 0)
    with pytest.raises(ConfigError, match="'dropout_half' sets dropout, which LeNet does not"):
        run_settings.resolve(config, run)


def test_a_model_that_reads_the_key_and_training_settings_on_any_model_are_accepted():
    config = with_dropout_comparison(
        "fashion_mnist/alexnet-torch/base", "fashion_mnist/alexnet-torch/dropout_half"
    )
    config["variants"]["decay"] = {"weight_decay": 5e-4, "momentum": 0.9, "image_size": 32}
    config["comparisons"]["decay"] = {
        "title": "decay",
        "runs": [LENET_BASE, "fashion_mnist/lenet-mxnet/decay"],
    }
    resolved = run_settings.check_all(config)
    dropouts = {s["dropout"] for run, s in resolved.items() if run.arm.endswith("dropout_half")}
    assert dropouts == {0.5}


def test_a_model_default_it_does_not_read_is_refused():
    config = quick_config()
    config["models"]["lenet"] = {"dropout": 0.3}
    with pytest.raises(
        ConfigError, match=r"^models.lenet: sets dropout, which LeNet does not read"
    ):
        run_settings.check_all(config)


def test_every_setting_is_a_training_setting_or_read_by_a_model():
    # A new setting must be classified: read by every run, or named in the READS of the
    # models that read it.
    schema = yaml.safe_load((REPO / "schemas" / "config.schema.yaml").read_text())
    settings = set(schema["$defs"]["train_settings"]["properties"]) - run_settings.VARIANT_ONLY_KEYS
    model_settings = set().union(*(models.reads(name) for name in models.registry()))
    assert run_settings.TRAINING_SETTINGS | model_settings == settings
    assert not run_settings.TRAINING_SETTINGS & model_settings
    assert settings == set(quick_config()["train"])


def test_the_declared_study_passes_the_check():
    for preset in ("quick", "full"):
        config = apply_preset(
            yaml.safe_load((REPO / "config.yaml").read_text()) | {"preset": preset}
        )
        assert run_settings.check_all(config)

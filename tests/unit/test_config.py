"""Config values from the command line."""

from convstudy.config import type_command_line_values


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

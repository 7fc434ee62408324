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

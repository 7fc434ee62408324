"""Config checks the schema cannot express, the presets, and values from the command line.

A preset is a partial config merged over config.yaml when the workflow loads
(`--config preset=quick`), so the same DAG runs at another scale. It replaces config.yaml's own
values, but not those the user set on top of config.yaml (with --configfile or --config): those
win, and the preset's values they keep out are reported.
"""

import copy
from collections.abc import Callable, Iterator

import yaml

from convstudy.errors import UserError

_MISSING = object()


class ConfigError(UserError, ValueError):
    """A config value is wrong; the message names the key and how to fix it."""


def deep_merge(base: dict, override: dict) -> dict:
    """A copy of base with override merged in (nested dicts merged, everything else replaced)."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def leaves(tree: dict, prefix: tuple = ()) -> Iterator[tuple[tuple, object]]:
    """(key path, value) of every value that is not itself a mapping (lists are values)."""
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            yield from leaves(value, (*prefix, key))
        else:
            yield (*prefix, key), value


def _get(tree: dict, path: tuple):
    for key in path:
        if not isinstance(tree, dict) or key not in tree:
            return _MISSING
        tree = tree[key]
    return tree


def _set(tree: dict, path: tuple, value) -> None:
    for key in path[:-1]:
        tree = tree.setdefault(key, {})
    tree[path[-1]] = value


def dotted(path: tuple) -> str:
    return ".".join(str(key) for key in path)


def apply_preset(
    config: dict, defaults: dict | None = None, log: Callable[[str], None] | None = None
) -> dict:
    """Merge the chosen preset into config, in place, and return it.

    defaults: config.yaml as loaded on its own. Where config holds a value that differs from it
    (set with --configfile or --config), that value wins over the preset's, and log is told
    which preset values were kept out. Without defaults the preset replaces every value it sets.
    """
    name = config.get("preset", "full")
    presets = config.get("presets", {})
    if name not in presets:
        raise ConfigError(
            f"preset: {name!r} is not defined; choose one of {', '.join(sorted(presets))} "
            "(e.g. --config preset=quick) or add it under presets: in config.yaml"
        )
    forbidden = {"preset", "presets"} & set(presets[name])
    if forbidden:
        raise ConfigError(f"presets.{name}: may not set {', '.join(sorted(forbidden))}")
    merged = copy.deepcopy(config)
    kept_out = []
    for path, preset_value in leaves(presets[name]):
        current = _get(config, path)
        set_by_user = defaults is not None and current != _get(defaults, path)
        if set_by_user and current != preset_value:
            kept_out.append(f"{dotted(path)}: {current!r} (preset: {preset_value!r})")
        else:
            _set(merged, path, copy.deepcopy(preset_value))
    if kept_out and log:
        log(
            f"preset {name}: your own values win over the preset's, as set with --configfile "
            f"or --config: {'; '.join(kept_out)}"
        )
    config.clear()
    config.update(merged)
    return config


def type_command_line_values(config: dict, command_line: dict) -> dict:
    """Read the values given with --config as YAML, at every depth, in place in config, and
    return it.

    Snakemake reads a top-level `--config key=value` as a number or a string (True and False
    become booleans), and everything inside a nested value (`--config 'edges={images: ~/photos,
    max_side: 512}'`, `--config 'scale={seeds: [0, 1, 2]}'`) arrives as strings, in maps and
    lists alike. Each string that YAML reads as a number, boolean or null becomes one, as it
    would in a config file (`offline=true` is the boolean, `seeds: [0, 1]` two integers);
    anything else stays the string it was.
    """
    for path, value in leaves(command_line):
        if isinstance(value, str | list | dict):
            _set(config, path, _typed(value))
    return config


def _typed(value):
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item) for item in value]
    if not isinstance(value, str):
        return value
    try:
        typed = yaml.safe_load(value)
    except yaml.YAMLError:
        return value
    return typed if typed is None or isinstance(typed, bool | int | float) else value


def schema_problem(config: dict, schema: dict) -> str | None:
    """The most telling way config breaks the JSON schema, as 'dotted.key: what is wrong', or
    None when it conforms."""
    import jsonschema

    validator = jsonschema.validators.validator_for(schema)(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is None:
        return None
    return f"{dotted(tuple(error.absolute_path)) or 'config'}: {error.message}"

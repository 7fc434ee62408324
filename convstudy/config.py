"""Config checks the schema cannot express, and the presets.

A preset is a partial config merged over config.yaml when the workflow loads
(`--config preset=quick`), so the same DAG runs at another scale.
"""

import copy

from convstudy.errors import UserError


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


def apply_preset(config: dict) -> dict:
    """Merge the chosen preset into config, in place, and return it."""
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
    merged = deep_merge(config, presets[name])
    config.clear()
    config.update(merged)
    return config


def dotted(path: tuple) -> str:
    return ".".join(str(key) for key in path)


def schema_problem(config: dict, schema: dict) -> str | None:
    """The most telling way config breaks the JSON schema, as 'dotted.key: what is wrong', or
    None when it conforms."""
    import jsonschema

    validator = jsonschema.validators.validator_for(schema)(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is None:
        return None
    return f"{dotted(tuple(error.absolute_path)) or 'config'}: {error.message}"

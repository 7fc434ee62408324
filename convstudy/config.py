"""Config checks the schema cannot express, and the presets.

A preset is a partial config merged over config.yaml when the workflow loads
(`--config preset=quick`), so the same DAG runs at another scale.
"""

import copy


class ConfigError(ValueError):
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

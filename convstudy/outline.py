"""The study's outline: each section of the report, by key, with its title, in order.

The one place section titles are written: the HTML report, the rules' report categories (for
`snakemake --report`) and the models (each names the section its comparisons belong to) all
refer to sections by key. The models' sections come from the models (convstudy.models: a
model's SECTION, titled by its NAME), in the order of models: in config.yaml, between the
sections before them and those after them; numbered sections are numbered in that order.
"""

from collections.abc import Iterable

from convstudy import models

OPENING = {"findings": "Key findings"}
BEFORE_MODELS = {
    "edges": "Edge detection",
    "conv_shapes": "Convolution shapes",
    "conv1x1": "1x1 convolution",
}
AFTER_MODELS = {
    "activations": "Activation maps",
    "confusion": "Confusion matrices",
    "time": "Where the time goes",
}
APPENDICES = {
    "environment": "Environment",
    "glossary": "Glossary",
    "references": "References",
    "runs": "Appendix: every run",
}
FIXED = {**OPENING, **BEFORE_MODELS, **AFTER_MODELS, **APPENDICES}


def model_sections(names: Iterable[str]) -> dict[str, list[str]]:
    """Each model section's key -> its models, for a study of the models `names` (models: in
    config.yaml), in their order: a section comes where its first model is listed."""
    sections: dict[str, list[str]] = {}
    for name in names:
        key = models.section(name)
        if key in FIXED:
            raise ValueError(
                f"model {name}: SECTION = {key!r} is a section of the report's own; name the "
                "model's own section (its name) or another model's"
            )
        sections.setdefault(key, []).append(name)
    return sections


def sections(names: Iterable[str]) -> dict[str, str]:
    """Every section's key -> its title ("2. Convolution shapes"), in the report's order, for a
    study of the models `names` (models: in config.yaml)."""
    own = {key: models.display_name(first) for key, (first, *_) in model_sections(names).items()}
    numbered = {**BEFORE_MODELS, **own, **AFTER_MODELS}
    return {
        **OPENING,
        **{key: f"{number}. {title}" for number, (key, title) in enumerate(numbered.items(), 1)},
        **APPENDICES,
    }


def title(key: str, names: Iterable[str]) -> str:
    """A section's title, for a study of the models `names`."""
    return sections(names)[key]


def number(key: str, names: Iterable[str]) -> str:
    """A numbered section's number ("8"), as prose refers to it ("section 8")."""
    return title(key, names).split(".", 1)[0]

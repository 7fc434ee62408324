"""The report's sections come from the models the config lists, and the introductions state the
config's values: the report package itself names no model and no setting's value."""

import re
import types

import pytest

from convstudy import models, outline
from convstudy.report import render
from convstudy.report import timing as timing_section
from tests.conftest import REPO
from tests.runs import quick_config


@pytest.fixture
def third_model(monkeypatch):
    """A registry with one more model, `tiny`, in a section of its own."""
    tiny = types.ModuleType("convstudy.models.tiny", "A tiny model, for tests only.")
    tiny.NAME, tiny.SECTION = "Tiny", "tiny"
    tiny.introduction = lambda config: f"Tiny at width {config['train']['width']:g}."
    registry = {**models.registry(), "tiny": tiny}
    monkeypatch.setattr(models, "registry", lambda: registry)
    return tiny


def test_the_models_sections_come_in_the_order_of_models_in_the_config(third_model):
    assert list(outline.sections(["lenet", "alexnet"]).values()) == [
        "Key findings",
        "1. Edge detection",
        "2. Convolution shapes",
        "3. 1x1 convolution",
        "4. LeNet",
        "5. AlexNet",
        "6. Activation maps",
        "7. Confusion matrices",
        "8. Where the time goes",
        "Environment",
        "Glossary",
        "References",
        "Appendix: every run",
    ]
    titles = outline.sections(["alexnet", "tiny", "lenet"])
    assert [titles[k] for k in ("alexnet", "tiny", "lenet", "activations", "time")] == [
        "4. AlexNet",
        "5. Tiny",
        "6. LeNet",
        "7. Activation maps",
        "9. Where the time goes",
    ]
    assert outline.number("time", ["alexnet", "tiny", "lenet"]) == "9"


def test_a_model_may_join_another_models_section(third_model):
    third_model.SECTION = "lenet"
    assert outline.model_sections(["lenet", "tiny", "alexnet"]) == {
        "lenet": ["lenet", "tiny"],
        "alexnet": ["alexnet"],
    }
    third_model.SECTION = "time"
    with pytest.raises(ValueError, match="model tiny: SECTION = 'time' is a section of the"):
        outline.sections(["lenet", "tiny"])


def plan_for(config: dict) -> dict:
    return {"models": list(config["models"]), "config": config}


def test_a_new_models_section_is_introduced_by_the_model(third_model):
    config = quick_config()
    config["models"]["tiny"] = {}
    plan = plan_for(config)
    introduction, build = render.section_parts(plan, "tiny")
    assert introduction == "Tiny at width 1."
    assert build.keywords == {"section": "tiny"}
    # The other sections' references follow the numbering.
    lenet, _ = render.section_parts(plan, "lenet")
    assert lenet.endswith("each arm's own speed is in section 9.")
    runs, _ = render.section_parts(plan, "runs")
    assert "(section 9 has those)" in runs


def test_introductions_state_the_values_of_the_config_they_describe():
    config = quick_config()
    plan = plan_for(config)
    alexnet = models.introduction("alexnet", config)
    assert "its images resized to 224 x 224, at 1/16 of its width" in alexnet
    assert "about 1/256 of its weights" in alexnet and "at its full width beside it" in alexnet
    lenet = models.introduction("lenet", config)
    assert "textbook 2019 (max pool) and textbook 2.0 (avg pool)" in lenet
    assert "(DataLoader with per-image transforms, 0, 2 or 5 worker processes)" in (
        timing_section.introduction(plan)
    )
    config["models"]["alexnet"].update(width=0.125, image_size=112)
    config["variants"]["workers_5"]["workers"] = 4
    config["variants"]["textbook"]["label"] = "d2l 2.0"
    alexnet = models.introduction("alexnet", config)
    assert "resized to 112 x 112, at 1/8 of its width (width 0.125: about 1/64" in alexnet
    assert "0, 2 or 4 worker processes" in timing_section.introduction(plan)
    assert "textbook 2019 (max pool) and d2l 2.0" in models.introduction("lenet", config)
    showcase, _ = render.section_parts(plan, "activations")
    assert "a trained LeNet" in showcase and "edge kernels of section 1" in showcase


def test_the_report_package_names_no_model():
    sources = [REPO / "convstudy" / "outline.py", *(REPO / "convstudy" / "report").glob("*.py")]
    names = {name for name in models.registry()} | {
        models.display_name(name) for name in models.registry()
    }
    pattern = re.compile(rf"\b({'|'.join(map(re.escape, names))})\b", re.IGNORECASE)
    found = {
        f"{path.name}: {match}" for path in sources for match in pattern.findall(path.read_text())
    }
    assert found == set()

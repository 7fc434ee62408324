"""README's "A new model", as a user follows it: its module and its config lines, copied verbatim
into a copy of the repository, train the new model in both frameworks beside LeNet through
Snakemake (one quick epoch, one seed, synthetic MNIST), and the report gives it a section of
its own."""

import json
import os
import re
import subprocess
import sys

import yaml

from convstudy import outline
from tests.conftest import REPO, deep_update, snakemake_command
from tests.workflow.test_layout import scratch_copy

README = REPO / "README.md"


def readme_block(language: str) -> str:
    """The fenced block of that language in README's paragraph on a new model."""
    text = README.read_text()
    assert "**A new model**" in text, "README.md has no paragraph on a new model"
    paragraph = text[text.index("**A new model**") :]
    block = re.search(rf"^```{language}\n(.*?)^```$", paragraph, re.MULTILINE | re.DOTALL)
    assert block, f"README.md shows no {language} block for a new model"
    return block[1]


def run(command, cwd, repo):
    """A command in the copy, with the copy's library (not the installed one)."""
    result = subprocess.run(
        command,
        cwd=cwd,
        env=dict(os.environ, PYTHONPATH=str(repo)),
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    return output


def test_the_readmes_new_model_trains_in_both_frameworks_in_a_section_of_its_own(
    tmp_path, synthetic_sources
):
    module = readme_block("python")
    named = re.fullmatch(r"# (convstudy/models/(\w+)\.py)", module.splitlines()[0])
    assert named, f"the module's first line names no file: {module.splitlines()[0]}"
    path, model = named[1], named[2]
    lines = yaml.safe_load(readme_block("yaml"))
    assert model in lines["models"]
    (name,) = lines["comparisons"]
    arms = lines["comparisons"][name]["runs"]
    assert {arm.split("/")[1] for arm in arms} >= {f"{model}-torch", f"{model}-mxnet"}
    assert any("/lenet-" in arm for arm in arms)

    repo = scratch_copy(tmp_path / "repo")
    assert not (repo / path).exists()
    (repo / path).write_text(module)
    workdir = tmp_path / "work"
    workdir.mkdir()
    config = deep_update(yaml.safe_load((repo / "config.yaml").read_text()), lines)
    quick = {"scale": {"seeds": [0], "epochs": 1}}
    deep_update(
        config, {"datasets": synthetic_sources, "preset": "quick", "presets": {"quick": quick}}
    )
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    table = f"results/tables/comparisons/{name}.csv"
    command = snakemake_command(workdir, "--cores", "2", table)
    command[command.index("--snakefile") + 1] = str(repo / "Snakefile")
    run(command, workdir, repo)

    assert (workdir / table).is_file()
    counted = set()
    for arm in arms:
        metrics = json.loads((workdir / "results/runs" / arm / "seed0/metrics.json").read_text())
        assert len(metrics["epochs"]) == 1 and metrics["settings"]["model"] in (model, "lenet")
        # Both frameworks build the network the module describes.
        assert metrics["parameters"] == metrics["parameters_from_spec"]
        if metrics["settings"]["model"] == model:
            counted.add(metrics["parameters"])
    (parameters,) = counted
    assert f" {parameters:,} parameters on MNIST" in README.read_text()

    # Its comparison is in a section of its own, numbered after the models listed before it,
    # introduced by the module.
    script = (
        "import json, yaml; from convstudy import analysis, models, outline; "
        "config = yaml.safe_load(open('config.yaml')); "
        f"section = analysis.comparison_section(config['comparisons']['{name}']); "
        "print(json.dumps([section, outline.title(section, config['models']), "
        f"models.display_name('{model}'), models.introduction(section, config)]))"
    )
    output = run([sys.executable, "-c", script], workdir, repo)
    section, title, display_name, introduction = json.loads(output.strip().splitlines()[-1])
    number = len(outline.BEFORE_MODELS) + list(config["models"]).index(model) + 1
    assert (section, title) == (model, f"{number}. {display_name}")
    assert introduction

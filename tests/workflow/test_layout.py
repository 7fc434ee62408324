"""One place per fact: a model is a module plus a config entry, an output path is written in one
rules file, every library module imports on its own, and nothing imports in a circle."""

import ast
import os
import pkgutil
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

import convstudy
from tests.conftest import REPO, run_snakemake, snakemake_command

RULE_FILES = [REPO / "Snakefile", *sorted((REPO / "rules").glob("*.smk"))]


def scratch_copy(destination: Path) -> Path:
    """The repository's files (tracked, and new ones not ignored), copied."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in files:
        if (REPO / name).is_dir():  # a link to a folder (a worktree's .venv): not the repository's
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    return destination


def test_a_model_is_one_module_plus_a_config_entry(tmp_path, synthetic_sources):
    repo = scratch_copy(tmp_path / "repo")
    # No edit inside the copy: a model's name is its module's file name.
    shutil.copy(repo / "convstudy/models/lenet.py", repo / "convstudy/models/lenet_copy.py")
    config = yaml.safe_load((repo / "config.yaml").read_text())
    config["models"]["lenet_copy"] = {}
    config["datasets"] = synthetic_sources
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    target = "results/runs/mnist/lenet_copy-torch/base/seed0/metrics.json"
    command = snakemake_command(workdir, "-n", "--cores", "1", target)
    command[command.index("--snakefile") + 1] = str(repo / "Snakefile")
    # The copy's library, not the installed one.
    env = dict(os.environ, PYTHONPATH=str(repo))
    result = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert f"output: {target}" in output
    assert re.search(r"^train\s+1$", output, re.MULTILINE), output[-2000:]


def string_literals(path: Path) -> list[str]:
    """The string literals of a Snakefile or .smk file (f-strings by their text)."""
    return re.findall(r"""f?"((?:results|\.\./results)/[^"]*)\"""", path.read_text())


def test_every_output_path_is_written_in_one_rules_file():
    where: dict[str, set[str]] = {}
    for path in RULE_FILES:
        for literal in string_literals(path):
            where.setdefault(literal, set()).add(path.name)
    assert where, "no output paths found"
    repeated = {literal: files for literal, files in where.items() if len(files) > 1}
    assert repeated == {}


def test_section_titles_are_written_only_in_the_outline():
    from convstudy import outline

    titles = outline.sections(yaml.safe_load((REPO / "config.yaml").read_text())["models"])
    sources = [*RULE_FILES, *(REPO / "convstudy").rglob("*.py"), *(REPO / "report").glob("*")]
    for path in sources:
        if path.name == "outline.py" or not path.is_file():
            continue
        text = path.read_text()
        for key, title in titles.items():
            if re.match(r"\d\. ", title):
                assert f'"{title}"' not in text, (title, path)
                if key in outline.FIXED:  # a model's section is titled by its NAME
                    assert f'"{outline.FIXED[key]}"' not in text, (title, path)


def convstudy_modules() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.walk_packages(convstudy.__path__, prefix="convstudy.")
        if not info.name.endswith("__main__")
    )


def test_every_library_module_imports_on_its_own():
    modules = convstudy_modules()
    assert "convstudy.models.lenet" in modules and "convstudy.report" in modules

    def import_alone(module):
        return module, subprocess.run(
            [sys.executable, "-W", "ignore", "-c", f"import {module}"],
            capture_output=True,
            text=True,
            cwd=REPO,
        )

    # Each in a fresh interpreter; two at a time.
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(import_alone, modules))
    failures = {
        module: result.stderr.strip().splitlines()[-1]
        for module, result in results
        if result.returncode != 0
    }
    assert failures == {}


def imports_of(path: Path, package_root: Path) -> set[str]:
    """The convstudy modules a file imports, anywhere in it (module level or in functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("convstudy"):
                found.add(node.module)
                for alias in node.names:
                    candidate = f"{node.module}.{alias.name}"
                    if (package_root.parent / (candidate.replace(".", "/") + ".py")).exists():
                        found.add(candidate)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("convstudy")}
    return found


def test_no_module_imports_another_that_imports_it_back():
    root = REPO / "convstudy"
    graph = {}
    for path in root.rglob("*.py"):
        name = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        graph[name] = {m for m in imports_of(path, root) if m != name}
    circles = []

    def visit(module, trail):
        for imported in graph.get(module, ()):
            # A package's __init__ is part of importing its modules: not a circle.
            if imported in trail and not trail[-1].startswith(imported + "."):
                circles.append(trail[trail.index(imported) :] + [imported])
            elif imported not in trail and len(trail) < 12:
                visit(imported, trail + [imported])

    for module in graph:
        visit(module, [module])
    assert circles == []


def test_a_dry_run_of_a_local_target_never_probes_a_download_host(tmp_path, synthetic_sources):
    config = {
        "datasets": {**synthetic_sources, "cifar100": {"sources": ["official"]}},
        "preset": "quick",
    }
    result = run_snakemake(
        tmp_path, "-n", "--cores", "1", "results/datasets/mnist.npz", config=config
    )
    assert "CIFAR-100 is not available" not in result.output
    assert not (tmp_path / ".snakemake" / "convstudy" / "source_probes.json").exists()


def test_offline_skips_the_probe_and_says_why(tmp_path, synthetic_sources):
    config = {
        "datasets": {**synthetic_sources, "cifar100": {"sources": ["official"]}},
        "preset": "quick",
        "offline": True,
    }
    result = run_snakemake(tmp_path, "-n", "--cores", "1", config=config)
    assert "CIFAR-100 is not available (offline: true" in result.output
    assert not (tmp_path / ".snakemake" / "convstudy" / "source_probes.json").exists()


def included_helper_files() -> list[Path]:
    """The Snakefile's helper files (rules/common), in the order it includes them."""
    snakefile = (REPO / "Snakefile").read_text()
    return [
        REPO / name for name in re.findall(r'^include: "(rules/common/[^"]+)"', snakefile, re.M)
    ]


def test_no_rules_helper_uses_one_defined_in_a_later_included_file():
    """Snakemake runs every included file in one namespace, so a helper could call one a later
    file defines; each reads only what the files before it (and the study) define."""
    files = included_helper_files()
    assert [path.name for path in files[:4]] == [
        "config.smk",
        "datasets.smk",
        "edges.smk",
        "study.smk",
    ]
    defined: dict[str, int] = {}
    used: list[set[str]] = []
    for index, path in enumerate(files):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            names = []
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                names = [node.name]
            elif isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            for name in names:
                defined.setdefault(name, index)
        used.append(
            {
                node.id
                for node in ast.walk(tree)
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
            }
        )
    later = {
        path.name: sorted(name for name in names if defined.get(name, -1) > index)
        for index, (path, names) in enumerate(zip(files, used, strict=True))
    }
    assert {name: found for name, found in later.items() if found} == {}
    # The study's decisions live in convstudy.plan: no helper resolves runs or seeds itself.
    for path in files:
        text = path.read_text()
        for decision in ("comparison_runs(", "arm_seeds(", "gpu_decision(", "check_all("):
            assert decision not in text or path.name == "study.smk", (path.name, decision)

"""The whole study at the quick preset on synthetic data, through Snakemake, ending in the report.

One quick-preset run of the default target is shared by the tests of this module (it trains every
declared run, a few minutes on two cores); each test then reads or extends it.
"""

import html
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml

from convstudy import outline
from convstudy import settings as run_settings
from convstudy.config import apply_preset
from convstudy.environment import gpu_names
from tests.conftest import REPO, deep_update, require, run_snakemake

pytestmark = pytest.mark.slow

# The report's sections, for config.yaml's models.
SECTIONS = outline.sections(yaml.safe_load((REPO / "config.yaml").read_text())["models"])
# Left out where no GPU is available (config: gpu_comparisons: auto), with an estimate instead.
GPU_COMPARISONS = {"alexnet_full_size"}
GPU_ONLY_ARM = "fashion_mnist/alexnet-torch/full_size"

CIFAR100_COMPARISONS = {
    "lenet_cifar100",
    "lenet_width_cifar100",
    "alexnet_cifar100_lr",
    "alexnet_cifar100_batch_size",
}


def resolved_config(overrides: dict) -> dict:
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    return apply_preset(deep_update(config, overrides))


def embedded_figures(report_html: str) -> set[str]:
    """The files (relative to results/) of the figures embedded in the report."""
    return set(
        re.findall(
            r'<img src="data:image/webp;base64,[^"]+" [^>]*data-source="([^"]+)"', report_html
        )
    )


@pytest.fixture(scope="module")
def quick_study(tmp_path_factory, synthetic_sources):
    """`snakemake --cores 4` (rule all) at the quick preset, once for the module."""
    workdir = tmp_path_factory.mktemp("quick_study")
    config = {"datasets": synthetic_sources, "preset": "quick"}
    started = time.monotonic()
    result = run_snakemake(workdir, "--cores", "4", config=config, timeout=1800)
    seconds = time.monotonic() - started
    print(f"quick preset, whole study and report: {seconds:.0f} s")
    return SimpleNamespace(
        workdir=workdir,
        config=config,
        output=result.output,
        seconds=seconds,
        report=workdir / "results" / "report.html",
    )


def test_the_default_target_ends_in_a_report_of_every_section_and_figure(quick_study):
    results = quick_study.workdir / "results"
    text = quick_study.report.read_text()
    for title in SECTIONS.values():
        assert f"<h2>{title}</h2>" in text, title
    # Every figure the workflow drew is in the report, embedded (no file links).
    drawn = {str(p.relative_to(results)) for p in results.rglob("figures/**/*.png")}
    assert embedded_figures(text) == drawn
    assert 'src="http' not in text and "<script" not in text
    config = resolved_config(quick_study.config)
    left_out = set() if gpu_names()[0] else GPU_COMPARISONS
    for name, comparison in config["comparisons"].items():
        if name in left_out:
            assert not (results / "figures" / "comparisons" / f"{name}.png").exists()
            continue
        assert (results / "figures" / "comparisons" / f"{name}.png").is_file()
        table = pd.read_csv(results / "tables" / "comparisons" / f"{name}.csv")
        assert len(table) == len(comparison["runs"]) + len(run_settings.references(comparison))
        assert f'<h3 id="{name}">' in text
    for name in ("time_breakdown.png", "width.png"):
        assert (results / "figures" / name).is_file()
    for dataset in ("mnist", "fashion_mnist"):
        assert (results / "figures" / "activations" / f"{dataset}.png").is_file()
        assert (results / "figures" / "confusion" / f"{dataset}.png").is_file()
    runs = pd.read_csv(results / "tables" / "runs.csv")
    gpu_only = [r for r in run_settings.declared_runs(config) if r.arm == GPU_ONLY_ARM]
    assert len(runs) == len(run_settings.declared_runs(config)) - len(left_out and gpu_only)
    # A comparison left out for lack of a GPU is named once, where it belongs, with why and the
    # CPU time an epoch would take, measured on a short pass.
    assert text.count("Not run for lack of a GPU") == len(left_out)
    if left_out:
        notice = re.search(r"Not run for lack of a GPU: [^<]*", text)[0]
        assert "AlexNet on Fashion-MNIST: full size" in notice and "no GPU here" in notice
        assert re.search(r"would take about \d+ (s|min|h)", notice), notice
        assert "an estimate from one pass over 32 training images" in notice
        where = text.index(notice)
        assert text.index("<h2>5. AlexNet</h2>") < where < text.index("<h2>6. Activation maps</h2>")
    # Findings come from the numbers; two seeds per arm are too few for an interval, so the
    # report opens with key findings that say it states none, and no arm gets a verdict.
    assert text.count('<ul class="findings">') >= len(config["comparisons"]) - len(left_out)
    assert "Not run:" not in text
    key_findings = text[text.index("<h2>Key findings</h2>") : text.index("<h2>1. Edge")]
    assert "This build used the quick preset" in key_findings
    assert "states no finding" in key_findings
    assert not re.search(r"95% CI [-+]?\d", text) and "too few seeds for an interval" in text
    assert '<dl class="glossary">' in text
    # Every comparison states how its intervals were computed, and every time is from alone.
    summary = pd.read_csv(results / "tables" / "comparisons.csv")
    assert set(summary["interval"].dropna()) <= {"identical", "too few seeds"}
    too_few = summary[summary["interval"] == "too few seeds"]
    assert len(too_few) > 0 and set(too_few["seeds"]) == {2}
    for column in ("ci_low", "ci_high", "detectable", "p_value", "q_value"):
        assert too_few[column].isna().all(), column
    assert set(summary["timing"]) == {"alone"}
    # Arms identical by construction are found identical on every seed.
    data_path = pd.read_csv(results / "tables" / "comparisons" / "lenet_data_path.csv")
    assert list(data_path["interval"].fillna("")) == ["", "identical", "identical", "identical"]
    assert "<h2>Environment</h2>" in text
    assert "These numbers come from the quick preset" in re.sub(r"<[^>]+>", "", text)
    # Done means done: a second invocation has nothing to do.
    again = run_snakemake(quick_study.workdir, "-n", "--cores", "1", config=quick_study.config)
    assert "Nothing to be done" in again.output, again.output[-3000:]


def build_log(study) -> Path:
    """The build's own Snakemake log: the first (later tests run other targets in its folder)."""
    return sorted((study.workdir / ".snakemake" / "log").glob("*.snakemake.log"))[0]


def job_events(log_text: str):
    """(event, jobid, rule) in the order Snakemake logged them: its own record of which jobs
    ran when (independent of the one-second resolution of its timestamps)."""
    events, rule = [], None
    for line in log_text.splitlines():
        started = re.match(r"^(?:local)?rule (\w+):$", line)
        if started:
            rule = started[1]
        elif rule and (jobid := re.match(r"^\s+jobid: (\d+)$", line)):
            events.append(("start", int(jobid[1]), rule))
            rule = None
        elif finished := re.match(r"^Finished jobid: (\d+) \(Rule: (\w+)\)", line):
            events.append(("end", int(finished[1]), finished[2]))
    return events


def test_a_timing_job_never_runs_beside_another_job(quick_study):
    log = build_log(quick_study)
    events = job_events(log.read_text())
    rules = {jobid: rule for _, jobid, rule in events}
    assert "time_comparison" in rules.values() and "train" in rules.values()
    running, timed_alone = set(), 0
    alone = {"time_comparison", "estimate_cpu_epoch", "estimate_build"}  # all measure time
    for event, jobid, rule in events:
        if event == "start":
            if rule in alone:
                assert not running, f"{rule} job {jobid} started beside {running}"
                timed_alone += rule == "time_comparison"
            else:
                assert not any(
                    rules[j] in alone for j in running
                ), f"{rule} job {jobid} started beside a timing job"
            running.add(jobid)
        else:
            running.discard(jobid)
    # Four train jobs did run at once elsewhere in the build (--cores 4, one thread each).
    most, running = 0, set()
    for event, jobid, rule in events:
        if rule == "train":
            (running.add if event == "start" else running.discard)(jobid)
            most = max(most, len(running))
    assert most > 1
    timings = list((quick_study.workdir / "results" / "timing").rglob("*.json"))
    assert timed_alone == len(timings) > 0


def test_the_build_starts_with_its_estimate_and_sums_its_cost(quick_study):
    results = quick_study.workdir / "results"
    log = build_log(quick_study)
    events = job_events(log.read_text())
    # The estimate has no input: the first job, alone; its text is in the build's log.
    assert events[0] == ("start", events[0][1], "estimate_build")
    assert "# What this build costs, estimated before it runs" in quick_study.output
    estimate = json.loads((results / "estimate.json").read_text())
    runs = len(list((results / "runs").rglob("metrics.json")))
    assert estimate["runs"] == estimate["runs_left"] == runs
    assert estimate["wall_seconds"] > 0
    assert {"lenet x mxnet x fashion_mnist", "alexnet x torch x mnist"} <= set(estimate["by_kind"])
    # Every job that computes wrote a benchmark file, and the Environment section sums them.
    computed = {rule for event, _, rule in events if event == "start"} - {
        "all",
        "environment",
        "report",
    }  # those two run after the sums
    costs = pd.read_csv(results / "tables" / "cost.csv")
    by_rule = costs[costs["group"] == "rule"].set_index("name")
    assert set(by_rule.index) == computed
    assert by_rule.loc["train", "jobs"] == runs
    assert (by_rule["wall_seconds"] > 0).all() and (by_rule["cpu_seconds"] > 0).all()
    assert by_rule.loc["train", "estimated_wall_seconds"] > 0
    kinds = costs[costs["group"] == "model x framework x dataset"]
    assert kinds["jobs"].sum() == runs
    environment = pd.read_csv(results / "tables" / "environment.csv").set_index("item")
    assert "CPU efficiency" in environment.loc["Build cost", "value"]
    assert "estimated before the build" in environment.loc["Build cost", "value"]
    assert "What the build's jobs cost" in html.unescape(quick_study.report.read_text())


def test_each_epoch_says_the_time_left_and_a_build_says_how_far_it_is(quick_study):
    log = next((quick_study.workdir / "results" / "logs" / "runs").rglob("seed0.log")).read_text()
    assert re.search(r"epoch 1/2: .* about \d+ s left", log), log
    assert re.search(r"epoch 2/2: .*, done", log), log
    done = run_snakemake(quick_study.workdir, "--cores", "1", "progress", config=quick_study.config)
    runs = len(list((quick_study.workdir / "results" / "runs").rglob("metrics.json")))
    assert f"{runs} of {runs} runs done" in done.output
    printed = run_snakemake(
        quick_study.workdir, "--cores", "8", "estimate", config=quick_study.config
    )
    assert "at --cores 8" in printed.output and "| model x framework x dataset |" in printed.output


def test_snakemake_report_groups_the_captions_by_section(quick_study):
    run_snakemake(
        quick_study.workdir,
        "--report",
        "results/snakemake_report.html",
        config=quick_study.config,
    )
    text = (quick_study.workdir / "results" / "snakemake_report.html").read_text()
    for category in (
        "1. Edge detection",
        "4. LeNet",
        "5. AlexNet",
        "6. Activation maps",
        "7. Confusion matrices",
        "8. Where the time goes",
    ):
        assert category in text, category
    assert "LeNet: max vs average pooling" in text  # a comparison's caption, rendered


def chromium_driver(tmp_path):
    """Headless Debian Chromium through Selenium, or a skip saying what is missing (a failure
    under CI=true)."""
    try:
        from selenium import webdriver
    except ImportError:
        webdriver = None
    require(webdriver, "selenium is not installed (envs/setup.sh --tests installs it)")
    browser = shutil.which("chromium")
    driver = shutil.which("chromedriver")
    require(
        browser and driver,
        "Chromium or chromedriver not installed (envs/setup.sh --tests installs both; as root)",
    )
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        # Without these Chromium opens connections of its own, which are refused here.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tempfile.mkdtemp(dir=tmp_path)}",
        "--window-size=1280,1000",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


ARTIFACTS = Path(os.environ.get("CONVSTUDY_ARTIFACTS", REPO / "test-artifacts"))
PAGE_WEIGHT_LIMIT = 3_000_000  # bytes: the report must stay light enough to mail and open

# Per viewport width: the document's size, what sticks out to the right, and every figure and
# table with its number and link.
PAGE_PROBE = """
const root = document.documentElement;
const sticking = [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > root.clientWidth + 0.5)
  .map(e => e.tagName + '#' + (e.id || e.closest('[id]')?.id || ''));
const figures = [...document.querySelectorAll('figure')].map(f => [
  f.querySelector('.label')?.textContent, f.querySelector('figcaption a')?.getAttribute('href'),
  f.querySelector('img').complete && f.querySelector('img').naturalWidth > 0]);
const tables = [...document.querySelectorAll('.table-wrap')].map(t => [
  t.querySelector('.label')?.textContent,
  t.querySelector('.table-caption a')?.getAttribute('href')]);
const internal = [...document.querySelectorAll('a[href^="#"]')].map(a => a.getAttribute('href'));
const broken = internal.filter(h => !document.getElementById(decodeURIComponent(h.slice(1))));
const shown = [...document.querySelectorAll('figure img')].map(i => [
  i.dataset.source, i.getBoundingClientRect().width]);
return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth,
        height: root.scrollHeight, sticking: sticking.slice(0, 10), figures, tables,
        internal, broken, shown};
"""
# Smallest text a reader must be able to read in a figure, as shown at 800 px (CSS pixels).
SMALLEST_FIGURE_TEXT_PX = 10


def save_screenshots(driver, name: str) -> None:
    """The first screen at this width, and the whole page at a quarter of its size."""
    import base64

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}-top.png"))
    width, height = driver.execute_script(
        "return [document.documentElement.clientWidth, document.documentElement.scrollHeight]"
    )
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 0.25},
        },
    )
    (ARTIFACTS / f"{name}-page.png").write_bytes(base64.b64decode(shot["data"]))


@pytest.mark.browser
@pytest.mark.parametrize("width", [1400, 800])
def test_the_report_fits_loads_and_numbers_every_figure_in_chromium(quick_study, tmp_path, width):
    weight = quick_study.report.stat().st_size
    assert weight <= PAGE_WEIGHT_LIMIT, f"the report weighs {weight / 1e6:.2f} MB"
    driver = chromium_driver(tmp_path)
    try:
        driver.set_window_size(width, 1000)
        driver.get(quick_study.report.as_uri())
        page = driver.execute_script(PAGE_PROBE)
        save_screenshots(driver, f"report-quick-{width}")
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        title = driver.title
    finally:
        driver.quit()
    print(f"{width} px: page {page['height']:,} px tall, {weight / 1e6:.2f} MB")
    assert errors == [] and "study" in title
    # Nothing wider than the window: no sideways scrolling, of the page or of anything in it.
    assert page["scrollWidth"] <= page["clientWidth"] <= width
    assert page["sticking"] == []
    # Every figure and table numbered in order, loaded, and linked to its file under results/.
    results = quick_study.report.parent
    figures, tables = page["figures"], page["tables"]
    assert [label for label, _, _ in figures] == [
        f"Figure {n}." for n in range(1, len(figures) + 1)
    ]
    assert [label for label, _ in tables] == [f"Table {n}." for n in range(1, len(tables) + 1)]
    assert all(loaded for _, _, loaded in figures)
    assert len(figures) == len(embedded_figures(quick_study.report.read_text())) > 30
    for _, link, _ in figures:
        assert link.endswith(".png") and (results / link).is_file(), link
    for _, link in tables:
        assert link.endswith(".csv") and (results / link).is_file(), link
    # Every reference to a figure, table, section, citation or glossary term is a link that
    # resolves, and each section links back to the contents.
    assert page["broken"] == []
    internal = page["internal"]
    assert any(h.startswith("#figure-") for h in internal)
    assert any(h.startswith("#table-") for h in internal)
    assert any(h.startswith("#reference-") for h in internal)
    assert any(h.startswith("#term-") for h in internal)
    assert internal.count("#contents") >= len(SECTIONS)
    # The text in the comparisons' figures is legible as shown: the smallest font the figure
    # was drawn with (PNG metadata, in the PNG's pixels) times the scale it is displayed at.
    from PIL import Image

    checked = 0
    for source, displayed_width in page["shown"]:
        if not source.startswith(("figures/comparisons/", "figures/time_breakdown")):
            continue
        with Image.open(results / source) as image:
            smallest = float(image.text["min_font_px"]) * displayed_width / image.width
        if width == 800:
            assert smallest >= SMALLEST_FIGURE_TEXT_PX, (source, round(smallest, 1))
        checked += 1
    assert checked > 10


def referred_numbers(text: str, noun: str) -> set[str]:
    """The numbers a text refers to as 'Figure 3' or 'Figures 3, 4 and 5'."""
    groups = re.findall(rf"\b{noun}s? (\d+(?:(?:, | and )\d+)*)", text)
    return {number for group in groups for number in re.findall(r"\d+", group)}


def test_every_figure_and_table_is_referred_to_from_the_text(quick_study):
    text = quick_study.report.read_text()
    findings_text = " ".join(re.findall(r'<ul class="findings">(.*?)</ul>', text, re.DOTALL))
    # References are links ('Figures <a href="#figure-3">3</a> and ...'): read their words.
    findings_text = re.sub(r"<[^>]+>", "", findings_text)
    for noun in ("Figure", "Table"):
        numbered = set(re.findall(rf'<span class="label">{noun} (\d+)\.</span>', text))
        missing = numbered - referred_numbers(findings_text, noun)
        assert numbered and not missing, (noun, sorted(missing, key=int))


def test_with_one_seed_and_no_cifar100_the_report_says_what_it_cannot_conclude_or_run(
    quick_study, tmp_path
):
    # The same study with one seed, after CIFAR-100 became unavailable: no run trains again
    # (seed 0 of every arm is there); only the summaries and the report are redone.
    workdir = tmp_path / "one_seed_no_cifar"
    shutil.copytree(quick_study.workdir, workdir, symlinks=True)
    (workdir / "results" / "datasets" / "cifar100.npz").unlink()
    missing = tmp_path / "nowhere" / "cifar-100-python.tar.gz"
    config = {
        **quick_study.config,
        "datasets": {
            **quick_study.config["datasets"],
            "cifar100": {"sources": [{"path": str(missing)}]},
        },
        "presets": {"quick": {"scale": {"seeds": [0]}}},
    }
    result = run_snakemake(workdir, "--cores", "2", config=config)
    assert "CIFAR-100 is not available" in result.output
    assert "rule train:" not in result.output, "no run needs training again"
    text = (workdir / "results" / "report.html").read_text()
    for title in SECTIONS.values():
        assert f"<h2>{title}</h2>" in text, title
    config = resolved_config(config)
    assert config["scale"]["seeds"] == [0]
    # Skipped parts: which, why (the source that was tried) and how to enable them.
    # Named once at the top with why and how to enable it, and in each section that lost parts.
    assert text.count("Left out for lack of CIFAR-100") == 1
    assert text.count("datasets.cifar100.sources in config.yaml") == 1
    for name in CIFAR100_COMPARISONS:
        title = html.escape(config["comparisons"][name]["title"])
        assert re.search(rf"Not run for lack of CIFAR-100[^<]*{re.escape(title)}", text), name
        assert f"figures/comparisons/{name}.png" not in embedded_figures(text)
    assert "datasets.cifar100.sources in config.yaml" in text
    assert str(missing) in text
    for table in ("runs.csv", "time_breakdown.csv"):
        arms = pd.read_csv(workdir / "results" / "tables" / table).iloc[:, 0]
        assert not arms.str.contains("cifar100").any(), table
    assert "cifar100" not in set(pd.read_csv(workdir / "results/tables/width.csv")["dataset"])
    # One seed per arm: no interval anywhere, and the findings say there is no conclusion.
    summary = pd.read_csv(workdir / "results" / "tables" / "comparisons.csv")
    assert set(summary["seeds"]) == {1}
    verdicts = summary.loc[summary["role"] != "baseline", "verdict"]
    # (arms identical by construction are identical on their one seed too)
    assert set(verdicts) == {"too few seeds", "identical"}
    assert "95% CI " not in text and "too few seeds for an interval" in text


def test_one_figure_target_schedules_only_its_own_runs(tmp_path, synthetic_sources):
    config = {"datasets": synthetic_sources, "preset": "quick"}
    name = "lenet_pooling"
    result = run_snakemake(
        tmp_path, "-n", "--cores", "1", f"results/figures/comparisons/{name}.png", config=config
    )
    scheduled = set(re.findall(r"output: results/runs/(\S+)/metrics\.json", result.output))
    expected = {run.path for run in run_settings.comparison_runs(resolved_config(config), name)}
    assert scheduled == expected
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", result.output, flags=re.MULTILINE))
    # Its arms are timed together, in one job.
    assert jobs == {
        "dataset": "1",
        "train": str(len(expected)),
        "time_comparison": "1",
        "comparison": "1",
        "total": str(len(expected) + 3),
    }
    assert not (Path(tmp_path) / "results").exists()

"""The workflow through `--profile profiles/slurm` on a real one-node Slurm cluster.

The cluster (tests/slurm_cluster.py) has accounting and two fake GPUs; the assertions read
Slurm's own records (sacct): which rule each job ran, whether it asked for a GPU, and its state.

The slice run here (one Snakemake run, three job waves: dataset, training runs, aggregation) is
a real part of the quick preset on synthetic data; the block marked THE SLICE says which.

Wall time: about 3 minutes, nearly all of it plugin 1.4.0's fixed waits: 40 s before the first
status check, 40 s after each finished wave, and one more 40 s sleep before Snakemake exits.
"""

import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from convstudy.backends import FRAMEWORKS, installed_with_gpu_support
from tests.conftest import REPO, deep_update
from tests.slurm_cluster import SlurmCluster, slurm_cluster_fixture  # noqa: F401

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

PROFILE = REPO / "profiles" / "slurm"

# --- THE SLICE: what runs, and what each job must ask Slurm for -------------------------------
#
# The real workflow, quick preset: LeNet in MXNet and in PyTorch on Fashion-MNIST (the
# lenet_frameworks comparison: two arms, two seeds each, each arm also timed alone) and that
# comparison's aggregated table.
# The cluster's GPUs are fake, so no framework can really use one: device is cuda with
# cpu_fallback, and a run that was given a GPU it cannot use says so in its log.

COMPARISON = "lenet_frameworks"
TARGETS = [f"results/tables/comparisons/{COMPARISON}.csv"]
SEEDS = [0, 1]
# A timing comparison: its two arms are timed together, in one time_comparison job.
JOB_COUNTS = {"dataset": 1, "train": 2 * len(SEEDS), "time_comparison": 1, "comparison": 1}
# Minutes each job asks for: the rule's own where it declares it (train per model: LeNet 60;
# time_comparison 30), else the profile's set-resources (dataset 30), else its default (60).
RUNTIMES = {"dataset": 30, "train": 60, "time_comparison": 30, "comparison": 60}
TIMING_RULES = ("time_comparison",)
CONFIG = {"preset": "quick", "device": "cuda", "cpu_fallback": True}


def expects_gpu(job: dict) -> bool:
    """The rule's own per-run decision: training and timing runs whose framework build can use a
    GPU. (The plugin's comment joins wildcard values with '_', so match framework names as
    tokens.)"""
    if job["rule"] == "time_comparison":  # the slice's arms: one per framework
        return any(installed_with_gpu_support(framework) for framework in FRAMEWORKS)
    if job["rule"] != "train":
        return False
    framework = next(f for f in FRAMEWORKS if f in job["wildcards"].split("_"))
    return installed_with_gpu_support(framework)


def check_outputs(workdir: Path, jobs: list[dict]) -> None:
    """Each run saw the GPU Slurm gave it (or none), and trained on the CPU it fell back to."""
    for metrics_file in (workdir / "results" / "runs").rglob("metrics.json"):
        metrics = json.loads(metrics_file.read_text())
        framework = metrics["settings"]["framework"]
        assigned = metrics["cuda_visible_devices"]
        log = (workdir / "results/logs/runs" / f"{metrics['run']}.log").read_text()
        assert metrics["device"].startswith("cpu"), metrics["device"]
        if installed_with_gpu_support(framework):
            assert re.fullmatch(r"[0-9]", assigned or ""), (metrics["run"], assigned)
            assert "sees no GPU here (CUDA_VISIBLE_DEVICES=" in log, log
        else:
            assert not assigned, (metrics["run"], assigned)
    table = (workdir / TARGETS[0]).read_text()
    assert "mxnet" in table and "torch" in table, table


def slice_snakefile(workdir: Path) -> Path | None:
    return None


# --- running Snakemake on the cluster ----------------------------------------------------------


def profile_for_test(cluster: SlurmCluster, directory: Path) -> Path:
    """profiles/slurm unchanged, plus what a user sets for their cluster (account, partition),
    memory capped to the test node, and successful jobs' Slurm logs kept for inspection."""
    settings = yaml.safe_load((PROFILE / "config.yaml").read_text())
    defaults = settings.setdefault("default-resources", {})
    defaults.update(slurm_account=cluster.account, slurm_partition=cluster.partition)
    for resources in [defaults, *settings.get("set-resources", {}).values()]:
        if "mem_mb" in resources:
            resources["mem_mb"] = min(resources["mem_mb"], cluster.memory_mb)
    settings["slurm-keep-successful-logs"] = True
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.yaml").write_text(yaml.safe_dump(settings))
    return directory


def run_on_slurm(cluster, workdir, targets, snakefile=None, config=None, timeout=900):
    """Snakemake with the Slurm profile in workdir, on a copy of config.yaml with overrides
    (as conftest.run_snakemake does), verbose so that the plugin logs its sbatch calls."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    settings = yaml.safe_load((REPO / "config.yaml").read_text())
    deep_update(settings, config or {})
    (workdir / "config.yaml").write_text(yaml.safe_dump(settings))
    profile = profile_for_test(cluster, workdir / "profile")
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(snakefile or REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(workdir / "config.yaml"),
        "--profile",
        str(profile),
        "--verbose",
        *targets,
    ]
    env = dict(cluster.env, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    env.pop("CUDA_VISIBLE_DEVICES", None)  # only Slurm may set it in the jobs
    result = subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout
    )
    output = result.stdout + result.stderr
    (workdir / "snakemake.log").write_text(output)
    if result.returncode != 0:
        logs = "\n".join(
            f"--- {log} ---\n{log.read_text()[-2000:]}"
            for log in sorted((workdir / ".snakemake" / "slurm_logs").rglob("*.log"))
        )
        raise AssertionError(
            f"snakemake on Slurm exited {result.returncode}\n{output[-8000:]}\n{logs}"
        )
    run_id = re.search(r"SLURM run ID: (\S+)", output).group(1)
    sbatch = [
        line.split("sbatch call: ", 1)[1] for line in output.splitlines() if "sbatch call: " in line
    ]
    return run_id, sbatch, output


# --- Slurm's records ---------------------------------------------------------------------------

SACCT_FIELDS = ["JobIDRaw", "JobName", "Comment", "State", "ReqTRES", "AllocTRES", "Timelimit"]


def tres(text: str) -> dict[str, str]:
    """'billing=1,cpu=1,gres/gpu=1,mem=500M,node=1' -> {'cpu': '1', 'gres/gpu': '1', ...}"""
    return dict(item.split("=", 1) for item in text.split(",") if "=" in item)


def submitted_jobs(cluster: SlurmCluster, run_id: str) -> list[dict]:
    """The jobs one Snakemake run submitted, as Slurm's accounting recorded them.

    Each: jobid, rule, wildcards (the plugin's comment: values joined by '_'), state,
    gpus_requested / gpus_allocated (ints, from ReqTRES / AllocTRES gres/gpu), timelimit, raw."""
    since = (datetime.now() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S")
    result = cluster.run(
        "sacct",
        "-X",
        "-P",
        "-n",
        "--starttime",
        since,
        "--name",
        run_id,
        f"--format={','.join(SACCT_FIELDS)}",
    )
    jobs = []
    for line in result.stdout.splitlines():
        if not line.strip():
            continue
        raw = dict(zip(SACCT_FIELDS, line.split("|"), strict=True))
        rule, _, wildcards = raw["Comment"].removeprefix("rule_").partition("_wildcards_")
        requested, allocated = tres(raw["ReqTRES"]), tres(raw["AllocTRES"])
        jobs.append(
            {
                "jobid": raw["JobIDRaw"],
                "rule": rule,
                "wildcards": wildcards,
                "state": raw["State"],
                "gpus_requested": int(requested.get("gres/gpu", 0)),
                "gpus_allocated": int(allocated.get("gres/gpu", 0)),
                "gpu_requested": "gres/gpu" in requested,
                "memory": requested.get("mem"),
                "timelimit": raw["Timelimit"],
                "raw": line,
            }
        )
    return jobs


def minutes(timelimit: str) -> int:
    """Slurm's [D-]HH:MM:SS -> minutes."""
    days, _, clock = timelimit.rpartition("-")
    hours, mins, _ = (int(x) for x in clock.split(":"))
    return int(days or 0) * 1440 + hours * 60 + mins


# --- the test ----------------------------------------------------------------------------------


def test_slice_runs_on_slurm_with_gpus_only_where_asked(slurm_cluster, tmp_path, synthetic_sources):
    started = time.monotonic()
    run_id, sbatch, _ = run_on_slurm(
        slurm_cluster,
        tmp_path,
        TARGETS,
        snakefile=slice_snakefile(tmp_path),
        config={"datasets": synthetic_sources, **CONFIG},
    )
    print(f"\nsnakemake on Slurm took {time.monotonic() - started:.0f} s", file=sys.stderr)
    print("sbatch calls:\n" + "\n".join(sbatch), file=sys.stderr)

    jobs = submitted_jobs(slurm_cluster, run_id)
    print("sacct:\n" + "\n".join(job["raw"] for job in jobs), file=sys.stderr)

    # Every job the run needed went through Slurm, and finished.
    counts = {rule: sum(job["rule"] == rule for job in jobs) for rule in JOB_COUNTS}
    assert counts == JOB_COUNTS, jobs
    assert len(jobs) == sum(JOB_COUNTS.values()), jobs
    assert all(job["state"] == "COMPLETED" for job in jobs), jobs

    # GPU requests, from Slurm's records: one GPU where the run can use it, none elsewhere.
    for job in jobs:
        expected = 1 if expects_gpu(job) else 0
        assert job["gpus_requested"] == expected, job
        # A timing job has the whole node (--exclusive), its GPUs included.
        if job["rule"] not in TIMING_RULES:
            assert job["gpus_allocated"] == expected, job
    assert any(expects_gpu(job) for job in jobs), "the slice has no GPU job"
    assert any(not expects_gpu(job) for job in jobs), "the slice has no CPU-only job"

    # How the plugin asked: --gpus=1 for GPU jobs, no GPU flag for the others; the profile's
    # runtime and memory on every job.
    assert len(sbatch) == len(jobs), sbatch
    assert sum("--gpus=1" in call for call in sbatch) == sum(j["gpus_requested"] for j in jobs)
    assert not any("--gres" in call for call in sbatch), sbatch
    assert all(" -t " in call and " --mem " in call for call in sbatch), sbatch

    # Each job's time limit as its rule or the profile says; each training run asked for its
    # rule's per-model memory (LeNet: 1500 MB), not one size for every run.
    for job in jobs:
        assert minutes(job["timelimit"]) == RUNTIMES[job["rule"]], job
        if job["rule"] == "train":
            assert job["memory"] == "1500M", job

    check_outputs(tmp_path, jobs)

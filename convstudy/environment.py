"""The conditions a number was measured under: the machine and the software.

Training runs and timing jobs record machine() in their JSON, so the report states where its
numbers come from (on a cluster that is the compute node, not the machine building the report).
"""

import importlib.metadata
import os
import platform
import shutil
import subprocess
import time
from pathlib import Path

from convstudy.cost import duration

# The libraries whose versions the report states, in this order.
LIBRARIES = (
    "mxnet",
    "torch",
    "torchvision",
    "numpy",
    "scipy",
    "opencv-python-headless",
    "pandas",
    "matplotlib",
    "snakemake",
)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return float("nan")


def _operating_system() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return f"{line.split('=', 1)[1].strip(chr(34))}, {platform.system()} " + (
                    platform.release()
                )
    except OSError:
        pass
    return platform.platform()


def gpu_names() -> tuple[list[str], str]:
    """The GPUs the NVIDIA driver lists here (nvidia-smi; no framework is imported), and where
    none: why ('' when some are listed)."""
    if not shutil.which("nvidia-smi"):
        return [], "nvidia-smi is not installed (no NVIDIA driver)"
    try:
        listed = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError) as error:
        return [], f"nvidia-smi failed ({type(error).__name__})"
    names = [name.strip() for name in listed if name.strip()]
    return names, "" if names else "nvidia-smi lists no GPU"


def _gpus() -> str:
    """The GPUs the NVIDIA driver lists, or 'none'."""
    names, why = gpu_names()
    if names:
        return ", ".join(names)
    return "none (nvidia-smi failed)" if why.startswith("nvidia-smi failed") else "none"


def machine() -> dict:
    """CPU model, logical cores (and those this process may use), memory, GPUs, OS, Python."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu": _cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gib": _memory_gib(),
        "gpu": _gpus(),
        "os": _operating_system(),
        "python": platform.python_version(),
    }


def library_versions(names=LIBRARIES) -> dict[str, str]:
    """Installed versions (from package metadata, nothing imported); 'not installed' else. A
    library installed as a build of another name says which (mxnet's CUDA build is the
    distribution mxnet-cu117)."""
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            builds = importlib.metadata.packages_distributions().get(name.replace("-", "_"), [])
            versions[name] = (
                f"{importlib.metadata.version(builds[0])} ({builds[0]})"
                if builds
                else "not installed"
            )
    return versions


def _distinct(values) -> str:
    seen = list(dict.fromkeys(str(value) for value in values))
    return " | ".join(seen) if seen else "unknown"


def most_at_once(intervals) -> int:
    """The largest number of (start, end) intervals that overlap at any moment."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = peak = 0
    for _, change in events:  # at equal times an end (-1) sorts before a start (+1)
        running += change
        peak = max(peak, running)
    return peak


def _seed_list(seeds: list[int]) -> str:
    if seeds and seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2:
        return f"{len(seeds)} ({seeds[0]} to {seeds[-1]})"
    return f"{len(seeds)} ({', '.join(str(s) for s in seeds)})"


def environment_table(
    all_metrics, timing_jobs, conditions: dict, versions: dict, totals: dict | None = None
) -> list[dict]:
    """Rows of (item, value): where and how this build's runs and timings were measured, and
    what its jobs cost (totals: convstudy.cost.build_totals).
    timing_jobs: per timing job, the per-arm timings it wrote (one, or a comparison's arms)."""
    all_timings = [timing for job in timing_jobs for timing in job]
    recorded = [m for m in all_metrics if "machine" in m] + all_timings
    machines = [item["machine"] for item in recorded]

    def field(name):
        return _distinct(machine[name] for machine in machines)

    rows = [
        ("CPU", field("cpu")),
        ("CPUs of this machine (logical cores)", field("logical_cores")),
        ("CPUs a job may use", field("usable_cores")),
        ("Memory", f"{field('memory_gib')} GiB"),
        ("GPU", field("gpu")),
        ("Operating system", field("os")),
        ("Python", field("python")),
    ]
    rows += [(name, version) for name, version in versions.items()]
    threads = conditions["threads"]
    cores = sorted({int(t["cores_reserved"]) for t in all_timings})
    timed = [m for m in all_metrics if "started_at" in m]
    # A resumed run ran from its first start to its interruption, then from its last resumption
    # (resumed_at) to its end: only the last stretch is known to have run, and counts as running.
    intervals = [((m.get("resumed_at") or [m["started_at"]])[-1], m["finished_at"]) for m in timed]
    timing = conditions["timing"]
    rows += [
        ("Devices the runs trained on", _distinct(m["device"] for m in all_metrics)),
        ("Framework threads per job", ", ".join(f"{k} {v}" for k, v in threads.items())),
        (
            "Jobs at once",
            f"up to {_distinct(cores)} (the cores given to Snakemake, --cores, which may be "
            "more than the machine's CPUs); observed: at most "
            f"{most_at_once(intervals)} training runs at the same time; every timing job ran "
            "alone",
        ),
        ("Preset", conditions["preset"]),
        (
            "Epochs; training / test images",
            f"{conditions['epochs'] or 'each run its own'}; "
            f"{conditions['train_limit'] or 'all'} / {conditions['test_limit'] or 'all'}",
        ),
        (
            "Seeds per arm",
            "; ".join(
                f"{model} {_seed_list(seeds)}" for model, seeds in conditions["seeds"].items()
            ),
        ),
        (
            "Speed measured alone",
            f"{timing['repeats']} passes of up to {timing['images']:,} training images per arm, "
            f"after a warm-up of {timing['warmup_images']:,}",
        ),
    ]
    spans = [(m["started_at"], m["finished_at"]) for m in timed] + [
        (min(t["started_at"] for t in job), max(t["finished_at"] for t in job))
        for job in timing_jobs
    ]
    if spans:
        first, last = min(s for s, _ in spans), max(e for _, e in spans)
        stamp = "%Y-%m-%d %H:%M"
        rows.append(
            (
                "Wall time of training and timing",
                f"{duration(last - first)}: first job started "
                f"{time.strftime(stamp, time.localtime(first))}, last ended "
                f"{time.strftime(stamp, time.localtime(last))} ({len(intervals)} runs, "
                f"{len(timing_jobs)} timing jobs)",
            )
        )
    if totals and totals["jobs"]:
        rows.append(("Build cost", _build_cost(totals)))
    return [{"item": item, "value": str(value)} for item, value in rows]


def _build_cost(totals: dict) -> str:
    """The build's wall time while its jobs ran, its CPU time and CPU efficiency, and the
    estimate made before it ran."""
    text = (
        f"{duration(totals['wall_seconds'])} while its {totals['jobs']} jobs ran (from their "
        f"benchmark files), {duration(totals['cpu_seconds'])} of CPU time: a CPU efficiency of "
        f"{totals['cpu_efficiency']:.0%} (CPU time / ({totals['cores']} cores given x wall time))"
    )
    if totals["estimated_wall_seconds"] is not None:
        text += (
            f"; estimated before the build: {duration(totals['estimated_wall_seconds'])} for the "
            f"{totals['estimated_jobs']} jobs it had left, which took "
            f"{duration(totals['wall_seconds_after_estimate'])}"
        )
    return text

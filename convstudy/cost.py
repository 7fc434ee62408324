"""What a build costs: estimated before it starts, followed while it runs, summed when it ends.

Every job that computes writes a Snakemake benchmark file (results/benchmarks/...): its wall
seconds (`s`) and the CPU seconds of its processes (`cpu_time`). The estimate names each job the
requested targets need, with the file that says it is done and the seconds it is expected to
take, from the best source there is:
  - an earlier build's benchmark file of the same job, or of the same arm's other seeds (the same
    settings but the seed: the same computation);
  - else a short measurement of the job's computation (convstudy.speed.cost_rates): a pass of one
    batch and a pass of several, timed alone, give a pass's fixed cost and its cost per image,
    and a fresh process's start-up (interpreter and imports) is timed on its own;
  - else, for a job that trains nothing, the start-up of a process that draws tables and figures.
Then the jobs are laid out on the cores Snakemake is given: a job that measures time reserves every
core and runs alone; the others run side by side, the longest first (their rules' priority), on
as many cores as the machine has.
"""

import csv
import heapq
import json
import math
import os
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

# Settings that change what a run computes but not how long a pass over N images takes.
NOT_COST = frozenset(
    {"seed", "run", "variant", "lr", "momentum", "weight_decay", "epochs", "train_limit"}
    | {"test_limit"}
)
# The rules that train or time networks; every other rule draws tables and figures.
ESTIMATE_RULE = "estimate_build"  # the job that makes the estimate (rules/cost.smk)
TRAINING_RULES = ("train", "time_comparison", "estimate_cpu_epoch", "framework_divergence")


def cost_key(settings: dict) -> str:
    """What decides the cost of a pass over N images: the settings but NOT_COST (two arms that
    differ only in learning rate or seed compute the same operations on the same shapes)."""
    return json.dumps({k: v for k, v in sorted(settings.items()) if k not in NOT_COST})


def kind_of(settings: dict) -> str:
    """The model x framework x dataset of a run, as cost tables group it."""
    return f"{settings['model']} x {settings['framework']} x {settings['dataset']}"


@dataclass(frozen=True)
class Rate:
    """A computation's measured cost: a pass over n training images takes pass_seconds +
    n * seconds_per_image (cpu: the CPU seconds of the same), and evaluating a test image
    forward_seconds_per_image; setup_seconds builds the network and its first pass."""

    pass_seconds: float
    seconds_per_image: float
    cpu_per_image: float
    forward_seconds_per_image: float
    setup_seconds: float


def fit_rate(small: dict, large: dict, setup_seconds: float) -> Rate:
    """A Rate from two passes {images, seconds, cpu_seconds, forward_seconds}: the line through
    them (a pass's fixed cost, such as starting a data loader's workers, and a cost per image)."""
    extra = large["images"] - small["images"]
    if extra <= 0:
        raise ValueError("the second pass must cover more images than the first")
    per_image = max(0.0, (large["seconds"] - small["seconds"]) / extra)
    per_image = per_image or large["seconds"] / large["images"]
    cpu_ratio = large["cpu_seconds"] / large["seconds"] if large["seconds"] > 0 else 1.0
    return Rate(
        pass_seconds=max(0.0, small["seconds"] - per_image * small["images"]),
        seconds_per_image=per_image,
        cpu_per_image=per_image * cpu_ratio,
        forward_seconds_per_image=large["forward_seconds"] / large["images"],
        setup_seconds=max(0.0, setup_seconds),
    )


@dataclass(frozen=True)
class Startup:
    """A fresh job process's start-up: `base` seconds (the interpreter, Snakemake's script
    preamble, numpy), plus each framework's import and first network (the framework setting
    itself up); `drawing`: a job that draws with pandas and matplotlib."""

    base: float
    frameworks: dict
    drawing: float

    def of(self, frameworks: Iterable[str]) -> float:
        return self.base + sum(self.frameworks[f] for f in set(frameworks))


@dataclass(frozen=True)
class JobCost:
    rule: str
    name: str
    kind: str  # model x framework x dataset of a training run, else ""
    output: str  # the file whose presence says the job is done
    seconds: float  # wall seconds of the job, alone
    cpu_seconds: float
    cores: int  # cores it occupies (0: every core, nothing beside it)
    source: str  # where the seconds come from: earlier build | measured | start-up
    done: bool


def read_benchmark(path: str | Path) -> dict | None:
    """A Snakemake benchmark file's wall and CPU seconds ({seconds, cpu_seconds}, the first row),
    or None where there is none (or it is not a benchmark file)."""
    try:
        with open(path, newline="") as stream:
            rows = list(csv.DictReader(stream, delimiter="\t"))
    except OSError:
        return None
    if not rows or "s" not in rows[0]:
        return None
    try:
        cpu = float(rows[0].get("cpu_time") or "nan")
        return {"seconds": float(rows[0]["s"]), "cpu_seconds": cpu}
    except ValueError:
        return None


def _train_images(settings: dict, sizes: tuple[int, int]) -> int:
    """The training images a run of these settings passes over: its task's, up to train_limit."""
    return min(sizes[0], settings["train_limit"] or sizes[0])


def _run_epoch_seconds(settings: dict, sizes: tuple[int, int], rate: Rate) -> tuple[float, float]:
    """(wall, CPU) seconds of one epoch: a pass over the run's training images and a forward pass
    over its test images."""
    train_images = _train_images(settings, sizes)
    test_images = min(sizes[1], settings["test_limit"] or sizes[1])
    train = rate.pass_seconds + train_images * rate.seconds_per_image
    forward = test_images * rate.forward_seconds_per_image
    cpu_share = rate.cpu_per_image / rate.seconds_per_image if rate.seconds_per_image else 1.0
    return train + forward, (train + forward) * cpu_share


def _timed_images(settings: dict, sizes: tuple[int, int], timing: dict) -> int:
    """Training images a timing job passes over for one arm: warm-up, then repeated passes."""
    images = min(timing["images"], _train_images(settings, sizes))
    return min(timing["warmup_images"], images) + timing["repeats"] * images


def job_costs(
    planned: Sequence[dict],
    rates: dict[str, Rate],
    startup: Startup,
    earlier: dict[str, dict],
    sizes: dict[str, tuple[int, int]],
) -> list[JobCost]:
    """The cost of each planned job that is not done (a done job costs what its benchmark file
    says, or nothing where it has none).

    planned: {rule, name, output, benchmark, done, threads, exclusive, and for a training run its
    settings, for a timing or estimate job the settings of each arm it measures (arms) and how
    (timing: repeats, images, warmup_images), for a job that draws the frameworks it imports
    (imports)}; rates: cost_key -> Rate; earlier: benchmark path -> read_benchmark, from an
    earlier build; sizes: task -> (training images, test images).
    """
    by_arm, by_rule = defaultdict(list), defaultdict(list)
    for job in planned:
        if bench := earlier.get(job["benchmark"]):
            by_rule[job["rule"]].append(bench)
            if job["rule"] == "train":
                by_arm[arm_key(job["settings"])].append(bench)
    return [_job_cost(job, rates, startup, earlier, sizes, by_arm, by_rule) for job in planned]


def _median(values: list[float]) -> float:
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def _job_cost(job, rates, startup, earlier, sizes, by_arm, by_rule) -> JobCost:
    kind = kind_of(job["settings"]) if job["rule"] == "train" else ""
    siblings = by_arm.get(arm_key(job["settings"])) if job["rule"] == "train" else None
    if bench := earlier.get(job["benchmark"]):
        seconds, cpu, source = bench["seconds"], bench["cpu_seconds"], "earlier build"
    elif job.get("done"):
        seconds, cpu, source = 0.0, 0.0, "done"
    elif siblings:  # the same arm's other seeds: the same computation
        seconds = _median([b["seconds"] for b in siblings])
        cpu, source = _median([b["cpu_seconds"] for b in siblings]), "earlier build"
    elif job["rule"] == "train":
        settings = job["settings"]
        rate = rates[cost_key(settings)]
        epoch, epoch_cpu = _run_epoch_seconds(settings, sizes[settings["dataset"]], rate)
        start = startup.of([settings["framework"]]) + rate.setup_seconds
        seconds = start + settings["epochs"] * epoch
        cpu, source = start + settings["epochs"] * epoch_cpu, "measured"
    elif job["rule"] in TRAINING_RULES:
        seconds = cpu = startup.of(arm["framework"] for arm in job["arms"])
        for arm in job["arms"]:
            rate = rates[cost_key(arm)]
            images = _timed_images(arm, sizes[arm["dataset"]], job["timing"])
            passes = 1 + job["timing"]["repeats"]
            seconds += rate.setup_seconds + passes * rate.pass_seconds
            seconds += images * rate.seconds_per_image
            cpu += rate.setup_seconds + images * rate.cpu_per_image
        source = "measured"
    elif same_rule := by_rule.get(job["rule"]):  # another job of the rule, in an earlier build
        seconds = _median([b["seconds"] for b in same_rule])
        cpu, source = _median([b["cpu_seconds"] for b in same_rule]), "earlier build"
    else:  # a job that draws: its start-up, and the frameworks it computes with
        seconds = cpu = startup.drawing + sum(startup.frameworks[f] for f in job.get("imports", []))
        source = "start-up"
    return JobCost(
        rule=job["rule"],
        name=job["name"],
        kind=kind,
        output=job["output"],
        seconds=float(seconds),
        cpu_seconds=float(seconds if cpu is None or math.isnan(cpu) else cpu),
        cores=0 if job.get("exclusive") else int(job.get("threads", 1)),
        source=source,
        done=bool(job.get("done")),
    )


def arm_key(settings: dict) -> str:
    return json.dumps({k: v for k, v in sorted(settings.items()) if k not in ("seed", "run")})


def wall_seconds(jobs: Sequence[JobCost], cores: int, cpus: int) -> float:
    """The expected wall seconds of jobs on `cores` given to Snakemake, on a machine with `cpus`
    CPUs: jobs that reserve every core (cores 0) run one after another; the others side by side,
    longest first, on min(cores, cpus) cores (more jobs than CPUs only share them)."""
    slots = max(1, min(cores, cpus))
    alone = sum(job.seconds for job in jobs if job.cores == 0)
    free = [0.0] * slots  # when each core is next free
    heapq.heapify(free)
    for job in sorted((j for j in jobs if j.cores), key=lambda j: -j.seconds):
        need = min(job.cores, slots)
        taken = [heapq.heappop(free) for _ in range(need)]
        end = max(taken) + job.seconds
        for _ in range(need):
            heapq.heappush(free, end)
    return alone + max(free)


def summary(jobs: Sequence[JobCost], cores: int, cpus: int) -> dict:
    """The estimate as estimate.json holds it: wall time of the jobs left at `cores`, CPU time by
    model x framework x dataset and by rule, and every job."""
    left = [job for job in jobs if not job.done]
    by_kind = defaultdict(lambda: {"runs": 0, "seconds": 0.0, "cpu_seconds": 0.0})
    by_rule = defaultdict(lambda: {"jobs": 0, "seconds": 0.0, "cpu_seconds": 0.0})
    for job in left:
        if job.kind:
            by_kind[job.kind]["runs"] += 1
            by_kind[job.kind]["seconds"] += job.seconds
            by_kind[job.kind]["cpu_seconds"] += job.cpu_seconds
        by_rule[job.rule]["jobs"] += 1
        by_rule[job.rule]["seconds"] += job.seconds
        by_rule[job.rule]["cpu_seconds"] += job.cpu_seconds
    return {
        "cores": cores,
        "cpus": cpus,
        "wall_seconds": wall_seconds(left, cores, cpus),
        "cpu_seconds": sum(job.cpu_seconds for job in left),
        "jobs": len(jobs),
        "jobs_left": len(left),
        "runs": sum(job.rule == "train" for job in jobs),
        "runs_left": sum(job.rule == "train" for job in left),
        "by_kind": dict(sorted(by_kind.items())),
        "by_rule": dict(sorted(by_rule.items())),
        "sources": {
            source: sum(job.source == source for job in left)
            for source in sorted({job.source for job in left})
        },
        "every_job": [asdict(job) for job in jobs],
    }


def relaid(estimate: dict, cores: int) -> dict:
    """The estimate with its jobs laid out on another number of cores."""
    jobs = [JobCost(**job) for job in estimate["every_job"]]
    return {**estimate, **summary(jobs, cores, estimate["cpus"])}


def duration(seconds: float) -> str:
    """Seconds in words a reader takes in at once: 45 s, 12 min, 3 h 05 min."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def progress(estimate: dict, root: str | Path = ".") -> dict:
    """How far the build the estimate plans has come: its jobs whose files exist now are done,
    and the rest are laid out again on the estimate's cores."""
    jobs = [JobCost(**job) for job in estimate["every_job"]]
    now = [JobCost(**{**asdict(job), "done": (Path(root) / job.output).exists()}) for job in jobs]
    left = [job for job in now if not job.done]
    return {
        "runs": sum(job.rule == "train" for job in now),
        "runs_done": sum(job.rule == "train" and job.done for job in now),
        "jobs": len(now),
        "jobs_done": len(now) - len(left),
        "wall_seconds_left": wall_seconds(left, estimate["cores"], estimate["cpus"]),
    }


def progress_line(estimate: dict, root: str | Path = ".") -> str:
    state = progress(estimate, root)
    return (
        f"{state['runs_done']} of {state['runs']} runs done ({state['jobs_done']} of "
        f"{state['jobs']} jobs); about {duration(state['wall_seconds_left'])} left at "
        f"--cores {estimate['cores']}"
    )


def markdown(estimate: dict) -> str:
    """The estimate for a reader: the wall time left, then CPU time by kind of run and by rule."""
    left = [JobCost(**job) for job in estimate["every_job"] if not job["done"]]
    lines = [
        "# What this build costs, estimated before it runs",
        "",
        f"{estimate['jobs_left']} of {estimate['jobs']} jobs to run ({estimate['runs_left']} of "
        f"{estimate['runs']} training runs): about **{duration(estimate['wall_seconds'])}** at "
        f"--cores {estimate['cores']} on this machine ({estimate['cpus']} CPUs), "
        f"{duration(estimate['cpu_seconds'])} of CPU time.",
        "",
        *(
            [
                f"The machine's load average was {estimate['load_average']:.1f} as it was "
                "measured (other work slows every pass); the estimate assumes that work goes on.",
                "",
            ]
            if estimate.get("load_average", 0) >= 0.5 * estimate["cpus"]
            else []
        ),
        "At other --cores: "
        + "; ".join(
            f"{n}: {duration(wall_seconds(left, n, estimate['cpus']))}"
            for n in sorted({1, 2, 4, 8, estimate["cpus"]})
            if n != estimate["cores"]
        )
        + ".",
        "",
        "Sources: "
        + ", ".join(f"{n} jobs from {source}" for source, n in estimate["sources"].items())
        + ".",
        "",
        "| model x framework x dataset | runs left | CPU time |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| {kind} | {row['runs']} | {duration(row['cpu_seconds'])} |"
        for kind, row in estimate["by_kind"].items()
    ]
    lines += ["", "| rule | jobs left | wall time, alone | CPU time |", "|---|---:|---:|---:|"]
    lines += [
        f"| {rule} | {row['jobs']} | {duration(row['seconds'])} | "
        f"{duration(row['cpu_seconds'])} |"
        for rule, row in estimate["by_rule"].items()
    ]
    return "\n".join(lines) + "\n"


def usable_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def measure_startup_here(frameworks: Iterable[str]) -> Startup:
    """A job's start-up, measured in the job that calls this (the estimate's, itself a job of the
    workflow) before it imports any framework: the seconds from its process's start to now
    (Snakemake's script preamble, the interpreter and the library's imports); each framework's
    import, timed as it is made; and a job that draws: that start-up, then what a job that draws
    imports (the library's tables, statistics and figures: convstudy.build) and one small figure,
    timed in a fresh interpreter, where nothing is imported yet."""
    import psutil

    base = max(0.0, time.time() - psutil.Process().create_time())
    imports = {}
    for framework in sorted(set(frameworks)):
        from convstudy import backends

        started = time.perf_counter()
        backends.create(framework, 1, "cpu")
        imports[framework] = time.perf_counter() - started
    return Startup(base=base, frameworks=imports, drawing=base + _drawing_seconds())


# Run in a fresh interpreter: what a job that draws imports, and one small figure, timed.
DRAWING_JOB = """
import time
started = time.perf_counter()
import io
import convstudy.build
from matplotlib.figure import Figure
figure = Figure(figsize=(10, 4), layout="constrained")
for axis in figure.subplots(1, 2):
    axis.plot(range(100))
figure.savefig(io.BytesIO(), format="png")
print(time.perf_counter() - started)
"""


def _drawing_seconds() -> float:
    result = subprocess.run(
        [sys.executable, "-c", DRAWING_JOB], capture_output=True, text=True, check=True
    )
    return float(result.stdout.strip().splitlines()[-1])


# --- after the build: what its jobs' benchmark files add up to ---


def busy_seconds(intervals: Iterable[tuple[float, float]]) -> float:
    """The seconds during which at least one of the (start, end) intervals was running: a build
    interrupted and resumed days later counts only its running time."""
    total, end = 0.0, -math.inf
    for start, stop in sorted(intervals):
        if stop <= end:
            continue
        total += stop - max(start, end)
        end = stop
    return total


def actual_costs(benchmarks: Sequence[tuple[str, str, str | Path]]) -> list[dict]:
    """One row per job that wrote a benchmark file: (rule, kind, path) in, {rule, kind, seconds,
    cpu_seconds, start, end} out, its end being the file's modification time (written as the
    job ended)."""
    rows = []
    for rule, kind, path in benchmarks:
        bench = read_benchmark(path)
        if bench is None:
            continue
        end = Path(path).stat().st_mtime
        cpu = bench["cpu_seconds"]
        rows.append(
            {
                "rule": rule,
                "kind": kind,
                "seconds": bench["seconds"],
                "cpu_seconds": bench["seconds"] if math.isnan(cpu) else cpu,
                "start": end - bench["seconds"],
                "end": end,
            }
        )
    return rows


COST_COLUMNS = [
    "group",
    "name",
    "jobs",
    "wall_seconds",
    "cpu_seconds",
    "estimated_wall_seconds",
    "estimated_cpu_seconds",
]


def cost_rows(actual: Sequence[dict], estimate: dict | None, cores: int) -> list[dict]:
    """What the build's jobs cost, by rule and then by model x framework x dataset: jobs, wall and
    CPU seconds, and what the estimate expected of the same (laid out on `cores`)."""
    expected = relaid(estimate, cores) if estimate else {"by_rule": {}, "by_kind": {}}
    groups = (("rule", "rule", "by_rule"), ("model x framework x dataset", "kind", "by_kind"))
    rows = []
    for group, key, estimated in groups:
        sums = defaultdict(lambda: {"jobs": 0, "wall_seconds": 0.0, "cpu_seconds": 0.0})
        for row in actual:
            if row[key]:
                sums[row[key]]["jobs"] += 1
                sums[row[key]]["wall_seconds"] += row["seconds"]
                sums[row[key]]["cpu_seconds"] += row["cpu_seconds"]
        for name, total in sorted(sums.items()):
            before = expected[estimated].get(name, {})
            rows.append(
                {
                    "group": group,
                    "name": name,
                    **total,
                    "estimated_wall_seconds": before.get("seconds"),
                    "estimated_cpu_seconds": before.get("cpu_seconds"),
                }
            )
    return rows


def build_totals(actual: Sequence[dict], estimate: dict | None, cores: int) -> dict:
    """The build as a whole: the seconds during which its jobs ran, their CPU seconds, the CPU
    efficiency (CPU time / (cores given x wall time)), and the estimate's wall time at `cores`
    beside the seconds the jobs it estimated took (all but the estimate's own job)."""
    wall = busy_seconds((row["start"], row["end"]) for row in actual)
    cpu = sum(row["cpu_seconds"] for row in actual)
    estimated = [row for row in actual if row["rule"] != ESTIMATE_RULE]
    return {
        "wall_seconds_after_estimate": busy_seconds((r["start"], r["end"]) for r in estimated),
        "jobs": len(actual),
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "cores": cores,
        "cpu_efficiency": cpu / (cores * wall) if wall > 0 else math.nan,
        "estimated_wall_seconds": relaid(estimate, cores)["wall_seconds"] if estimate else None,
        "estimated_jobs": estimate["jobs_left"] if estimate else None,
    }

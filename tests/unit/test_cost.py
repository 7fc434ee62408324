"""The build's cost: the estimate's arithmetic against benchmark files written here, the layout of
jobs on cores, progress, and the sums of a finished build."""

import json
import os

import pytest

from convstudy import cost

BENCHMARK_HEADER = (
    "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
)


def write_benchmark(path, seconds, cpu_seconds, end=None):
    """A benchmark file as Snakemake writes it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        BENCHMARK_HEADER + f"{seconds:.2f}\t0:00:{int(seconds):02d}\t1\t1\t1\t1\t0\t0\t50\t"
        f"{cpu_seconds:.2f}\n"
    )
    if end is not None:
        os.utime(path, (end, end))
    return str(path)


SETTINGS = {
    "dataset": "mnist",
    "model": "lenet",
    "framework": "torch",
    "variant": "base",
    "seed": 0,
    "run": "mnist/lenet-torch/base/seed0",
    "epochs": 3,
    "train_limit": 1000,
    "test_limit": None,
    "batch_size": 100,
    "lr": 0.1,
    "threads": 1,
}
RATE = cost.Rate(
    pass_seconds=0.5,
    seconds_per_image=0.002,
    cpu_per_image=0.003,
    forward_seconds_per_image=0.0005,
    setup_seconds=1.0,
)
STARTUP = cost.Startup(base=1.5, frameworks={"torch": 2.0, "mxnet": 1.0}, drawing=3.0)
SIZES = {"mnist": (60000, 10000)}


def train_job(tmp_path, seed, **changes):
    settings = {**SETTINGS, **changes, "seed": seed, "run": f"mnist/lenet-torch/base/seed{seed}"}
    return {
        "rule": "train",
        "name": settings["run"],
        "output": str(tmp_path / f"runs/seed{seed}/metrics.json"),
        "benchmark": str(tmp_path / f"benchmarks/seed{seed}.tsv"),
        "settings": settings,
        "threads": 1,
    }


def test_a_benchmark_file_is_read_as_wall_and_cpu_seconds(tmp_path):
    path = write_benchmark(tmp_path / "job.tsv", 12.5, 9.25)
    assert cost.read_benchmark(path) == {"seconds": 12.5, "cpu_seconds": 9.25}
    assert cost.read_benchmark(tmp_path / "missing.tsv") is None
    (tmp_path / "other.tsv").write_text("a\tb\n1\t2\n")
    assert cost.read_benchmark(tmp_path / "other.tsv") is None


def test_two_passes_give_a_pass_fixed_cost_and_a_cost_per_image():
    # A pass of n images takes 0.4 s + n * 0.01 s, and its CPU time is twice its wall time.
    small = {"images": 100, "seconds": 1.4, "cpu_seconds": 2.8, "forward_seconds": 0.3}
    large = {"images": 400, "seconds": 4.4, "cpu_seconds": 8.8, "forward_seconds": 1.2}
    rate = cost.fit_rate(small, large, setup_seconds=2.0)
    assert rate.seconds_per_image == pytest.approx(0.01)
    assert rate.pass_seconds == pytest.approx(0.4)
    assert rate.cpu_per_image == pytest.approx(0.02)
    assert rate.forward_seconds_per_image == pytest.approx(0.003)
    assert rate.setup_seconds == 2.0
    with pytest.raises(ValueError, match="more images"):
        cost.fit_rate(large, small, 0.0)


def test_a_run_is_estimated_from_its_measured_rate(tmp_path):
    job = train_job(tmp_path, 0)
    (estimated,) = cost.job_costs([job], {cost.cost_key(job["settings"]): RATE}, STARTUP, {}, SIZES)
    # Start-up (1.5 + 2.0 for torch) and the network's set-up (1.0), then 3 epochs of a pass over
    # 1,000 training images (0.5 + 1000 * 0.002) and 10,000 test images forward (* 0.0005).
    epoch = 0.5 + 1000 * 0.002 + 10000 * 0.0005
    assert estimated.seconds == pytest.approx(4.5 + 3 * epoch)
    assert estimated.cpu_seconds == pytest.approx(4.5 + 3 * epoch * 1.5)
    assert (estimated.kind, estimated.source, estimated.cores) == (
        "lenet x torch x mnist",
        "measured",
        1,
    )


def test_the_learning_rate_and_seed_do_not_change_what_a_pass_costs():
    assert cost.cost_key(SETTINGS) == cost.cost_key({**SETTINGS, "lr": 0.9, "seed": 4})
    assert cost.cost_key(SETTINGS) != cost.cost_key({**SETTINGS, "batch_size": 256})


def test_an_earlier_build_benchmark_wins_over_a_measurement(tmp_path):
    jobs = [train_job(tmp_path, seed) for seed in range(4)]
    # Seed 0 ran before (its own file); seeds 1 and 2 too, with other seconds; seed 3 never did.
    earlier = {
        jobs[0]["benchmark"]: {"seconds": 20.0, "cpu_seconds": 18.0},
        jobs[1]["benchmark"]: {"seconds": 30.0, "cpu_seconds": 25.0},
        jobs[2]["benchmark"]: {"seconds": 40.0, "cpu_seconds": 29.0},
    }
    costs = cost.job_costs(jobs, {}, STARTUP, earlier, SIZES)
    assert [c.seconds for c in costs] == [20.0, 30.0, 40.0, 30.0]  # seed 3: its arm's median
    assert costs[3].cpu_seconds == 25.0
    assert {c.source for c in costs} == {"earlier build"}


def test_a_timing_job_pays_one_start_up_per_framework_and_every_pass(tmp_path):
    torch_arm = {**SETTINGS, "train_limit": None}
    mxnet_arm = {**SETTINGS, "framework": "mxnet"}
    timing = {"repeats": 3, "images": 5000, "warmup_images": 500}
    job = {
        "rule": "time_comparison",
        "name": "frameworks",
        "output": str(tmp_path / "t.json"),
        "benchmark": str(tmp_path / "t.tsv"),
        "arms": [torch_arm, mxnet_arm],
        "timing": timing,
        "exclusive": True,
    }
    rates = {cost.cost_key(torch_arm): RATE, cost.cost_key(mxnet_arm): RATE}
    (estimated,) = cost.job_costs([job], rates, STARTUP, {}, SIZES)
    # torch: 500 + 3 * 5000 images; mxnet: its 1,000 training images at most: 500 + 3 * 1000.
    images = (500 + 15000) + (500 + 3000)
    expected = 1.5 + 2.0 + 1.0 + 2 * (1.0 + 4 * 0.5) + images * 0.002
    assert estimated.seconds == pytest.approx(expected)
    assert estimated.cores == 0


def test_a_job_that_draws_costs_its_rule_earlier_median_or_a_start_up(tmp_path):
    def job(name):
        return {
            "rule": "comparison",
            "name": name,
            "output": str(tmp_path / f"{name}.csv"),
            "benchmark": str(tmp_path / f"{name}.tsv"),
        }

    jobs = [job("a"), job("b")]
    assert cost.job_costs(jobs, {}, STARTUP, {}, SIZES)[1].seconds == 3.0
    earlier = {jobs[0]["benchmark"]: {"seconds": 7.0, "cpu_seconds": 6.0}}
    assert cost.job_costs(jobs, {}, STARTUP, earlier, SIZES)[1].seconds == 7.0


def job_cost(seconds, cores=1, done=False, output="x", rule="train"):
    return cost.JobCost(rule, "j", "", output, seconds, seconds, cores, "measured", done)


def test_jobs_are_laid_out_longest_first_and_measuring_jobs_alone():
    jobs = [job_cost(s) for s in (4, 3, 3, 2)] + [job_cost(5, cores=0)]
    # Two cores: 4 | 3, then 3 after the first 3 (6) and 2 after the 4 (6); the timing job alone.
    assert cost.wall_seconds(jobs, cores=2, cpus=2) == 6 + 5
    # More cores than CPUs only share them; one core runs everything in turn.
    assert cost.wall_seconds(jobs, cores=4, cpus=2) == 6 + 5
    assert cost.wall_seconds(jobs, cores=1, cpus=2) == 12 + 5
    # A job of two threads takes both cores.
    assert cost.wall_seconds([job_cost(4, cores=2), job_cost(1)], 2, 2) == 5


def test_the_summary_counts_what_is_left_by_kind_and_rule(tmp_path):
    jobs = cost.job_costs(
        [train_job(tmp_path, 0), {**train_job(tmp_path, 1), "done": True}],
        {cost.cost_key(SETTINGS): RATE},
        STARTUP,
        {},
        SIZES,
    )
    estimate = cost.summary(jobs, cores=2, cpus=2)
    assert (estimate["runs"], estimate["runs_left"], estimate["jobs_left"]) == (2, 1, 1)
    assert estimate["wall_seconds"] == pytest.approx(jobs[0].seconds)
    assert estimate["by_kind"]["lenet x torch x mnist"]["runs"] == 1
    assert estimate["sources"] == {"measured": 1}
    text = cost.markdown(estimate)
    assert (
        "1 of 2 jobs to run (1 of 2 training runs)" in text
        and "| lenet x torch x mnist | 1 |" in text
    )
    json.dumps(estimate)  # estimate.json holds it as it is


def test_progress_counts_the_files_that_exist_now(tmp_path):
    done = tmp_path / "done.json"
    done.write_text("{}")
    jobs = [
        job_cost(100, output=str(done)),
        job_cost(60, output=str(tmp_path / "left.json")),
        job_cost(30, output=str(tmp_path / "also_left.json"), rule="comparison"),
    ]
    estimate = cost.summary(jobs, cores=1, cpus=2)
    state = cost.progress(estimate)
    assert (state["runs_done"], state["runs"], state["jobs_done"], state["jobs"]) == (1, 2, 1, 3)
    assert state["wall_seconds_left"] == 90
    assert cost.progress_line(estimate).startswith(
        "1 of 2 runs done (1 of 3 jobs); about 2 min left"
    )


def test_a_resumed_build_counts_only_the_time_its_jobs_ran(tmp_path):
    # Two jobs side by side (0-10 and 5-12), then a day's pause, then a job of 8 s.
    assert cost.busy_seconds([(0, 10), (5, 12), (86400, 86408)]) == 12 + 8
    paths = [
        ("train", "lenet x torch x mnist", write_benchmark(tmp_path / "a.tsv", 10, 9, end=1000)),
        ("comparison", "", write_benchmark(tmp_path / "b.tsv", 4, 3, end=1004)),
        ("train", "lenet x torch x mnist", str(tmp_path / "never_written.tsv")),
    ]
    rows = cost.actual_costs(paths)
    assert [(r["rule"], r["start"], r["end"]) for r in rows] == [
        ("train", 990, 1000),
        ("comparison", 1000, 1004),
    ]
    assert cost.busy_seconds((r["start"], r["end"]) for r in rows) == 14


def test_durations_read_as_a_person_says_them():
    assert [cost.duration(s) for s in (42, 600, 3600 * 3 + 300)] == ["42 s", "10 min", "3 h 05 min"]


def test_the_build_cost_sums_by_rule_and_kind_beside_the_estimate(tmp_path):
    kind = "lenet x torch x mnist"
    actual = cost.actual_costs(
        [
            ("train", kind, write_benchmark(tmp_path / "a.tsv", 10, 9, end=1010)),
            ("train", kind, write_benchmark(tmp_path / "b.tsv", 20, 19, end=1020)),
            ("comparison", "", write_benchmark(tmp_path / "c.tsv", 4, 3, end=1030)),
        ]
    )
    estimated_jobs = [
        cost.JobCost("train", "a", kind, "a", 12.0, 11.0, 1, "measured", False),
        cost.JobCost("train", "b", kind, "b", 12.0, 11.0, 1, "measured", False),
        cost.JobCost("comparison", "c", "", "c", 3.0, 3.0, 1, "start-up", False),
    ]
    estimate = cost.summary(estimated_jobs, cores=4, cpus=2)
    rows = {(r["group"], r["name"]): r for r in cost.cost_rows(actual, estimate, cores=2)}
    assert rows[("rule", "train")]["jobs"] == 2
    assert rows[("rule", "train")]["wall_seconds"] == 30
    assert rows[("rule", "train")]["cpu_seconds"] == 28
    assert rows[("rule", "train")]["estimated_wall_seconds"] == 24
    assert rows[("model x framework x dataset", kind)]["estimated_cpu_seconds"] == 22
    assert rows[("rule", "comparison")]["estimated_wall_seconds"] == 3
    totals = cost.build_totals(actual, estimate, cores=2)
    # The jobs ran 1000-1010, 1000-1020 and 1026-1030: 24 s busy.
    assert totals["wall_seconds"] == 24
    assert totals["cpu_efficiency"] == pytest.approx(31 / (2 * 24))
    # The estimate laid out again on the 2 cores the build had: 12 | 12, then 3.
    assert totals["estimated_wall_seconds"] == 15
    # Beside it, the jobs it estimated: all but the estimate's own (here the one of 1000-1020).
    with_estimate = [actual[0], {**actual[1], "rule": "estimate_build"}, actual[2]]
    assert cost.build_totals(with_estimate, estimate, 2)["wall_seconds_after_estimate"] == 10 + 4


def test_stand_in_images_have_the_task_shape_and_sizes():
    from convstudy.data.cache import TASKS

    task = TASKS["cifar100_coarse"]
    data = task.stand_in(300)
    assert data.image_shape == task.image_shape and data.num_classes == 20
    assert len(data.train_labels) == 300 and data.train_labels.max() < 20
    assert task.sizes == (50000, 10000)


def test_a_job_that_draws_with_a_framework_pays_its_import(tmp_path):
    job = {
        "rule": "conv_shapes",
        "name": "conv_shapes",
        "output": str(tmp_path / "c.csv"),
        "benchmark": str(tmp_path / "c.tsv"),
        "imports": ["mxnet", "torch"],
    }
    (estimated,) = cost.job_costs([job], {}, STARTUP, {}, SIZES)
    assert estimated.seconds == 3.0 + 1.0 + 2.0


def test_the_estimate_charges_each_job_its_frameworks_first_network(tmp_path):
    """A framework's first network in a process costs more than the next; every job that builds
    one pays it, so the estimate times it (the first build of a kind less the second) and adds it
    to the framework's start-up."""
    from convstudy import speed
    from convstudy.plan import Study
    from tests.runs import quick_config

    study = Study(quick_config())
    planned = []
    for arm in ("fashion_mnist/lenet-mxnet/base", "fashion_mnist/lenet-torch/base"):
        run = study.first_run(arm)
        planned.append(
            {
                "rule": "train",
                "name": run.path,
                "output": str(tmp_path / run.path / "metrics.json"),
                "benchmark": str(tmp_path / f"{run.framework}.tsv"),
                "exclusive": False,
                "settings": study.settings_of(run),
                "threads": 1,
            }
        )
    result = speed.estimate_build_to_files(
        planned, 1, 2, tmp_path / "estimate.json", tmp_path / "estimate.md", log=lambda _: None
    )
    assert set(result["first_network"]) == {"mxnet", "torch"}
    assert all(seconds >= 0 for seconds in result["first_network"].values())
    startup = result["startup"]
    for job in result["every_job"]:
        framework = job["name"].split("/")[1].split("-")[1]
        paid = startup["base"] + startup["frameworks"][framework]
        assert startup["frameworks"][framework] >= result["first_network"][framework]
        assert job["seconds"] > paid and job["source"] == "measured"

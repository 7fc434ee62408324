"""The study as one object (convstudy.plan.Study), without Snakemake: what runs, on which seeds,
and what a machine without a dataset or a GPU leaves out."""

import pytest
import yaml

from convstudy.config import ConfigError, apply_preset
from convstudy.plan import Study
from convstudy.settings import Run
from tests.runs import REPO, deep_merge, quick_config

NO_GPU = (0, [], "nvidia-smi is not installed")
ONE_GPU = (1, [], "nvidia-smi lists no GPU")


def full_config():
    return apply_preset(yaml.safe_load((REPO / "config.yaml").read_text()))


def no_cifar(dataset):
    return (dataset != "cifar100", "offline: true")


def study(config=None, datasets=no_cifar, gpus=NO_GPU, framework_gpu=True):
    return Study(
        config or quick_config(),
        datasets,
        lambda: gpus,
        lambda framework: framework_gpu,
        ("camera", "coffee"),
    )


def test_each_arm_runs_its_seeds_and_the_baseline_is_the_first_arm():
    plan = study()
    config = plan.config
    for name, comparison in plan.comparisons.items():
        declared = config["comparisons"][name]
        assert comparison.baseline == declared["runs"][0]
        assert comparison.arms[: len(declared["runs"])] == tuple(declared["runs"])
        for arm in comparison.arms:
            seeds = [run.seed for run in comparison.runs if run.arm == arm]
            assert tuple(seeds) == comparison.seeds[arm], (name, arm)
        assert comparison.first_seed == comparison.seeds[comparison.baseline][0]
    # AlexNet's runs are capped at scale.max_seeds; LeNet's run every seed of the preset.
    alexnet = plan.comparisons["alexnet_frameworks"]
    assert all(
        len(seeds) <= config["scale"]["max_seeds"]["alexnet"] for seeds in alexnet.seeds.values()
    )
    assert set(plan.comparisons["lenet_pooling"].seeds.values()) == {
        tuple(config["scale"]["seeds"])
    }


def test_every_declared_run_is_resolved_once_and_a_bad_setting_fails_when_the_study_is_built():
    plan = study()
    declared = {run for comparison in plan.comparisons.values() for run in comparison.runs}
    assert set(plan.runs) == declared and len(plan.runs) == len(declared)
    run = plan.runs[0]
    assert plan.settings_of(run)["run"] == run.path
    config = deep_merge(quick_config(), {"variants": {"dropout_half": {"dropout": 0.5}}})
    config["comparisons"]["lenet_pooling"]["runs"].append("fashion_mnist/lenet-mxnet/dropout_half")
    with pytest.raises(ConfigError, match="dropout_half.*dropout, which LeNet does not read"):
        study(config)


def test_one_first_seed_per_arm_for_timing_showcase_and_architectures():
    config = quick_config()
    config["scale"]["seeds"] = [3, 1, 2]
    config["comparisons"]["lenet_pooling"]["seeds"] = [2, 1]
    plan = study(config)
    # The smallest seed an arm runs in any comparison.
    assert plan.first_seed("fashion_mnist/lenet-mxnet/base") == 1
    assert plan.timing_settings("fashion_mnist/lenet-mxnet/base")["seed"] == 1
    # An arm no comparison declares: the first of scale.seeds.
    assert plan.first_seed("mnist/lenet-torch/avg_pool") == 3
    showcase = plan.showcase_run("mnist")
    assert showcase.arm == f"mnist/{config['analysis']['showcase']}"
    assert showcase.seed == plan.first_seed(showcase.arm)
    for name, settings in plan.architecture_settings().items():
        arm = config["analysis"]["architectures"][name]
        assert settings["seed"] == plan.first_seed(arm)
    # A comparison's own first seed: its baseline's first.
    assert plan.comparisons["lenet_pooling"].first_seed == 2


def test_a_dataset_this_machine_cannot_have_leaves_out_its_comparisons_and_runs():
    plan = study()
    needs_cifar = {
        name
        for name, comparison in plan.comparisons.items()
        if any(run.dataset.startswith("cifar100") for run in comparison.runs)
    }
    assert needs_cifar and set(plan.skipped_comparisons) == needs_cifar
    assert set(plan.skipped_comparisons.values()) == {"cifar100"}
    assert not set(plan.runnable_comparisons) & needs_cifar
    assert all(not run.dataset.startswith("cifar100") for run in plan.runnable_runs)
    everything = study(datasets=lambda dataset: (True, ""), gpus=ONE_GPU)
    assert everything.skipped_comparisons == {}
    assert set(everything.runnable_runs) == set(everything.runs)


def test_a_comparison_that_needs_a_gpu_runs_only_where_there_is_one():
    plan = study(gpus=NO_GPU)
    assert list(plan.gpu_skipped_comparisons) == ["alexnet_full_size"]
    assert "no GPU here" in plan.gpu_skipped_comparisons["alexnet_full_size"]
    # Only the arm no other comparison runs is left out, and its CPU time per epoch estimated.
    assert plan.gpu_skipped_arms("alexnet_full_size") == ["fashion_mnist/alexnet-torch/full_size"]
    assert {run.arm for run in plan.gpu_only_runs} == {"fashion_mnist/alexnet-torch/full_size"}
    assert not plan.gpu_only_runs & set(plan.runnable_runs)
    assert "alexnet_full_size" not in plan.runnable_comparisons
    with_gpu = study(gpus=ONE_GPU)
    assert with_gpu.gpu_skipped_comparisons == {} and with_gpu.gpu_only_runs == frozenset()
    assert "alexnet_full_size" in with_gpu.runnable_comparisons
    # A CPU-only build of the framework cannot use the GPU Snakemake hands out.
    cpu_build = study(gpus=ONE_GPU, framework_gpu=False)
    assert "CPU-only build" in cpu_build.gpu_skipped_comparisons["alexnet_full_size"]
    assert cpu_build.gpu_request("torch") == 0 and with_gpu.gpu_request("torch") == 1


def test_the_machine_is_asked_only_when_an_answer_is_needed():
    asked = []

    def datasets(dataset):
        asked.append(dataset)
        return (True, "")

    plan = Study(quick_config(), datasets, lambda: asked.append("gpus") or NO_GPU)
    assert asked == []
    plan.comparison_params("lenet_pooling")
    plan.timing_settings("fashion_mnist/lenet-mxnet/base")
    assert asked == []
    assert plan.runnable_comparisons
    assert "gpus" in asked and "fashion_mnist" in asked


def test_the_build_conditions_state_the_seeds_each_model_ran():
    plan = study(full_config())
    config = plan.config
    seeds = plan.build_conditions()["seeds"]
    assert seeds["lenet"] == sorted(config["scale"]["seeds"]) == [0, 1, 2, 3, 4]
    assert seeds["alexnet"] == [0, 1, 2]  # scale.max_seeds
    for model, ran in seeds.items():
        assert ran == sorted({r.seed for r in plan.runnable_runs if r.model == model})


def test_a_requested_target_with_a_typo_or_a_misfit_is_named():
    plan = study()
    assert plan.target_problem(Run("mnist", "lenet", "torch", "base", 0)) is None
    assert plan.target_problem(Run("mnst", "lenet", "torch", "base", 0)) == (
        "mnst/lenet-torch/base: unknown dataset 'mnst'; known: "
        "mnist, fashion_mnist, cifar100_fine, cifar100_coarse"
    )
    assert "unknown model 'lenett'" in plan.target_problem(
        Run("mnist", "lenett", "torch", "base", 0)
    )
    assert "unknown variant 'avgpool'" in plan.target_problem(
        Run("mnist", "lenet", "torch", "base+avgpool", 0)
    )
    # AlexNet at 28x28 (image_size: null keeps MNIST's size) does not fit.
    config = deep_merge(quick_config(), {"variants": {"small": {"image_size": None}}})
    problem = study(config).target_problem(Run("mnist", "alexnet", "torch", "small", 0), False)
    assert "alexnet does not fit mnist images of 28x28" in problem


def test_the_jobs_of_the_default_target_follow_what_runs():
    plan = study()
    jobs = plan.jobs()  # (this machine has MNIST and Fashion-MNIST, not CIFAR-100)
    by_rule = {}
    for job in jobs:
        by_rule.setdefault(job["rule"], []).append(job)
    trained = [job["name"] for job in by_rule["train"]]
    assert len(trained) == len(set(trained))
    assert set(trained) == {run.path for run in plan.runnable_runs} | {
        plan.showcase_run(d).path for d in ("mnist", "fashion_mnist")
    }
    assert [job["name"] for job in by_rule["time_comparison"]] == plan.runnable_comparisons
    for job in by_rule["time_comparison"]:
        assert [a["run"] for a in job["arms"]] == [
            plan.first_run(arm).path for arm in plan.comparisons[job["name"]].arms
        ]
    assert [job["name"] for job in by_rule["estimate_cpu_epoch"]] == [
        "fashion_mnist/alexnet-torch/full_size"
    ]
    assert by_rule["estimate_cpu_epoch"][0]["arms"][0]["device"] == "cpu"
    assert [job["name"] for job in by_rule["edges_image"]] == ["camera", "coffee"]
    assert [job["name"] for job in by_rule["activation_maps"]] == ["mnist", "fashion_mnist"]
    assert by_rule["dataset"][0]["wildcards"] == {"dataset": "mnist"}

"""Runs and timings into tidy tables: what each run measured, and what each comparison found.

Tables (pandas DataFrames, one row per ...):
  runs        run: identity, the settings that vary, final accuracies, its own epoch time and
              breakdown (measured alongside other jobs), speed, size, memory
  epochs      run and epoch: the learning curves and each epoch's time breakdown
  timings     arm: its training speed measured alone (convstudy.speed): training images per
              second (median, min and max over passes) and seconds by phase per 10,000 images
  comparison  arm of one comparison: test accuracy over seeds, and its difference from the
              comparison's baseline arm (its first): identical, paired or Welch, or no interval
              where there are too few seeds or the difference is the same on every seed
              (convstudy.stats), with the smallest difference the seeds could detect (within
              what an accuracy can show); whether the arm runs the same computation (identical
              training losses) or the same work per image (differs only in the learning rate)
              as the baseline; and its speed measured alone, against the baseline's: the speed
              ratio over the rounds they were timed in together, its interval and p value
  summary     the comparison tables joined (false_discoveries, results/tables/comparisons.csv):
              each accuracy difference's q value (Benjamini-Hochberg over the report's accuracy
              tests) and each speed ratio's (over its speed tests), and the speed verdicts that
              survive that control (speed_verdict_controlled), the ones the report words

A run's epoch time is the median over its epochs (the first epoch carries one-off costs such as
MXNet building its graph); each phase is the median of that phase, and "other" is the loop's own
work between phases.
"""

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from convstudy import models, stats
from convstudy.data.cache import TASKS
from convstudy.settings import parse_arm, references
from convstudy.timing import EPOCH_PHASES, TRAIN_PHASES

# An epoch's time by phase (convstudy.timing), in stacking order, bottom to top; a pass timed
# alone has no evaluation (TRAIN_PHASES).
EPOCH_PHASE_COLUMNS = [f"seconds_{phase}" for phase in EPOCH_PHASES]
TRAIN_PHASE_COLUMNS = [f"seconds_{phase}" for phase in TRAIN_PHASES]
# Timed passes are reported per this many training images, whatever their length.
PER_IMAGES = 10_000

# Arms whose per-epoch training losses agree within this tolerance on every seed trained
# identically (the same computation, however it was scheduled or fed).
IDENTICAL_RTOL = 1e-5
IDENTICAL_ATOL = 1e-7

# Speed of an arm against its baseline, from their timed passes. With fewer than
# stats.MIN_SEEDS rounds (or, for arms timed in separate jobs, passes of either arm): no verdict.
FASTER, SLOWER, WITHIN_SPREAD = "faster", "slower", "within the spread of passes"
TOO_FEW_ROUNDS = "too few rounds"

# An arm that differs from its baseline only in these settings does the same work per image
# (the same operations on tensors of the same shapes), so its speed should not differ: the
# learning rate only scales the step. (Momentum and Nesterov keep a buffer; weight decay adds
# terms: not the same work.) Bookkeeping that names a run is not a setting here.
SAME_WORK_SETTINGS = frozenset({"lr"})
NAMING_KEYS = frozenset({"run", "variant", "seed"})

# Run identity and bookkeeping: never a "setting" that distinguishes two arms.
IDENTITY_KEYS = {
    "run",
    "dataset",
    "model",
    "framework",
    "variant",
    "seed",
    "threads",
    "device",
    "cpu_fallback",
}
# The settings columns of runs.csv, in this order; any other setting a run records follows them
# (sorted), so that every setting that can tell two runs apart is a column.
SETTING_COLUMNS = [
    "epochs",
    "batch_size",
    "optimizer",
    "lr",
    "momentum",
    "weight_decay",
    "activation",
    "pooling",
    "batchnorm",
    "width",
    "dropout",
    "image_size",
    "data_path",
    "workers",
    "hybridize",
    "eval_batch_size",
    "train_limit",
    "test_limit",
]


# --- comparisons as declared in config.yaml ------------------------------------------------------


def comparison_kind(comparison: dict) -> str:
    return comparison.get("figure", "curves")


def comparison_section(comparison: dict) -> str:
    """The key (convstudy.outline) of the report section a comparison belongs to: where the
    time goes for a timing comparison, else its first arm's model's section."""
    if comparison_kind(comparison) == "timing":
        return "time"
    _, model, _, _ = parse_arm(comparison["runs"][0], "comparison")
    return models.section(model)


# --- one run ------------------------------------------------------------------------------------


def read_json(paths: Sequence[str | Path]) -> list[dict]:
    return [json.loads(Path(path).read_text()) for path in paths]


def job_timings(data) -> list[dict]:
    """The per-arm timings one timing job wrote: a comparison's job a list (convstudy.speed), an
    estimate one."""
    return data if isinstance(data, list) else [data]


def arm_timings(jobs: Sequence) -> list[dict]:
    """Each arm's timing once, from the first timing job (in the order given) that timed it: an
    arm in several comparisons is timed in each, beside that comparison's other arms, and "where
    the time goes" needs it once."""
    first = {}
    for data in jobs:
        for timing in job_timings(data):
            first.setdefault(timing["arm"], timing)
    return list(first.values())


def arm_of(metrics: dict) -> str:
    settings = metrics["settings"]
    return (
        f"{settings['dataset']}/{settings['model']}-{settings['framework']}/{settings['variant']}"
    )


def _epoch_phases(epoch: dict) -> dict[str, float]:
    seconds = epoch["seconds"]
    return {phase: float(seconds.get(phase, 0.0)) for phase in EPOCH_PHASES}


# A run whose final training loss is within this share of ln(classes), the loss of a uniform
# guess, has not learned: a dead network (e.g. too large a step) that predicts at chance.
CHANCE_LOSS_TOLERANCE = 0.01


def at_chance(train_loss: float, task: str) -> bool:
    """Whether a run's final training loss is that of a uniform guess over its task's classes
    (a diverged run, whose loss is not a number, is counted as diverged instead)."""
    chance = math.log(TASKS[task].num_classes)
    return bool(np.isfinite(train_loss) and train_loss >= (1 - CHANCE_LOSS_TOLERANCE) * chance)


def runs_table(all_metrics: Sequence[dict]) -> pd.DataFrame:
    """One row per run, sorted by run."""
    rows = []
    for metrics in all_metrics:
        settings = metrics["settings"]
        epochs = metrics["epochs"]
        phases = [_epoch_phases(epoch) for epoch in epochs]
        row = {
            "run": metrics["run"],
            "arm": arm_of(metrics),
            "dataset": settings["dataset"],
            "model": settings["model"],
            "framework": settings["framework"],
            "variant": settings["variant"],
            "seed": settings["seed"],
            **{key: settings.get(key) for key in SETTING_COLUMNS},
            "test_accuracy": metrics["final"]["test_accuracy"],
            "train_accuracy": metrics["final"]["train_accuracy"],
            "train_loss": metrics["final"]["train_loss"],
            "diverged": any(epoch.get("diverged", False) for epoch in epochs),
            "at_chance": at_chance(metrics["final"]["train_loss"], settings["dataset"]),
            "timing": metrics.get("timing", "alongside other jobs"),
            "epoch_seconds": float(np.median([e["seconds"]["total"] for e in epochs])),
            **{
                f"seconds_{phase}": float(np.median([p[phase] for p in phases]))
                for phase in EPOCH_PHASES
            },
            "images_per_second": float(np.median([e["images_per_second"] for e in epochs])),
            "parameters": metrics["parameters"],
            "peak_memory_mb": metrics["peak_memory_mb"]["process"],
            "worker_peak_memory_mb": metrics["peak_memory_mb"].get("largest_worker", 0.0),
            "device": metrics["device"],
            "threads": settings["threads"],
        }
        # Settings not listed above (a new one, or cpu_fallback) get a column of their own;
        # the requested device is left to the device the run used.
        row.update({key: settings[key] for key in sorted(settings) if key not in row})
        rows.append(row)
    if not rows:
        raise ValueError("no runs to tabulate")
    return pd.DataFrame(rows).sort_values("run", ignore_index=True)


def epochs_table(all_metrics: Sequence[dict]) -> pd.DataFrame:
    """One row per run and epoch: the learning curves and the epoch's time by phase."""
    rows = []
    for metrics in all_metrics:
        for epoch in metrics["epochs"]:
            rows.append(
                {
                    "run": metrics["run"],
                    "arm": arm_of(metrics),
                    "seed": metrics["settings"]["seed"],
                    "epoch": epoch["epoch"],
                    "train_loss": epoch["train_loss"],
                    "train_accuracy": epoch["train_accuracy"],
                    "test_accuracy": epoch["test_accuracy"],
                    "epoch_seconds": epoch["seconds"]["total"],
                    **{f"seconds_{k}": v for k, v in _epoch_phases(epoch).items()},
                    "images_per_second": epoch["images_per_second"],
                }
            )
    return pd.DataFrame(rows).sort_values(["run", "epoch"], ignore_index=True)


# --- speed, measured alone ---------------------------------------------------------------------


def timings_table(all_timings: Sequence[dict]) -> pd.DataFrame:
    """One row per arm timed alone: speed over its passes, and seconds by phase (medians over
    passes) per PER_IMAGES training images."""
    rows = []
    for timing in all_timings:
        settings = timing["settings"]
        passes = timing["passes"]
        speeds = [p["images_per_second"] for p in passes]
        per = [PER_IMAGES / p["images"] for p in passes]
        row = {
            "arm": timing["arm"],
            "dataset": settings["dataset"],
            "model": settings["model"],
            "framework": settings["framework"],
            "variant": settings["variant"],
            "data_path": settings["data_path"],
            "workers": settings["workers"],
            "hybridize": settings["hybridize"],
            "batch_size": settings["batch_size"],
            "timing": timing["timing"],
            "threads": timing["threads"],
            "cores_reserved": timing["cores_reserved"],
            "device": timing["device"],
            "passes": len(passes),
            "images_per_pass": passes[0]["images"],
            "images_per_second": float(np.median(speeds)),
            "images_per_second_low": float(np.min(speeds)),
            "images_per_second_high": float(np.max(speeds)),
            "pass_images_per_second": " ".join(f"{s:.0f}" for s in speeds),
            # Timed in rounds with this many other arms of its comparison, in the same job.
            "timed_with": timing.get("interleaved_with", 0),
        }
        for phase in TRAIN_PHASES:
            row[f"seconds_{phase}"] = float(
                np.median([p["seconds"][phase] * k for p, k in zip(passes, per, strict=True)])
            )
        row["seconds_total"] = sum(row[column] for column in TRAIN_PHASE_COLUMNS)
        row["data_share"] = row["seconds_data"] / row["seconds_total"]
        rows.append(row)
    if not rows:
        raise ValueError("no timings to tabulate")
    return pd.DataFrame(rows).sort_values("arm", ignore_index=True)


def _pass_speeds(timing: pd.Series) -> np.ndarray:
    return np.array([float(s) for s in str(timing["pass_images_per_second"]).split()])


def timed_in_rounds(baseline: pd.Series, arm: pd.Series) -> bool:
    """Both timed in the same job, a pass of each per round (convstudy.speed)."""
    return (
        int(arm["timed_with"]) > 0
        and int(baseline["timed_with"]) > 0
        and int(arm["passes"]) == int(baseline["passes"]) > 1
    )


def round_ratio(baseline: pd.Series, arm: pd.Series) -> stats.Difference:
    """The arm's speed over the baseline's, round by round: a paired t interval of the log ratio
    (a drift in the machine's speed cancels within a round)."""
    return stats.paired_difference(np.log(_pass_speeds(baseline)), np.log(_pass_speeds(arm)))


def speed_verdict(baseline: pd.Series, arm: pd.Series) -> str:
    """Arms timed in rounds: faster or slower when the 95% interval of their speed ratio over the
    rounds excludes 1 (paired, as seeds are for accuracy). Arms timed in separate jobs: only when
    every pass of one arm beats every pass of the other. Fewer than stats.MIN_SEEDS rounds (or
    passes): TOO_FEW_ROUNDS, no verdict.

    This is one comparison's verdict, at the 95% level, without regard to the report's other
    speed tests; the report words speed_verdict_controlled (false_discoveries) instead."""
    if timed_in_rounds(baseline, arm):
        verdict = round_ratio(baseline, arm).verdict
        return {stats.HIGHER: FASTER, stats.LOWER: SLOWER, stats.TOO_FEW_SEEDS: TOO_FEW_ROUNDS}.get(
            verdict, WITHIN_SPREAD
        )
    if min(int(arm["passes"]), int(baseline["passes"])) < stats.MIN_SEEDS:
        return TOO_FEW_ROUNDS
    if arm["images_per_second_low"] > baseline["images_per_second_high"]:
        return FASTER
    if arm["images_per_second_high"] < baseline["images_per_second_low"]:
        return SLOWER
    return WITHIN_SPREAD


# --- one comparison -----------------------------------------------------------------------------


def arm_labels(arms: Sequence[str], labels: dict[str, str] | None = None) -> dict[str, str]:
    """Short names: only the parts of dataset / model-framework / variant that differ (a
    variant's own label where config.yaml gives one)."""
    labels = labels or {}
    parts = [arm.split("/") for arm in arms]
    varying = [i for i in range(3) if len({p[i] for p in parts}) > 1]
    names = {}
    for arm, p in zip(arms, parts, strict=True):
        shown = [labels.get(arm, p[2]) if i == 2 else p[i] for i in varying]
        names[arm] = "/".join(shown) or arm
    if len(set(names.values())) < len(names):
        return {arm: arm for arm in arms}
    return names


def _format_setting(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def setting_texts(settings: dict[str, dict], arms: Sequence[str], extra: Sequence[str]):
    """What sets each arm apart, as 'key value' pairs.

    For the compared arms: the settings that vary among them. For the extra (reference) arms:
    where each differs from the baseline (the first arm).
    """
    keys = [k for k in settings[arms[0]] if k not in IDENTITY_KEYS]
    varying = [k for k in keys if len({repr(settings[a].get(k)) for a in arms}) > 1]
    texts = {
        arm: ", ".join(f"{k} {_format_setting(settings[arm][k])}" for k in varying) for arm in arms
    }
    base = settings[arms[0]]
    for reference in extra:
        differing = [k for k in keys if settings[reference].get(k) != base.get(k)]
        texts[reference] = ", ".join(
            f"{k} {_format_setting(settings[reference][k])}" for k in differing
        )
    return {arm: text or "same settings" for arm, text in texts.items()}


def trained_identically(epochs: pd.DataFrame, baseline: str, arm: str) -> tuple[bool, float, float]:
    """Whether two arms' per-epoch training losses agree on every seed they share, and the
    largest difference seen in training loss and in test accuracy (any epoch, any seed)."""
    first = epochs[epochs["arm"] == baseline].set_index(["seed", "epoch"]).sort_index()
    second = epochs[epochs["arm"] == arm].set_index(["seed", "epoch"]).sort_index()
    if not first.index.equals(second.index):
        return False, float("nan"), float("nan")
    a, b = first["train_loss"].to_numpy(float), second["train_loss"].to_numpy(float)
    same = bool(
        np.allclose(a, b, rtol=IDENTICAL_RTOL, atol=IDENTICAL_ATOL, equal_nan=True)
        and np.array_equal(np.isnan(a), np.isnan(b))
    )
    loss = float(np.nanmax(np.abs(a - b), initial=0.0))
    accuracy = float(
        np.max(np.abs(first["test_accuracy"].to_numpy() - second["test_accuracy"].to_numpy()))
    )
    return same, loss, accuracy


def same_work(baseline: dict, arm: dict) -> bool:
    """Whether an arm's settings differ from its baseline's only in SAME_WORK_SETTINGS (or not
    at all): the same operations per image, so no speed difference is expected. Dataset, model,
    framework, threads and device count as settings here: they change the work or its speed."""
    keys = (set(baseline) | set(arm)) - NAMING_KEYS
    return {key for key in keys if baseline.get(key) != arm.get(key)} <= SAME_WORK_SETTINGS


def _seed_values(runs: pd.DataFrame, arm: str, metric: str = "test_accuracy") -> dict[int, float]:
    own = runs[runs["arm"] == arm]
    return dict(zip(own["seed"].astype(int), own[metric].astype(float), strict=True))


def comparison_table(
    runs: pd.DataFrame,
    epochs: pd.DataFrame,
    settings: dict[str, dict],
    comparison: dict,
    timings: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per arm (baseline first, references last): test accuracy over seeds and its
    difference from the baseline (stats.compare, within stats.ACCURACY_BOUNDS); with timings,
    each arm's speed measured alone.

    Columns beyond the difference itself: `undetectable` (the seeds could not have detected any
    difference an accuracy can show; detectable is then empty), `same_computation` (the
    training losses agree on every seed: interval identical), `same_work` (the settings differ
    from the baseline's only in the learning rate: same_work); both False on the baseline's row.
    With timings: speed_ratio, its 95% interval and speed_p_value (arms timed in rounds with the
    baseline), and speed_verdict (this comparison alone, at the 95% level)."""
    arms = list(comparison["runs"])
    extra = references(comparison)
    ordered = arms + extra
    if comparison.get("arm_seeds"):
        # Only the seeds this comparison declares (an arm may run more for another one).
        keep = [
            seed in comparison["arm_seeds"].get(arm, [seed])
            for arm, seed in zip(runs["arm"], runs["seed"], strict=True)
        ]
        runs = runs[keep]
        epochs = epochs[epochs["run"].isin(set(runs["run"]))]
    missing = [arm for arm in ordered if arm not in set(runs["arm"])]
    if missing:
        raise ValueError(f"no runs of {', '.join(missing)} among the given metrics")
    if timings is not None:
        untimed = [arm for arm in ordered if arm not in set(timings["arm"])]
        if untimed:
            raise ValueError(f"no timing of {', '.join(untimed)} among the given timings")
        timings = timings.set_index("arm")
    labels = arm_labels(ordered, comparison.get("labels"))
    texts = setting_texts(settings, arms, extra)
    baseline_values = _seed_values(runs, arms[0])
    rows = []
    for arm in ordered:
        own = runs[runs["arm"] == arm]
        role = "baseline" if arm == arms[0] else "reference" if arm in extra else "arm"
        summary = stats.summarize(own["test_accuracy"])
        row = {
            "arm": arm,
            "label": labels[arm],
            "role": role,
            "setting": texts[arm],
            "seeds": len(own),
            "test_accuracy_mean": summary.mean,
            "test_accuracy_std": summary.std,
        }
        if role == "baseline":
            nan = float("nan")
            difference = stats.Difference(nan, nan, nan, nan, interval="", verdict="")
            loss_gap = accuracy_gap = nan
        else:
            same, loss_gap, accuracy_gap = trained_identically(epochs, arms[0], arm)
            difference = stats.compare(
                baseline_values,
                _seed_values(runs, arm),
                identical=same,
                bounds=stats.ACCURACY_BOUNDS,
            )
        row.update(
            difference=difference.difference,
            ci_low=difference.low,
            ci_high=difference.high,
            interval=difference.interval,
            detectable=difference.detectable,
            undetectable=difference.undetectable,
            verdict=difference.verdict,
            seed_differences=" ".join(f"{d:+.4f}" for d in difference.per_seed),
            p_value=difference.p_value,
            largest_loss_difference=loss_gap,
            largest_accuracy_difference=accuracy_gap,
            same_computation=difference.interval == stats.IDENTICAL,
            same_work=role != "baseline" and same_work(settings[arms[0]], settings[arm]),
            diverged_seeds=int(own["diverged"].sum()) if "diverged" in own else 0,
            at_chance_seeds=int(own["at_chance"].sum()) if "at_chance" in own else 0,
            train_accuracy_mean=own["train_accuracy"].mean(),
            train_loss_mean=own["train_loss"].mean(),
            parameters=int(own["parameters"].iloc[0]),
            peak_memory_mb=own["peak_memory_mb"].max(),
            worker_peak_memory_mb=own["worker_peak_memory_mb"].max(),
        )
        if timings is not None:
            timing = timings.loc[arm]
            row.update(
                timing=timing["timing"],
                threads=int(timing["threads"]),
                passes=int(timing["passes"]),
                images_per_pass=int(timing["images_per_pass"]),
                images_per_second=timing["images_per_second"],
                images_per_second_low=timing["images_per_second_low"],
                images_per_second_high=timing["images_per_second_high"],
                pass_images_per_second=timing["pass_images_per_second"],
                timed_with=int(timing["timed_with"]),
                speed_verdict=(
                    "" if role == "baseline" else speed_verdict(timings.loc[arms[0]], timing)
                ),
                **_speed_ratio(timings.loc[arms[0]], timing, role),
                **{column: timing[column] for column in TRAIN_PHASE_COLUMNS},
                seconds_total=timing["seconds_total"],
            )
        rows.append(row)
    table = pd.DataFrame(rows)
    if comparison_kind(comparison) == "sweep":
        _mark_best_range(table, runs, settings, comparison["sweep"])
    return table


def false_discoveries(summary: pd.DataFrame) -> pd.DataFrame:
    """The comparisons' tables joined (column `comparison`), with each test's q value.

    q_value: an arm's accuracy p value adjusted for every accuracy difference the report tests
    (Benjamini-Hochberg). A pair of arms that several comparisons share (a reference against the
    same baseline, the same runs) is one test. Arms without a p value (identical, too few seeds,
    the same difference on every seed) are not tested and have no q value.

    speed_q_value: an arm's speed p value (paired t of the log speed ratio over the rounds it
    was timed in with its baseline) adjusted for every speed test in the report (a family of its
    own, Benjamini-Hochberg). Each comparison times its arms in its own job, so a pair timed in
    several comparisons' jobs was measured separately each time: each is a test of its own.
    speed_verdict_controlled: faster or slower only where the ratio's 95% interval excludes 1 and
    its q value is at most stats.FALSE_DISCOVERY_RATE (controlled_speed_verdicts). Tables
    without speed columns get neither column."""
    summary = summary.copy()
    baselines = summary[summary["role"] == "baseline"].set_index("comparison")["arm"]
    summary["baseline_arm"] = summary["comparison"].map(baselines)
    compared = summary["role"] != "baseline"
    tested = summary["p_value"].notna() & compared
    pairs = summary[tested].drop_duplicates(["baseline_arm", "arm"])
    pairs = pairs.set_index(["baseline_arm", "arm"])
    q_values = pd.Series(stats.q_values(pairs["p_value"].to_numpy()), index=pairs.index)
    keys = pd.MultiIndex.from_frame(summary[["baseline_arm", "arm"]])
    summary["q_value"] = q_values.reindex(keys).where(tested.to_numpy()).to_numpy()
    if "speed_p_value" in summary:
        speed_tested = (summary["speed_p_value"].notna() & compared).to_numpy()
        speed_q = np.full(len(summary), np.nan)
        speed_q[speed_tested] = stats.q_values(summary.loc[speed_tested, "speed_p_value"])
        summary["speed_q_value"] = speed_q
        summary["speed_verdict_controlled"] = controlled_speed_verdicts(summary)
    return summary


def surviving_speed_verdicts(summary: pd.DataFrame) -> pd.Series:
    """For the joined tables with speed q values (false_discoveries): whether an arm's speed is
    clearly faster or slower once every speed test in the report is accounted for: its speed
    ratio's 95% interval excludes 1 and its q value is at most stats.FALSE_DISCOVERY_RATE. False
    where the arm was not timed in enough rounds with its baseline (no interval, no q value)."""
    low, high = summary["speed_ratio_low"], summary["speed_ratio_high"]
    kept = summary["speed_q_value"] <= stats.FALSE_DISCOVERY_RATE
    return (kept & ((low > 1.0) | (high < 1.0)) & (summary["role"] != "baseline")).rename(None)


def controlled_speed_verdicts(summary: pd.DataFrame) -> pd.Series:
    """Each arm's speed verdict under the report's control of false discoveries: FASTER or
    SLOWER where it survives (surviving_speed_verdicts), else stats.NO_CLEAR_DIFFERENCE (also
    where there were too few rounds or the arms were timed in separate jobs: no interval);
    empty on baselines' rows."""
    kept = surviving_speed_verdicts(summary)
    verdicts = pd.Series(stats.NO_CLEAR_DIFFERENCE, index=summary.index, dtype=object)
    verdicts[kept & (summary["speed_ratio_low"] > 1.0)] = FASTER
    verdicts[kept & (summary["speed_ratio_high"] < 1.0)] = SLOWER
    verdicts[summary["role"] == "baseline"] = ""
    return verdicts


def _speed_ratio(baseline: pd.Series, timing: pd.Series, role: str) -> dict:
    """An arm timed in rounds with its baseline: its speed ratio (the geometric mean over rounds),
    the ratio's 95% interval and the p value of the paired t test of its log (interval and p
    value empty with too few rounds)."""
    if role == "baseline" or not timed_in_rounds(baseline, timing):
        return {
            "speed_ratio": np.nan,
            "speed_ratio_low": np.nan,
            "speed_ratio_high": np.nan,
            "speed_p_value": np.nan,
        }
    ratio = round_ratio(baseline, timing)
    return {
        "speed_ratio": float(np.exp(ratio.difference)),
        "speed_ratio_low": float(np.exp(ratio.low)),
        "speed_ratio_high": float(np.exp(ratio.high)),
        "speed_p_value": ratio.p_value,
    }


def _mark_best_range(table: pd.DataFrame, runs: pd.DataFrame, settings, setting: str) -> None:
    """A sweep's value per arm (sweep_value), the arm with the highest mean test accuracy (best:
    a description, not a verdict; it stays with too few seeds), and the best range: whether an
    arm is not clearly worse than the best (near_best: the paired interval of its difference
    from the best includes zero, or it is the best; an arm the same amount below the best on
    every seed is below it, one that ties it on every seed is not).

    With too few seeds for any of these differences (stats.MIN_SEEDS) there is no best range:
    best_range_estimable is False and near_best False on every row."""
    table["sweep_value"] = [settings[arm][setting] for arm in table["arm"]]
    swept = table[table["role"] != "reference"]
    best = swept.loc[swept["test_accuracy_mean"].idxmax(), "arm"]
    best_values = _seed_values(runs, best)
    differences = {
        arm: stats.compare(best_values, _seed_values(runs, arm), bounds=stats.ACCURACY_BOUNDS)
        for arm in swept["arm"]
        if arm != best
    }
    estimable = all(d.interval != stats.TOO_FEW_SEEDS for d in differences.values()) and (
        len(best_values) >= stats.MIN_SEEDS
    )
    near = []
    for arm, role in zip(table["arm"], table["role"], strict=True):
        if role == "reference" or not estimable:
            near.append(False)
        elif arm == best:
            near.append(True)
        elif differences[arm].interval == stats.NOT_ESTIMABLE:
            near.append(differences[arm].difference > -stats.SAME_ON_EVERY_SEED)
        else:
            near.append(differences[arm].verdict != stats.LOWER)
    table["best"] = table["arm"] == best
    table["near_best"] = near
    table["best_range_estimable"] = estimable


def settings_by_arm(all_metrics: Sequence[dict]) -> dict[str, dict]:
    settings = {}
    for metrics in sorted(all_metrics, key=lambda m: m["settings"]["seed"]):
        settings.setdefault(arm_of(metrics), metrics["settings"])
    return settings


# --- files --------------------------------------------------------------------------------------


def html_table(table: pd.DataFrame, float_format: str = "{:.4g}") -> str:
    """A table as a plain HTML fragment (no index, numbers shortened) for the report."""

    def number(value):
        return float_format.format(value)

    return table.to_html(
        index=False, border=0, classes="data", na_rep="", float_format=number, escape=True
    )


def named_comparison_tables(runs, epochs, settings, comparisons: dict, timings=None) -> list:
    """Each comparison's table, its name in a first column."""
    tables = []
    for name, comparison in comparisons.items():
        table = comparison_table(runs, epochs, settings, comparison, timings)
        table.insert(0, "comparison", name)
        tables.append(table)
    return tables


def comparison_tables(
    comparison: dict, metrics_paths: Sequence[str | Path], timing_paths: Sequence[str | Path]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One comparison's table, and the runs and epochs it was computed from."""
    all_metrics = read_json(metrics_paths)
    runs, epochs = runs_table(all_metrics), epochs_table(all_metrics)
    timed = [timing for data in read_json(timing_paths) for timing in job_timings(data)]
    timings = timings_table(timed)
    table = comparison_table(runs, epochs, settings_by_arm(all_metrics), comparison, timings)
    return table, runs, epochs


def time_breakdown_table(timings: pd.DataFrame, model_order: Sequence[str] = ()) -> pd.DataFrame:
    """Every arm timed alone, model by model (in model_order: the order of models: in
    config.yaml, which is the report's; any other model after them, by name), then by dataset,
    framework and variant."""
    rank = {model: index for index, model in enumerate(model_order)}
    order = timings["model"].map(lambda model: (rank.get(model, len(rank)), model))
    return (
        timings.assign(model_order=order)
        .sort_values(["model_order", "dataset", "framework", "variant"], ignore_index=True)
        .drop(columns="model_order")
    )


def width_table(
    comparisons: dict[str, dict],
    metrics_paths: Sequence[str | Path],
) -> pd.DataFrame:
    """Accuracy against parameter count, the arms of every width comparison (per dataset)."""
    all_metrics = read_json(metrics_paths)
    runs, epochs = runs_table(all_metrics), epochs_table(all_metrics)
    settings = settings_by_arm(all_metrics)
    tables = named_comparison_tables(runs, epochs, settings, comparisons)
    for name, table in zip(comparisons, tables, strict=True):
        table.insert(1, "dataset", [parse_arm(a, name)[0] for a in table["arm"]])
        table.insert(2, "width", [settings[a]["width"] for a in table["arm"]])
    table = pd.concat(tables, ignore_index=True)
    table["generalization_gap"] = table["train_accuracy_mean"] - table["test_accuracy_mean"]
    return table

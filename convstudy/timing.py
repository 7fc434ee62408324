"""Wall-clock timing: the median of repeated calls of a function, and the phases of training.

A training pass's time is split into phases: those its timer measures at each step
(TIMED_PHASES: waiting for the next batch, the forward and backward passes, the optimizer step)
and "other", the loop's own work between them; together they are TRAIN_PHASES, the phases of
every pass timed alone (convstudy.speed) and of every epoch's training. An epoch adds "eval",
predicting the test set after its pass (EPOCH_PHASES).
"""

import statistics
import time
from collections.abc import Callable

TIMED_PHASES = ("data", "forward", "backward", "step")
TRAIN_PHASES = (*TIMED_PHASES, "other")
EPOCH_PHASES = (*TRAIN_PHASES, "eval")


def median_seconds(fn: Callable[[], object], repeats: int, warmup: int = 1) -> float:
    """Median wall-clock seconds of fn() over `repeats` calls, after `warmup` untimed calls.

    The warm-up calls take one-off costs (lazy initialization, memory allocation, caches) out of
    the measurement; the median ignores the occasional call slowed by another process.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class PhaseTimer:
    """Seconds spent in named phases of a loop (TIMED_PHASES in a training pass).

    Asynchronous frameworks must finish a phase's work before leaving it (the backends wait
    on their results inside the phase), or the time lands in whichever phase waits next.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def phase(self, name: str) -> "_Phase":
        return _Phase(self, name)

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds


class _Phase:
    def __init__(self, timer: PhaseTimer, name: str) -> None:
        self.timer, self.name = timer, name

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc) -> None:
        self.timer.add(self.name, time.perf_counter() - self.start)

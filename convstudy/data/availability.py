"""Which datasets this machine can get, decided before any job runs, without a network where it
can be.

A dataset is available when it is cached already or when one of its sources is there. Local
sources (a path, an installed package) are looked at every time: that is cheap. A download host
(a url source or the official one) is probed only when a dataset has no local source and the
question is asked, with a short timeout, and the answer is remembered in a small file for a few
minutes, so that repeated commands (a dry run, then the run) do not probe again. offline skips
the probe: a download source then counts as not there.
"""

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from convstudy.data import catalog, sources

# How long a probe's answer is trusted.
REMEMBER_SECONDS = 600
OFFLINE_REASON = "offline: true, so download sources are not tried"


def _is_download(source) -> bool:
    return source == "official" or "url" in source


class Availability:
    """Answers 'can this machine get dataset X, and if not, why', probing lazily."""

    def __init__(
        self,
        datasets: dict,
        cache_path: Callable[[str], Path],
        memory: Path,
        offline: bool,
        clock: Callable[[], float] = time.time,
        probe=sources.probe,
    ):
        self.datasets, self.cache_path, self.memory = datasets, cache_path, Path(memory)
        self.offline, self.clock, self.probe = offline, clock, probe
        self.answers: dict[str, tuple[bool, str]] = {}

    def status(self, dataset: str) -> tuple[bool, str]:
        """(available, why), asked once per workflow load."""
        if dataset not in self.answers:
            self.answers[dataset] = self._decide(dataset)
        return self.answers[dataset]

    def available(self, dataset: str) -> bool:
        return self.status(dataset)[0]

    def _decide(self, dataset: str) -> tuple[bool, str]:
        if Path(self.cache_path(dataset)).exists():
            return True, "already cached"
        info = catalog.dataset_info(dataset)
        configured = self.datasets[dataset]["sources"]
        reasons = []
        for source in (s for s in configured if not _is_download(s)):
            present, why = self.probe(info, source)
            if present:
                return True, why
            reasons.append(f"{sources.describe(source)}: {why}")
        downloads = [s for s in configured if _is_download(s)]
        if downloads and self.offline:
            reasons.append(OFFLINE_REASON)
        for source in downloads if not self.offline else []:
            present, why = self._remembered_probe(dataset, info, source)
            if present:
                return True, why
            reasons.append(f"{sources.describe(source)}: {why}")
        return False, "; ".join(reasons) or "no sources configured"

    def _remembered_probe(self, dataset, info, source) -> tuple[bool, str]:
        key = f"{dataset} {json.dumps(source, sort_keys=True)}"
        memory = self._read_memory()
        now = self.clock()
        remembered = memory.get(key)
        if remembered and now - remembered["at"] < REMEMBER_SECONDS:
            return remembered["present"], remembered["why"]
        present, why = self.probe(info, source)
        memory[key] = {"present": present, "why": why, "at": now}
        self._write_memory(memory)
        return present, why

    def _read_memory(self) -> dict:
        try:
            return json.loads(self.memory.read_text())
        except (OSError, ValueError):
            return {}

    def _write_memory(self, memory: dict) -> None:
        try:
            self.memory.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.memory.with_suffix(".part")
            temporary.write_text(json.dumps(memory, indent=1))
            os.replace(temporary, self.memory)
        except OSError:
            pass  # remembering is an optimisation: without it the next load probes again

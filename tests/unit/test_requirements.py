"""A test that needs what this machine lacks skips, saying what to install; under CI it fails."""

import pytest

from tests import slurm_cluster
from tests.conftest import require


def outcome(condition, monkeypatch, ci):
    """What require(condition, ...) does with the environment variable CI set to ci (or unset)."""
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    try:
        require(condition, "Chromium is not installed (envs/setup.sh --tests installs it)")
    except pytest.skip.Exception as skipped:
        return "skip", str(skipped)
    except pytest.fail.Exception as failed:
        return "fail", str(failed)
    return "go on", ""


@pytest.mark.parametrize("ci", [None, "", "false", "true", "TRUE", "1"])
def test_what_is_there_lets_the_test_go_on_whatever_ci_says(monkeypatch, ci):
    assert outcome(True, monkeypatch, ci) == ("go on", "")
    assert outcome("chromium", monkeypatch, ci) == ("go on", "")


@pytest.mark.parametrize("ci", [None, "", "false", "1"])
def test_outside_ci_what_is_missing_skips_saying_what_to_install(monkeypatch, ci):
    assert outcome(None, monkeypatch, ci) == (
        "skip",
        "Chromium is not installed (envs/setup.sh --tests installs it)",
    )


@pytest.mark.parametrize("ci", ["true", "True", " true "])
def test_under_ci_what_is_missing_fails_saying_what_to_install(monkeypatch, ci):
    kind, message = outcome(False, monkeypatch, ci)
    assert kind == "fail"
    assert message.startswith("Chromium is not installed (envs/setup.sh --tests installs it)")
    assert "CI=true" in message


def test_without_a_slurm_cluster_ci_fails_naming_root_and_the_packages(monkeypatch):
    monkeypatch.setattr(slurm_cluster, "unavailable_reason", lambda: "needs root (to install)")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception) as failed:
        next(slurm_cluster.slurm_cluster_fixture.__wrapped__(request=None))
    message = str(failed.value)
    assert "needs root" in message and "apt-get" in message
    assert "slurmctld" in message and "mariadb-server" in message
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="no local Slurm cluster: needs root"):
        next(slurm_cluster.slurm_cluster_fixture.__wrapped__(request=None))
